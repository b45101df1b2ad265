/**
 * Mapping workbench (docs/console.md): unmapped and failed customers, products and
 * subscriptions with ranked, typo-tolerant suggestions (the gateways' search), map one or many,
 * create in the PSA, what Map & Sync would write before it writes, and clash warnings.
 */
import { enabledFields, pushValues } from '../../../activities/sync/sync-fields';
import type { AgreementSummary, CatalogMatch, CompanyMatch } from '../../../activities/psa/psa-gateway.port';
import type { Connection, CustomerMapping, PlatformCustomer, PlatformProduct, ProductMapping, SubscriptionMapping } from '../../../activities/store';
import { backField, backTo, chip, connUrl, guarded, may, type ConsoleAnswer, type ConsoleContext } from '../console-kit';
import { html, query, type Html } from '../html';
import { mappingConflicts, productHolding } from '../mapping-conflicts';

const enc = encodeURIComponent;
const TABS = ['customers', 'products', 'subscriptions'] as const;
type Tab = (typeof TABS)[number];
/** Suggestions are looked up for this many rows of a page (each is a PSA search). */
const SUGGEST_ROWS = 25;

type Row<M, R> = M & { platform: R | null };
type Suggestions = { query: Record<string, string>; matches: Array<(CompanyMatch | CatalogMatch) & { mappedTo?: string }> };
type ServiceSuggestion = {
  customer: { id: string; companyId: number | null; companyName: string | null };
  product: { id: string; mapped: boolean; psaId: number | null };
  agreements: Array<AgreementSummary & { problems: Array<{ path?: string; message: string }>; defaultEffectiveDate?: string }>;
  agreementId: number | null;
  description: string;
};

function statusFilter(q: Record<string, string>): string {
  const allowed = ['unmapped', 'mapped', 'failed'];
  const s = (q.status ?? 'unmapped,failed').split(',').filter((x) => allowed.includes(x));
  return s.length ? s.join(',') : 'unmapped,failed';
}

/** Field: value lines Map & Sync would PATCH (the connection's toggles on, platform values present). */
function syncPreview(record: object | null, toggles: Record<string, boolean>): Html {
  if (!record) return html``;
  const values = pushValues(record, enabledFields(toggles));
  const entries = Object.entries(values);
  return html`<details class="small"><summary>What Map &amp; Sync would write</summary><div class="preview">${entries.length ? entries.map(([k, v]) => html`<div><span class="muted">${k}:</span> ${String(v)}</div>`) : 'nothing (every field toggle is off)'}</div></details>`;
}

