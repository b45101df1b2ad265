/**
 * Chaos: a burst of events over many subscriptions while the worker process is killed with
 * SIGKILL three times (events keep arriving while it is down and are queued; a third of the
 * subscriptions send theirs without waiting for the workflow at all). Afterwards every
 * subscription bills exactly what `plan` computes for its date-sorted, de-duplicated events, and
 * no line or adjustment exists twice.
 */
import type { ChildProcess } from 'node:child_process';
import { createPlatformClient, type PlatformClient } from '../../client/platform-client';
import { isoDateOf } from '../../domain/dates';
import { caseProblems, generatedCases, mapCaseProducts, type Case } from '../support/generated-cases';
import { startHarness, type Harness } from './harness';
import { wire } from './fixtures';
import { killHard, startWorkerProcess } from './worker-process';

// Issue 9: a burst over at least 20 subscriptions per PSA.
const SUBSCRIPTIONS = Number(process.env.CHAOS_SUBSCRIPTIONS ?? 20);
jest.setTimeout(600_000);

describe.each(['connectwise', 'autotask'] as const)('chaos: SIGKILL of the worker three times during a burst (%s)', (psa) => {
  let h: Harness;
  let platform: PlatformClient;
  let cases: Case[];
  let productOfCatalog: Map<number, string>;
  let worker: ChildProcess | undefined;

  beforeAll(async () => {
    h = await startHarness(psa, `chaos_${psa === 'connectwise' ? 'cw' : 'at'}`);
    platform = createPlatformClient(h.client, { taskQueue: h.taskQueue, acceptTimeoutMs: 2_000 });
    productOfCatalog = await mapCaseProducts(h);
    // Histories in the past (what is still in the future stays scheduled, in the plan too).
    cases = await generatedCases(h, { prefix: psa === 'connectwise' ? 'kcw' : 'kat', count: SUBSCRIPTIONS, seed: 424242 + (psa === 'connectwise' ? 0 : 1), today: isoDateOf(Date.now()), daysBack: 420 });
  });
  afterAll(async () => {
    if (worker) await killHard(worker);
    await h?.close();
  });

  it(`${SUBSCRIPTIONS} subscriptions end equal to the plan, with zero duplicates`, async () => {
    worker = await startWorkerProcess(h.workerEnv);
    let queued = 0;
    const burst = Promise.all(
      cases.map(async (k, i) => {
        await pause(i * 40);
        await platform.reportSubscription(h.connectionId, k.report);
        await platform.place(h.connectionId, k.id, k.placement);
        for (const d of k.deliveries) {
          // Every third subscription's events are sent without waiting for the workflow.
          const wait = i % 3 !== 2;
          const receipt = await platform.sendEvent(h.connectionId, k.id, wire(d.sent), { wait });
          if (wait && receipt.outcome === 'queued') queued += 1;
          await pause(20 + ((i * 37) % 60));
        }
      }),
    );
    // Three hard kills while the burst goes on, each followed by a few seconds without a worker.
    let kills = 0;
    const chaos = (async () => {
      for (; kills < 3; kills++) {
        await pause(1_500);
        await killHard(worker!);
        await pause(3_000);
        worker = await startWorkerProcess(h.workerEnv);
      }
    })();
    await Promise.all([burst, chaos]);
    expect(kills).toBe(3);

    const failures: string[] = [];
    for (const k of cases) failures.push(...(await caseProblems(h, platform, k, productOfCatalog, 240_000)));
    expect(failures).toEqual([]);
    // Some events really arrived while no worker ran (the queue path was exercised).
    expect(queued).toBeGreaterThan(0);
  });
});

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
