/**
 * Live = plan, differential, on a real worker: fast-check generates subscription histories and
 * delivers their events to the running connector in a random order, with repeats, back-dated
 * across month-start folds and dated in the future, and with the worker stopped in the middle
 * while more events arrive (they are queued and checked when it is back). Time then moves on
 * (time-skipping server) until every event's date has come. Half the cases' events are sent
 * without waiting for the workflow (`{ wait: false }`, answered `queued` by Temporal), the other
 * half waiting for it. For every case, what the sandbox
 * holds equals what `plan` computes for the date-sorted, de-duplicated events — on ConnectWise
 * and on Autotask (an adjustment moved to the next free day counts for the day it belongs to).
 *
 * `DIFF_CASES` sets the number of cases per PSA (default 50, so 100 in `npm test`); the longer
 * run is `npm run test:differential` (docs/testing.md).
 */
import { daysBetween } from '../../domain';
import { caseProblems, generatedCases, inBatches, mapCaseProducts, type Case } from '../support/generated-cases';
import { startTimeSkippingConnector, type TimeSkippingConnector } from '../support/time-skipping-connector';
import { wire } from './fixtures';

const CASES = Number(process.env.DIFF_CASES ?? 50);
const SEED = Number(process.env.DIFF_SEED ?? 20261129);
const DAY_MS = 86_400_000;
jest.setTimeout(Math.max(600_000, CASES * 12_000));

describe.each(['connectwise', 'autotask'] as const)('live = plan on a real worker (%s, differential)', (psa) => {
  let c: TimeSkippingConnector;
  let cases: Case[];
  let productOfCatalog: Map<number, string>;

  beforeAll(async () => {
    c = await startTimeSkippingConnector(psa, `diff_${psa === 'connectwise' ? 'cw' : 'at'}`);
    productOfCatalog = await mapCaseProducts(c.h);
    cases = await generatedCases(c.h, { prefix: psa === 'connectwise' ? 'dcw' : 'dat', count: CASES, seed: SEED + (psa === 'connectwise' ? 0 : 1), today: await c.today(), daysBack: 300 });
  });
  afterAll(() => c?.close());

  it(`bills exactly the plan for ${CASES} generated histories`, async () => {
    const progress = (what: string) => process.env.DIFF_VERBOSE && console.log(`[differential ${psa}] ${what}`);
    await c.startWorker();
    progress('delivering');
    await inBatches(cases, 10, async (k) => {
      await c.platform.reportSubscription(c.h.connectionId, k.report);
      await c.platform.place(c.h.connectionId, k.id, k.placement);
      // Every other case is sent without waiting for the workflow (the API's "Prefer: respond-async").
      const wait = cases.indexOf(k) % 2 === 0;
      for (const d of k.deliveries.filter((x) => !x.late)) await c.platform.sendEvent(c.h.connectionId, k.id, wire(d.sent), { wait });
    });
    // The worker goes away; events keep arriving and are queued.
    await c.stopWorker();
    progress('worker stopped; queueing');
    await inBatches(cases, 20, async (k) => {
      for (const d of k.deliveries.filter((x) => x.late)) {
        const receipt = await c.platform.sendEvent(c.h.connectionId, k.id, wire(d.sent));
        expect(receipt.outcome).toBe('queued');
      }
    });
    await c.startWorker();
    // Time moves on past every event's date: scheduled events come due, months fold.
    const last = cases.flatMap((k) => k.events.map((e) => e.event.date)).sort().pop()!;
    const ms = (daysBetween(await c.today(), last) + 2) * DAY_MS;
    progress(`worker back; skipping ${ms / DAY_MS} days to ${last}`);
    if (ms > 0) {
      const watch = process.env.DIFF_VERBOSE
        ? setInterval(() => {
            void (async () => {
              progress(`  server day ${await c.today()}`);
              for (const k of cases) {
                const s = await c.platform.state(c.h.connectionId, k.id).catch((e: Error) => ({ error: e.message }));
                progress(`    ${k.id}: ${JSON.stringify('error' in s ? s : { status: s.status, syncing: s.syncing, lastError: s.lastError, nextWake: s.nextWake, asOf: s.asOf, counts: s.counts, step: s.step })}`);
              }
            })();
          }, 10_000)
        : undefined;
      await c.env.sleep(ms);
      clearInterval(watch);
    }
    progress(`comparing as of ${await c.today()}`);

    const failures: string[] = [];
    await inBatches(cases, 10, async (k) => {
      failures.push(...(await caseProblems(c.h, c.platform, k, productOfCatalog)));
    });
    expect(failures).toEqual([]);
  });
});
