/** How a subscription workflow explains itself: the event list with statuses, and the memo sentence of the Web UI. */
import type { EventView, SubscriptionWorkflowState } from '../contracts/subscription';
import type { LoggedEvent } from '../domain/event-log';
import type { EventOutcome } from '../domain/replay';

/** The log with each event's status from the last replay (`waiting` before the first one). */
export function eventViews(
  log: readonly LoggedEvent[],
  outcomes: readonly EventOutcome[] | null,
  skipped: Record<string, { reason: string; by?: string }>,
): EventView[] {
  const byId = new Map((outcomes ?? []).map((o) => [o.id, o]));
  return log.map((e) => {
    const base = { id: e.id, sequence: e.sequence, receivedAt: e.receivedAt, event: e.event };
    const skip = skipped[e.id];
    if (skip) return { ...base, status: 'skipped', reason: skip.reason, ...(skip.by ? { skippedBy: skip.by } : {}) };
    const o = byId.get(e.id);
    if (!o) return { ...base, status: 'waiting' };
    return { ...base, status: o.status, ...(o.reason ? { reason: o.reason } : {}), ...(o.note ? { note: o.note } : {}) };
  });
}

export function subscriptionSummary(s: SubscriptionWorkflowState): string {
  const sub = s.ledger?.state ?? s.report?.subscription;
  const what = sub ? `${sub.quantity} × ${sub.productId}` : 'not yet reported by the platform';
  const who = s.customerId ? ` for customer ${s.customerId}` : '';
  const where = s.placement
    ? `${s.placement.psa === 'connectwise' ? 'ConnectWise agreement' : 'Autotask contract'} ${s.placement.agreementId}`
    : 'no PSA agreement yet';
  const c = s.counts;
  const waiting = c.waiting ? `; ${c.waiting} event(s) waiting for mapping` : '';
  const scheduled = c.scheduled ? `; ${c.scheduled} scheduled (next ${s.nextWake ?? '?'})` : '';
  const rejected = c.rejected ? `; ${c.rejected} rejected` : '';
  const error = s.lastError ? `; last error: ${s.lastError.message}` : '';
  const mode = s.billing && s.billing.mode !== 'standard' ? `; ${s.billing.mode === 'bundled' ? `billed through bundle ${s.billing.bundleId}` : 'billed by the seat-count job'}, no lines of its own` : '';
  return `Subscription ${s.subscriptionId}${who}: ${what}, ${s.status} → ${where}${mode}; ${c.applied} event(s) billed in ${s.step} step(s)${commitmentText(s.commitment)}${waiting}${scheduled}${rejected}${error}.`;
}

/** "; annual commitment to 2027-02-28, renews 2027-03-01 (10 → 7 then)" — only for a committed subscription. */
function commitmentText(c: SubscriptionWorkflowState['commitment']): string {
  if (!c || c.term === 'none' || c.commitmentEnd === null) return '';
  const renews = c.nextRenewal ? `, renews ${c.nextRenewal}` : ', does not renew';
  const decrease = c.scheduledDecrease ? ` (${c.scheduledDecrease.from} → ${c.scheduledDecrease.to} then)` : '';
  return `; ${c.term} commitment to ${c.commitmentEnd}${renews}${decrease}`;
}
