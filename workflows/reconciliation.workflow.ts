/**
 * Monthly billing reconciliation (docs/billing-rules.md §6): one run per (connection, provider,
 * billing month), id `reconciliation/<connectionId>/<provider-slug>/<YYYY-MM>`.
 *
 * From the provider's cutover start it checks once a day, for up to 15 days, whether both
 * invoices of each mapped subscription exist and whether the PSA agrees with them; the status of
 * each (subscription, month) follows the §6 table (domain `reconciliationStatus`). Discrepancies
 * wait for a human accept/reject; an accept posts cost and price, never quantity.
 *
 * At any size (docs/reconciliation.md): the run lists the month's subscriptions into chunks of
 * at most CHUNK_SIZE in the database (a heartbeating activity, page by page) and runs one child
 * workflow per chunk (reconciliation-chunk.workflow.ts), which holds that chunk's items and takes
 * the decisions on them. The run itself holds only dates, counts and the list of chunks, so its
 * state, query and continue-as-new input do not grow with the month. It ends when every chunk
 * has (every item reconciled or rejected, or the window closed with nothing waiting for a human,
 * or the decision deadline passed).
 */
import {
  ApplicationFailure,
  ParentClosePolicy,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { ReconciliationActivities } from '../activities/reconciliation/reconciliation.activities';
import { cutoverWindow, DEFAULT_CUTOVER_CALENDAR } from '../domain/cutover-calendar';
import { addDays, firstOfMonth, isoDateOf, monthOf, toDayNumber, type IsoDate } from '../domain/dates';
import type { PsaKind } from '../domain/psa-operations';
import { chunkCheckSignal, chunkReportSignal, reconciliationStateQuery } from './reconciliation-messages';
import { reconciliationChunkWorkflowId, reconciliationWorkflowId, zeroCounts, type ChunkSummary, type ReconciliationRunState, type ReconciliationWorkflowInput } from '../contracts/reconciliation';
import { reconciliationChunkWorkflow } from './reconciliation-chunk.workflow';
import { reconciliationSummary, sumCounts } from './reconciliation-summary';
import { PsaBillingMonth, PsaConnectionId, PsaProvider, PsaType } from './search-attributes';

// The listing walks every platform subscription of the provider, a page at a time with a
// heartbeat after each; a retried attempt goes on from its last heartbeat.
const { listReconciliationSubjects } = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 10 },
});

const DAY_MS = 86_400_000;
/** How long after the cutover end a run waits for decisions (the spec sets no limit; see docs/reconciliation.md). */
export const DECISION_WAIT_DAYS = 45;

