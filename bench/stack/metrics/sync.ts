/**
 * Metric 5 — the global sync of N records. A connection of its own with N platform customers,
 * each mapped ("map only", so nothing is recorded as pushed yet) to a ConnectWise company.
 * `POST /api/sync { connectionId }` starts the on-demand globalSyncWorkflow; timed from the
 * request to the workflow's result, twice: the first run pushes every customer (one PATCH
 * each), the second finds nothing changed (no PSA write). PSA writes are counted by the
 * sandbox. Baseline: one bare workflow PATCHing the same N companies in pages of 100, 4 pages
 * at a time (our sync's shape), with no database.
 */
import { BARE_TASK_QUEUE } from '../../baseline/messages';
import type { RunContext } from '../context';
import { requestCount, WRITE_ROUTES } from '../landing';
import { ratio, round } from '../stats';

export interface SyncRun {
  seconds: number;
  psaWrites: number;
  totals: Record<string, unknown> | null;
}

export interface SyncFigures {
  n: number;
  first: SyncRun;
  second: SyncRun;
  baseline: SyncRun;
  ratio: number;
}

export async function measureSync(ctx: RunContext): Promise<SyncFigures> {
  const n = ctx.options.syncRecords;
  const conn = await ctx.world.createConnection('cw-sync', 'connectwise');
  ctx.connections.set(conn.id, conn);
  ctx.log(`sync: preparing ${n} mapped customers…`);
  const slots = await ctx.world.seedSlots('connectwise', n, 'Bench sync');
  await ctx.world.addCustomers(conn.id, slots.map((_, i) => `s-${String(i + 1).padStart(5, '0')}`), slots, 'Sync customer');
  const writes = () => requestCount(ctx.stack.cw.url, WRITE_ROUTES.cwCompanies);

  const run = async (): Promise<SyncRun> => {
    const before = await writes();
    const t0 = Date.now();
    const { runs } = await ctx.world.api.call<{ runs: Array<{ workflowId: string }> }>('POST', '/api/sync', { connectionId: conn.id });
    const result = await ctx.stack.client.workflow.getHandle(runs[0]!.workflowId).result() as Record<string, unknown>;
    const seconds = round((Date.now() - t0) / 1000, 2);
    const { pushed, unchanged, failed, skipped, failedPages } = result;
    return { seconds, psaWrites: (await writes()) - before, totals: { pushed, unchanged, failed, skipped, failedPages } };
  };
  ctx.log('sync: first run (pushes every customer)…');
  const first = await run();
  ctx.log('sync: second run (nothing changed)…');
  const second = await run();

  ctx.log('sync: baseline…');
  const before = await writes();
  const t0 = Date.now();
  const bare = await ctx.stack.client.workflow.execute('bareSyncWorkflow', {
    taskQueue: BARE_TASK_QUEUE,
    workflowId: `bench-bare/sync-${Date.now()}`,
    args: [{ companyIds: slots.map((s) => s.companyId), pageSize: 100, parallel: 4 }],
  });
  const baseline: SyncRun = { seconds: round((Date.now() - t0) / 1000, 2), psaWrites: (await writes()) - before, totals: bare as Record<string, unknown> };
  return { n, first, second, baseline, ratio: ratio(first.seconds, baseline.seconds) };
}
