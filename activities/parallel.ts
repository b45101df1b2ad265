/**
 * Bounded parallel work for batch reads. FerretDB 1.24 pushes down only `_id` equality filters,
 * so a batch of records is read fastest as many `_id` reads in flight at once (each an index
 * lookup) rather than one `$in` query (a full scan there); the bound keeps a batch from opening
 * hundreds of requests on the driver's pool.
 */

/** Default reads in flight per batch: enough to hide round-trip latency, well under the driver's pool of 100. */
export const READS_IN_FLIGHT = 16;

/** `fn` over `items`, at most `limit` at a time; results in the order of `items`. */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return out;
}

/** Reads each distinct id once (by `_id`, bounded in flight) and keeps the answers for the caller's lifetime. */
export function cachedReader<V>(read: (id: string) => Promise<V | null>, limit = READS_IN_FLIGHT) {
  const known = new Map<string, V | null>();
  return {
    async load(ids: Iterable<string>): Promise<void> {
      const missing = [...new Set(ids)].filter((id) => !known.has(id));
      const values = await mapConcurrent(missing, limit, read);
      missing.forEach((id, i) => known.set(id, values[i] ?? null));
    },
    get: (id: string): V | null => known.get(id) ?? null,
  };
}
