/**
 * The subscription workflow's own logic, fast: the time-skipping test server and typed mocked
 * activities (an in-memory PSA that behaves like the real ones where it matters, from
 * test/support/live-simulator.ts). No database, no sandbox, no wall clock: the inbox in billing
 * order, month-start folds and future-dated events on timers, a step retried with the same keys
 * after the PSA stayed unreachable, a refusal and the admin's retry, continue-as-new, closing.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { subscriptionWorkflowId, type SubscriptionWorkflowState } from '../../contracts/subscription';
import { addDays, isoDateOf, type IsoDate } from '../../domain/dates';
import { subscriptionWorkflow } from '../../workflows/subscription.workflow';
import { cwDisagreements } from '../support/plan-agreement';
import { planLedgers, type SentEvent } from '../support/plan-for';
import { mockedConnector, samplePlacement, sampleReport, wire, type Fault, type MockedConnector } from '../support/mocked-connector';
import { workflowBundle, temporalTestServer } from '../setup/workflow-setup-env';
import { startTimeSkippingEnv } from '../support/time-skipping-env';

const DAY_MS = 86_400_000;
const daysUntil = (from: IsoDate, to: IsoDate) => Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS);
jest.setTimeout(120_000);

describe('subscription workflow with mocked activities (time skipping)', () => {
  let env: TestWorkflowEnvironment;
  /** The test server's day (time moves on as tests sleep). */
  const today = async (): Promise<IsoDate> => isoDateOf(await env.currentTimeMs());
  beforeAll(async () => {
    env = await startTimeSkippingEnv(temporalTestServer());
  });
  const connectors: MockedConnector[] = [];
  afterEach(async () => {
    // A timer left behind would fire for a stopped worker, and the test server would wait for it
    // before letting time skip again: every subscription a test reported is terminated after it.
    for (const c of connectors.splice(0)) {
      for (const id of c.reported) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
      await c.stop();
    }
  });
  afterAll(() => env?.teardown());

  async function connector(fault?: Fault): Promise<MockedConnector> {
    const c = await mockedConnector(env, workflowBundle(), fault);
    connectors.push(c);
    return c;
  }
  const quiet = (c: MockedConnector, id: string, until: (s: SubscriptionWorkflowState) => boolean) => c.quiet('conn', id, until);
  const report = sampleReport;
  const placement = (startDate: IsoDate) => samplePlacement(startDate);

  it('bills events sent in reverse order as the plan of the sorted events; a repeat is a duplicate', async () => {
    const c = await connector();
    const start = addDays(await today(), -90);
    const events: SentEvent[] = [
      { id: 'a', event: { type: 'quantity-changed', date: addDays(start, 20), quantity: 12 } },
      { id: 'b', event: { type: 'quantity-changed', date: addDays(start, 40), quantity: 9 } },
      { id: 'c', event: { type: 'quantity-changed', date: addDays(start, 60), quantity: 15 } },
    ];
    await c.platform.reportSubscription('conn', report('s-order', start));
    await c.platform.place('conn', 's-order', placement(start));
    for (const e of [...events].reverse()) await c.platform.sendEvent('conn', 's-order', wire(e));
    expect(await c.platform.sendEvent('conn', 's-order', wire(events[1]!))).toMatchObject({ outcome: 'duplicate' });
    const s = await quiet(c, 's-order', (x) => x.counts.applied === 3);
    expect(s.events.map((e) => e.id)).toEqual(['a', 'b', 'c']);
    expect(cwDisagreements(planLedgers(report('s-order', start), placement(start), events, s.asOf!), c.lines(s))).toEqual([]);
    await c.stop();
  });

  it('folds at the month start and applies a future-dated event on its day, on durable timers', async () => {
    const c = await connector();
    const day = await today();
    const start = addDays(day, -10);
    const future: SentEvent = { id: 'f', event: { type: 'quantity-changed', date: addDays(day, 45), quantity: 4 } };
    const now: SentEvent = { id: 'n', event: { type: 'quantity-changed', date: day, quantity: 13 } };
    await c.platform.reportSubscription('conn', report('s-time', start));
    await c.platform.place('conn', 's-time', placement(start));
    expect(await c.platform.sendEvent('conn', 's-time', wire(future))).toMatchObject({ outcome: 'accepted', scheduledFor: future.event.date });
    await c.platform.sendEvent('conn', 's-time', wire(now));
    const waiting = await quiet(c, 's-time', (x) => x.counts.applied === 1);
    expect(waiting.counts.scheduled).toBe(1);
    expect(waiting.nextWake).not.toBeNull();
    await env.sleep(50 * DAY_MS);
    const done = await quiet(c, 's-time', (x) => x.counts.applied === 2);
    expect(done.asOf! >= future.event.date).toBe(true);
    expect(cwDisagreements(planLedgers(report('s-time', start), placement(start), [now, future], done.asOf!), c.lines(done))).toEqual([]);
    // The fold of the month after `now`'s delta line happened on its own: the base line carries 13.
    expect(c.lines(done).find((l) => l.lineKey.includes('/base/'))!.quantity).toBeGreaterThanOrEqual(4);
    await c.stop();
  });

  it('a committed subscription: a decrease waits for the renewal date, and the recorded commitment moves on to the next term by itself', async () => {
    const c = await connector();
    const day = await today();
    const start = addDays(day, -40);
    const committed = { ...report('s-commit', start), subscription: { ...report('s-commit', start).subscription, endDate: null, commitmentTerm: 'monthly' as const } };
    const decrease: SentEvent = { id: 'd', event: { type: 'quantity-changed', date: day, quantity: 7 } };
    await c.platform.reportSubscription('conn', committed);
    await c.platform.place('conn', 's-commit', placement(start));
    await c.platform.sendEvent('conn', 's-commit', wire(decrease));
    const before = await quiet(c, 's-commit', (x) => x.counts.applied === 1);
    const renewal = before.commitment!.nextRenewal!;
    expect(renewal > day).toBe(true);
    expect(before.events[0]!.note).toBe(`scheduled for ${renewal} (commitment)`);
    expect(before.commitment).toMatchObject({ term: 'monthly', commitmentEnd: addDays(renewal, -1), scheduledDecrease: { date: renewal, from: 10, to: 7 } });
    // Written to the PSA now, dated the renewal: the plan's lines.
    expect(cwDisagreements(planLedgers(committed, placement(start), [decrease], before.asOf!), c.lines(before))).toEqual([]);
    expect(c.lines(before).find((l) => l.effectiveDate === renewal)).toMatchObject({ quantity: -3 });
    expect(c.commitments.at(-1)).toMatchObject({ subscriptionId: 's-commit', report: { quantity: 7, commitment: { nextRenewal: renewal, scheduledDecrease: { date: renewal, to: 7 } } } });

    await env.sleep((daysUntil(day, renewal) + 1) * DAY_MS);
    const after = await quiet(c, 's-commit', (x) => x.asOf !== null && x.asOf >= renewal);
    expect(after.commitment).toMatchObject({ termStart: renewal, scheduledDecrease: null });
    expect(after.commitment!.nextRenewal! > renewal).toBe(true);
    expect(c.commitments.at(-1)).toMatchObject({ report: { commitment: { termStart: renewal, scheduledDecrease: null } } });
    expect(cwDisagreements(planLedgers(committed, placement(start), [decrease], after.asOf!), c.lines(after))).toEqual([]);
    await c.stop();
  });

  it('a PSA that stays unreachable: the same step, with the same idempotency keys, is tried again later', async () => {
    const c = await connector((_ops, attempt) => (attempt <= 8 ? 'unreachable' : 'ok'));
    const start = addDays(await today(), -5);
    await c.platform.reportSubscription('conn', report('s-down', start));
    await c.platform.place('conn', 's-down', placement(start));
    await env.sleep(5 * 60_000); // the activity's own retries (8 attempts, backing off to a minute)
    const down = await c.platform.state('conn', 's-down');
    expect(down.syncing).toBe(true);
    expect(down.lastError).toMatchObject({ message: expect.stringMatching(/the PSA did not answer .* tried again automatically/), retryAt: expect.any(String) });
    await env.sleep(11 * 60_000);
    const up = await quiet(c, 's-down', (x) => x.lastError === null && x.step === 1);
    expect(new Set(c.keysSeen.map((k) => k.join()))).toEqual(new Set([c.keysSeen[0]!.join()]));
    expect(c.lines(up)).toHaveLength(1);
    await c.stop();
  });

  it('a refusal fails the subscription with the PSA message until an admin retries', async () => {
    let refuse = true;
    const c = await connector(() => (refuse ? 'refuse' : 'ok'));
    const start = addDays(await today(), -5);
    await c.platform.reportSubscription('conn', report('s-refused', start));
    await c.platform.place('conn', 's-refused', placement(start));
    const failed = await quiet(c, 's-refused', (x) => x.status === 'failed');
    expect(failed.lastError?.message).toMatch(/the agreement is cancelled/);
    refuse = false;
    expect(await c.platform.retry('conn', 's-refused')).toEqual({ outcome: 'retrying' });
    const ok = await quiet(c, 's-refused', (x) => x.status === 'mapped' && x.lastError === null);
    expect(c.lines(ok)).toHaveLength(1);
    await c.stop();
  });

  it('an admin skips the refused event: nothing left to write, the failure is over and the workflow rests', async () => {
    let refuse = false;
    const c = await connector(() => (refuse ? 'refuse' : 'ok'));
    const start = addDays(await today(), -5);
    await c.platform.reportSubscription('conn', report('s-skip', start));
    await c.platform.place('conn', 's-skip', placement(start));
    await quiet(c, 's-skip', (x) => x.step === 1);
    refuse = true;
    await c.platform.sendEvent('conn', 's-skip', wire({ id: 'bad', event: { type: 'quantity-changed', date: addDays(start, 2), quantity: 30 } }));
    await quiet(c, 's-skip', (x) => x.status === 'failed');
    expect(await c.platform.skipEvent('conn', 's-skip', { eventId: 'bad', reason: 'sent by mistake', by: 'admin' })).toEqual({ outcome: 'skipped' });
    const rested = await quiet(c, 's-skip', (x) => x.status === 'mapped');
    expect(rested).toMatchObject({ lastError: null, counts: { skipped: 1, applied: 0 } });
    // No busy loop on a stale retry time: the history stays small while time passes.
    await env.sleep(60_000);
    const { events } = await env.client.workflow.getHandle(subscriptionWorkflowId('conn', 's-skip')).fetchHistory();
    expect(events!.length).toBeLessThan(80);
    expect(c.lines(await c.platform.state('conn', 's-skip'))).toHaveLength(1);
  });

  it('continues as new with its log, lines and step counter, and bills on', async () => {
    const c = await connector();
    const start = addDays(await today(), -60);
    const id = 's-long';
    const started = await env.client.workflow.start(subscriptionWorkflow, { taskQueue: c.taskQueue, workflowId: subscriptionWorkflowId('conn', id), args: [{ connectionId: 'conn', subscriptionId: id, historyLimit: 30 }] });
    await c.platform.reportSubscription('conn', report(id, start));
    await c.platform.place('conn', id, placement(start));
    const events: SentEvent[] = Array.from({ length: 8 }, (_, i) => ({ id: `q${i}`, event: { type: 'quantity-changed', date: addDays(start, 10 + i), quantity: 11 + (i % 3) } }));
    for (const e of events) await c.platform.sendEvent('conn', id, wire(e));
    const s = await quiet(c, id, (x) => x.counts.applied === events.length);
    expect((await env.client.workflow.getHandle(started.workflowId, started.firstExecutionRunId).describe()).status.name).toBe('CONTINUED_AS_NEW');
    expect(await c.platform.sendEvent('conn', id, wire(events[0]!))).toMatchObject({ outcome: 'duplicate' });
    expect(cwDisagreements(planLedgers(report(id, start), placement(start), events, s.asOf!), c.lines(s))).toEqual([]);
    // Keys never repeat across runs: every step wrote under its own keys.
    const keys = c.keysSeen.flat();
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('closes 35 quiet days after it ended, leaving its state for a late event to reopen it', async () => {
    const c = await connector();
    const start = addDays(await today(), -60);
    const id = 's-close';
    const events: SentEvent[] = [
      { id: 'q', event: { type: 'quantity-changed', date: addDays(start, 10), quantity: 12 } },
      { id: 'x', event: { type: 'cancelled', date: addDays(start, 30) } },
    ];
    await c.platform.reportSubscription('conn', report(id, start));
    await c.platform.place('conn', id, placement(start));
    for (const e of events) await c.platform.sendEvent('conn', id, wire(e));
    const ended = await quiet(c, id, (x) => x.status === 'ended' && x.counts.applied === events.length);
    const handle = env.client.workflow.getHandle(subscriptionWorkflowId('conn', id));
    await env.sleep(36 * DAY_MS);
    for (let i = 0; i < 100 && (await handle.describe()).status.name !== 'COMPLETED'; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    expect(c.archived[subscriptionWorkflowId('conn', id)]).toMatchObject({ version: 2, step: ended.step });
    const late: SentEvent = { id: 'late', event: { type: 'quantity-changed', date: addDays(start, 20), quantity: 7 } };
    expect(await c.platform.sendEvent('conn', id, wire(late))).toMatchObject({ outcome: 'accepted' });
    const reopened = await quiet(c, id, (x) => x.counts.applied === 3);
    expect(cwDisagreements(planLedgers(report(id, start), placement(start), [...events, late], reopened.asOf!), c.lines(reopened))).toEqual([]);
  });
});