export async function reconciliationWorkflow(input: ReconciliationWorkflowInput): Promise<ReconciliationRunState> {
  const s = input.carried ?? openRun(input);
  const run = { connectionId: s.connectionId, provider: s.provider, month: s.billingMonth };

  setHandler(reconciliationStateQuery, () => s, { description: 'Dates, counts per status and chunks of the run (items: the chunks\' state queries, the API or the log)' });
  setHandler(chunkReportSignal, (r) => {
    const c = s.chunks.find((x) => x.chunk === r.chunk);
    if (!c) return;
    Object.assign(c, { items: r.items, counts: r.counts, finished: r.finished, checksDone: Math.max(c.checksDone, r.checksDone) });
    totals();
  });

  publish();
  while (!finished()) {
    await condition(() => checkDue() || finished(), msUntilNextWake());
    if (checkDue()) await dailyCheck();
    publish();
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > 2_000) {
      await continueAsNew<typeof reconciliationWorkflow>({ connectionId: s.connectionId, provider: s.provider, billingMonth: s.billingMonth, carried: s });
    }
  }
  s.finished = true;
  publish();
  return s;

  /** §6 daily check: list the mapped subscriptions into chunks, then ask each open chunk to check. */
  async function dailyCheck(): Promise<void> {
    s.remainingChecks = s.remainingChecks.filter((d) => d > today()); // one check even after days of downtime
    s.checksDone += 1;
    const withinWindow = s.remainingChecks.length > 0;
    const listed = await listReconciliationSubjects({ ...run, closedChunks: s.chunks.filter((c) => c.finished).map((c) => c.chunk) });
    s.psa = listed.psa;
    for (const { chunk, items } of listed.chunks) {
      const known = s.chunks.find((c) => c.chunk === chunk);
      if (known) {
        // Joined by newcomers just as it finished (the listing saw it open): it runs again and
        // takes them; its settled items keep their recorded statuses.
        if (items > known.items && known.finished) {
          await startChunk(chunk, listed.psa);
          known.finished = false;
        }
        known.items = Math.max(known.items, items);
        continue;
      }
      s.chunks.push({ chunk, workflowId: await startChunk(chunk, listed.psa), items, counts: zeroCounts(), checksDone: 0, finished: false });
    }
    totals();
    await Promise.all(s.chunks.filter((c) => !c.finished).map((c) => ask(c, { check: s.checksDone, withinWindow })));
  }

  async function startChunk(chunk: number, psa: PsaKind): Promise<string> {
    const workflowId = reconciliationChunkWorkflowId(s.connectionId, s.provider, s.billingMonth, chunk);
    try {
      await startChild(reconciliationChunkWorkflow, {
        workflowId,
        args: [{ connectionId: s.connectionId, provider: s.provider, billingMonth: s.billingMonth, chunk, psa, decisionDeadline: s.decisionDeadline }],
        // Chunks outlive a continue-as-new of the run (the run reaches them by id).
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      // A chunk left running by an earlier run of the month (e.g. one that was terminated) goes on.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    return workflowId;
  }

  async function ask(c: ChunkSummary, check: { check: number; withinWindow: boolean }): Promise<void> {
    try {
      await getExternalWorkflowHandle(c.workflowId).signal(chunkCheckSignal, check);
    } catch {
      // The chunk finished as its report was on the way: nothing left to check there.
      c.finished = true;
    }
  }

  function totals(): void {
    s.total = s.chunks.reduce((n, c) => n + c.items, 0);
    s.counts = sumCounts(s.chunks.map((c) => c.counts));
  }

  function today(): IsoDate {
    return isoDateOf(Date.now());
  }
  function checkDue(): boolean {
    return s.remainingChecks.length > 0 && s.remainingChecks[0]! <= today();
  }
  function finished(): boolean {
    if (today() >= s.decisionDeadline) return true;
    const allDone = s.chunks.every((c) => c.finished);
    if (s.checksDone > 0 && s.chunks.length > 0 && allDone) return true;
    return s.remainingChecks.length === 0 && allDone;
  }
  /** Until 00:00 UTC of the next check, or of the decision deadline once the window has closed. */
  function msUntilNextWake(): number {
    const next = s.remainingChecks[0] ?? s.decisionDeadline;
    return Math.max(1, toDayNumber(next) * DAY_MS - Date.now());
  }

  function publish(): void {
    upsertSearchAttributes([
      { key: PsaConnectionId, value: s.connectionId },
      { key: PsaProvider, value: s.provider },
      { key: PsaBillingMonth, value: s.billingMonth },
      ...(s.psa ? [{ key: PsaType, value: s.psa }] : []),
    ]);
    upsertMemo({ summary: reconciliationSummary(s) });
  }
}

/** A new run: the billing month and its cutover window (§6 table, or the connection's override). */
function openRun(input: ReconciliationWorkflowInput): ReconciliationRunState {
  const today = isoDateOf(Date.now());
  const billingMonth = input.billingMonth ?? monthOf(addDays(firstOfMonth(today), -1));
  const calendar = input.cutover ? [{ provider: input.provider, ...input.cutover }] : DEFAULT_CUTOVER_CALENDAR;
  const window = cutoverWindow(input.provider, billingMonth, calendar);
  if (!window) throw ApplicationFailure.nonRetryable(`provider "${input.provider}" is not in the cutover calendar`, 'UnknownProvider');
  // Started on (or after) the cutover start: check now, then on each remaining day. Started
  // after the window (e.g. by hand): one check, which closes the window at once.
  const future = window.checkDates.filter((d) => d > today);
  const remainingChecks = today >= window.start ? [today, ...future] : future;
  return {
    connectionId: input.connectionId,
    provider: window.provider,
    billingMonth,
    psa: null,
    window: { start: window.start, end: window.end, checkDates: window.checkDates },
    remainingChecks,
    checksDone: 0,
    // Started by hand long after the window (an old month re-checked): the wait for decisions
    // counts from the start, else the run would end before anyone could decide.
    decisionDeadline: addDays(today > window.end ? today : window.end, DECISION_WAIT_DAYS),
    total: 0,
    counts: zeroCounts(),
    chunks: [],
    finished: false,
  };
}

export interface ScheduledReconciliationInput {
  connectionId: string;
  provider: string;
  cutover?: ReconciliationWorkflowInput['cutover'];
}

/**
 * What a provider's Schedule starts at its cutover start, 00:00 UTC. Scheduled runs get a
 * timestamped id, so this starts the month's run under its business id (abandoned child: it
 * outlives this starter) and returns that id; a run already going for the month is left alone.
 */
export async function scheduledReconciliationWorkflow(input: ScheduledReconciliationInput): Promise<string> {
  const billingMonth = monthOf(addDays(firstOfMonth(isoDateOf(Date.now())), -1));
  const workflowId = reconciliationWorkflowId(input.connectionId, input.provider, billingMonth);
  try {
    await startChild(reconciliationWorkflow, {
      workflowId,
      args: [{ ...input, billingMonth }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return workflowId;
}
