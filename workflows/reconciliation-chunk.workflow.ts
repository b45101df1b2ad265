/**
 * One chunk of a month's reconciliation run (docs/billing-rules.md §6; docs/reconciliation.md "At any
 * size"): up to CHUNK_SIZE subscriptions, id `reconciliation/<conn>/<provider>/<month>/chunk-<n>`.
 *
 * The run lists the month's subscriptions into chunks in the database and, on each check day,
 * signals every open chunk to check. A chunk takes its new members from the database, collects
 * their facts, computes and records each status (domain `reconciliationStatus`), and holds its
 * items — so its state, queries and continue-as-new input are bounded by the chunk size, not by
 * the month. Human decisions are Updates of the chunk holding the subscription, with validators
 * (a refused one leaves no trace); the chunk's activities alone write its records, so checks and
 * decisions never race. After each check and decision it reports its counts to the run.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { ReconciliationActivities } from '../activities/reconciliation/reconciliation.activities';
import { isoDateOf, toDayNumber, type IsoDate } from '../domain/dates';
import { reconciliationStatus, type ReconciliationInput, type ReconciliationOutcome } from '../domain/reconciliation';
import {
  MAX_ITEMS_PAGE,
  reconciliationWorkflowId,
  type ChunkCheck,
  type ChunkItemsPage,
  type DecisionRequest,
  type DecisionResult,
  type ItemsPageRequest,
  type ReconciliationChunkInput,
  type ReconciliationChunkState,
  type ReconciliationItem,
} from '../contracts/reconciliation';
import { acceptUpdate, chunkCheckSignal, chunkReportSignal, chunkStateQuery, decisionProblemsQuery, rejectUpdate, retryUpdate } from './reconciliation-messages';
import { checkDecision, decisionProblems, type DecisionAction } from './reconciliation-decisions';
import { monthName, statusCounts } from './reconciliation-summary';

const { loadReconciliationChunk, gatherReconciliationFacts, recordReconciliations, decideReconciliation } = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 10 },
});
// PSA writes: transient errors retry; a refusal (e.g. the line is invoiced) is non-retryable
// and becomes a `failed` item with the PSA's message (§6).
const { postAcceptedReconciliation } = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 12 },
});

const DAY_MS = 86_400_000;
/** Items per gather / record activity: one batch read of mappings, invoices by `_id`, a few PSA reads at a time. */
export const CHECK_BATCH = 100;
const DEFAULT_PAGE = 100;
const TERMINAL = new Set(['reconciled', 'rejected']);
const AWAITING_HUMAN = new Set(['pending-review', 'failed', 'failed-review']);