async function recordTab(ctx: ConsoleContext, conn: Connection, tab: 'customers' | 'products', rows: Array<Row<CustomerMapping | ProductMapping, PlatformCustomer | PlatformProduct>>, allProducts: ProductMapping[]): Promise<Html> {
  const id = conn.id;
  const psaNoun = tab === 'customers' ? 'company' : conn.psa === 'connectwise' ? 'catalog item' : 'service';
  const toggles = tab === 'customers' ? conn.rules.fieldToggles.company : conn.rules.fieldToggles.product;
  const searchOverride = ctx.query.for && ctx.query.search ? { pid: ctx.query.for, text: ctx.query.search } : null;
  const suggestions = await Promise.all(
    rows.map(async (r, i) => {
      if (r.linked || i >= SUGGEST_ROWS) return null;
      const own = searchOverride?.pid === r.platformId ? searchOverride.text : undefined;
      const q = tab === 'customers' ? { search: own, limit: 5 } : { name: own, limit: 5 };
      const a = await ctx.api.call<Suggestions>('GET', `/api/connections/${enc(id)}/${tab}/${enc(r.platformId)}/suggestions${query(q)}`);
      return a.error === undefined ? a.body : { error: a.error };
    }),
  );
  const operator = may(ctx.principal, 'operator');
  const rowHtml = (r: Row<CustomerMapping | ProductMapping, PlatformCustomer | PlatformProduct>, i: number): Html => {
    const s = suggestions[i];
    const name = r.platform?.name ?? r.label ?? r.platformId;
    const sub = r.platform && 'partNumber' in r.platform ? `${r.platform.partNumber} · ${r.platform.provider}` : r.platform && 'city' in r.platform && r.platform.city ? r.platform.city : '';
    let choices: Html;
    if (r.linked) choices = html`mapped to ${psaNoun} <strong>#${r.psaId}</strong> ${r.psaName ?? ''}`;
    else if (!s) choices = html`<a href="${connUrl(id, `/mapping${query({ tab, status: ctx.query.status, for: r.platformId, search: name })}`)}">Find matches</a>`;
    else if ('error' in s) choices = html`<span class="status status-failed">suggestions failed</span> ${s.error}`;
    else if (s.matches.length === 0) choices = html`<span class="muted">No ${psaNoun} looks like “${Object.values(s.query)[0] ?? name}”.</span>`;
    else {
      const firstFree = s.matches.findIndex((m) => !m.mappedTo);
      choices = html`${s.matches.map((m, k) => {
        const held = tab === 'products' ? productHolding(allProducts, r.platformId, m.id) : null;
        return html`<label class="suggestion"><input type="radio" name="choice:${r.platformId}" value="${m.id}"${k === firstFree ? html` checked` : null}${operator ? null : html` disabled`}>
<span>${m.name}</span> <span class="score">#${m.id} · ${Math.round(m.score * 100)}%</span>
${m.mappedTo ? html`<span class="status status-pending-review" title="Already mapped">mapped to ${m.mappedTo}</span>` : null}
${held ? html`<span class="warning small">mapping here puts a second product on this ${psaNoun}</span>` : null}</label>`;
      })}`;
    }
    return html`<tr>
<td>${r.linked ? null : html`<input type="checkbox" name="pid" value="${r.platformId}" aria-label="Select ${name}"${operator ? null : html` disabled`}>`}</td>
<td><strong>${name}</strong><div class="small muted">${r.platformId}${sub ? ` · ${sub}` : ''}</div>${r.error ? html`<div class="small"><span class="status status-failed">failed</span> ${r.error.message}</div>` : null}</td>
<td>${chip(r.status)}</td>
<td>${choices}
${r.linked ? null : html`<div class="toolbar small"><label class="sr-only" for="search-${r.platformId}">Search the PSA for another name than ${name}</label><input id="search-${r.platformId}" form="find-${r.platformId}" type="search" name="search" value="${searchOverride?.pid === r.platformId ? searchOverride.text : ''}" placeholder="search another name"><button type="submit" form="find-${r.platformId}">Search</button></div>`}
${syncPreview(r.platform, toggles)}</td>
<td>${r.linked
      ? html`<button type="submit" formaction="${connUrl(id, `/mapping/${tab}/disconnect`)}" name="only" value="${r.platformId}"${guarded(ctx.principal, 'operator')}>Disconnect</button>`
      : html`<button type="submit" class="primary" formaction="${connUrl(id, `/mapping/${tab}/map`)}" name="only" value="${r.platformId}"${guarded(ctx.principal, 'operator')}>Map</button>
<button type="submit" formaction="${connUrl(id, `/mapping/${tab}/create`)}" name="only" value="${r.platformId}"${guarded(ctx.principal, 'operator')} data-confirm="Create a new ${psaNoun} “${name}” in the PSA?">Create in PSA</button>`}</td>
</tr>`;
  };
  return html`<form method="post" action="${connUrl(id, `/mapping/${tab}/map`)}" aria-label="Map ${tab}">
${backField(ctx)}
<div class="table-wrap"><table>
<thead><tr><th><input type="checkbox" data-select-all="pid" aria-label="Select all"></th><th>Platform ${tab === 'customers' ? 'customer' : 'product'}</th><th>Status</th><th>Closest PSA ${tab === 'customers' ? 'companies' : `${psaNoun}s`} (best first)</th><th>Action</th></tr></thead>
<tbody>${rows.map(rowHtml)}</tbody></table></div>
<div class="actions card">
<label>Mode<select name="mode"><option value="map-only">Map only (the next global sync writes the fields)</option><option value="map-and-sync">Map &amp; Sync (write the fields shown now)</option></select></label>
<span class="small muted" data-count-of="pid" aria-live="polite"></span>
<button type="submit" class="primary"${guarded(ctx.principal, 'operator')}>Map selected to their chosen ${psaNoun}</button>
</div>
</form>
${rows.filter((r) => !r.linked).map((r) => html`<form id="find-${r.platformId}" method="get" hidden><input type="hidden" name="tab" value="${tab}"><input type="hidden" name="status" value="${ctx.query.status ?? ''}"><input type="hidden" name="for" value="${r.platformId}"></form>`)}`;
}

