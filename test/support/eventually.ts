/** Waiting for what a real stack does in its own time, and the month a test reconciles. */

/** Polls `probe` until it returns a value (not undefined), or fails after `timeoutMs` naming `what` (and the last error, and `explain`'s answer). */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000, explain?: () => Promise<unknown>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const context = explain ? `\n${JSON.stringify(await explain().catch((e: Error) => e.message), null, 1)}` : '';
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}${context}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Two months back: its cutover window has closed, so a reconciliation run checks once, at once. */
export function pastMonth(): string {
  const d = new Date();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - 2);
  return d.toISOString().slice(0, 7);
}
