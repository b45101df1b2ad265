/** Sliding-window request limit per key (a credential): `limit` requests per `windowMs`; 0 = off. */
export interface RateLimit {
  limit: number;
  windowMs: number;
}

export type RateDecision = { ok: true } | { ok: false; retryAfterMs: number };

export interface RateLimiter {
  take(key: string): RateDecision;
  /** Requests counted for `key` in the current window (without taking one). */
  used(key: string): number;
  configure(limit: RateLimit): void;
  current(): RateLimit;
  clear(): void;
}

export function createRateLimiter(initial: RateLimit, now: () => number = Date.now): RateLimiter {
  let config = initial;
  const hits = new Map<string, number[]>();
  return {
    take(key) {
      if (config.limit <= 0) return { ok: true };
      const t = now();
      const recent = (hits.get(key) ?? []).filter((at) => at > t - config.windowMs);
      if (recent.length >= config.limit) {
        hits.set(key, recent);
        return { ok: false, retryAfterMs: recent[0]! + config.windowMs - t };
      }
      recent.push(t);
      hits.set(key, recent);
      return { ok: true };
    },
    used(key) {
      const t = now();
      return (hits.get(key) ?? []).filter((at) => at > t - config.windowMs).length;
    },
    configure(limit) {
      config = limit;
      hits.clear();
    },
    current: () => config,
    clear: () => hits.clear(),
  };
}
