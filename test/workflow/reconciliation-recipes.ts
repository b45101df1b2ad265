/**
 * Replay recipes (test/workflow/history-recipes.ts) for the monthly reconciliation and the global
 * sync: the workflows driven on the time-skipping server with typed mocked activities (no
 * database, no PSA), through every message, timer and branch their histories can hold today.
 *
 * - `reconciliation-month`: a run over two chunks and a two-day cutover window; the first check
 *   finds a missing invoice, discrepancies and a PSA read that failed; accept (posted), accept
 *   refused by the PSA then retried, a failed read retried then rejected with a note (that chunk
 *   settles before the window closes), a newcomer opening a third chunk on the second (last)
 *   check; every chunk settles and the run ends.
 * - `reconciliation-scheduled`: what a provider's Schedule starts, the month's run it starts, and
 *   that run's chunk (whatever today's date: its one chunk settles on the first check).
 * - `global-sync`: a full sync in pages with one page failing, one record on demand, and a
 *   scheduled sync skipped because autoSync is off.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import type { ReconciliationActivities } from '../../activities/reconciliation/reconciliation.activities';
import type { GlobalSyncActivities, SyncPageResult } from '../../activities/sync/global-sync.activities';
import { reconciliationChunkWorkflowId, reconciliationWorkflowId, type ReconciliationFacts, type ReconciliationRunState, type ReconciliationSubject } from '../../contracts/reconciliation';
import { firstOfNextMonth, isoDateOf, toDayNumber } from '../../domain/dates';
import { globalSyncWorkflow, reconciliationWorkflow, scheduledReconciliationWorkflow } from '../../workflows';
import { acceptUpdate, chunkStateQuery, reconciliationStateQuery, rejectUpdate, retryUpdate } from '../../workflows/reconciliation-messages';
import type { Execution, Recipe } from './history-recipes';

const DAY_MS = 86_400_000;
const PROVIDER = 'Microsoft CSP';

const subject = (id: string): ReconciliationSubject => ({ subscriptionId: id, customerId: 'cust-acme', customerName: 'Acme Ltd', plan: 'Microsoft 365 Business Premium', productId: 'm365-bp', kind: 'saas' });
const values = (price: string) => ({ quantity: 10, cost: '187.00', price });
const agreed: ReconciliationFacts = { invoices: { reseller: true, customer: true }, platform: values('220.00'), psa: { ok: true, values: values('220.00') } };
const differs: ReconciliationFacts = { invoices: { reseller: true, customer: true }, platform: values('224.00'), psa: { ok: true, values: values('220.00') } };
const missing: ReconciliationFacts = { invoices: { reseller: true, customer: false }, platform: values('0.00'), psa: { ok: false, error: 'not read: invoices missing' } };
const unreadable: ReconciliationFacts = { invoices: { reseller: true, customer: true }, platform: values('220.00'), psa: { ok: false, error: 'connectwise GET /additions/7 failed with timeout' } };

/**
 * A month's world in memory: chunks as the listing would write them (a chunk's membership only
 * grows), each subscription's facts per check (the last one repeats), and the PSA's answers to
 * posts (a refusal while `refusing` holds the subscription).
 */
function reconciliationWorld(chunks: string[][], facts: Record<string, ReconciliationFacts[]>, refusing = new Set<string>()) {
  const asked = new Map<string, number>();
  const activities: ReconciliationActivities = {
    async listReconciliationSubjects() {
      return { psa: 'connectwise', chunks: chunks.map((c, chunk) => ({ chunk, items: c.length })), subjects: chunks.flat().length, added: 0 };
    },
    async loadReconciliationChunk({ chunk, from }) {
      return (chunks[chunk] ?? []).slice(from).map(subject);
    },
    async gatherReconciliationFacts({ subscriptionIds }) {
      return Object.fromEntries(
        subscriptionIds.map((id) => {
          const n = asked.get(id) ?? 0;
          asked.set(id, n + 1);
          const seq = facts[id] ?? [agreed];
          return [id, seq[Math.min(n, seq.length - 1)]!];
        }),
      );
    },
    async recordReconciliations() {},
    async decideReconciliation() {},
    async postAcceptedReconciliation({ subject: s }) {
      if (refusing.delete(s.subscriptionId)) throw ApplicationFailure.nonRetryable('This addition has already been invoiced and cannot be changed or deleted.', 'PsaError.refused');
    },
  };
  return { activities, chunks };
}

