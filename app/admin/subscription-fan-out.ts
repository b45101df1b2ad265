/**
 * One action on every subscription of a set (a customer's waiting subscriptions, a connection's
 * placed ones), for a set of any size: read page by page, a few subscriptions at a time, and
 * every subscription's outcome counted — a failure is kept with its message, never thrown away
 * and never stopping the others.
 */
import { createLimiter } from '../../activities/psa/http/concurrency';

export interface FanOutReport {
  /** Subscriptions looked at. */
  total: number;
  /** How many ended with each outcome. */
  outcomes: Record<string, number>;
  /** Those that failed, with why (the first `listed`; `failedCount` counts them all). */
  failed: Array<{ subscriptionId: string; error: string }>;
  failedCount: number;
  /** Those left waiting, with why (the first `listed`). */
  waiting: Array<{ subscriptionId: string; reason: string }>;
  waitingCount: number;
}

/** What one subscription's action ended in: an outcome name, or `waiting` with the reason. */
export type FanOutOutcome = string | { waiting: string };

export interface FanOutOptions {
  pageSize?: number;
  concurrency?: number;
  /** How many failures and waiting subscriptions the report lists (default 100). */
  listed?: number;
}

/**
 * Calls `each` for every item `page(skip, limit)` yields until a short page. The pages must not
 * shift under the action (list by something the action does not change).
 */
export async function fanOut<T>(
  page: (skip: number, limit: number) => Promise<T[]>,
  idOf: (item: T) => string,
  each: (item: T) => Promise<FanOutOutcome>,
  opts: FanOutOptions = {},
): Promise<FanOutReport> {
  const pageSize = opts.pageSize ?? 200;
  const listed = opts.listed ?? 100;
  const limit = createLimiter(opts.concurrency ?? 8);
  const report: FanOutReport = { total: 0, outcomes: {}, failed: [], failedCount: 0, waiting: [], waitingCount: 0 };
  for (let skip = 0; ; skip += pageSize) {
    const items = await page(skip, pageSize);
    await Promise.all(
      items.map((item) =>
        limit(async () => {
          report.total += 1;
          try {
            const outcome = await each(item);
            if (typeof outcome === 'string') report.outcomes[outcome] = (report.outcomes[outcome] ?? 0) + 1;
            else {
              report.waitingCount += 1;
              if (report.waiting.length < listed) report.waiting.push({ subscriptionId: idOf(item), reason: outcome.waiting });
            }
          } catch (e) {
            report.failedCount += 1;
            if (report.failed.length < listed) report.failed.push({ subscriptionId: idOf(item), error: e instanceof Error ? e.message : String(e) });
          }
        }),
      ),
    );
    if (items.length < pageSize) return report;
  }
}
