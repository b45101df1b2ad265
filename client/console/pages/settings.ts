/**
 * A connection's set-up (docs/console.md): credentials test, §2 rules and field toggles, §7 one
 * agreement per company, schedules with their next runs, §8 notification recipients; and the
 * form that adds a connection (its credentials are tested by the API before anything is saved).
 */
import { ADDITION_SYNC_FIELDS, COMPANY_SYNC_FIELDS, PRODUCT_SYNC_FIELDS, type Connection, type NotificationSettings } from '../../../activities/store';
import type { ScheduleRow } from '../../schedules';
import { answerFlash, backField, backTo, connUrl, guarded, may, type ConsoleAnswer, type ConsoleContext } from '../console-kit';
import { html, query, type Html } from '../html';

const enc = encodeURIComponent;
type Rules = Connection['rules'] & { oneAgreementPerCompany?: boolean };

const RULE_CHOICES = {
  positiveChange: ['actual-date', 'first-of-month'],
  negativeChange: ['actual-date', 'first-of-next-month'],
  cancellation: ['cancellation-date', 'end-of-month'],
} as const;

const checkbox = (name: string, checked: boolean, label: string, disabled: boolean): Html =>
  html`<label class="suggestion"><input type="checkbox" name="${name}" value="on"${checked ? html` checked` : null}${disabled ? html` disabled` : null}> ${label}</label>`;

export async function settingsPage(ctx: ConsoleContext): Promise<ConsoleAnswer> {
  const id = ctx.params.id!;
  const base = `/api/connections/${enc(id)}`;
  const [conn, rules, notifications, schedules] = await Promise.all([
    ctx.api.get<Connection>(base),
    ctx.api.get<Rules>(`${base}/rules`),
    ctx.api.get<NotificationSettings>(`${base}/notifications`),
    // Global route: limited tokens may not read it (403) — the section says so instead.
    ctx.api.call<{ items: ScheduleRow[] }>('GET', `/api/schedules${query({ connection: id })}`),
  ]);
  const admin = may(ctx.principal, 'admin');
  const off = !admin;
  const settings = Object.entries(conn.settings as Record<string, string>);
  const body = html`<h1>${conn.name} <span class="muted small">${conn.id} · ${conn.psa}</span></h1>
<div class="grid2">
<section class="card" aria-labelledby="cred"><h2 id="cred">Connection</h2>
<dl class="facts">${settings.map(([k, v]) => html`<dt>${k}</dt><dd class="mono small">${v}</dd>`)}<dt>secret</dt><dd class="muted">stored encrypted, never shown</dd><dt>credentials changed</dt><dd>${conn.credentialsUpdatedAt}</dd></dl>
<form method="post" action="${connUrl(id, '/test')}" class="actions">${backField(ctx)}<button type="submit"${guarded(ctx.principal, 'operator')}>Test the stored credentials</button></form>
</section>
<section class="card" aria-labelledby="sched"><h2 id="sched">Schedules</h2>
${schedules.error !== undefined
  ? html`<p class="muted">${schedules.error}</p>`
  : schedules.body.items.length
    ? html`<table><thead><tr><th>Schedule</th><th>Next runs (UTC)</th></tr></thead><tbody>${schedules.body.items.map((s) => html`<tr><td><span class="mono small">${s.scheduleId}</span>${s.paused ? html` <span class="status status-failed">paused</span>` : null}<div class="small muted">${s.note.replace(/\s*\[[0-9a-f]+\]$/, '')}</div></td><td class="small">${s.nextRuns.slice(0, 2).map((r) => html`<div>${r.replace('T', ' ').slice(0, 16)}</div>`)}</td></tr>`)}</tbody></table>`
    : html`<p class="muted">No schedule applied for this connection yet.</p>`}
<form method="post" action="/console/schedules/apply" class="actions">${backField(ctx)}<button type="submit"${guarded(ctx.principal, 'admin')}>Apply schedules</button></form>
</section>
</div>
<form method="post" action="${connUrl(id, '/rules')}" class="card" aria-labelledby="rules">${backField(ctx)}
<h2 id="rules">Sync rules and field toggles</h2>
<div class="toolbar">${(Object.keys(RULE_CHOICES) as Array<keyof typeof RULE_CHOICES>).map(
    (k) => html`<label>${k}<select name="${k}"${off ? html` disabled` : null}>${RULE_CHOICES[k].map((v) => html`<option${rules[k] === v ? html` selected` : null}>${v}</option>`)}</select></label>`,
  )}</div>
${checkbox('autoSync', rules.autoSync, 'Global sync runs daily at 00:00 UTC (autoSync)', off)}
${checkbox('oneAgreementPerCompany', rules.oneAgreementPerCompany === true, 'One agreement per company (§7)', off)}
<div class="grid2">
<fieldset><legend>Company fields the sync may overwrite</legend>${COMPANY_SYNC_FIELDS.map((f) => checkbox(`company.${f}`, rules.fieldToggles.company[f], f, off))}</fieldset>
<fieldset><legend>Product fields</legend>${PRODUCT_SYNC_FIELDS.map((f) => checkbox(`product.${f}`, rules.fieldToggles.product[f], f, off))}</fieldset>
<fieldset><legend>Addition fields</legend>${ADDITION_SYNC_FIELDS.map((f) => checkbox(`addition.${f}`, rules.fieldToggles.addition[f], f, off))}</fieldset>
</div>
<div class="actions"><button type="submit" class="primary"${guarded(ctx.principal, 'admin')}>Save rules</button></div>
</form>
<form method="post" action="${connUrl(id, '/notifications')}" class="card" aria-labelledby="notif">${backField(ctx)}
<h2 id="notif">Notifications (daily digests)</h2>
${checkbox('enabled', notifications.enabled, 'Send the daily digests', off)}
${checkbox('serviceMapping', notifications.templates.serviceMapping, 'Action needed for service mapping', off)}
${checkbox('billingReconciliation', notifications.templates.billingReconciliation, 'Billing reconciliation status', off)}
<div class="field"><label for="recipients">Recipients (comma or line separated)</label><textarea id="recipients" name="recipients"${off ? html` disabled` : null}>${notifications.recipients.join(', ')}</textarea></div>
<div class="actions"><button type="submit" class="primary"${guarded(ctx.principal, 'admin')}>Save notifications</button></div>
</form>`;
  return { page: { title: `Settings ${conn.name}`, connectionId: id, section: 'settings', body } };
}

