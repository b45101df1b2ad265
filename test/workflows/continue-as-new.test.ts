import { subscriptionWorkflowId } from '../../contracts/subscription';
import { subscriptionWorkflow } from '../../workflows/subscription.workflow';
import { cwDisagreements } from '../support/plan-agreement';
import { planLedgers, type SentEvent } from '../support/plan-for';
import { cwLiveLines } from '../support/sandbox-view';
import { eventually, startHarness, type Harness } from './harness';
import { mapAcmeAndProducts, wire, workedExampleReport, workedExampleRules } from './fixtures';

describe('subscription workflow continue-as-new', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('connectwise', 'cw_can');
    await mapAcmeAndProducts(h);
    await h.startWorker();
  });
  afterAll(() => h.close());

  it('carries the event log, the lines held and the step counter into the next run, and keeps billing the plan', async () => {
    const sub = 'sub-can';
    const workflowId = subscriptionWorkflowId(h.connectionId, sub);
    // Started with a low history limit so a handful of events forces new runs.
    const handle = await h.client.workflow.start(subscriptionWorkflow, {
      workflowId,
      taskQueue: h.taskQueue,
      args: [{ connectionId: h.connectionId, subscriptionId: sub, historyLimit: 40 }],
    });
    const firstRun = handle.firstExecutionRunId;
    await h.platform.reportSubscription(h.connectionId, workedExampleReport(sub));
    const quantities = [11, 13, 12, 15, 14, 17, 16, 18];
    const events: SentEvent[] = quantities.map((quantity, i) => ({ id: `can-${i}`, event: { type: 'quantity-changed', date: `2026-03-${String(10 + i).padStart(2, '0')}`, quantity } }));
    for (const e of [...events].reverse()) await h.platform.sendEvent(h.connectionId, sub, wire(e));
    const state = await eventually(async () => {
      const s = await h.platform.state(h.connectionId, sub);
      return s.counts.applied === quantities.length && !s.syncing && s.counts.waiting === 0 ? s : undefined;
    }, 'all events to be applied across runs', 30_000);

    const first = await eventually(async () => {
      const d = await h.client.workflow.getHandle(workflowId, firstRun).describe();
      return d.status.name === 'CONTINUED_AS_NEW' ? d : undefined;
    }, 'the first run to continue as new', 20_000, async () => (await h.client.workflow.getHandle(workflowId, firstRun).describe()).status.name);
    expect(first.historyLength).toBeGreaterThan(40);
    expect((await h.client.workflow.getHandle(workflowId).describe()).runId).not.toBe(firstRun);
    // A repeat after the new run started is still known as a repeat.
    expect(await h.platform.sendEvent(h.connectionId, sub, wire(events[0]!))).toMatchObject({ outcome: 'duplicate' });
    const catalog = new Map((await h.store.mappings.products.list(h.connectionId, {})).items.map((p) => [p.psaId!, p.platformId]));
    const plan = planLedgers(workedExampleReport(sub), { rules: workedExampleRules, agreement: state.placement!.agreement }, events, state.asOf!);
    expect(cwDisagreements(plan, cwLiveLines(h.cw!, state, (id) => catalog.get(id)!))).toEqual([]);
    expect(new Set(Object.values(state.lineIds)).size).toBe(h.cw!.state.additions.filter((a) => String(a.description).includes(` ${sub} `)).length);
  });
});