async function withWorker<T>(env: TestWorkflowEnvironment, bundle: string, activities: object, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `rec-${randomUUID().slice(0, 8)}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: { codePath: bundle }, activities });
  return worker.runUntil(fn(taskQueue));
}

/** Polls (wall clock; the server's clock stands still meanwhile) until `probe` answers. */
async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
  }
  throw new Error(`recipe: timed out waiting for ${what}`);
}

const reconciliationMonth: Recipe = {
  name: 'reconciliation-month',
  async run(env, bundle) {
    const world = reconciliationWorld(
      [['sub-a', 'sub-b', 'sub-c'], ['sub-d', 'sub-e']],
      { 'sub-a': [missing, agreed], 'sub-b': [differs], 'sub-d': [differs], 'sub-e': [unreadable, differs] },
      new Set(['sub-d']),
    );
    const today = isoDateOf(await env.currentTimeMs());
    const month = today.slice(0, 7); // its window (the 10th and 11th of next month) is ahead
    const runId = reconciliationWorkflowId('conn', PROVIDER, month);
    const chunk = (n: number) => env.client.workflow.getHandle(reconciliationChunkWorkflowId('conn', PROVIDER, month, n));
    return withWorker(env, bundle, world.activities, async (taskQueue) => {
      const run = await env.client.workflow.start(reconciliationWorkflow, {
        taskQueue,
        workflowId: runId,
        args: [{ connectionId: 'conn', provider: PROVIDER, billingMonth: month, cutover: { cutoverStartDay: 10, cutoverEndDay: 11 } }],
      });
      const checked = (n: number) =>
        until(async () => {
          const s: ReconciliationRunState = await run.query(reconciliationStateQuery);
          return s.checksDone >= n && s.chunks.length === world.chunks.length && s.chunks.every((c) => c.finished || c.checksDone >= n) ? s : undefined;
        }, `check ${n}`);
      const skipTo = async (date: string) => env.sleep(toDayNumber(date) * DAY_MS + 60_000 - (await env.currentTimeMs()));

      const start = `${firstOfNextMonth(`${month}-01`).slice(0, 7)}-10`;
      await skipTo(start);
      await checked(1);
      await chunk(0).executeUpdate(acceptUpdate, { args: [{ subscriptionIds: ['sub-b'], by: 'ops' }] });
      await chunk(1).executeUpdate(acceptUpdate, { args: [{ all: true, by: 'ops' }] }); // sub-d: refused → failed
      await chunk(1).executeUpdate(retryUpdate, { args: [{ all: true, by: 'ops' }] }); // sub-d posted, sub-e read again
      await until(async () => ((await chunk(1).query(chunkStateQuery, {})).counts['pending-review'] === 1 ? true : undefined), 'sub-e read again');
      await chunk(1).executeUpdate(rejectUpdate, { args: [{ subscriptionIds: ['sub-e'], by: 'ops', note: 'credit note CN-118 covers it' }] });

      // A newcomer on the last check: chunk 1 has settled (closed), so it opens chunk 2.
      world.chunks.push(['sub-f']);
      await skipTo(`${start.slice(0, 8)}11`);
      await run.result();
      return [runId, ...world.chunks.map((_, n) => chunk(n).workflowId)].map((workflowId) => ({ workflowId }));
    });
  },
};

const reconciliationScheduled: Recipe = {
  name: 'reconciliation-scheduled',
  async run(env, bundle) {
    const world = reconciliationWorld([['sub-a', 'sub-b']], {});
    return withWorker(env, bundle, world.activities, async (taskQueue) => {
      const starter = `reconciliation-schedule/${randomUUID().slice(0, 8)}`;
      const runId = await env.client.workflow.execute(scheduledReconciliationWorkflow, { taskQueue, workflowId: starter, args: [{ connectionId: 'conn', provider: PROVIDER }] });
      const s = await env.client.workflow.getHandle<typeof reconciliationWorkflow>(runId).result();
      const executions: Execution[] = [{ workflowId: starter }, { workflowId: runId }];
      return [...executions, ...s.chunks.map((c) => ({ workflowId: c.workflowId }))];
    });
  },
};

const globalSync: Recipe = {
  name: 'global-sync',
  async run(env, bundle) {
    let autoSync = true;
    const tally = { pushed: 0, unchanged: 0, failed: 0, skipped: 0 };
    const activities: GlobalSyncActivities = {
      async planGlobalSync() {
        return { autoSync, psa: 'connectwise', linked: { customer: 3, product: 2, subscription: 0 } };
      },
      async syncPage({ kind, skip, limit }): Promise<SyncPageResult> {
        if (kind === 'product') throw ApplicationFailure.nonRetryable('connectwise PATCH /procurement/catalog/9 refused: 400 Bad Request', 'PsaError.refused');
        const n = Math.min(limit, 3 - skip);
        return { kind, skip, ...tally, pushed: n - 1, unchanged: 1, problems: skip === 0 ? [{ kind, platformId: 'cust-2', outcome: 'failed', reason: 'company 7 not found in ConnectWise' }] : [] };
      },
      async syncEntity({ kind, platformId }) {
        return { kind, platformId, outcome: 'pushed', fields: ['name'] };
      },
    };
    return withWorker(env, bundle, activities, async (taskQueue) => {
      const id = (what: string) => `global-sync/conn/${what}-${randomUUID().slice(0, 8)}`;
      const full = id('full');
      const one = id('entity');
      const scheduled = id('scheduled');
      await env.client.workflow.execute(globalSyncWorkflow, { taskQueue, workflowId: full, args: [{ connectionId: 'conn', pageSize: 2, parallelPages: 2 }] });
      await env.client.workflow.execute(globalSyncWorkflow, { taskQueue, workflowId: one, args: [{ connectionId: 'conn', entity: { kind: 'customer', platformId: 'cust-1' } }] });
      autoSync = false;
      await env.client.workflow.execute(globalSyncWorkflow, { taskQueue, workflowId: scheduled, args: [{ connectionId: 'conn', scheduled: true }] });
      return [{ workflowId: full }, { workflowId: one }, { workflowId: scheduled }];
    });
  },
};

export const reconciliationRecipes: Recipe[] = [reconciliationMonth, reconciliationScheduled, globalSync];
