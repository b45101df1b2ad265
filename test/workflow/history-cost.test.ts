/**
 * What one platform event costs the subscription workflow's history in steady state (issue 15
 * "Lean histories"): events added and bytes, read from the history itself
 * (`handle.fetchHistory()`), on the time-skipping server with mocked activities.
 *
 * A bare Temporal workflow running one activity per *signal* adds 10 events (~1.3 KB). An event
 * reaches us as an *Update* (a synchronous accepted / duplicate / 400 / 409 answer), which the
 * server records as two events (accepted, completed): 11 is the floor of "an Update and one
 * activity" — two workflow tasks (3 events each), the Update's two, the activity's three. We
 * hold that floor: no memo or search-attribute upsert, no timer started or cancelled, and the
 * step's input and result carry only what the write needs (≤ 1.5 KB per history event and
 * ≤ 2.25 KB per platform event for these one- and two-operation steps: 1.6–2.0 KB measured).
 * An event sent without waiting (`{ wait: false }`, the API's `Prefer: respond-async`) arrives as
 * a signal like the baseline's and costs its 10. Figures: docs/worker-tuning.md.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { subscriptionWorkflowId } from '../../contracts/subscription';
import { addDays, isoDateOf } from '../../domain/dates';
import { mockedConnector, samplePlacement, sampleReport, wire, type MockedConnector } from '../support/mocked-connector';
import { workflowBundle, temporalTestServer } from '../setup/workflow-setup-env';
import { startTimeSkippingEnv } from '../support/time-skipping-env';

jest.setTimeout(120_000);
const EventType = temporal.api.enums.v1.EventType;

describe('history cost of one event in steady state (time skipping, mocked activities)', () => {
  let env: TestWorkflowEnvironment;
  let c: MockedConnector;
  beforeAll(async () => {
    env = await startTimeSkippingEnv(temporalTestServer());
    c = await mockedConnector(env, workflowBundle());
  });
  afterAll(async () => {
    for (const id of c?.reported ?? []) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
    await c?.stop();
    await env?.teardown();
  });

  /** The history once no workflow task is pending (a query may answer just before the task's completion is recorded). */
  async function settledHistory(workflowId: string) {
    const pending = [EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED];
    let last = -1;
    for (let i = 0; i < 100; i++) {
      const h = await history(workflowId);
      if (h.events.length === last && !pending.includes(h.events.at(-1)!.eventType!)) return h;
      last = h.events.length;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the history of ${workflowId} did not settle`);
  }

  async function activityDone(workflowId: string, from: number): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if ((await history(workflowId)).events.slice(from).some((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no activity of ${workflowId} completed`);
  }

  async function history(workflowId: string) {
    const h = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const events = h.events ?? [];
    return { events, bytes: temporal.api.history.v1.History.encode(h).finish().length };
  }

  const cases = [
    { psa: 'connectwise', wait: true, floor: 11, message: ['WORKFLOW_EXECUTION_UPDATE_ACCEPTED', 'WORKFLOW_EXECUTION_UPDATE_COMPLETED'] },
    { psa: 'autotask', wait: true, floor: 11, message: ['WORKFLOW_EXECUTION_UPDATE_ACCEPTED', 'WORKFLOW_EXECUTION_UPDATE_COMPLETED'] },
    { psa: 'connectwise', wait: false, floor: 10, message: ['WORKFLOW_EXECUTION_SIGNALED'] },
    { psa: 'autotask', wait: false, floor: 10, message: ['WORKFLOW_EXECUTION_SIGNALED'] },
  ] as const;
  for (const { psa, wait, floor, message } of cases) {
    it(`${psa}, ${wait ? 'waiting (an Update)' : 'not waiting (a signal)'}: each quantity change adds the ${floor} events of its message and one activity, ≤ 2.25 KB — no timer, memo or search-attribute churn`, async () => {
      const id = `s-cost-${psa}-${wait ? 'update' : 'signal'}`;
      const today = isoDateOf(await env.currentTimeMs());
      const start = addDays(today, -3);
      await c.platform.reportSubscription('conn', sampleReport(id, start));
      await c.platform.place('conn', id, samplePlacement(start, psa));
      // Warm up: the base line and a first change (the mapping document is recorded then).
      await c.platform.sendEvent('conn', id, wire({ id: 'warm', event: { type: 'quantity-changed', date: today, quantity: 11 } }));
      await c.quiet('conn', id, (s) => s.counts.applied === 1 && s.step >= 1);

      const workflowId = subscriptionWorkflowId('conn', id);
      const perEvent: Array<{ events: number; bytes: number; types: string[] }> = [];
      // Steady state: several quantity changes on different days, one at a time, each a one-operation step.
      for (let n = 1; n <= 4; n++) {
        const before = await settledHistory(workflowId);
        const s = await c.platform.sendEvent('conn', id, wire({ id: `e${n}`, event: { type: 'quantity-changed', date: addDays(start, n - 1), quantity: 11 + n } }), { wait });
        expect(s.outcome).toBe(wait ? 'accepted' : 'queued');
        // The activity's completion is awaited in the history itself: the test server answers a
        // query that comes while a workflow task runs with one more task of its own, which would
        // be counted here though a real server does not record it.
        await activityDone(workflowId, before.events.length);
        const after = await settledHistory(workflowId);
        await c.quiet('conn', id, (x) => x.counts.applied === n + 1);
        const added = after.events.slice(before.events.length);
        perEvent.push({ events: added.length, bytes: after.bytes - before.bytes, types: added.map((e) => EventType[e.eventType ?? 0]!.replace('EVENT_TYPE_', '')) });
      }
      console.log(`${psa} (${wait ? 'update' : 'signal'}): per platform event`, JSON.stringify(perEvent.map((p) => ({ events: p.events, bytes: p.bytes }))));
      const wft = ['WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_COMPLETED'];
      for (const p of perEvent) {
        // The message's event(s) and one activity; nothing else but workflow tasks.
        expect(p.types.filter((t) => !wft.includes(t))).toEqual([...message, 'ACTIVITY_TASK_SCHEDULED', 'ACTIVITY_TASK_STARTED', 'ACTIVITY_TASK_COMPLETED']);
        // Two workflow tasks; the test server now and then adds a third with no command in it.
        expect(p.events).toBeLessThanOrEqual(14);
        expect(p.bytes / p.events).toBeLessThanOrEqual(1536);
        expect(p.bytes).toBeLessThanOrEqual(2304);
      }
      // Most events cost exactly the floor of their message and one activity.
      expect(perEvent.filter((p) => p.events === floor).length).toBeGreaterThanOrEqual(perEvent.length / 2);
    });
  }
});
