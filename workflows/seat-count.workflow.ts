/**
 * The daily §7 seat-count job of one connection (schedule `seat-count/<connectionId>`): every
 * subscription with usage counts this month gets its high-water mark billed, at most once a
 * day, in pages so a large connection never bloats one activity or the history.
 */
import { proxyActivities, upsertMemo } from '@temporalio/workflow';
import type { SeatCountActivities, SeatCountResult } from '../activities/seat-count/seat-count.activities';

const { listSeatCountSubscriptions } = proxyActivities<SeatCountActivities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 10 } });
const { applySeatCounts } = proxyActivities<SeatCountActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '2 minutes', maximumAttempts: 8 },
});

export interface SeatCountInput {
  connectionId: string;
  /** UTC day to bill as "today" (default: the day the run started). */
  day?: string;
  pageSize?: number;
}

export interface SeatCountRunResult {
  connectionId: string;
  day: string;
  updated: number;
  unchanged: number;
  skipped: number;
  failed: number;
  /** Updated, failed and skipped subscriptions (unchanged ones are only counted). */
  details: SeatCountResult[];
}

export async function seatCountWorkflow(input: SeatCountInput): Promise<SeatCountRunResult> {
  const day = input.day ?? new Date().toISOString().slice(0, 10);
  const result: SeatCountRunResult = { connectionId: input.connectionId, day, updated: 0, unchanged: 0, skipped: 0, failed: 0, details: [] };
  const ids = await listSeatCountSubscriptions({ connectionId: input.connectionId, day });
  const pageSize = input.pageSize ?? 50;
  for (let i = 0; i < ids.length; i += pageSize) {
    for (const r of await applySeatCounts({ connectionId: input.connectionId, subscriptionIds: ids.slice(i, i + pageSize), day })) {
      result[r.outcome]++;
      if (r.outcome !== 'unchanged' && result.details.length < 200) result.details.push(r);
    }
  }
  upsertMemo({ summary: `Seat counts of ${input.connectionId} on ${day}: ${result.updated} updated, ${result.unchanged} unchanged, ${result.skipped} skipped, ${result.failed} failed` });
  return result;
}
