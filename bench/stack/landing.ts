/**
 * "Has it landed?" without disturbing what is measured. Asking every workflow for its state
 * in a loop would load the very worker being measured, so the wait is gated on the sandbox's
 * request counters (served by the sandboxes' own process): workflows are asked only once the
 * PSA has received the writes expected (or none arrived for a while), and then only those not
 * yet done. When each one landed comes from the workflow itself (`lastSyncAt` for ours,
 * `lastWriteAt` for the baseline: both the workflow's time right after its PSA write returned).
 */
import { requestJson, type Traffic } from './http';
import { mapLimit, sleep } from './stats';

/** Sandbox routes (fastify route patterns) that write PSA lines / records. */
export const WRITE_ROUTES = {
  /** ConnectWise agreement additions: create, update, replace, delete. */
  cwLines: /^(POST|PATCH|PUT|DELETE) .*\/additions(\/:[A-Za-z]+)?$/,
  /** Autotask contract services and their unit adjustments. */
  atLines: /^(POST|PATCH) .*\/contracts\/:[a-z]+\/(serviceadjustments|services)$/i,
  /** ConnectWise company updates (the global sync). */
  cwCompanies: /^(PATCH|PUT) .*\/company\/companies\/:[A-Za-z]+$/,
};

/** Requests so far to the sandbox routes matching `route` (every status). */
export async function requestCount(sandboxUrl: string, route: RegExp): Promise<number> {
  const t = await requestJson<Traffic>('GET', `${sandboxUrl}/__sandbox/requests?limit=1`, {});
  return Object.entries(t.counters.byRoute).reduce((n, [r, c]) => (route.test(r) ? n + c : n), 0);
}

export interface Landing {
  done: boolean;
  /** When it landed (ms since the epoch), from the workflow. */
  at: number | null;
}

export interface LandingResult<K> {
  landedAt: Map<K, number>;
  notLanded: K[];
  timedOut: boolean;
}

export async function waitUntilLanded<K>(opts: {
  what: string;
  keys: readonly K[];
  check: (key: K) => Promise<Landing>;
  /** The sandbox counter to gate on, and the value at which everything should have been written. */
  writes?: { count: () => Promise<number>; expected: number };
  timeoutMs: number;
  log: (line: string) => void;
  concurrency?: number;
}): Promise<LandingResult<K>> {
  const deadline = Date.now() + opts.timeoutMs;
  const pending = new Set(opts.keys);
  const landedAt = new Map<K, number>();
  let lastReport = Date.now();
  while (pending.size > 0) {
    if (Date.now() > deadline) return { landedAt, notLanded: [...pending], timedOut: true };
    if (opts.writes) {
      const expected = opts.writes.expected;
      await gate(opts.writes, deadline, (written) => {
        if (Date.now() - lastReport < 30_000) return;
        lastReport = Date.now();
        opts.log(`${opts.what}: ${landedAt.size}/${opts.keys.length} confirmed landed; the sandbox's write counter is at ${written}, all written at ${expected}`);
      });
    }
    await mapLimit([...pending], opts.concurrency ?? 4, async (key) => {
      const l = await opts.check(key).catch((): Landing => ({ done: false, at: null }));
      if (!l.done) return;
      pending.delete(key);
      landedAt.set(key, l.at ?? Date.now());
    });
    if (pending.size === 0) break;
    if (Date.now() - lastReport > 30_000) {
      lastReport = Date.now();
      opts.log(`${opts.what}: ${landedAt.size}/${opts.keys.length} landed`);
    }
    await sleep(1_000);
  }
  return { landedAt, notLanded: [], timedOut: false };
}

/** Until the counter reaches `expected`, or stops moving for 10 s (writes fewer than expected: batched steps). */
async function gate(writes: { count: () => Promise<number>; expected: number }, deadline: number, tick: (written: number) => void): Promise<void> {
  let last = -1;
  let since = Date.now();
  for (;;) {
    const n = await writes.count().catch(() => last);
    if (n >= writes.expected) return;
    if (n !== last) {
      last = n;
      since = Date.now();
    } else if (Date.now() - since > 10_000) return;
    if (Date.now() > deadline) return;
    tick(n);
    await sleep(500);
  }
}