export async function reconciliationChunkWorkflow(input: ReconciliationChunkInput): Promise<ChunkItemsPage> {
  const s: ReconciliationChunkState = input.carried ?? {
    connectionId: input.connectionId,
    provider: input.provider,
    billingMonth: input.billingMonth,
    chunk: input.chunk,
    psa: input.psa,
    decisionDeadline: input.decisionDeadline,
    windowOpen: true,
    checksDone: 0,
    pendingChecks: [],
    items: [],
    queue: [],
    finished: false,
  };
  const run = { connectionId: s.connectionId, provider: s.provider, month: s.billingMonth };
  const parent = getExternalWorkflowHandle(reconciliationWorkflowId(s.connectionId, s.provider, s.billingMonth));

  setHandler(chunkStateQuery, (req) => page(req), { description: 'Counts and a page of the chunk\'s items ({ offset, limit }; default the first 100, at most 500)' });
  setHandler(decisionProblemsQuery, (action, req) => decisionProblems(s, action, req).problems, { description: 'Why a decision would be refused (empty: it would be taken)' });
  setHandler(chunkCheckSignal, (c) => {
    if (!s.pendingChecks.some((p) => p.check === c.check) && c.check > s.checksDone) s.pendingChecks.push(c);
  });
  for (const [update, action] of [[acceptUpdate, 'accept'], [rejectUpdate, 'reject'], [retryUpdate, 'retry']] as const) {
    setHandler(update, (req) => decide(action, req), {
      validator: (req) => checkDecision(s, action, req),
      description: action === 'retry' ? 'Retry failed / failed-review items' : `${action} pending-review items (ids or all)`,
    });
  }

  publish();
  while (!finished()) {
    await condition(() => s.queue.length > 0 || s.pendingChecks.length > 0 || finished(), msUntilDeadline());
    const decided = s.queue.length > 0;
    await carryOutDecisions();
    const c = s.pendingChecks.shift();
    if (c) await dailyCheck(c);
    if (c || decided) await report();
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > 2_000) {
      await drainHandlers();
      await continueAsNew<typeof reconciliationChunkWorkflow>({ ...input, carried: s });
    }
  }
  await drainHandlers();
  s.finished = true;
  await report();
  publish();
  return page({ limit: 0 });

  /** §6 daily check: take the chunk's new members, collect facts, compute and record statuses. */
  async function dailyCheck(c: ChunkCheck): Promise<void> {
    const fresh = await loadReconciliationChunk({ ...run, chunk: s.chunk, from: s.items.length });
    for (const { existing, ...subject } of fresh) {
      s.items.push({
        ...subject,
        status: existing?.status ?? 'pending',
        reason: existing?.reason ?? 'not checked yet',
        discrepancies: [],
        facts: null,
        decision: existing?.decision ?? null,
        error: null,
        checks: 0,
        queued: null,
      });
    }
    // pending / failed-review are retried daily; anything without facts yet (e.g. resumed from a
    // previous run of the month) is read once; the others wait for a human or are done.
    const due = s.items.filter((i) => !i.queued && !TERMINAL.has(i.status) && (i.status === 'pending' || i.status === 'failed-review' || !i.facts));
    await check(due, c.withinWindow);
    s.windowOpen = c.withinWindow;
    s.checksDone = c.check;
  }

  async function check(items: ReconciliationItem[], withinWindow: boolean): Promise<void> {
    for (let i = 0; i < items.length; i += CHECK_BATCH) {
      const batch = items.slice(i, i + CHECK_BATCH);
      const facts = await gatherReconciliationFacts({ ...run, subscriptionIds: batch.map((c) => c.subscriptionId) });
      for (const item of batch) {
        item.facts = facts[item.subscriptionId] ?? null;
        item.checks += 1;
        if (item.facts) apply(item, reconciliationStatus({ ...item.facts, withinWindow }));
      }
      await record(batch);
    }
  }

  /** Accept / reject / retry, in the order the updates were admitted. */
  async function carryOutDecisions(): Promise<void> {
    while (s.queue.length > 0) {
      const { subscriptionId, action, by, note } = s.queue[0]!;
      const item = s.items.find((i) => i.subscriptionId === subscriptionId)!;
      try {
        if (action === 'retry') await retry(item);
        else await decideOne(item, action, by, note);
      } finally {
        item.queued = null;
        s.queue.shift();
      }
    }
  }

  async function decideOne(item: ReconciliationItem, action: 'accept' | 'reject', by: string, note: string | undefined): Promise<void> {
    const at = new Date().toISOString();
    const withNote = note ? { note } : {};
    try {
      await decideReconciliation({ ...run, subscriptionId: item.subscriptionId, action, by, at, ...withNote });
    } catch (err) {
      item.error = errorMessage(err);
      return;
    }
    item.decision = { action, by, at, ...withNote };
    if (action === 'reject') {
      apply(item, outcome(item));
      await record([item], by);
      return;
    }
    await post(item, by);
  }

  /** §6 accept: post cost and price (never quantity); a PSA refusal is `failed` with its message. */
  async function post(item: ReconciliationItem, by: string): Promise<void> {
    const planned = outcome(item);
    if (planned.next === 'post') {
      try {
        await postAcceptedReconciliation({ ...run, psa: s.psa, subject: subjectOf(item), facts: item.facts! });
        apply(item, outcome(item, { ok: true }));
      } catch (err) {
        apply(item, outcome(item, { ok: false, error: errorMessage(err) }));
      }
    } else {
      apply(item, planned); // agreed meanwhile: nothing to post
    }
    await record([item], by);
  }

  async function retry(item: ReconciliationItem): Promise<void> {
    if (item.status === 'failed') await post(item, 'admin');
    else await check([item], s.windowOpen);
  }

  function outcome(item: ReconciliationItem, postResult?: ReconciliationInput['post']): ReconciliationOutcome {
    return reconciliationStatus({ ...item.facts!, decision: item.decision?.action ?? null, post: postResult ?? null, withinWindow: s.windowOpen });
  }

  function apply(item: ReconciliationItem, o: ReconciliationOutcome): void {
    item.status = o.status;
    item.reason = o.reason;
    item.discrepancies = o.discrepancies;
    item.error = o.status === 'failed' || o.status === 'failed-review' ? o.reason : null;
  }

  async function record(items: ReconciliationItem[], by?: string): Promise<void> {
    const at = new Date().toISOString();
    const outcomes = items.map((item) => ({ subject: subjectOf(item), status: item.status, reason: item.reason, facts: item.facts, error: item.error }));
    await recordReconciliations({ ...run, at, ...(by ? { by } : {}), outcomes });
  }

  /** Admitted by the validator: queue the items, then answer once the workflow has carried them out. */
  async function decide(action: DecisionAction, req: DecisionRequest): Promise<DecisionResult> {
    const ids = checkDecision(s, action, req);
    const by = req.by ?? 'admin';
    const note = req.note?.trim();
    const entries = ids.map((subscriptionId) => ({ subscriptionId, action, by, ...(note ? { note } : {}) }));
    for (const e of entries) {
      s.items.find((i) => i.subscriptionId === e.subscriptionId)!.queued = action;
      s.queue.push(e);
    }
    await condition(() => entries.every((e) => !s.queue.includes(e)));
    return {
      items: ids.map((id) => {
        const { subscriptionId, status, reason } = s.items.find((i) => i.subscriptionId === id)!;
        return { subscriptionId, status, reason };
      }),
    };
  }

  /** Lets admitted updates finish (they wait for the main loop) before the chunk ends or continues as new. */
  async function drainHandlers(): Promise<void> {
    while (!allHandlersFinished()) {
      await condition(() => s.queue.length > 0 || allHandlersFinished());
      await carryOutDecisions();
    }
  }

  /** Tells the run this chunk's counts; a run that has ended (its deadline passed) no longer listens. */
  async function report(): Promise<void> {
    publish();
    try {
      await parent.signal(chunkReportSignal, { chunk: s.chunk, items: s.items.length, counts: statusCounts(s.items), checksDone: s.checksDone, finished: s.finished });
    } catch {
      // The run has closed: its own deadline ended it; the records are in the log.
    }
  }

  function page(req: ItemsPageRequest = {}): ChunkItemsPage {
    const offset = Math.max(0, Math.trunc(req.offset ?? 0));
    const limit = Math.min(Math.max(0, Math.trunc(req.limit ?? DEFAULT_PAGE)), MAX_ITEMS_PAGE);
    return {
      chunk: s.chunk,
      total: s.items.length,
      counts: statusCounts(s.items),
      checksDone: s.checksDone,
      windowOpen: s.windowOpen,
      finished: s.finished,
      offset,
      items: s.items.slice(offset, offset + limit),
    };
  }

  function today(): IsoDate {
    return isoDateOf(Date.now());
  }
  function finished(): boolean {
    if (s.queue.length > 0 || s.pendingChecks.length > 0) return false;
    // The deadline ends a chunk even if its run stopped asking for checks (e.g. was terminated).
    if (today() >= s.decisionDeadline) return true;
    if (s.checksDone > 0 && s.items.length > 0 && s.items.every((i) => TERMINAL.has(i.status))) return true;
    if (s.windowOpen) return false;
    return !s.items.some((i) => AWAITING_HUMAN.has(i.status));
  }
  /** Until 00:00 UTC of the decision deadline (checks come as signals from the run). */
  function msUntilDeadline(): number {
    return Math.max(1, toDayNumber(s.decisionDeadline) * DAY_MS - Date.now());
  }
  function publish(): void {
    const counts = statusCounts(s.items);
    const parts = Object.entries(counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k.replace('-', ' ')}`);
    upsertMemo({ summary: `${monthName(s.billingMonth)} ${s.provider} on ${s.connectionId}, chunk ${s.chunk}: ${parts.join(', ') || 'no items yet'}.` });
  }
}

function subjectOf(item: ReconciliationItem) {
  const { subscriptionId, customerId, customerName, plan, productId, kind, agreementId } = item;
  return { subscriptionId, productId, kind, ...(customerId ? { customerId } : {}), ...(customerName ? { customerName } : {}), ...(plan ? { plan } : {}), ...(agreementId !== undefined ? { agreementId } : {}) };
}

function errorMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}
