/**
 * A subscription (docs/console.md): its billed-quantity timeline as a chart, the PSA lines with
 * their ids, the event log with each outcome (skip with a reason), the last error and retry,
 * the workflow in the Temporal Web UI, and the preview of its next invoice.
 */
import type { SubscriptionMapping } from '../../../activities/store';
import type { SubscriptionWorkflowState } from '../../../contracts/subscription';
import type { LoggedEvent } from '../../../domain/event-log';
import { nextInvoicePreview, type InvoicePreview } from '../../../domain/invoice-preview';
import { timelineSegments } from '../../../domain/timeline';
import { answerFlash, backField, backTo, chip, connUrl, guarded, type ConsoleAnswer, type ConsoleContext } from '../console-kit';
import { html, type Html } from '../html';
import { timelineChart } from '../timeline-chart';

const enc = encodeURIComponent;

interface StateAnswer {
  mapping: SubscriptionMapping | null;
  workflow: SubscriptionWorkflowState | null;
  workflowError?: string;
}

/** The preview from what the workflow keeps (null when it is not billed yet, or cannot be). */
function preview(w: SubscriptionWorkflowState, today: string): InvoicePreview | { error: string } | null {
  if (!w.report || !w.placement) return null;
  const log: LoggedEvent[] = w.events.map((e, i) => ({ id: e.id, sequence: e.sequence, arrival: i, receivedAt: e.receivedAt, event: e.event }));
  try {
    return nextInvoicePreview({
      psa: w.placement.psa,
      agreement: w.placement.agreement,
      today,
      init: { rules: w.placement.rules, agreement: w.placement.agreement, subscription: w.report.subscription, parentSubscriptionId: w.placement.parentSubscriptionId ?? null },
      log,
      skipped: new Set(w.events.filter((e) => e.status === 'skipped').map((e) => e.id)),
    });
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

function eventDetails(e: SubscriptionWorkflowState['events'][number]['event']): string {
  switch (e.type) {
    case 'quantity-changed':
      return `quantity → ${e.quantity}`;
    case 'full-upgrade':
      return `to ${e.productId} at ${e.unitPrice} / ${e.unitCost}`;
    case 'partial-upgrade':
      return `${e.quantity} license(s) to ${e.newSubscription.id} (${e.newSubscription.productId})`;
    case 'renewed':
      return `until ${e.endDate}`;
    case 'price-changed':
      return `price ${e.unitPrice}, cost ${e.unitCost}`;
    default:
      return '';
  }
}

function invoiceSection(p: InvoicePreview | { error: string } | null, w: SubscriptionWorkflowState): Html {
  if (!p) return html`<p class="muted">Not billed yet: the subscription has no placement (map it first).</p>`;
  if ('error' in p) return html`<p><span class="status status-failed">cannot preview</span> ${p.error}</p>`;
  const psaIds = w.lineIds;
  return html`<p class="small muted">The invoice of ${p.period.from} – ${p.period.to}: every PSA line active in that period (prorated by days when active for part of it), plus this period's changes after its first day, prorated (${p.current.from} – ${p.current.to}). Scheduled events are included. Nothing is written.</p>
${p.lines.length === 0
  ? html`<p>Nothing to bill in that period.</p>`
  : html`<div class="table-wrap"><table>
<thead><tr><th>Line</th><th>Product</th><th>PSA line</th><th>Days</th><th class="num">Quantity</th><th class="num">Unit price</th><th class="num">Amount</th><th class="num">Cost</th></tr></thead>
<tbody>${p.lines.map((l) => html`<tr><td>${l.kind === 'proration' ? 'proration (change this period)' : l.additionKind ? `${l.additionKind} addition` : 'contract service'}</td><td>${l.productId}</td>
<td class="mono small">${l.lineKey ? html`${psaIds[l.lineKey] !== undefined ? `#${psaIds[l.lineKey]}` : 'not written yet'} <span class="muted">${l.lineKey}</span>` : '—'}</td>
<td class="small">${l.from} – ${l.to} (${l.days}/${l.periodDays})</td><td class="num">${l.quantity}</td><td class="num">${l.unitPrice}</td><td class="num">${l.amount}</td><td class="num">${l.cost}</td></tr>`)}</tbody>
<tfoot><tr><th colspan="6">Total</th><th class="num" data-testid="invoice-total">${p.total}</th><th class="num">${p.totalCost}</th></tr></tfoot>
</table></div>`}`;
}

/** Adjustments in the order Autotask applies them (the day they are posted on), so "units after" reads as a timeline. */
const byDate = <A extends { postedOn: string; forDate: string }>(xs: readonly A[]): A[] => [...xs].sort((a, b) => a.postedOn.localeCompare(b.postedOn) || a.forDate.localeCompare(b.forDate));

function psaLines(w: SubscriptionWorkflowState): Html {
  const cw = Object.entries(w.held.connectwise);
  const at = Object.entries(w.held.autotask);
  if (cw.length === 0 && at.length === 0) return html`<p class="muted">No line written yet.</p>`;
  if (cw.length)
    return html`<div class="table-wrap"><table><thead><tr><th>Addition id</th><th>Kind</th><th>Product</th><th class="num">Quantity</th><th class="num">Unit price</th><th class="num">Unit cost</th><th>Effective</th><th>Cancelled</th></tr></thead>
<tbody>${cw.map(([key, l]) => html`<tr><td class="mono">#${l.psaId}<div class="small muted">${key}</div></td><td>${l.kind}</td><td>${l.productId}</td><td class="num">${l.quantity}</td><td class="num">${l.unitPrice}</td><td class="num">${l.unitCost}</td><td>${l.effectiveDate}</td><td>${l.cancelledDate ?? '—'}</td></tr>`)}</tbody></table></div>`;
  return html`${at.map(([key, s]) => html`<h3>Contract service #${s.psaId} · ${s.productId} <span class="muted small">${key} · ${s.unitPrice} / ${s.unitCost}</span></h3>
<div class="table-wrap"><table><thead><tr><th>For date</th><th>Posted on</th><th class="num">Unit change</th><th class="num">Units after</th></tr></thead>
<tbody>${byDate(s.adjustments).map((a, i, all) => html`<tr><td>${a.forDate}</td><td>${a.postedOn}${a.postedOn !== a.forDate ? html` <span class="status status-scheduled">shifted (§5)</span>` : null}</td><td class="num">${a.unitChange > 0 ? `+${a.unitChange}` : a.unitChange}</td><td class="num">${all.slice(0, i + 1).reduce((n, x) => n + x.unitChange, 0)}</td></tr>`)}</tbody></table></div>`)}`;
}

export async function subscriptionPage(ctx: ConsoleContext): Promise<ConsoleAnswer> {
  const id = ctx.params.id!;
  const pid = ctx.params.pid!;
  const state = await ctx.api.get<StateAnswer>(`/api/connections/${enc(id)}/subscriptions/${enc(pid)}/state`);
  const w = state.workflow;
  const m = state.mapping;
  const workflowId = `subscription/${id}/${pid}`;
  const temporal = ctx.links.temporalUiUrl ? `${ctx.links.temporalUiUrl.replace(/\/$/, '')}/namespaces/${enc(ctx.links.temporalNamespace)}/workflows/${enc(workflowId)}` : null;
  const segments = w?.ledger ? timelineSegments(w.ledger) : [];
  const back = backField(ctx);
  const body = html`<h1>Subscription <span class="mono">${pid}</span> ${chip(w?.status ?? m?.status ?? 'unmapped')}</h1>
<div class="grid2">
<section class="card" aria-labelledby="facts"><h2 id="facts">Facts</h2><dl class="facts">
<dt>Customer</dt><dd>${m?.customerName ?? w?.customerId ?? m?.customerId ?? '—'}</dd>
<dt>Product</dt><dd>${w?.report?.subscription.productId ?? m?.productId ?? '—'}${w?.ledger ? ` · now ${w.ledger.state.quantity} license(s)` : ''}</dd>
<dt>Billed on</dt><dd>${w?.placement ? `${w.placement.psa === 'connectwise' ? 'agreement' : 'contract'} #${w.placement.agreementId} (company #${w.placement.companyId}), ${w.placement.agreement.periodType} from ${w.placement.agreement.startDate}` : 'not mapped'}</dd>
<dt>Rules</dt><dd class="small">${w?.placement ? `${w.placement.rules.positiveChange} / ${w.placement.rules.negativeChange} / ${w.placement.rules.cancellation}` : '—'}</dd>
<dt>As of</dt><dd>${w?.asOf ?? '—'}${w?.syncing ? html` <span class="status status-scheduled">writing to the PSA…</span>` : null}</dd>
<dt>Next wake</dt><dd>${w?.nextWake ?? '—'}</dd>
<dt>Last sync</dt><dd>${w?.lastSyncAt ?? m?.lastSyncAt ?? '—'}</dd>
<dt>Workflow</dt><dd class="mono small">${temporal ? html`<a href="${temporal}" target="_blank" rel="noopener">${workflowId}</a>` : workflowId}</dd>
</dl></section>
<section class="card" aria-labelledby="err"><h2 id="err">Last error</h2>
${w?.lastError
  ? html`<p class="flash flash-error">${w.lastError.message}</p><p class="small muted">step ${w.lastError.step}, ${w.lastError.at}${w.lastError.retryAt ? `; tried again automatically at ${w.lastError.retryAt}` : ''}</p>
<form method="post" action="${connUrl(id, `/subscriptions/${enc(pid)}/retry`)}">${back}<button type="submit" class="primary"${guarded(ctx.principal, 'operator')}>Retry the failed step</button></form>`
  : html`<p class="muted">None.</p>`}
${state.workflowError ? html`<p class="warning">${state.workflowError}</p>` : null}
${m?.error ? html`<p class="small"><strong>Mapping:</strong> ${m.error.message}</p>` : null}
</section>
</div>
<section aria-labelledby="tl"><h2 id="tl">Billed quantity</h2>
${timelineChart(segments, ctx.today)}
${segments.length ? html`<details><summary>As a table</summary><table><thead><tr><th>Product</th><th>From</th><th>To</th><th class="num">Quantity</th></tr></thead><tbody>${segments.map((s) => html`<tr><td>${s.productId}</td><td>${s.from}</td><td>${s.to ?? 'open'}</td><td class="num">${s.quantity}</td></tr>`)}</tbody></table></details>` : null}
</section>
<section aria-labelledby="inv"><h2 id="inv">Next invoice (preview)</h2>${w ? invoiceSection(preview(w, ctx.today), w) : html`<p class="muted">The workflow did not answer.</p>`}</section>
<section aria-labelledby="lines"><h2 id="lines">PSA lines</h2>${w ? psaLines(w) : null}</section>
<section aria-labelledby="ev"><h2 id="ev">Events</h2>
${w?.events.length
  ? html`<div class="table-wrap"><table><thead><tr><th>Date</th><th>Event</th><th>Status</th><th>Why</th><th>Received</th><th>Skip</th></tr></thead>
<tbody>${w.events.map((e) => html`<tr><td>${e.event.date}</td><td><strong>${e.event.type}</strong> <span class="small">${eventDetails(e.event)}</span><div class="small muted mono">${e.id}</div></td><td>${chip(e.status === 'rejected' ? 'rejected-event' : e.status, e.status)}</td>
<td class="small">${e.reason ?? ''}${e.skippedBy ? ` (skipped by ${e.skippedBy})` : ''}</td><td class="small">${e.receivedAt.slice(0, 16).replace('T', ' ')}</td>
<td>${e.status === 'skipped' || e.status === 'applied' ? null : html`<form method="post" action="${connUrl(id, `/subscriptions/${enc(pid)}/skip`)}" class="toolbar">${back}<input type="hidden" name="eventId" value="${e.id}"><label class="sr-only" for="reason-${e.id}">Reason for skipping ${e.id}</label><input id="reason-${e.id}" type="text" name="reason" placeholder="why skip it" minlength="3" maxlength="500" required${guarded(ctx.principal, 'operator')}><button type="submit"${guarded(ctx.principal, 'operator')}>Skip</button></form>`}</td></tr>`)}</tbody></table></div>`
  : html`<p class="muted">No event yet.</p>`}
${w?.rejectedMessages.length ? html`<h3>Messages that could not be read</h3><ul>${w.rejectedMessages.map((r) => html`<li>${r.at}: ${r.name} — ${r.reason}</li>`)}</ul>` : null}
</section>
<section aria-labelledby="hist"><h2 id="hist">History of writes</h2>
${w?.history.length ? html`<table><thead><tr><th>Step</th><th>At</th><th>What</th><th class="num">Operations</th><th>Shifted (§5)</th></tr></thead><tbody>${[...w.history].reverse().map((h) => html`<tr><td>${h.step}</td><td class="small">${h.at}</td><td>${h.what}</td><td class="num">${h.operations}</td><td class="small">${(h.shifted ?? []).map((s) => `${s.from} → ${s.to}`).join(', ')}</td></tr>`)}</tbody></table>` : html`<p class="muted">Nothing written yet.</p>`}
</section>`;
  return { page: { title: `Subscription ${pid}`, connectionId: id, section: 'mapping', body } };
}

export const subscriptionActions: Record<string, (ctx: ConsoleContext) => Promise<ConsoleAnswer>> = {
  'POST /console/c/:id/subscriptions/:pid/skip': async (ctx) => {
    const { id, pid } = ctx.params as { id: string; pid: string };
    const back = backTo(ctx.form, connUrl(id, `/subscriptions/${enc(pid)}`));
    const eventId = ctx.form.get('eventId') ?? '';
    const a = await ctx.api.call('POST', `/api/connections/${enc(id)}/subscriptions/${enc(pid)}/events/${enc(eventId)}/skip`, { reason: ctx.form.get('reason') ?? '' });
    return { redirect: back, flash: answerFlash(a, `Skipped ${eventId}; billing goes on without it.`) };
  },
  'POST /console/c/:id/subscriptions/:pid/retry': async (ctx) => {
    const { id, pid } = ctx.params as { id: string; pid: string };
    const a = await ctx.api.call('POST', `/api/connections/${enc(id)}/subscriptions/${enc(pid)}/retry`);
    return { redirect: backTo(ctx.form, connUrl(id, `/subscriptions/${enc(pid)}`)), flash: answerFlash(a, 'The failed step is being tried again.') };
  },
};
