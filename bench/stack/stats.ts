/** Small numeric and concurrency helpers of the stack benchmark. */
import { loadavg } from 'node:os';

/** Nearest-rank percentile of `values` (ms or any unit); NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface Distribution {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

export function distribution(values: readonly number[]): Distribution {
  const n = values.length;
  return {
    n,
    p50: round(percentile(values, 50)),
    p99: round(percentile(values, 99)),
    mean: round(n ? values.reduce((a, b) => a + b, 0) / n : NaN),
    min: round(n ? Math.min(...values) : NaN),
    max: round(n ? Math.max(...values) : NaN),
  };
}

/** Ours ÷ baseline, 2 decimals (NaN when either side is missing). */
export const ratio = (ours: number | null | undefined, baseline: number | null | undefined): number =>
  ours === null || ours === undefined || baseline === null || baseline === undefined || baseline === 0 ? NaN : round(ours / baseline, 2);

export const round = (x: number, digits = 1): number => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

/** The 1-, 5- and 15-minute load averages, 2 decimals. */
export const loadAverage = (): [number, number, number] => loadavg().map((x) => round(x, 2)) as [number, number, number];

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(lanes);
  return out;
}
