import type { ChildProcess } from 'node:child_process';
import { eventually, startHarness, type Harness } from './harness';
import { mapAcmeAndProducts, workedExampleReport } from './fixtures';
import { killHard, startWorkerProcess } from './worker-process';

describe('a worker killed in the middle of a PSA write (real worker process, SIGKILL)', () => {
  let h: Harness;
  let worker: ChildProcess | undefined;
  beforeAll(async () => {
    h = await startHarness('connectwise', 'cw_crash');
    await mapAcmeAndProducts(h);
  });
  afterAll(async () => {
    if (worker) await killHard(worker);
    await h.close();
  });

  it('finishes the event exactly once after a new worker starts', async () => {
    worker = await startWorkerProcess(h.workerEnv);
    const sub = 'sub-crash';
    await h.platform.reportSubscription(h.connectionId, workedExampleReport(sub));
    await eventually(async () => {
      const s = await h.platform.state(h.connectionId, sub);
      return s.step >= 1 && !s.syncing ? true : undefined;
    }, 'the subscription to be mapped');

    // The PSA answers slowly; the worker dies while the write is in flight (and the write
    // still lands afterwards, as a real PSA's would).
    h.cw!.faults.setLatency({ ms: 2_500 });
    h.cw!.traffic.clear();
    await h.platform.sendEvent(h.connectionId, sub, { id: 'crash-1', type: 'quantity-changed', date: '2026-03-15', quantity: 15 });
    const postStarted = () => Object.entries(h.cw!.traffic.snapshot().peakInFlightByRoute).some(([route]) => route.startsWith('POST') && route.includes('additions'));
    await eventually(async () => (postStarted() ? true : undefined), 'the PSA write to start');
    await killHard(worker);
    h.cw!.faults.setLatency({ ms: 0 });

    worker = await startWorkerProcess(h.workerEnv);
    const state = await eventually(async () => {
      const s = await h.platform.state(h.connectionId, sub);
      return !s.syncing && s.counts.applied === 1 && s.history.some((e) => e.what.includes('quantity-changed 2026-03-15')) ? s : undefined;
    }, 'the event to finish on the new worker', 45_000, () => h.platform.state(h.connectionId, sub));

    const lines = h.cw!.state.additions.filter((a) => String(a.description).includes(sub));
    const deltas = lines.filter((a) => String(a.effectiveDate).startsWith('2026-03-15'));
    expect(deltas).toHaveLength(1);
    expect(deltas[0]!.quantity).toBe(5);
    expect(state.lineIds[`${sub}/m365-bp/delta/2026-03-15`]).toBe(deltas[0]!.id);
  });
});