async function subscriptionTab(ctx: ConsoleContext, conn: Connection, rows: Array<Row<SubscriptionMapping, unknown>>): Promise<Html> {
  const id = conn.id;
  const word = conn.psa === 'connectwise' ? 'agreement' : 'contract';
  const suggestions = await Promise.all(
    rows.map(async (r, i) => {
      if (r.linked || i >= SUGGEST_ROWS) return null;
      const a = await ctx.api.call<ServiceSuggestion>('GET', `/api/connections/${enc(id)}/subscriptions/${enc(r.platformId)}/suggestions`);
      return a.error === undefined ? a.body : { error: a.error };
    }),
  );
  const operator = may(ctx.principal, 'operator');
  return html`<form method="post" action="${connUrl(id, '/mapping/subscriptions/map')}" aria-label="Map subscriptions">
${backField(ctx)}
<div class="table-wrap"><table>
<thead><tr><th><input type="checkbox" data-select-all="pid" aria-label="Select all"></th><th>Subscription</th><th>Customer</th><th>Status</th><th>${word[0]!.toUpperCase() + word.slice(1)} and line description</th><th>Action</th></tr></thead>
<tbody>${rows.map((r, i) => {
    const s = suggestions[i];
    let place: Html;
    if (r.linked) place = html`${word} <strong>#${r.agreementId}</strong> · company #${r.companyId}<div class="small muted">${r.description ?? ''}</div>`;
    else if (!s) place = html`<span class="muted">open the subscription to map it</span>`;
    else if ('error' in s) place = html`<span class="status status-failed">cannot map yet</span> ${s.error}`;
    else if (s.customer.companyId === null) place = html`<span class="muted">Map the customer ${s.customer.id} first.</span>`;
    else if (!s.product.mapped) place = html`<span class="muted">Map the product ${s.product.id} first.</span>`;
    else
      place = html`<label class="sr-only" for="agreement-${r.platformId}">${word}</label><select id="agreement-${r.platformId}" name="agreement:${r.platformId}"${operator ? null : html` disabled`}>
${s.agreements.map((a) => html`<option value="${a.id}"${a.id === s.agreementId ? html` selected` : null}${a.problems.length ? html` disabled` : null}>#${a.id} ${a.name} (${a.periodType}, from ${a.startDate})${a.problems.length ? ` — ${a.problems.map((p) => p.message).join('; ')}` : ''}</option>`)}
</select>
<label class="sr-only" for="description-${r.platformId}">Line description</label><input id="description-${r.platformId}" type="text" name="description:${r.platformId}" value="${s.description}" maxlength="500"${operator ? null : html` disabled`}>`;
    return html`<tr>
<td>${r.linked ? null : html`<input type="checkbox" name="pid" value="${r.platformId}" aria-label="Select ${r.platformId}"${operator ? null : html` disabled`}>`}</td>
<td><a class="mono" href="${connUrl(id, `/subscriptions/${enc(r.platformId)}`)}">${r.platformId}</a><div class="small muted">${r.label ?? ''}</div>${r.error ? html`<div class="small"><span class="status status-failed">failed</span> ${r.error.message}</div>` : null}</td>
<td>${r.customerName ?? r.customerId ?? ''}</td>
<td>${chip(r.status)}</td>
<td>${place}</td>
<td>${r.linked
      ? html`<button type="submit" formaction="${connUrl(id, '/mapping/subscriptions/disconnect')}" name="only" value="${r.platformId}"${guarded(ctx.principal, 'operator')} data-confirm="Unmap ${r.platformId}? Its lines stay in the PSA.">Unmap</button>`
      : html`<button type="submit" class="primary" name="only" value="${r.platformId}"${guarded(ctx.principal, 'operator')}>Map</button>`}</td>
</tr>`;
  })}</tbody></table></div>
<div class="actions card"><span class="small muted" data-count-of="pid" aria-live="polite"></span>
<button type="submit" class="primary"${guarded(ctx.principal, 'operator')}>Map selected to the chosen ${word}s</button></div>
</form>`;
}

