/**
 * Monthly billing reconciliation (docs/billing-rules.md §6): one run per (connection, provider,
 * billing month), id `reconciliation/<connectionId>/<provider-slug>/<YYYY-MM>`.
 *
 * From the provider's cutover start it checks once a day, for up to 15 days, whether both
 * invoices of each mapped subscription exist and whether the PSA agrees with them; the status of
 * each (subscription, month) follows the §6 table (domain `reconciliationStatus`). Discrepancies
 * wait for a human accept/reject (Updates with validators); an accept posts cost and price,
 * never quantity. The run ends when every item is reconciled or rejected, or once the window
 * has closed and nothing waits for a human (items waiting keep it open, up to a deadline).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
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
import { reconciliationStatus, type ReconciliationInput, type ReconciliationOutcome } from '../domain/reconciliation';
import { acceptUpdate, reconciliationStateQuery, rejectUpdate, retryUpdate } from './reconciliation-messages';
import { reconciliationWorkflowId, type DecisionRequest, type DecisionResult, type ReconciliationItem, type ReconciliationRunState, type ReconciliationWorkflowInput } from '../contracts/reconciliation';
import { checkDecision, type DecisionAction } from './reconciliation-decisions';
import { reconciliationSummary } from './reconciliation-summary';
import { PsaBillingMonth, PsaConnectionId, PsaProvider, PsaType } from './search-attributes';

const { listReconciliationSubjects, gatherReconciliationFacts, recordReconciliations, decideReconciliation } = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '5 minutes',
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
/** Facts are collected and recorded in chunks, so no activity payload grows with the month. */
const CHUNK = 50;
/** How long after the cutover end a run waits for decisions (the spec sets no limit; see docs/reconciliation.md). */
export const DECISION_WAIT_DAYS = 45;
const TERMINAL = new Set(['reconciled', 'rejected']);
const AWAITING_HUMAN = new Set(['pending-review', 'failed', 'failed-review']);

export async function reconciliationWorkflow(input: ReconciliationWorkflowInput): Promise<ReconciliationRunState> {
  const s = input.carried ?? openRun(input);
  const run = { connectionId: s.connectionId, provider: s.provider, month: s.billingMonth };

  setHandler(reconciliationStateQuery, () => s, { description: 'Every subscription of the run with its status, reason, facts and decision' });
  for (const [update, action] of [[acceptUpdate, 'accept'], [rejectUpdate, 'reject'], [retryUpdate, 'retry']] as const) {
    setHandler(update, (req) => decide(action, req), {
      validator: (req) => checkDecision(s, action, req),
      description: action === 'retry' ? 'Retry failed / failed-review items' : `${action} pending-review items (ids or all)`,
    });
  }

  publish();
  while (!finished()) {
    await condition(() => s.queue.length > 0 || checkDue(), msUntilNextWake());
    await carryOutDecisions();
    if (checkDue()) await dailyCheck();
    publish();
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > 2_000) {
      await drainHandlers();
      await continueAsNew<typeof reconciliationWorkflow>({ connectionId: s.connectionId, provider: s.provider, billingMonth: s.billingMonth, carried: s });
    }
  }
  await drainHandlers();
  s.finished = true;
  publish();
  return s;

  /** §6 daily check: list the mapped subscriptions, collect facts, compute and record statuses. */
  async function dailyCheck(): Promise<void> {
    s.remainingChecks = s.remainingChecks.filter((d) => d > today()); // one check even after days of downtime
    s.checksDone += 1;
    const withinWindow = s.remainingChecks.length > 0;
    const { psa, subjects, existing } = await listReconciliationSubjects(run);
    s.psa = psa;
    for (const subject of subjects) {
      if (s.items.some((i) => i.subscriptionId === subject.subscriptionId)) continue;
      const before = existing[subject.subscriptionId];
      s.items.push({
        ...subject,
        status: before?.status ?? 'pending',
        reason: before?.reason ?? 'not checked yet',
        discrepancies: [],
        facts: null,
        decision: before?.decision ?? null,
        error: null,
        checks: 0,
        queued: null,
      });
    }
    // pending / failed-review are retried daily; anything without facts yet (e.g. resumed from a
    // previous run of the month) is read once; the others wait for a human or are done.
    const due = s.items.filter((i) => !i.queued && !TERMINAL.has(i.status) && (i.status === 'pending' || i.status === 'failed-review' || !i.facts));
    await check(due, withinWindow);
  }

  async function check(items: ReconciliationItem[], withinWindow: boolean): Promise<void> {
    for (let i = 0; i < items.length; i += CHUNK) {
      const chunk = items.slice(i, i + CHUNK);
      const facts = await gatherReconciliationFacts({ ...run, subscriptionIds: chunk.map((c) => c.subscriptionId) });
      for (const item of chunk) {
        item.facts = facts[item.subscriptionId] ?? null;
        item.checks += 1;
        if (item.facts) apply(item, reconciliationStatus({ ...item.facts, withinWindow }));
      }
      await record(chunk);
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
    // The note is optional data on the same activity call: histories without it replay unchanged.
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
        await postAcceptedReconciliation({ ...run, psa: s.psa!, subject: item, facts: item.facts! });
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
    else await check([item], s.remainingChecks.length > 0);
  }

  function outcome(item: ReconciliationItem, postResult?: ReconciliationInput['post']): ReconciliationOutcome {
    return reconciliationStatus({ ...item.facts!, decision: item.decision?.action ?? null, post: postResult ?? null, withinWindow: s.remainingChecks.length > 0 });
  }

  function apply(item: ReconciliationItem, o: ReconciliationOutcome): void {
    item.status = o.status;
    item.reason = o.reason;
    item.discrepancies = o.discrepancies;
    item.error = o.status === 'failed' || o.status === 'failed-review' ? o.reason : null;
  }

  async function record(items: ReconciliationItem[], by?: string): Promise<void> {
    const at = new Date().toISOString();
    for (let i = 0; i < items.length; i += CHUNK) {
      const outcomes = items.slice(i, i + CHUNK).map(({ queued: _q, status, reason, facts, error, discrepancies: _d, decision: _dc, checks: _c, ...subject }) => ({
        subject,
        status,
        reason,
        facts,
        error,
      }));
      await recordReconciliations({ ...run, at, ...(by ? { by } : {}), outcomes });
    }
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

  /** Lets admitted updates finish (they wait for the main loop) before the run ends or continues as new. */
  async function drainHandlers(): Promise<void> {
    while (!allHandlersFinished()) {
      await condition(() => s.queue.length > 0 || allHandlersFinished());
      await carryOutDecisions();
    }
  }

  function today(): IsoDate {
    return isoDateOf(Date.now());
  }
  function checkDue(): boolean {
    return s.remainingChecks.length > 0 && s.remainingChecks[0]! <= today();
  }
  function finished(): boolean {
    if (s.queue.length > 0) return false;
    if (s.checksDone > 0 && s.items.length > 0 && s.items.every((i) => TERMINAL.has(i.status))) return true;
    if (s.remainingChecks.length > 0) return false;
    return !s.items.some((i) => AWAITING_HUMAN.has(i.status)) || today() >= s.decisionDeadline;
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
    decisionDeadline: addDays(window.end, DECISION_WAIT_DAYS),
    items: [],
    queue: [],
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

function errorMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}
