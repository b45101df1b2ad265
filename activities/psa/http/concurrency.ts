/**
 * Bounding requests in flight. Autotask allows 3 concurrent requests per integration and
 * object endpoint; a keyed limiter keeps one queue per endpoint.
 */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

export function createLimiter(maxInFlight: number): Limiter {
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new RangeError(`maxInFlight must be ≥ 1: ${maxInFlight}`);
  let active = 0;
  const waiting: (() => void)[] = [];
  // A finishing task hands its slot straight to the next waiter, so a newcomer cannot slip in between.
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= maxInFlight) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await task();
    } finally {
      release();
    }
  };
}

export type KeyedLimiter = <T>(key: string, task: () => Promise<T>) => Promise<T>;

export function createKeyedLimiter(maxInFlightPerKey: number): KeyedLimiter {
  const limiters = new Map<string, Limiter>();
  return (key, task) => {
    let limiter = limiters.get(key);
    if (!limiter) {
      limiter = createLimiter(maxInFlightPerKey);
      limiters.set(key, limiter);
    }
    return limiter(task);
  };
}
