/**
 * Reconciliation runs under the time-skipping test server: the workflow's daily timers jump, the
 * activities are the real ones against FerretDB and a PSA sandbox (from the workflow harness).
 * Helpers put a mapped subscription with its PSA line in place, and platform invoices.
 */
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities, type Activities } from '../../activities';
import { createPlatformClient } from '../../client/platform-client';
import { toDayNumber } from '../../domain/dates';
import { chunkStateQuery, reconciliationStateQuery } from '../../workflows/reconciliation-messages';
import { reconciliationWorkflowId, type ReconciliationItem, type ReconciliationRunState } from '../../contracts/reconciliation';
import { createReconciliationRuns, type ReconciliationRuns } from '../../client/reconciliation-runs';
import type { reconciliationWorkflow } from '../../workflows/reconciliation.workflow';
import { testServers } from '../setup/servers';
import { eventually, startHarness, type Harness } from '../workflows/harness';
import { mapAcmeAndProducts } from '../workflows/fixtures';
import { startTimeSkippingEnv } from '../support/time-skipping-env';

export const PROVIDER = 'Microsoft CSP';
const DAY_MS = 86_400_000;

export interface ReconciliationHarness {
  h: Harness;
  env: TestWorkflowEnvironment;
  companyId: number;
  agreementId: number;
  /** A month whose cutover window is still ahead in the test server's clock. */
  month: string;
  /** Runs `fn` with a worker (optionally with wrapped activities) on a fresh task queue. */
  withWorker<T>(fn: (taskQueue: string) => Promise<T>, wrap?: (a: Activities) => Activities): Promise<T>;
  start(taskQueue: string): Promise<Awaited<ReturnType<TestWorkflowEnvironment['client']['workflow']['start']>>>;
  /** The run as the admin API reads and decides it (routing to the chunks). */
  runs(taskQueue: string): ReconciliationRuns;
  /** The run's reference for `runs`. */
  ref: { connectionId: string; provider: string; month: string };
  /** Skips server time to 00:00 UTC of `date` (plus a minute) and waits until the run and each of its chunks have done `checks` checks. */
  skipTo(handle: { query: (q: typeof reconciliationStateQuery) => Promise<ReconciliationRunState> }, date: string, checks: number): Promise<ReconciliationRunState>;
  /** Every item of the run, read from its chunks (chunk order). */
  items(s: ReconciliationRunState): Promise<ReconciliationItem[]>;
  close(): Promise<void>;
}

export async function startReconciliationHarness(name: string): Promise<ReconciliationHarness> {
  const h = await startHarness('connectwise', name);
  const env = await startTimeSkippingEnv(testServers().temporalTestServerPath);
  const { companyId } = await mapAcmeAndProducts(h);
  const gateway = await h.gateways.forConnection(h.connectionId);
  const [agreement] = (await gateway.listAgreements(companyId)).filter((a) => a.name.startsWith('Acme'));
  const now = new Date(await env.currentTimeMs());
  const month = now.toISOString().slice(0, 7);

  return {
    h,
    env,
    companyId,
    agreementId: agreement!.id,
    month,
    async withWorker(fn, wrap = (a) => a) {
      const taskQueue = `${name}-${randomUUID().slice(0, 8)}`;
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: { codePath: testServers().workflowBundle },
        activities: wrap(createActivities({ store: h.store, gateways: h.gateways, subscriptions: createPlatformClient(env.client, { taskQueue }), taskQueue })),
      });
      return worker.runUntil(fn(taskQueue));
    },
    ref: { connectionId: h.connectionId, provider: PROVIDER, month },
    runs: (taskQueue) => createReconciliationRuns({ temporal: env.client, taskQueue, store: h.store }),
    async items(s) {
      const out: ReconciliationItem[] = [];
      for (const c of [...s.chunks].sort((a, b) => a.chunk - b.chunk)) {
        for (let offset = 0; ; offset += 500) {
          const page = await env.client.workflow.getHandle(c.workflowId).query(chunkStateQuery, { offset, limit: 500 });
          out.push(...page.items);
          if (offset + 500 >= page.total) break;
        }
      }
      return out;
    },
    start(taskQueue) {
      return env.client.workflow.start<typeof reconciliationWorkflow>('reconciliationWorkflow', {
        taskQueue,
        workflowId: reconciliationWorkflowId(h.connectionId, PROVIDER, month),
        args: [{ connectionId: h.connectionId, provider: PROVIDER, billingMonth: month }],
      });
    },
    async skipTo(handle, date, checks) {
      const ms = toDayNumber(date) * DAY_MS + 60_000 - (await env.currentTimeMs());
      if (ms > 0) await env.sleep(ms);
      return eventually(async () => {
        const s = await handle.query(reconciliationStateQuery);
        return s.checksDone >= checks && s.chunks.every((c) => c.finished || c.checksDone >= checks) ? s : undefined;
      }, `check ${checks} of the run`, 120_000);
    },
    async close() {
      await env.teardown();
      await h.close();
    },
  };
}

