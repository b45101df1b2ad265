/**
 * The global sync of one PSA connection (docs/billing-rules.md §2, seed 004 "Global Sync Rules"):
 * daily at 00:00 UTC from the `global-sync/<connectionId>` schedule while autoSync is on, and
 * on demand — for the whole connection or one record ("Map & Sync", `sync run --entity`).
 *
 * It fans out in pages of linked records, a few pages at a time, so 10,000 mapped records make
 * about a hundred activity calls, not a hundred thousand history events. Each record's outcome
 * lands on its mapping (synced / failed with the PSA's message); the run returns the totals and
 * shows them in its memo.
 */
import { patched, proxyActivities, upsertMemo } from '@temporalio/workflow';
import type { DriftActivities, DriftPageResult, DriftRow } from '../activities/sync/drift.activities';
import type { GlobalSyncActivities, SyncEntityResult, SyncKind, SyncPageResult, SyncTally } from '../activities/sync/global-sync.activities';

const { planGlobalSync } = proxyActivities<GlobalSyncActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumInterval: '1 minute', maximumAttempts: 10 },
});
// A page is up to `pageSize` PSA round trips; transient PSA errors retry the page, and records
// already pushed are `unchanged` the second time round (their hash was stored).
const { syncPage, syncEntity } = proxyActivities<GlobalSyncActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '2 minutes', maximumAttempts: 8 },
});

// Drift (docs/adopt-and-drift.md): the owned lines of every mapped subscription vs its ledger.
const { checkDrift } = proxyActivities<DriftActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '2 minutes', maximumAttempts: 8 },
});

export interface GlobalSyncInput {
  connectionId: string;
  /** One record only (on-demand sync). */
  entity?: { kind: SyncKind; platformId: string };
  /** Started by the schedule: runs only while the connection's autoSync is on (§2). */
  scheduled?: boolean;
  /** Records per activity (default 100). */
  pageSize?: number;
  /** Pages in flight at once (default 4; the PSA clients limit concurrency per endpoint too). */
  parallelPages?: number;
}

export interface GlobalSyncResult extends SyncTally {
  connectionId: string;
  status: 'completed' | 'skipped-auto-sync-off';
  byKind: Record<SyncKind, SyncTally>;
  /** Failed and skipped records (at most 200 listed; the mappings hold them all). */
  problems: SyncEntityResult[];
  /** Pages whose activity failed even after retries (their records were not all visited). */
  failedPages: Array<{ kind: SyncKind; skip: number; error: string }>;
  /** Owned lines compared with the ledgers (absent on runs started before drift existed, and on one-record syncs). */
  drift?: { checked: number; drifted: number; findings: DriftRow[]; error?: string };
}

const MAX_PROBLEMS_LISTED = 200;
const emptyTally = (): SyncTally => ({ pushed: 0, unchanged: 0, failed: 0, skipped: 0 });

export async function globalSyncWorkflow(input: GlobalSyncInput): Promise<GlobalSyncResult> {
  const result: GlobalSyncResult = {
    connectionId: input.connectionId,
    status: 'completed',
    ...emptyTally(),
    byKind: { customer: emptyTally(), product: emptyTally(), subscription: emptyTally() },
    problems: [],
    failedPages: [],
  };
  const add = (kind: SyncKind, t: SyncTally, problems: SyncEntityResult[]) => {
    for (const k of ['pushed', 'unchanged', 'failed', 'skipped'] as const) {
      result[k] += t[k];
      result.byKind[kind][k] += t[k];
    }
    result.problems.push(...problems.slice(0, Math.max(0, MAX_PROBLEMS_LISTED - result.problems.length)));
  };

  if (input.entity) {
    const r = await syncEntity({ connectionId: input.connectionId, ...input.entity });
    add(input.entity.kind, { ...emptyTally(), [r.outcome]: 1 }, r.outcome === 'failed' || r.outcome === 'skipped' ? [r] : []);
    return finish(result, input);
  }

  const plan = await planGlobalSync({ connectionId: input.connectionId });
  if (input.scheduled && !plan.autoSync) return finish({ ...result, status: 'skipped-auto-sync-off' }, input);

  // Customers and products before subscriptions, as the seed's setup order has it.
  const pageSize = input.pageSize ?? 100;
  const pages: Array<{ kind: SyncKind; skip: number }> = [];
  for (const kind of ['customer', 'product', 'subscription'] as const) {
    for (let skip = 0; skip < plan.linked[kind]; skip += pageSize) pages.push({ kind, skip });
  }
  const parallel = Math.max(1, input.parallelPages ?? 4);
  for (let i = 0; i < pages.length; i += parallel) {
    const batch = pages.slice(i, i + parallel);
    const settled = await Promise.allSettled(batch.map((p) => syncPage({ connectionId: input.connectionId, ...p, limit: pageSize })));
    settled.forEach((s, j) => {
      const p = batch[j]!;
      if (s.status === 'fulfilled') add(p.kind, s.value satisfies SyncPageResult, s.value.problems);
      else result.failedPages.push({ ...p, error: s.reason instanceof Error ? s.reason.message : String(s.reason) });
    });
    upsertMemo({ summary: `${summaryOf(result)} — page ${Math.min(i + parallel, pages.length)}/${pages.length}` });
  }
  if (patched('drift-check')) result.drift = await driftOf(input.connectionId, pageSize);
  return finish(result, input);
}

/** Every mapped subscription's owned lines vs its ledger, page by page; a page that fails ends the check with its error. */
async function driftOf(connectionId: string, pageSize: number): Promise<NonNullable<GlobalSyncResult['drift']>> {
  const drift: NonNullable<GlobalSyncResult['drift']> = { checked: 0, drifted: 0, findings: [] };
  for (let skip: number | null = 0; skip !== null; ) {
    try {
      const page: DriftPageResult = await checkDrift({ connectionId, skip, limit: pageSize });
      drift.checked += page.checked;
      drift.drifted += page.drifted;
      drift.findings.push(...page.findings.slice(0, Math.max(0, MAX_PROBLEMS_LISTED - drift.findings.length)));
      skip = page.next;
    } catch (e) {
      drift.error = e instanceof Error ? e.message : String(e);
      break;
    }
  }
  return drift;
}

function summaryOf(r: GlobalSyncResult): string {
  const pages = r.failedPages.length ? `, ${r.failedPages.length} page(s) failed` : '';
  const drift = r.drift ? `; drift on ${r.drift.drifted} of ${r.drift.checked} subscription(s)${r.drift.error ? ` (check failed: ${r.drift.error})` : ''}` : '';
  return `Global sync of ${r.connectionId}: ${r.pushed} pushed, ${r.unchanged} unchanged, ${r.failed} failed, ${r.skipped} skipped${pages}${drift}`;
}

function finish(r: GlobalSyncResult, input: GlobalSyncInput): GlobalSyncResult {
  upsertMemo({
    summary: r.status === 'skipped-auto-sync-off' ? `Global sync of ${r.connectionId} skipped: autoSync is off` : summaryOf(r),
    startedBy: input.scheduled ? 'schedule' : 'on demand',
    ...(input.entity ? { entity: `${input.entity.kind}:${input.entity.platformId}` } : {}),
  });
  return r;
}
