/** Sizes of the payloads in a workflow history (activity inputs and results, signals, updates, continue-as-new, the result). */
import type { temporal } from '@temporalio/proto';

/** The largest payload of a history, in bytes. */
export function largestPayload(history: temporal.api.history.v1.IHistory): number {
  let max = 0;
  const walk = (v: unknown): void => {
    if (!v || typeof v !== 'object' || v instanceof Uint8Array) return;
    const p = v as { data?: unknown; metadata?: unknown };
    if (p.data instanceof Uint8Array && p.metadata) max = Math.max(max, p.data.length);
    else for (const x of Object.values(v)) walk(x);
  };
  history.events?.forEach(walk);
  return max;
}
