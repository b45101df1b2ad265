/**
 * Metric 6 — a reconciliation month of N subscriptions. The previous month's final invoices
 * (reseller and customer, matching what the PSA bills: the licenses in force on the month's
 * last day × 18.70 / 22.00) are delivered through the invoice intake (`POST
 * /api/platform/invoices`); then the month's reconciliationWorkflow is started as the admin API
 * starts it, with a cutover window that opens on the 1st (so a run started on any day checks at
 * once). Timed from the start until the run has checked every
 * subscription: when every item reconciles the run completes (its close time counts); should
 * some wait for a human instead, until its state shows every item checked. A run that fails or
 * outlasts the phase timeout is recorded as such, with how far it got.
 *
 * The subscriptions are those of an earlier phase of the same size (the burst's, a fold's)
 * when there is one, otherwise a connection of their own is onboarded first (not timed).
 * Baseline: one bare workflow reading each subscription's agreement additions from the PSA,
 * 50 per activity (our check's chunk), one activity at a time.
 */
import { reconciliationWorkflowId, type ReconciliationWorkflowInput } from '../../../contracts/reconciliation';
import { PROVIDER, type BenchConnection } from '../world';
import { BARE_TASK_QUEUE } from '../../baseline/messages';
import type { RunContext } from '../context';
import { onboard } from '../onboarding';
import { ratio, round, sleep } from '../stats';

export interface ReconciliationRun {
  n: number;
  connectionId: string;
  ours: { seconds: number; outcome: 'completed' | 'checked' | 'failed' | 'timed out'; statuses: Record<string, number>; error: string | null; msPerSubscription: number };
  baseline: { seconds: number };
  ratio: number;
}

export interface ReconciliationFigures {
  runs: ReconciliationRun[];
  /** Per-subscription time of the largest size ÷ that of the smallest (1 = linear). */
  scaling: { from: number; to: number; perSubscriptionRatio: number } | null;
}

const cents = (n: number) => `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`;

/** The run as the API answers it: counts over every item, and one page of items (docs/reconciliation.md). */
interface RunState {
  checksDone: number;
  counts: Record<string, number>;
  items: Array<{ status: string; checks: number }>;
}

async function subscriptionsOfSize(ctx: RunContext, n: number): Promise<BenchConnection> {
  for (const conn of ctx.connections.values()) if (conn.psa === 'connectwise' && conn.subscriptions.length === n && !conn.id.endsWith('-latency')) return conn;
  const conn = await ctx.world.createConnection(`cw-rec-${n}`, 'connectwise');
  ctx.connections.set(conn.id, conn);
  const subs = await ctx.world.prepareSubscriptions(conn, n, `r${n}-`);
  ctx.log(`reconciliation ${n}: onboarding ${n} subscriptions first (not timed)…`);
  const o = await onboard(ctx, conn, subs);
  if (o.notLanded.length) throw new Error(`reconciliation ${n}: ${o.notLanded.length} subscriptions did not start billing`);
  return conn;
}

