/**
 * The scenarios whose event histories guard workflow changes (test/workflow/replay.test.ts).
 * Each recipe drives real workflow code on the time-skipping server with mocked activities and
 * names the workflow executions it leaves; the recorder stores every run of each (continue-as-new
 * included) under test/fixtures/histories/. Together they cover every message, timer, activity
 * and branch a production history can hold today: events in any order and repeated, month-start
 * folds and future-dated events on timers, a step retried after the PSA stayed unreachable, a
 * refusal, an admin's retry and skip, a partial upgrade's hand-over, Autotask placement,
 * continue-as-new, closing after the quiet period and reopening; a bundle (docs/billing-modes.md)
 * waiting for its members, billing, moving with a member's change and a month-start fold, and
 * ended, with its bundled members' histories; a committed subscription's decrease waiting for
 * its renewal, and the digest's renewals mail.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { NotificationActivities } from '../../activities/notifications/notification.activities';
import type { SeatCountActivities } from '../../activities/seat-count/seat-count.activities';
import { subscriptionWorkflowId } from '../../contracts/subscription';
import { addDays, firstOfNextMonth, isoDateOf } from '../../domain/dates';
import { notificationDigestWorkflow, seatCountWorkflow, subscriptionWorkflow } from '../../workflows';
import type { SentEvent } from '../support/plan-for';
import { mockedConnector, samplePlacement, sampleReport, wire, type Fault } from '../support/mocked-connector';

const DAY_MS = 86_400_000;

export interface Recipe {
  name: string;
  /** Runs the scenario; returns the executions whose histories are recorded (no run id: the latest). */
  run(env: TestWorkflowEnvironment, workflowBundlePath: string): Promise<Execution[]>;
}

export interface Execution {
  workflowId: string;
  runId?: string;
}

/** A recipe around one mocked connector: reports go to connection `conn`; all runs stopped after. */
function subscriptionRecipe(name: string, fault: Fault | undefined, body: (ctx: RecipeContext) => Promise<void>): Recipe {
  return {
    name,
    async run(env, bundle) {
      const c = await mockedConnector(env, bundle, fault);
      try {
        const today = isoDateOf(await env.currentTimeMs());
        const earlier: Execution[] = [];
        await body({ env, c, today, wf: (id) => subscriptionWorkflowId('conn', id), keep: (e) => earlier.push(e) });
        return [...earlier, ...[...new Set([...c.reported, ...c.bundleIds])].map((workflowId) => ({ workflowId }))];
      } finally {
        for (const id of [...c.reported, ...c.bundleIds]) await env.client.workflow.getHandle(id).terminate('recorded').catch(() => undefined);
        await c.stop();
      }
    },
  };
}

interface RecipeContext {
  env: TestWorkflowEnvironment;
  c: Awaited<ReturnType<typeof mockedConnector>>;
  today: string;
  wf(id: string): string;
  /** Records an execution that a later one of the same id replaces (closed, then reopened). */
  keep(e: Execution): void;
}

/** A recipe that runs one workflow to its end on a worker with the given mocked activities. */
function runToEnd<A extends object>(name: string, activities: A, start: (env: TestWorkflowEnvironment, taskQueue: string, workflowId: string) => Promise<unknown>): Recipe {
  return {
    name,
    async run(env, bundle) {
      const taskQueue = `rec-${randomUUID().slice(0, 8)}`;
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: { codePath: bundle }, activities });
      const workflowId = `${name}/${randomUUID().slice(0, 8)}`;
      await worker.runUntil(start(env, taskQueue, workflowId));
      return [{ workflowId }];
    },
  };
}

/** The refusal recipe's PSA refuses every step after the first until the admin steps in. */
const refusal = { on: true };
const toDays = (to: string, from: string) => Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS);
const qty = (id: string, date: string, quantity: number): SentEvent => ({ id, event: { type: 'quantity-changed', date, quantity } });

