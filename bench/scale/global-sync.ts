/**
 * A global sync of N mapped customers on the real stack (docs/operations.md "Global sync"):
 * Temporal dev server, FerretDB, the ConnectWise sandbox, the real worker.
 *
 *   node --import tsx bench/scale/global-sync.ts [N=10000]
 *
 * Seeds N platform customers, a PSA company for each in the sandbox and the customer mappings
 * (linked, never synced), then runs the global sync twice: the first pushes every record (one
 * PATCH each), the second finds nothing changed (no PSA call; the per-record cost is then the
 * store's alone). Prints both runs' time, pages and memory as JSON.
 */
import { mapConcurrent } from '../../activities/parallel';
import type { GlobalSyncResult } from '../../workflows/global-sync.workflow';
import { loadAverage, runScale, secondsSince } from './scale-stack';

const N = Number(process.argv[2] ?? 10_000);

runScale(`sync_${N}`, async (stack, report) => {
  const { rt, connectionId, cw } = stack;
  report.customers = N;
  const gateway = await rt.gateways.forConnection(connectionId);
  const t0 = Date.now();
  await mapConcurrent([...Array(N).keys()], 8, async (i) => {
    const id = `cust-${String(i).padStart(6, '0')}`;
    await rt.store.platform.upsertCustomer({ id, name: `Customer ${i}`, address: `${i} Park Row`, city: 'Leeds', zip: 'LS1 5AB' });
    const { id: psaId } = await gateway.createCompany({ name: `Customer ${i}`, identifier: `C${i}` });
    await rt.store.mappings.customers.markMapped(connectionId, id, { psaId }, { display: { label: `Customer ${i}` } });
  });
  report.seedSeconds = secondsSince(t0);

  const sync = async (n: number) => {
    cw.traffic.clear();
    const t = Date.now();
    const r: GlobalSyncResult = await rt.temporal.workflow.execute('globalSyncWorkflow', { taskQueue: stack.taskQueue, workflowId: `global-sync/${connectionId}/bench-${n}`, args: [{ connectionId }] });
    const requests = cw.traffic.snapshot().byRoute;
    return { seconds: secondsSince(t), pushed: r.pushed, unchanged: r.unchanged, failed: r.failed, failedPages: r.failedPages.length, psaRequests: requests, loadAverage: loadAverage() };
  };
  report.firstSync = await sync(1);
  report.memoryAfterFirst = stack.memory();
  report.nothingChanged = await sync(2);
  report.memoryAtEnd = stack.memory();
});