export async function newConnectionPage(ctx: ConsoleContext): Promise<ConsoleAnswer> {
  const psa = ctx.query.psa === 'autotask' ? 'autotask' : 'connectwise';
  const fields =
    psa === 'connectwise'
      ? [['baseUrl', 'Site URL, e.g. https://api-na.myconnectwise.net'], ['companyId', 'Company id'], ['publicKey', 'Public key'], ['clientId', 'Client id']]
      : [['discoveryUrl', 'Zone discovery URL (default https://webservices.autotask.net)'], ['username', 'API user name'], ['integrationCode', 'Integration code']];
  const body = html`<h1>Add a connection</h1>
<nav class="tabs" aria-label="PSA">${(['connectwise', 'autotask'] as const).map((p) => html`<a href="/console/connections/new${query({ psa: p })}"${p === psa ? html` aria-current="page"` : null}>${p === 'connectwise' ? 'ConnectWise PSA' : 'Autotask PSA'}</a>`)}</nav>
<form method="post" action="/console/connections" class="card">
<input type="hidden" name="back" value="/console/connections/new${query({ psa })}"><input type="hidden" name="psa" value="${psa}">
<div class="field"><label for="f-id">Connection id (letters, digits, - _)</label><input id="f-id" name="id" type="text" required></div>
<div class="field"><label for="f-name">Name</label><input id="f-name" name="name" type="text" required></div>
${fields.map(([k, label]) => html`<div class="field"><label for="f-${k}">${label}</label><input id="f-${k}" name="settings.${k}" type="text"${k === 'discoveryUrl' ? null : html` required`}></div>`)}
<div class="field"><label for="f-secret">${psa === 'connectwise' ? 'Private key' : 'API secret'} (stored encrypted, never shown again)</label><input id="f-secret" name="secret" type="password" autocomplete="off" required></div>
<p class="small muted">The credentials are tested against the PSA before anything is saved.</p>
<button type="submit" class="primary"${guarded(ctx.principal, 'admin')}>Test and save</button>
</form>`;
  return { page: { title: 'Add a connection', section: 'home', body } };
}