export async function mappingPage(ctx: ConsoleContext): Promise<ConsoleAnswer> {
  const id = ctx.params.id!;
  const tab: Tab = (TABS as readonly string[]).includes(ctx.query.tab ?? '') ? (ctx.query.tab as Tab) : 'customers';
  const status = statusFilter(ctx.query);
  const base = `/api/connections/${enc(id)}`;
  const listQuery = query({ status, search: ctx.query.q, limit: 200 });
  const [conn, list, products, subscriptions] = await Promise.all([
    ctx.api.get<Connection>(base),
    ctx.api.get<{ items: Array<Row<CustomerMapping & ProductMapping & SubscriptionMapping, PlatformCustomer | PlatformProduct>>; total: number }>(`${base}/${tab}${listQuery}`),
    ctx.api.get<{ items: ProductMapping[] }>(`${base}/products${query({ status: 'mapped,failed', limit: 1000 })}`),
    ctx.api.get<{ items: SubscriptionMapping[] }>(`${base}/subscriptions${query({ status: 'mapped,failed', limit: 1000 })}`),
  ]);
  const psaNoun = conn.psa === 'connectwise' ? 'catalog item' : 'service';
  const conflicts = mappingConflicts(products.items, subscriptions.items, psaNoun);
  const content = tab === 'subscriptions' ? await subscriptionTab(ctx, conn, list.items) : await recordTab(ctx, conn, tab, list.items, products.items);
  const here = (over: Record<string, string | undefined>) => connUrl(id, `/mapping${query({ tab, status, q: ctx.query.q, ...over })}`);
  const body = html`<h1>Mapping</h1>
<nav class="tabs" aria-label="What to map">${TABS.map((t) => html`<a href="${connUrl(id, `/mapping${query({ tab: t, status })}`)}"${t === tab ? html` aria-current="page"` : null}>${t}</a>`)}</nav>
${conflicts.length ? html`<div class="warning" role="alert"><strong>Clashes:</strong><ul>${conflicts.map((c) => html`<li>${c.message}</li>`)}</ul></div>` : null}
<form method="get" class="toolbar" role="search"><input type="hidden" name="tab" value="${tab}">
<label>Status<select name="status">${['unmapped,failed', 'unmapped', 'failed', 'mapped', 'unmapped,mapped,failed'].map((s) => html`<option value="${s}"${s === status ? html` selected` : null}>${s === 'unmapped,mapped,failed' ? 'all' : s.replace(',', ' + ')}</option>`)}</select></label>
<label>Search<input type="search" name="q" value="${ctx.query.q ?? ''}" data-search placeholder="name or id"></label><button type="submit">Show</button></form>
<p class="small muted">${list.items.length} of ${list.total} ${tab}. Suggestions are the PSA's records ranked by name similarity (typos tolerated); records already mapped are flagged, not hidden. <a href="${here({ status: 'mapped' })}">Show the mapped ones</a>.</p>
${list.items.length ? content : html`<div class="card"><p>Nothing ${status.replace(',', ' or ')} here.</p></div>`}`;
  return { page: { title: `Mapping ${tab}`, connectionId: id, section: 'mapping', body } };
}

