/**
 * Reconciliation review (docs/console.md): one billing month of a connection, to-do or all,
 * grouped by customer, provider or agreement; platform vs PSA quantity, cost, price and margin
 * with the reason; accept / reject / retry one or many with a note; CSV of the view (every row).
 * A month of any size is shown a page of REVIEW_PAGE rows at a time (the log's order: customer,
 * then subscription), grouped within the page; each row carries its agreement, so no other list
 * is read.
 */
import type { ReconciliationLogEntry, ReconciliationLogPage } from '../../../app/admin/reconciliation-log';
import { RECONCILIATION_STATUSES, type Connection, type ReconciliationStatus } from '../../../activities/store';
import { DEFAULT_CUTOVER_CALENDAR } from '../../../domain/cutover-calendar';
import { addDays, firstOfMonth } from '../../../domain/dates';
import { answerFlash, backField, backTo, chip, connUrl, guarded, type ConsoleAnswer, type ConsoleContext } from '../console-kit';
import { html, query, type Html } from '../html';
import { filterRows, GROUPS, groupRows, itemsByRun, itemValue, reviewRows, TODO_STATUSES, type GroupBy, type ReviewRow } from '../reconciliation-view';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const enc = encodeURIComponent;
/** Rows per page of the review. */
export const REVIEW_PAGE = 200;

interface ReviewQuery {
  month: string;
  provider?: string;
  view: 'todo' | 'all';
  group: GroupBy;
  statuses: ReconciliationStatus[];
  /** First row of the page (a multiple of REVIEW_PAGE). */
  offset: number;
}

async function reviewQuery(ctx: ConsoleContext): Promise<ReviewQuery> {
  const q = ctx.query;
  let month = MONTH.test(q.month ?? '') ? q.month! : '';
  if (!month) {
    // The newest month with something to do, else last month (the one being reconciled now).
    const newest = await ctx.api.get<{ rows: ReconciliationLogEntry[] }>(`/api/connections/${enc(ctx.params.id!)}/reconciliation/log${query({ status: TODO_STATUSES.join(','), limit: 1 })}`);
    month = newest.rows[0]?.month ?? addDays(firstOfMonth(ctx.today), -1).slice(0, 7);
  }
  const statuses = (q.status ?? '').split(',').filter((s): s is ReconciliationStatus => (RECONCILIATION_STATUSES as readonly string[]).includes(s));
  return {
    month,
    ...(q.provider ? { provider: q.provider } : {}),
    view: q.view === 'all' ? 'all' : 'todo',
    group: (GROUPS as readonly string[]).includes(q.group ?? '') ? (q.group as GroupBy) : 'customer',
    statuses,
    offset: /^\d+$/.test(q.offset ?? '') ? Math.floor(Number(q.offset) / REVIEW_PAGE) * REVIEW_PAGE : 0,
  };
}

/** The API's log filters for a view (the CSV export asks for the same). */
function logFilter(r: ReviewQuery) {
  const statuses = r.statuses.length ? r.statuses : r.view === 'todo' ? TODO_STATUSES : [];
  return { from: r.month, to: r.month, provider: r.provider, status: statuses.join(',') || undefined };
}

const num = (v: string | number | undefined, differs = false): Html => html`<td class="num${differs ? ' differs' : ''}">${v ?? '—'}</td>`;

