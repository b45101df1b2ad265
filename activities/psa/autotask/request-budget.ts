/**
 * Autotask's hourly request threshold (docs/psa-apis.md §2.7): 10,000 requests per rolling hour for
 * the whole database, every integration together. Past it the tenant's API is switched off, so
 * we slow down early and stop short of it instead of finding out.
 *
 * Usage = our own requests in the window (tracked locally) + what other integrations used, as
 * last seen through `/ThresholdInformation` (re-read every `refreshEvery` of our requests; that
 * call itself counts). One budget per connection: create the gateway once per worker process.
 */
import type { Sleep } from '../http';

export interface RequestBudgetPolicy {
  limit: number;
  windowMs: number;
  /** Usage ratios and the pause added before each request from there on. */
  slowdown: readonly { from: number; delayMs: number }[];
  /** From this ratio on, requests are refused locally (a retryable error) until usage falls. */
  stopAt: number;
  /** Re-read `/ThresholdInformation` after this many of our requests (0 = never). */
  refreshEvery: number;
}

export const defaultRequestBudgetPolicy: RequestBudgetPolicy = {
  limit: 10_000,
  windowMs: 3_600_000,
  // Autotask itself adds ~0.5 s from 50 % and ~1 s from 75 %; pausing first spreads the load.
  slowdown: [
    { from: 0.5, delayMs: 250 },
    { from: 0.75, delayMs: 1_000 },
  ],
  stopAt: 0.9,
  refreshEvery: 500,
};

export interface ThresholdReading { limit: number; used: number }

export interface RequestBudget {
  /** Waits as the policy says, or throws through `refuse` when the budget is spent. */
  admit(refuse: (retryAfterMs: number) => Error): Promise<void>;
  /** Counts one request sent (every attempt, retries and threshold reads included). */
  record(): void;
  /** Usage ratio as currently known (for logs and tests). */
  usage(): number;
}

export function createRequestBudget(deps: {
  policy?: Partial<RequestBudgetPolicy>;
  now: () => number;
  sleep: Sleep;
  /** Reads the tenant's counter; it must not itself go through `admit`. */
  readThreshold?: () => Promise<ThresholdReading>;
}): RequestBudget {
  const policy: RequestBudgetPolicy = { ...defaultRequestBudgetPolicy, ...deps.policy };
  const ours: number[] = [];
  let limit = policy.limit;
  let others = 0;
  let sinceRefresh = Number.POSITIVE_INFINITY; // first request refreshes

  const prune = () => {
    const horizon = deps.now() - policy.windowMs;
    while (ours.length > 0 && ours[0]! <= horizon) ours.shift();
  };
  const usage = () => {
    prune();
    return (ours.length + others) / limit;
  };

  async function refresh(): Promise<void> {
    if (!deps.readThreshold || policy.refreshEvery <= 0 || sinceRefresh < policy.refreshEvery) return;
    sinceRefresh = 0;
    const reading = await deps.readThreshold();
    prune();
    limit = Math.min(policy.limit, reading.limit);
    others = Math.max(0, reading.used - ours.length);
  }

  return {
    usage,
    record() {
      ours.push(deps.now());
      sinceRefresh++;
    },
    async admit(refuse) {
      await refresh();
      const ratio = usage();
      if (ratio >= policy.stopAt) {
        // Our oldest request leaving the window is the earliest time usage can drop.
        const retryAfterMs = ours.length > 0 ? ours[0]! + policy.windowMs - deps.now() : policy.windowMs / 60;
        throw refuse(Math.max(1_000, retryAfterMs));
      }
      const delayMs = policy.slowdown.filter((s) => ratio >= s.from).at(-1)?.delayMs ?? 0;
      if (delayMs > 0) await deps.sleep(delayMs);
    },
  };
}