export const recipes: Recipe[] = [
  subscriptionRecipe('subscription-connectwise-lifecycle', undefined, async ({ env, c, today }) => {
    const start = addDays(today, -90);
    const events: SentEvent[] = [qty('a', addDays(start, 20), 12), qty('b', addDays(start, 40), 9), { id: 'p', event: { type: 'price-changed', date: addDays(start, 50), unitPrice: '23.00', unitCost: '19.00' } }];
    await c.platform.reportSubscription('conn', sampleReport('s-cw', start));
    await c.platform.place('conn', 's-cw', samplePlacement(start));
    for (const e of [...events].reverse()) await c.platform.sendEvent('conn', 's-cw', wire(e));
    await c.platform.sendEvent('conn', 's-cw', wire(events[0]!));
    await c.platform.sendEvent('conn', 's-cw', wire(qty('future', addDays(today, 40), 4)));
    await c.quiet('conn', 's-cw', (s) => s.counts.applied === 3);
    await env.sleep(45 * DAY_MS);
    await c.quiet('conn', 's-cw', (s) => s.counts.applied === 4);
    await c.platform.sendEvent('conn', 's-cw', wire({ id: 'up', event: { type: 'full-upgrade', date: addDays(today, 44), productId: 'e5', unitPrice: '35.00', unitCost: '30.00' } }));
    await c.platform.sendEvent('conn', 's-cw', wire({ id: 'x', event: { type: 'cancelled', date: addDays(today, 45) } }));
    await c.quiet('conn', 's-cw', (s) => s.status === 'ended');
  }),
  subscriptionRecipe('subscription-autotask-partial-upgrade', undefined, async ({ c, today }) => {
    const start = addDays(today, -40);
    await c.platform.reportSubscription('conn', sampleReport('s-at', start));
    await c.platform.place('conn', 's-at', samplePlacement(start, 'autotask'));
    await c.platform.sendEvent('conn', 's-at', wire(qty('a', addDays(start, 5), 14)));
    await c.platform.sendEvent('conn', 's-at', wire(qty('b', addDays(start, 5), 11)));
    await c.platform.sendEvent('conn', 's-at', wire({ id: 'pu', event: { type: 'partial-upgrade', date: addDays(start, 20), quantity: 3, newSubscription: { id: 's-at-2', productId: 'e5', unitPrice: '35.00', unitCost: '30.00', endDate: null } } }));
    await c.platform.sendEvent('conn', 's-at', wire({ id: 'r', event: { type: 'renewed', date: addDays(start, 30), endDate: addDays(start, 729) } }));
    await c.quiet('conn', 's-at', (s) => s.counts.applied === 4);
  }),
  subscriptionRecipe('subscription-unreachable-refused-retried-skipped', (_ops, attempt) => (attempt <= 8 ? 'unreachable' : refusal.on && attempt > 9 ? 'refuse' : 'ok'), async ({ env, c, today }) => {
    const start = addDays(today, -20);
    await c.platform.reportSubscription('conn', sampleReport('s-bad', start));
    await c.platform.place('conn', 's-bad', samplePlacement(start));
    await env.sleep(5 * 60_000); // the activity's own retries (8 attempts, backing off to a minute)
    await c.platform.state('conn', 's-bad');
    await env.sleep(11 * 60_000); // the step's retryAt
    await c.quiet('conn', 's-bad', (s) => s.step === 1 && s.lastError === null);
    await c.platform.sendEvent('conn', 's-bad', wire(qty('q', addDays(start, 3), 15)));
    await c.quiet('conn', 's-bad', (s) => s.status === 'failed');
    refusal.on = false;
    await c.platform.skipEvent('conn', 's-bad', { eventId: 'q', reason: 'sent by mistake', by: 'admin' });
    await c.platform.retry('conn', 's-bad', 'admin');
    await c.quiet('conn', 's-bad', (s) => s.status === 'mapped' && s.lastError === null);
  }),
  subscriptionRecipe('subscription-continue-as-new', undefined, async ({ env, c, today, wf }) => {
    const start = addDays(today, -60);
    await env.client.workflow.start(subscriptionWorkflow, { taskQueue: c.taskQueue, workflowId: wf('s-long'), args: [{ connectionId: 'conn', subscriptionId: 's-long', historyLimit: 30 }] });
    await c.platform.reportSubscription('conn', sampleReport('s-long', start));
    await c.platform.place('conn', 's-long', samplePlacement(start));
    for (let i = 0; i < 8; i++) await c.platform.sendEvent('conn', 's-long', wire(qty(`q${i}`, addDays(start, 10 + i), 11 + (i % 3))));
    await c.quiet('conn', 's-long', (s) => s.counts.applied === 8);
  }),
  subscriptionRecipe('subscription-close-reopen', undefined, async ({ env, c, today, wf, keep }) => {
    const start = addDays(today, -60);
    await c.platform.reportSubscription('conn', sampleReport('s-close', start));
    await c.platform.place('conn', 's-close', samplePlacement(start));
    await c.platform.sendEvent('conn', 's-close', wire(qty('q', addDays(start, 10), 12)));
    await c.platform.sendEvent('conn', 's-close', wire({ id: 'x', event: { type: 'cancelled', date: addDays(start, 30) } }));
    await c.quiet('conn', 's-close', (s) => s.status === 'ended' && s.counts.applied === 2);
    await env.sleep(36 * DAY_MS);
    const handle = env.client.workflow.getHandle(wf('s-close'));
    for (let i = 0; i < 100 && (await handle.describe()).status.name !== 'COMPLETED'; i++) await new Promise((r) => setTimeout(r, 50));
    keep({ workflowId: wf('s-close'), runId: (await handle.describe()).runId });
    await c.platform.sendEvent('conn', 's-close', wire(qty('late', addDays(start, 20), 7)));
    await c.quiet('conn', 's-close', (s) => s.counts.applied === 3);
  }),
  subscriptionRecipe('bundle-members', undefined, async ({ env, c, today }) => {
    const start = addDays(today, -40);
    const placement = samplePlacement(start);
    c.bundles.pack = { terms: { id: 'pack', mode: 'average' }, placement: { ...placement, description: 'bundle-pack Pack' }, psaProductId: 77, members: ['b-1', 'b-2'], endFrom: null };
    await c.bundleClient.changed('conn', 'pack');
    for (const id of ['b-1', 'b-2']) {
      await c.platform.reportSubscription('conn', sampleReport(id, start));
      await c.platform.place('conn', id, { ...placement, billing: { mode: 'bundled', bundleId: 'pack' } });
    }
    await c.quietBundle('conn', 'pack', (b) => b.status === 'billing' && b.step === 1);
    await c.platform.sendEvent('conn', 'b-1', wire(qty('q', addDays(today, -2), 14)));
    await c.quietBundle('conn', 'pack', (b) => b.members['b-1']?.revision === 1 && b.step === 2);
    const end = firstOfNextMonth(today);
    await env.sleep((toDays(end, today) + 1) * DAY_MS); // the month-start fold, on the bundle's timer
    await c.quietBundle('conn', 'pack', (b) => b.asOf === end);
    c.bundles.pack = { ...c.bundles.pack, endFrom: firstOfNextMonth(end) };
    await c.bundleClient.changed('conn', 'pack');
    await c.quietBundle('conn', 'pack', (b) => b.status === 'ended');
  }),
  // A committed subscription (docs/renewals.md): its decrease waits for the renewal date, its
  // commitment is recorded (patch `record-commitment`) and it wakes on the renewal date.
  subscriptionRecipe('subscription-commitment', undefined, async ({ env, c, today }) => {
    const start = addDays(today, -40);
    const report = sampleReport('s-commit', start);
    await c.platform.reportSubscription('conn', { ...report, subscription: { ...report.subscription, endDate: null, commitmentTerm: 'monthly' } });
    await c.platform.place('conn', 's-commit', samplePlacement(start));
    await c.platform.sendEvent('conn', 's-commit', wire(qty('d', today, 7)));
    const before = await c.quiet('conn', 's-commit', (s) => s.counts.applied === 1);
    await env.sleep(32 * DAY_MS);
    await c.quiet('conn', 's-commit', (s) => s.asOf !== null && s.asOf >= before.commitment!.nextRenewal!);
  }),
  runToEnd<SeatCountActivities>(
    'seat-count-pages',
    {
      listSeatCountSubscriptions: async () => ['s1', 's2', 's3'],
      applySeatCounts: async ({ subscriptionIds }: { subscriptionIds: string[] }) =>
        subscriptionIds.map((id: string, i: number) => (i === 0 ? { subscriptionId: id, outcome: 'updated' as const, quantity: 17, effectiveDate: '2026-11-01', reason: 'high-water mark rose' } : { subscriptionId: id, outcome: 'unchanged' as const, reason: 'no rise' })),
    } as unknown as SeatCountActivities,
    (env, taskQueue, workflowId) => env.client.workflow.execute(seatCountWorkflow, { taskQueue, workflowId, args: [{ connectionId: 'conn', day: '2026-11-20', pageSize: 2 }] }),
  ),
  runToEnd<NotificationActivities>(
    'notification-digest',
    {
      sendDigest: async ({ template, day }: { template: string; day: string }) => ({ template, day, sent: template === 'serviceMapping', reason: template === 'serviceMapping' ? 'sent to 2 recipients' : 'nothing changed' }),
    } as unknown as NotificationActivities,
    (env, taskQueue, workflowId) => env.client.workflow.execute(notificationDigestWorkflow, { taskQueue, workflowId, args: [{ connectionId: 'conn', day: '2026-11-20' }] }),
  ),
  // The digest with the renewals mail (patch `renewals-digest`, docs/renewals.md).
  runToEnd<NotificationActivities>(
    'notification-digest-renewals',
    {
      sendDigest: async ({ template, day }: { template: string; day: string }) => ({ template, day, sent: template === 'renewals', itemCount: template === 'renewals' ? 2 : undefined, reason: template === 'renewals' ? 'sent to 1 recipient' : 'nothing changed' }),
    } as unknown as NotificationActivities,
    (env, taskQueue, workflowId) => env.client.workflow.execute(notificationDigestWorkflow, { taskQueue, workflowId, args: [{ connectionId: 'conn', day: '2026-11-20' }] }),
  ),
];