function rowHtml(ctx: ConsoleContext, r: ReviewRow): Html {
  const selectable = r.canDecide || r.canRetry;
  const id = `item-${r.provider}-${r.month}-${r.subscriptionId}`.replace(/[^A-Za-z0-9_-]/g, '_');
  return html`<tr class="diff">
<td>${selectable ? html`<input type="checkbox" name="item" value="${itemValue(r)}" id="${id}" aria-label="Select ${r.customer ?? ''} ${r.subscriptionId}">` : null}</td>
<td><label for="${id}">${r.customer ?? r.customerId ?? '—'}</label><div class="small muted">${r.plan ?? ''}</div></td>
<td><a href="${connUrl(ctx.params.id!, `/subscriptions/${enc(r.subscriptionId)}`)}" class="mono">${r.subscriptionId}</a><div class="small muted">${r.provider}${r.agreement ? ` · ${r.agreement}` : ''}</div></td>
${num(r.platformQuantity, r.platformQuantity !== undefined && r.psaQuantity !== undefined && r.platformQuantity !== r.psaQuantity)}${num(r.psaQuantity)}
${num(r.platformCost, r.platformCost !== undefined && r.psaCost !== undefined && r.platformCost !== r.psaCost)}${num(r.psaCost)}
${num(r.platformPrice, r.platformPrice !== undefined && r.psaPrice !== undefined && r.platformPrice !== r.psaPrice)}${num(r.psaPrice)}
${num(r.platformMargin)}${num(r.psaMargin)}
<td>${chip(r.status)}</td>
<td class="small reason">${r.reason ?? ''}${r.error && r.error !== r.reason ? html`<div class="small"><strong>PSA:</strong> ${r.error}</div>` : null}${r.invoiceAmendments ? html`<div class="small muted">${r.invoiceAmendments}</div>` : null}
${r.decision ? html`<div class="decision">${r.decision}ed by ${r.decidedBy ?? '?'}${r.decisionNote ? html`: “${r.decisionNote}”` : null}</div>` : null}</td>
</tr>`;
}

