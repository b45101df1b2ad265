/**
 * Opening many idle workflows (`--open N`), before the latency is sampled again "with every
 * workflow open" — so that figure can be taken with N more open than the run's own phases
 * leave (issue 15: event → PSA latency holding with 10,000 workflows open).
 *
 * Ours: N subscriptions of one platform customer that no connection maps, reported through the
 * client library on a connection of their own (50 in flight). Each becomes a subscription
 * workflow that records the report (platform record, mapping document) and then waits, unmapped
 * — open, as a subscription whose customer is not mapped yet stays. Timed from the first report
 * to the last mapping document recorded. Baseline: N bare workflows started (no signal), idle.
 */
import { BARE_TASK_QUEUE } from '../../baseline/messages';
import type { RunContext } from '../context';
import { mapLimit, round, sleep } from '../stats';
import { PRODUCT, PROVIDER } from '../world';

export interface OpenFigures {
  n: number;
  /** Report sent → every mapping document recorded. */
  ours: { seconds: number; perSecond: number; recorded: number; timedOut: boolean };
  /** Workflow start sent → all started. */
  baseline: { seconds: number; perSecond: number };
}

const CUSTOMER = 'c-open-idle';

export async function measureOpen(ctx: RunContext, n: number): Promise<OpenFigures> {
  const conn = await ctx.world.createConnection('open-idle', 'connectwise');
  await ctx.world.api.call('PUT', '/api/platform/customers', { customers: [{ id: CUSTOMER, name: 'Idle Customer (never mapped)', city: 'Leeds' }] });
  const ids = Array.from({ length: n }, (_, i) => `open${String(i + 1).padStart(5, '0')}`);
  const end = ctx.dates.contractEnd;
  ctx.log(`open: reporting ${n} subscriptions that stay unmapped…`);
  const t0 = Date.now();
  await mapLimit(ids, 50, (id) =>
    ctx.stack.platform.reportSubscription(conn.id, {
      customerId: CUSTOMER,
      provider: PROVIDER,
      subscription: {
        id, productId: PRODUCT.id, quantity: 1, unitPrice: PRODUCT.unitPrice, unitCost: PRODUCT.unitCost,
        startDate: ctx.dates.previousMonthStart, endDate: end, billingFrequency: 'monthly', autoRenew: true, kind: 'saas',
      },
    }),
  );
  let recorded = 0;
  const deadline = Date.now() + ctx.timeoutMs;
  for (;;) {
    const summary = await ctx.world.api.call<{ subscriptions: { unmapped: number } }>('GET', `/api/connections/${conn.id}/summary`);
    recorded = summary.subscriptions.unmapped;
    if (recorded >= n || Date.now() > deadline) break;
    await sleep(2_000);
  }
  const oursSeconds = (Date.now() - t0) / 1000;

  ctx.log(`open: starting ${n} idle bare workflows…`);
  const b0 = Date.now();
  await mapLimit(ids, 50, (id) => ctx.stack.client.workflow.start('bareSubscriptionWorkflow', { workflowId: `bench-bare/open/${id}`, taskQueue: BARE_TASK_QUEUE, args: [] }));
  const bareSeconds = (Date.now() - b0) / 1000;
  return {
    n,
    ours: { seconds: round(oursSeconds, 1), perSecond: round(n / oursSeconds, 1), recorded, timedOut: recorded < n },
    baseline: { seconds: round(bareSeconds, 1), perSecond: round(n / bareSeconds, 1) },
  };
}
