/** The one-sentence memo of a reconciliation run, e.g. "March 2026 Microsoft CSP on cw-main: 12 reconciled, 2 pending review, 1 failed." */
import type { ReconciliationStatus } from '../domain/reconciliation';
import type { ReconciliationRunState } from '../contracts/reconciliation';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const ORDER: ReconciliationStatus[] = ['reconciled', 'pending-review', 'pending', 'failed-review', 'failed', 'rejected'];

export const monthName = (billingMonth: string): string => `${MONTHS[Number(billingMonth.slice(5, 7)) - 1] ?? billingMonth} ${billingMonth.slice(0, 4)}`;

export function statusCounts(s: Pick<ReconciliationRunState, 'items'>): Record<ReconciliationStatus, number> {
  const counts = Object.fromEntries(ORDER.map((k) => [k, 0])) as Record<ReconciliationStatus, number>;
  for (const i of s.items) counts[i.status] += 1;
  return counts;
}

export function reconciliationSummary(s: ReconciliationRunState): string {
  const counts = statusCounts(s);
  const parts = ORDER.filter((k) => counts[k] > 0).map((k) => `${counts[k]} ${k.replace('-', ' ')}`);
  const what = s.items.length === 0 ? (s.checksDone === 0 ? 'waiting for the cutover window' : 'no mapped subscriptions') : parts.join(', ');
  return `${monthName(s.billingMonth)} ${s.provider} on ${s.connectionId}: ${what}.`;
}