export async function reconciliationPage(ctx: ConsoleContext): Promise<ConsoleAnswer> {
  const id = ctx.params.id!;
  const base = `/api/connections/${enc(id)}`;
  const r = await reviewQuery(ctx);
  const [connection, log, products] = await Promise.all([
    ctx.api.get<Connection>(base),
    ctx.api.get<ReconciliationLogPage>(`${base}/reconciliation/log${query({ ...logFilter(r), limit: REVIEW_PAGE, offset: r.offset || undefined })}`),
    ctx.api.get<{ items: Array<{ platform: { provider?: string } | null }> }>(`${base}/products${query({ status: 'mapped', limit: 1000 })}`),
  ]);
  const agreementWord = connection.psa === 'connectwise' ? 'Agreement' : 'Contract';
  const agreements = new Map(log.rows.flatMap((x) => (x.agreementId !== undefined ? [[x.subscriptionId, `${agreementWord} #${x.agreementId}`] as const] : [])));
  const rows = filterRows(reviewRows(log.rows, agreements), { todo: false });
  const groups = groupRows(rows, r.group);
  // The providers this connection's products come from first, then the rest of the §6 calendar.
  const used = [...rows.map((x) => x.provider), ...products.items.flatMap((p) => (p.platform?.provider ? [p.platform.provider] : []))];
  const providers = [...new Set([...used, ...DEFAULT_CUTOVER_CALENDAR.map((c) => c.provider)])];
  const here = (over: Partial<Record<'month' | 'provider' | 'view' | 'group' | 'status' | 'offset', string>>) =>
    connUrl(id, `/reconciliation${query({ month: r.month, provider: r.provider, view: r.view, group: r.group, status: r.statuses.join(',') || undefined, ...over })}`);
  const pager = pageLinks(r.offset, rows.length, log.total, (offset) => here({ offset: String(offset) }));
  const csvHref = connUrl(id, `/reconciliation.csv${query({ month: r.month, provider: r.provider, view: r.view, status: r.statuses.join(',') || undefined })}`);
  const p = ctx.principal;

  const body = html`<h1>Reconciliation · ${r.month}</h1>
<form method="get" class="toolbar" aria-label="Which items">
  <label>Billing month<input type="month" name="month" value="${r.month}" required></label>
  <label>Provider<select name="provider"><option value="">all providers</option>${providers.map((x) => html`<option${x === r.provider ? html` selected` : null}>${x}</option>`)}</select></label>
  <label>Show<select name="view"><option value="todo"${r.view === 'todo' ? html` selected` : null}>to do (needs a decision or a retry)</option><option value="all"${r.view === 'all' ? html` selected` : null}>all items</option></select></label>
  <label>Status<select name="status"><option value="">any</option>${RECONCILIATION_STATUSES.map((s) => html`<option${r.statuses.length === 1 && r.statuses[0] === s ? html` selected` : null}>${s}</option>`)}</select></label>
  <label>Group by<select name="group">${GROUPS.map((g) => html`<option value="${g}"${g === r.group ? html` selected` : null}>${g}</option>`)}</select></label>
  <button type="submit">Show</button>
  <a class="button" href="${csvHref}" download>Export CSV</a>
</form>
<p class="small muted"><a href="${here({ view: r.view === 'todo' ? 'all' : 'todo' })}">${r.view === 'todo' ? 'Show all items of the month' : 'Show only the to-do'}</a> · ${log.total} item(s)${log.total > rows.length ? `, ${REVIEW_PAGE} a page` : ''}. Platform = the final reseller (cost) and customer (price) invoices; PSA = what the PSA bills for the month. Margin = price − cost.</p>
<form method="post" action="${connUrl(id, '/reconciliation/decide')}" aria-label="Decide on the selected items">
${backField(ctx)}
${groups.map(
  (g) => html`<section data-group="${g.key}">
<div class="group-head"><h2>${g.label}</h2><span class="muted small">${g.rows.length} item(s), ${g.todo} to do</span>
<label class="small"><input type="checkbox" data-select-all="item" data-scope="${g.key}"> select all in this group</label></div>
<div class="table-wrap"><table>
<thead><tr><th><span class="sr-only">Select</span></th><th>Customer / plan</th><th>Subscription</th><th class="num">Platform qty</th><th class="num">PSA qty</th><th class="num">Platform cost</th><th class="num">PSA cost</th><th class="num">Platform price</th><th class="num">PSA price</th><th class="num">Platform margin</th><th class="num">PSA margin</th><th>Status</th><th>Reason and decision</th></tr></thead>
<tbody>${g.rows.map((row) => rowHtml(ctx, row))}</tbody>
</table></div></section>`,
)}
${pager}
${rows.length === 0 ? html`<div class="card"><p>No ${r.view === 'todo' ? 'item to do' : 'item'} for ${r.month}${r.provider ? ` (${r.provider})` : ''}.</p><p class="small muted">A month's run starts on the provider's cutover day; start it now to check the month at once.</p></div>` : null}
<div class="card">
<div class="field"><label for="note">Note (kept with each decision, in the log and the CSV; at most 500 characters)</label><textarea id="note" name="note" maxlength="500"></textarea></div>
<div class="actions">
  <span class="small muted" data-count-of="item" aria-live="polite"></span>
  <button type="submit" name="action" value="accept" class="primary"${guarded(p, 'operator')} data-confirm="Accept the selected items? Cost and price are posted to the PSA.">Accept selected</button>
  <button type="submit" name="action" value="reject" class="danger"${guarded(p, 'operator')}>Reject selected</button>
  <button type="submit" name="action" value="retry"${guarded(p, 'operator')}>Retry selected</button>
</div></div>
</form>
<form method="post" action="${connUrl(id, '/reconciliation/start')}" class="card toolbar" aria-label="Start a run">
${backField(ctx)}
<input type="hidden" name="month" value="${r.month}">
<label>Provider<select name="provider">${providers.map((x) => html`<option${x === (r.provider ?? providers[0]) ? html` selected` : null}>${x}</option>`)}</select></label>
<button type="submit"${guarded(p, 'operator')}>Start or refresh the ${r.month} run</button>
<span class="small muted">Checks the month now (the provider's schedule does this at cutover).</span>
</form>`;
  return { page: { title: `Reconciliation ${r.month}`, connectionId: id, section: 'review', body } };
}

