/** The one-sentence memo of a reconciliation run, e.g. "March 2026 Microsoft CSP on cw-main: 12 reconciled, 2 pending review, 1 failed." */
import type { ReconciliationStatus } from '../domain/reconciliation';
import { zeroCounts, type ReconciliationItem, type ReconciliationRunState, type StatusCounts } from '../contracts/reconciliation';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const ORDER: ReconciliationStatus[] = ['reconciled', 'pending-review', 'pending', 'failed-review', 'failed', 'rejected'];

export const monthName = (billingMonth: string): string => `${MONTHS[Number(billingMonth.slice(5, 7)) - 1] ?? billingMonth} ${billingMonth.slice(0, 4)}`;

export function statusCounts(items: readonly Pick<ReconciliationItem, 'status'>[]): StatusCounts {
  const counts = zeroCounts();
  for (const i of items) counts[i.status] += 1;
  return counts;
}

/** Adds counts up (the run's totals from its chunks' reports). */
export function sumCounts(all: readonly StatusCounts[]): StatusCounts {
  const counts = zeroCounts();
  for (const c of all) for (const k of ORDER) counts[k] += c[k];
  return counts;
}

export function reconciliationSummary(s: Pick<ReconciliationRunState, 'billingMonth' | 'provider' | 'connectionId' | 'total' | 'counts' | 'checksDone'>): string {
  const parts = ORDER.filter((k) => s.counts[k] > 0).map((k) => `${s.counts[k]} ${k.replace('-', ' ')}`);
  const what = s.total === 0 ? (s.checksDone === 0 ? 'waiting for the cutover window' : 'no mapped subscriptions') : parts.length ? parts.join(', ') : `${s.total} being checked`;
  return `${monthName(s.billingMonth)} ${s.provider} on ${s.connectionId}: ${what}.`;
}
