import { subscriptionWorkflow } from '../../workflows/subscription.workflow';
import { stateQuery, subscriptionCreated, subscriptionWorkflowId } from '../../workflows/messages';
import { eventually, startHarness, type Harness } from './harness';
import { mapAcmeAndProducts, workedExampleReport } from './fixtures';

describe('subscription workflow continue-as-new', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('connectwise', 'cw_can');
    await mapAcmeAndProducts(h);
    await h.startWorker();
  });
  afterAll(() => h.close());

  it('carries the ledger, line ids and waiting events into the next run, and keeps syncing', async () => {
    const sub = 'sub-can';
    const workflowId = subscriptionWorkflowId(h.connectionId, sub);
    // Started with a low history limit so a handful of events forces a new run.
    const handle = await h.client.workflow.signalWithStart(subscriptionWorkflow, {
      workflowId,
      taskQueue: h.taskQueue,
      args: [{ connectionId: h.connectionId, subscriptionId: sub, historyLimit: 40 }],
      signal: subscriptionCreated,
      signalArgs: [workedExampleReport(sub)],
    });
    const firstRun = (await handle.describe()).runId;
    const quantities = [11, 13, 12, 15, 14, 17, 16, 18];
    for (const [i, q] of quantities.entries()) {
      await h.platform.sendEvent(h.connectionId, sub, { type: 'quantity-changed', date: `2026-03-${String(10 + i).padStart(2, '0')}`, quantity: q });
    }
    const state = await eventually(async () => {
      const s = await h.client.workflow.getHandle(workflowId).query(stateQuery);
      return s.pendingEvents.length === 0 && s.ledger?.state.quantity === 18 ? s : undefined;
    }, 'all events to be applied across runs', 30_000);

    const first = await eventually(async () => {
      const d = await h.client.workflow.getHandle(workflowId, firstRun).describe();
      return d.status.name === 'CONTINUED_AS_NEW' ? d : undefined;
    }, 'the first run to continue as new', 20_000, async () => (await h.client.workflow.getHandle(workflowId, firstRun).describe()).status.name);
    expect(first.historyLength).toBeGreaterThan(40);
    expect((await h.client.workflow.getHandle(workflowId).describe()).runId).not.toBe(firstRun);
    expect(state.history.filter((e) => e.what.startsWith('quantity-changed'))).toHaveLength(quantities.length);
    // Every event landed once: base 10 plus one delta per day, summing to 18 in March.
    const lines = h.cw!.state.additions.filter((a) => String(a.description).includes(sub));
    const march = lines.filter((a) => String(a.effectiveDate).startsWith('2026-03-1'));
    expect(march).toHaveLength(quantities.length);
    expect(Object.keys(state.lineIds)).toHaveLength(lines.length);
  });
});
