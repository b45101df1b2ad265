/**
 * Exponential backoff with jitter, honouring a server's Retry-After. Only errors marked
 * retryable are retried; everything else is rethrown at once.
 */
import { isPsaError, type PsaError } from './psa-error';
import type { Sleep } from './sleep';

export interface RetryPolicy {
  /** Total attempts including the first. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the error is thrown instead. */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 15_000,
  maxRetryAfterMs: 60_000,
};

/** "Equal jitter": half the exponential step fixed, half random, so retries spread out. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(step / 2 + (random() * step) / 2);
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

export interface RetryDeps {
  policy: RetryPolicy;
  sleep: Sleep;
  random: () => number;
  /** Called before each wait (for logging). */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  signal?: AbortSignal;
  /** Narrows which retryable errors are retried here (default: all). */
  canRetry?: (error: PsaError) => boolean;
}

/** Runs `attempt(n)` (n from 1) until it succeeds, fails for good, or attempts run out. */
export async function withRetries<T>(run: (attempt: number) => Promise<T>, deps: RetryDeps): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run(attempt);
    } catch (error) {
      if (!isPsaError(error) || !error.retryable || attempt >= deps.policy.maxAttempts) throw error;
      if (deps.canRetry && !deps.canRetry(error)) throw error;
      if (error.retryAfterMs !== undefined && error.retryAfterMs > deps.policy.maxRetryAfterMs) throw error;
      const delayMs = Math.max(error.retryAfterMs ?? 0, backoffDelay(attempt, deps.policy, deps.random));
      deps.onRetry?.({ attempt, delayMs, error });
      await deps.sleep(delayMs, deps.signal);
    }
  }
}