const selected = (form: URLSearchParams): string[] => {
  const only = form.get('only');
  return only ? [only] : [...new Set(form.getAll('pid'))];
};

async function eachPid(ctx: ConsoleContext, call: (pid: string) => Promise<{ error?: string; problems?: string[] }>, verb: string): Promise<ConsoleAnswer> {
  const back = backTo(ctx.form, connUrl(ctx.params.id!, '/mapping'));
  const pids = selected(ctx.form);
  if (pids.length === 0) return { redirect: back, flash: { kind: 'error', text: 'Select at least one row.' } };
  const ok: string[] = [];
  const failed: string[] = [];
  for (const pid of pids) {
    const a = await call(pid);
    if (a.error === undefined) ok.push(pid);
    else failed.push(`${pid}: ${a.error}${a.problems?.length ? ` (${a.problems.join('; ')})` : ''}`);
  }
  return failed.length
    ? { redirect: back, flash: { kind: 'error', text: `${verb} ${ok.length}; ${failed.length} refused:`, details: failed } }
    : { redirect: back, flash: { kind: 'ok', text: `${verb} ${ok.join(', ')}.` } };
}

const recordKind = (ctx: ConsoleContext): 'customers' | 'products' | null => (ctx.params.kind === 'customers' || ctx.params.kind === 'products' ? ctx.params.kind : null);

export const mappingActions: Record<string, (ctx: ConsoleContext) => Promise<ConsoleAnswer>> = {
  'POST /console/c/:id/mapping/:kind/map': async (ctx) => {
    const kind = recordKind(ctx);
    if (!kind) return { redirect: connUrl(ctx.params.id!, '/mapping'), flash: { kind: 'error', text: `no such mapping kind: ${ctx.params.kind}` } };
    const mode = ctx.form.get('mode') === 'map-and-sync' ? 'map-and-sync' : 'map-only';
    return eachPid(ctx, async (pid) => {
      const choice = Number(ctx.form.get(`choice:${pid}`));
      if (!Number.isInteger(choice) || choice <= 0) return { error: 'choose a suggestion first' };
      return ctx.api.call('POST', `/api/connections/${enc(ctx.params.id!)}/${kind}/${enc(pid)}/mapping`, { psaId: choice, mode });
    }, mode === 'map-and-sync' ? 'Mapped and synced' : 'Mapped');
  },
  'POST /console/c/:id/mapping/:kind/create': async (ctx) => {
    const kind = recordKind(ctx);
    if (!kind) return { redirect: connUrl(ctx.params.id!, '/mapping'), flash: { kind: 'error', text: `no such mapping kind: ${ctx.params.kind}` } };
    return eachPid(ctx, (pid) => ctx.api.call('POST', `/api/connections/${enc(ctx.params.id!)}/${kind}/${enc(pid)}/create`, {}), 'Created in the PSA and mapped');
  },
  'POST /console/c/:id/mapping/:kind/disconnect': async (ctx) => {
    const kind = ctx.params.kind;
    if (kind !== 'customers' && kind !== 'products' && kind !== 'subscriptions') return { redirect: connUrl(ctx.params.id!, '/mapping'), flash: { kind: 'error', text: `no such mapping kind: ${kind}` } };
    return eachPid(ctx, (pid) => ctx.api.call('DELETE', `/api/connections/${enc(ctx.params.id!)}/${kind}/${enc(pid)}/mapping`), 'Disconnected');
  },
  'POST /console/c/:id/mapping/subscriptions/map': async (ctx) =>
    eachPid(ctx, async (pid) => {
      const agreementId = Number(ctx.form.get(`agreement:${pid}`));
      const description = ctx.form.get(`description:${pid}`) ?? '';
      return ctx.api.call('POST', `/api/connections/${enc(ctx.params.id!)}/subscriptions/${enc(pid)}/mapping`, { description, ...(Number.isInteger(agreementId) && agreementId > 0 ? { agreementId } : {}) });
    }, 'Mapped'),
};