const on = (form: URLSearchParams, name: string): boolean => form.get(name) === 'on';

export const settingsActions: Record<string, (ctx: ConsoleContext) => Promise<ConsoleAnswer>> = {
  'POST /console/connections': async (ctx) => {
    const f = ctx.form;
    const psa = f.get('psa');
    const settings = Object.fromEntries([...f.entries()].filter(([k, v]) => k.startsWith('settings.') && v.trim() !== '').map(([k, v]) => [k.slice('settings.'.length), v.trim()]));
    const a = await ctx.api.call<Connection>('POST', '/api/connections', { id: f.get('id') ?? '', psa, name: f.get('name') ?? '', settings, secret: f.get('secret') ?? '' });
    if (a.error !== undefined) return { redirect: backTo(f, '/console/connections/new'), flash: answerFlash(a, '') };
    return { redirect: connUrl(a.body.id, '/settings'), flash: { kind: 'ok', text: `Connection ${a.body.id} added: the credentials work.` } };
  },
  'POST /console/schedules/apply': async (ctx) => {
    const a = await ctx.api.call<{ created: unknown[]; updated: unknown[]; unchanged: unknown[]; deleted: unknown[] }>('POST', '/api/schedules/apply');
    const b = a.body;
    return { redirect: backTo(ctx.form, '/console'), flash: answerFlash(a, a.error === undefined ? `Schedules applied: ${b.created.length} created, ${b.updated.length} updated, ${b.unchanged.length} unchanged, ${b.deleted.length} deleted.` : '') };
  },
  'POST /console/c/:id/test': async (ctx) => {
    const a = await ctx.api.call('POST', `/api/connections/${enc(ctx.params.id!)}/test`);
    return { redirect: backTo(ctx.form, connUrl(ctx.params.id!, '/settings')), flash: answerFlash(a, 'The stored credentials work.') };
  },
  'POST /console/c/:id/rules': async (ctx) => {
    const f = ctx.form;
    const toggles = (group: string, fields: readonly string[]) => Object.fromEntries(fields.map((x) => [x, on(f, `${group}.${x}`)]));
    const patch = {
      positiveChange: f.get('positiveChange'),
      negativeChange: f.get('negativeChange'),
      cancellation: f.get('cancellation'),
      autoSync: on(f, 'autoSync'),
      oneAgreementPerCompany: on(f, 'oneAgreementPerCompany'),
      fieldToggles: { company: toggles('company', COMPANY_SYNC_FIELDS), product: toggles('product', PRODUCT_SYNC_FIELDS), addition: toggles('addition', ADDITION_SYNC_FIELDS) },
    };
    const a = await ctx.api.call('PUT', `/api/connections/${enc(ctx.params.id!)}/rules`, patch);
    return { redirect: backTo(f, connUrl(ctx.params.id!, '/settings')), flash: answerFlash(a, 'Rules saved. Apply the schedules if you changed autoSync.') };
  },
  'POST /console/c/:id/notifications': async (ctx) => {
    const f = ctx.form;
    const recipients = (f.get('recipients') ?? '').split(/[\s,;]+/).filter(Boolean);
    const a = await ctx.api.call('PUT', `/api/connections/${enc(ctx.params.id!)}/notifications`, {
      enabled: on(f, 'enabled'),
      recipients,
      templates: { serviceMapping: on(f, 'serviceMapping'), billingReconciliation: on(f, 'billingReconciliation') },
    });
    return { redirect: backTo(f, connUrl(ctx.params.id!, '/settings')), flash: answerFlash(a, 'Notification settings saved. Apply the schedules to start or stop the daily digest.') };
  },
};