export async function measureReconciliationRun(ctx: RunContext, n: number): Promise<ReconciliationRun> {
  const conn = await subscriptionsOfSize(ctx, n);
  const month = ctx.dates.previousMonth;
  const invoices = conn.subscriptions.flatMap((s) => {
    const q = s.previousMonthQuantity;
    const inv = (kind: 'reseller' | 'customer', cent: number) => ({
      id: `${kind === 'reseller' ? 'RI' : 'CI'}-${month}-${conn.id}-${s.id}`,
      subscriptionId: s.id, customerId: s.customerId, provider: PROVIDER, month, kind, quantity: q, amount: cents(q * cent), issuedOn: ctx.dates.monthStart,
    });
    return [inv('reseller', 1870), inv('customer', 2200)];
  });
  ctx.log(`reconciliation ${n}: delivering ${invoices.length} invoices…`);
  for (let i = 0; i < invoices.length; i += 500) await ctx.world.api.call('POST', '/api/platform/invoices', { invoices: invoices.slice(i, i + 500) });

  ctx.log(`reconciliation ${n}: running ${month}…`);
  // The largest page (500 items): the "every item checked" test below reads the items themselves.
  const runPath = `/api/connections/${conn.id}/reconciliation/runs/${encodeURIComponent(PROVIDER)}/${month}?limit=500`;
  // Started as the admin API's `POST …/runs/:provider/:month` starts it (same id, input and task
  // queue), plus a cutover window opening on the 1st: the default one (10th–25th for Microsoft
  // CSP) would make a run started before the 10th wait for its first check until then.
  const input: ReconciliationWorkflowInput = { connectionId: conn.id, provider: PROVIDER, billingMonth: month, cutover: { cutoverStartDay: 1, cutoverEndDay: 31 } };
  const t0 = Date.now();
  const handle = await ctx.stack.client.workflow.start('reconciliationWorkflow', {
    workflowId: reconciliationWorkflowId(conn.id, PROVIDER, month),
    taskQueue: ctx.stack.taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  const deadline = t0 + ctx.timeoutMs;
  let outcome: ReconciliationRun['ours']['outcome'] = 'timed out';
  let end = Date.now();
  let error: string | null = null;
  let state: RunState | null = null;
  let lastStateAt = 0;
  for (;;) {
    const d = await handle.describe();
    if (d.status.name !== 'RUNNING') {
      end = d.closeTime?.getTime() ?? Date.now();
      outcome = d.status.name === 'COMPLETED' ? 'completed' : 'failed';
      if (outcome === 'failed') error = await handle.result().then(() => null, (e: Error) => `${e.message}${e.cause ? `: ${(e.cause as Error).message}` : ''}`);
      break;
    }
    // The run stays open while items wait for a human: every item checked is then the end.
    if (Date.now() - lastStateAt > 10_000) {
      lastStateAt = Date.now();
      state = await ctx.world.api.call<RunState>('GET', runPath).catch(() => state);
      if (state && state.checksDone > 0 && state.items.length >= n && state.items.every((i) => i.checks > 0)) {
        end = Date.now();
        outcome = 'checked';
        break;
      }
      ctx.log(`reconciliation ${n}: ${state ? `${state.items.filter((i) => i.checks > 0).length}/${n} checked` : 'running'}`);
    }
    if (Date.now() > deadline) break;
    await sleep(1_000);
  }
  const seconds = round((end - t0) / 1000, 2);
  state = await ctx.world.api.call<RunState>('GET', runPath).catch(() => state);
  // From the run's counts (every item), not from the page of items.
  const statuses = Object.fromEntries(Object.entries(state?.counts ?? {}).filter(([, count]) => count > 0));

  ctx.log(`reconciliation ${n}: baseline…`);
  const b0 = Date.now();
  await ctx.stack.client.workflow.execute('bareReconciliationWorkflow', {
    taskQueue: BARE_TASK_QUEUE,
    workflowId: `bench-bare/reconciliation-${n}-${Date.now()}`,
    args: [{ agreementIds: conn.subscriptions.map((s) => s.slot.agreementId), chunk: 50 }],
  });
  const baseline = { seconds: round((Date.now() - b0) / 1000, 2) };
  return {
    n,
    connectionId: conn.id,
    ours: { seconds, outcome, statuses, error, msPerSubscription: round((seconds * 1000) / n, 1) },
    baseline,
    ratio: ratio(seconds, baseline.seconds),
  };
}

export function reconciliationScaling(runs: ReconciliationRun[]): ReconciliationFigures['scaling'] {
  const ok = runs.filter((r) => r.ours.outcome === 'completed' || r.ours.outcome === 'checked').sort((a, b) => a.n - b.n);
  if (ok.length < 2) return null;
  const [small, large] = [ok[0]!, ok[ok.length - 1]!];
  return { from: small.n, to: large.n, perSubscriptionRatio: ratio(large.ours.msPerSubscription, small.ours.msPerSubscription) };
}
