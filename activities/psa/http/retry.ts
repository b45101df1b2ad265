/**
 * The HTTP core's retries, and only its own (docs/retries.md says who owns which retry). The
 * core asks the PSA again only when the PSA refused the request before doing anything:
 * - 429 or 503 WITH Retry-After: it said when to come back, so the core waits that long;
 * - a refused connection (ECONNREFUSED): the request never reached the PSA; tried once more.
 * Both within a bounded budget (tries, and waiting in all). Everything else transient — a 5xx,
 * a timeout, a dropped connection, a 429 without Retry-After, a Retry-After past the budget — is
 * thrown at once as a retryable PsaError: the activity's retry policy owns it, under the same
 * idempotency keys.
 */
import type { PsaError } from './psa-error';
import type { Sleep } from './sleep';

export interface RetryPolicy {
  /** Tries of one request in all, the first included. */
  maxAttempts: number;
  /** Waiting allowed across one request's retries, Retry-After included; a longer wait is not waited for. */
  maxWaitMs: number;
  /** Pause before the one retry of a refused connection (half of it fixed, half random). */
  refusedConnectionDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 3,
  maxWaitMs: 60_000,
  refusedConnectionDelayMs: 1_000,
};

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Why the PSA may be asked again at once: it refused before doing anything. */
export type Refusal = { comeBackInMs: number } | 'connection-refused';

/** The refusal a failed try shows, or null when the error is not the core's to retry. */
export function refusalOf(error: PsaError, connectionRefused: boolean): Refusal | null {
  if (connectionRefused) return 'connection-refused';
  if ((error.status === 429 || error.status === 503) && error.retryAfterMs !== undefined) return { comeBackInMs: error.retryAfterMs };
  return null;
}

export interface RetryDeps {
  policy: RetryPolicy;
  sleep: Sleep;
  random: () => number;
  /** What a failed try means for retrying (null: throw it). */
  refusal(error: unknown): Refusal | null;
  /** Called before each wait (for logging). */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  signal?: AbortSignal;
}

/** Runs `run()` until it succeeds, or fails in a way (or after as many tries and waits) the policy does not retry. */
export async function withRetries<T>(run: () => Promise<T>, deps: RetryDeps): Promise<T> {
  let waitedMs = 0;
  let reconnected = false;
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const refusal = deps.refusal(error);
      if (refusal === null || attempt >= deps.policy.maxAttempts) throw error;
      let delayMs: number;
      if (refusal === 'connection-refused') {
        if (reconnected) throw error;
        reconnected = true;
        const d = deps.policy.refusedConnectionDelayMs;
        delayMs = Math.round(d / 2 + (deps.random() * d) / 2);
      } else {
        delayMs = refusal.comeBackInMs;
      }
      if (waitedMs + delayMs > deps.policy.maxWaitMs) throw error;
      waitedMs += delayMs;
      deps.onRetry?.({ attempt, delayMs, error });
      await deps.sleep(delayMs, deps.signal);
    }
  }
}