export interface LineSpec {
  subscriptionId: string;
  productId?: 'm365-bp' | 'm365-e3';
  kind?: 'saas' | 'iaas';
  quantity: number;
  unitPrice: string;
  unitCost: string;
}

/** A platform subscription mapped to the Acme agreement with its base line in the ConnectWise sandbox. */
export async function mappedSubscription(r: ReconciliationHarness, spec: LineSpec): Promise<{ psaId: number; lineKey: string }> {
  const { h } = r;
  const productId = spec.productId ?? 'm365-bp';
  const kind = spec.kind ?? 'saas';
  const start = `${r.month}-01`;
  await h.store.platform.upsertSubscription({
    connectionId: h.connectionId, id: spec.subscriptionId, customerId: 'cust-acme', productId, provider: PROVIDER, quantity: spec.quantity,
    unitPrice: spec.unitPrice, unitCost: spec.unitCost, startDate: start, endDate: null, billingFrequency: 'monthly', status: 'active', kind,
  });
  const product = await h.store.mappings.products.get(h.connectionId, productId);
  const target = { companyId: r.companyId, agreementId: r.agreementId, productIds: { [productId]: product!.psaId! }, description: `Subscription ${spec.subscriptionId}` };
  const lineKey = `${spec.subscriptionId}/${productId}/base/${start}`;
  const gateway = await h.gateways.forConnection(h.connectionId);
  const [applied] = await gateway.apply(
    target,
    [{
      idempotencyKey: `setup/${spec.subscriptionId}`,
      operation: { type: 'cw.create-addition', addition: { lineKey, subscriptionId: spec.subscriptionId, productId, kind: 'base', quantity: spec.quantity, unitPrice: spec.unitPrice, unitCost: spec.unitCost, effectiveDate: start, cancelledDate: null } },
    }],
    {},
  );
  await h.store.mappings.subscriptions.markMapped(h.connectionId, spec.subscriptionId, target, { display: { customerId: 'cust-acme', customerName: 'Acme Ltd', productId } });
  await h.store.mappings.subscriptions.setLineIds(h.connectionId, spec.subscriptionId, { [lineKey]: applied!.psaId! });
  return { psaId: applied!.psaId!, lineKey };
}

/** Both final invoices of the month: reseller total (cost) and customer total (price). */
export async function invoices(r: ReconciliationHarness, subscriptionId: string, v: { quantity: number; cost?: string; price?: string; usageQuantity?: number }): Promise<void> {
  const base = { subscriptionId, customerId: 'cust-acme', provider: PROVIDER, month: r.month, quantity: v.quantity, ...(v.usageQuantity !== undefined ? { usageQuantity: v.usageQuantity } : {}) };
  if (v.cost !== undefined) await r.h.store.platform.receiveInvoice({ ...base, id: `R-${subscriptionId}-${r.month}`, kind: 'reseller', amount: v.cost }, 'test');
  if (v.price !== undefined) await r.h.store.platform.receiveInvoice({ ...base, id: `C-${subscriptionId}-${r.month}`, kind: 'customer', amount: v.price }, 'test');
}

/** The Acme agreement's additions in the sandbox, as ConnectWise stores them. */
export function additionsOf(r: ReconciliationHarness): Array<Record<string, unknown>> {
  return r.h.cw!.state.additions.filter((a) => a.agreementId === r.agreementId) as Array<Record<string, unknown>>;
}

export async function markInvoiced(r: ReconciliationHarness, ids: number[], invoiced = true): Promise<void> {
  const res = await fetch(`${r.h.cw!.url}/__sandbox/additions/invoiced`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ids, invoiced }) });
  if (!res.ok) throw new Error(`sandbox: ${res.status} ${await res.text()}`);
}