/** "Items 201–400 of 10,000" with the previous and next pages (nothing when one page holds them all). */
function pageLinks(offset: number, shown: number, total: number, href: (offset: number) => string): Html | null {
  if (offset === 0 && shown >= total) return null;
  const prev = offset > 0 ? html`<a href="${href(Math.max(0, offset - REVIEW_PAGE))}" rel="prev">← previous ${REVIEW_PAGE}</a>` : null;
  const next = offset + shown < total ? html`<a href="${href(offset + REVIEW_PAGE)}" rel="next">next ${Math.min(REVIEW_PAGE, total - offset - shown)} →</a>` : null;
  return html`<nav class="toolbar small" aria-label="Pages of items">${prev}<span>Items ${total === 0 ? 0 : offset + 1}–${offset + shown} of ${total.toLocaleString('en-GB')}</span>${next}</nav>`;
}

export async function reconciliationCsv(ctx: ConsoleContext): Promise<ConsoleAnswer> {
  const id = ctx.params.id!;
  const r = await reviewQuery(ctx);
  const res = await ctx.api.fetchRaw(`/api/connections/${enc(id)}/reconciliation/log.csv${query(logFilter(r))}`);
  const body = await res.text();
  void ctx.reply
    .status(res.status)
    .header('content-type', res.headers.get('content-type') ?? 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="reconciliation-${id}-${r.month}${r.view === 'todo' ? '-todo' : ''}.csv"`)
    .send(body);
  return { sent: true };
}

export const reconciliationActions: Record<string, (ctx: ConsoleContext) => Promise<ConsoleAnswer>> = {
  'POST /console/c/:id/reconciliation/decide': async (ctx) => {
    const id = ctx.params.id!;
    const back = backTo(ctx.form, connUrl(id, '/reconciliation'));
    const action = ctx.form.get('action');
    if (action !== 'accept' && action !== 'reject' && action !== 'retry') return { redirect: back, flash: { kind: 'error', text: 'Choose accept, reject or retry.' } };
    const runs = itemsByRun(ctx.form.getAll('item'));
    if (runs.length === 0) return { redirect: back, flash: { kind: 'error', text: 'Select at least one item.' } };
    const note = (ctx.form.get('note') ?? '').trim();
    const results: string[] = [];
    const failures: string[] = [];
    for (const run of runs) {
      const body = { subscriptionIds: run.subscriptionIds, ...(note && action !== 'retry' ? { note } : {}) };
      const a = await ctx.api.call<{ items: Array<{ subscriptionId: string; status: string; reason: string }> }>('POST', `/api/connections/${enc(id)}/reconciliation/runs/${enc(run.provider)}/${run.month}/${action}`, body);
      if (a.error !== undefined) failures.push(`${run.provider} ${run.month}: ${a.error}`, ...(a.problems ?? []));
      else for (const i of a.body.items) (i.status === 'failed' ? failures : results).push(`${i.subscriptionId}: ${i.status}${i.status === 'failed' ? ` — ${i.reason}` : ''}`);
    }
    const verb = action === 'accept' ? 'Accepted' : action === 'reject' ? 'Rejected' : 'Retried';
    return failures.length
      ? { redirect: back, flash: { kind: 'error', text: `${verb} ${results.length}; ${failures.length} problem(s):`, details: [...failures, ...results] } }
      : { redirect: back, flash: { kind: 'ok', text: `${verb} ${results.length} item(s)${note && action !== 'retry' ? ' with your note' : ''}.`, details: results } };
  },
  'POST /console/c/:id/reconciliation/start': async (ctx) => {
    const id = ctx.params.id!;
    const back = backTo(ctx.form, connUrl(id, '/reconciliation'));
    const month = ctx.form.get('month') ?? '';
    const provider = ctx.form.get('provider') ?? '';
    const a = await ctx.api.call('POST', `/api/connections/${enc(id)}/reconciliation/runs/${enc(provider)}/${enc(month)}`);
    return { redirect: back, flash: answerFlash(a, `The ${month} ${provider} run is checking the month; refresh in a moment to see its items.`) };
  },
};
