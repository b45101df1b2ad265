/** The one-sentence memo shown in the Temporal Web UI for a subscription workflow. */
import type { SubscriptionWorkflowState } from './messages';

export function subscriptionSummary(s: SubscriptionWorkflowState): string {
  const sub = s.ledger?.state ?? s.report?.subscription;
  const what = sub ? `${sub.quantity} × ${sub.productId}` : 'not yet reported by the platform';
  const who = s.customerId ? ` for customer ${s.customerId}` : '';
  const where = s.mapping
    ? `${s.mapping.psa === 'connectwise' ? 'ConnectWise agreement' : 'Autotask contract'} ${s.mapping.agreementId}`
    : 'no PSA agreement yet';
  const waiting = s.pendingEvents.length ? `; ${s.pendingEvents.length} event(s) waiting` : '';
  const error = s.lastError ? `; last error: ${s.lastError.message}` : '';
  return `Subscription ${s.subscriptionId}${who}: ${what}, ${s.mappingStatus} → ${where}; ${s.seq} step(s) synced${waiting}${error}.`;
}
