/**
 * A month's reconciliation run as its callers see it (the admin API, and through it the CLI and
 * the console): start it, read its state with one page of items, and carry out decisions.
 *
 * The run's items live in its chunk workflows (docs/reconciliation.md "At any size"), so this is
 * where a request is routed: a page of items is read from the chunks that hold it; a decision on
 * named subscriptions goes to the chunks holding them (which chunk holds which subscription is in
 * the database, written by the run's listing), after every chunk involved has said it would take
 * it — all or nothing, with each refusal's reason; `all` goes to every open chunk.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ConflictError, NotFoundError, parseInput, type Store } from '../activities/store';
import {
  MAX_ITEMS_PAGE,
  reconciliationWorkflowId,
  type DecisionRequest,
  type DecisionResult,
  type ItemsPageRequest,
  type ReconciliationRunState,
  type ReconciliationRunView,
  type ReconciliationWorkflowInput,
} from '../contracts/reconciliation';
import { DecisionRequestSchema, notPartOf, nothingTo, type DecisionAction } from '../workflows/reconciliation-decisions';
import { acceptUpdate, chunkStateQuery, decisionProblemsQuery, reconciliationStateQuery, rejectUpdate, retryUpdate } from '../workflows/reconciliation-messages';
import { reconciliationWorkflow } from '../workflows/reconciliation.workflow';

export interface ReconciliationRunsDeps {
  temporal: Client;
  taskQueue: string;
  store: Pick<Store, 'reconciliations'>;
}

/** (connection, provider as named or as its slug, billing month). */
export interface RunRef {
  connectionId: string;
  provider: string;
  month: string;
}

const UPDATES = { accept: acceptUpdate, reject: rejectUpdate, retry: retryUpdate } as const;
const DEFAULT_PAGE = 100;

/** Temporal's answers in the store's error shapes (the API turns them into 404 / 409). */
async function temporalCall<T>(workflowId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) throw new NotFoundError('reconciliation run', workflowId);
    if (e instanceof WorkflowUpdateFailedError) throw new ConflictError(e.cause?.message ?? e.message);
    if (e instanceof Error && /already completed|workflow execution.*(closed|completed)/i.test(e.message)) {
      throw new ConflictError(`the reconciliation run ${workflowId} has ended; its records are in the log`);
    }
    throw e;
  }
}

export function createReconciliationRuns(deps: ReconciliationRunsDeps) {
  const handleOf = (workflowId: string) => deps.temporal.workflow.getHandle(workflowId);
  const runId = (r: RunRef) => reconciliationWorkflowId(r.connectionId, r.provider, r.month);

  async function summary(r: RunRef): Promise<ReconciliationRunState> {
    const workflowId = runId(r);
    return temporalCall(workflowId, () => handleOf(workflowId).query(reconciliationStateQuery));
  }

  /** Items `offset`.. of the run, in chunk order, read from the chunks that hold them. */
  async function items(s: ReconciliationRunState, offset: number, limit: number) {
    const out: ReconciliationRunView['items'] = [];
    let skip = offset;
    for (const c of [...s.chunks].sort((a, b) => a.chunk - b.chunk)) {
      if (out.length >= limit) break;
      if (skip >= c.items) {
        skip -= c.items;
        continue;
      }
      const page = await temporalCall(c.workflowId, () => handleOf(c.workflowId).query(chunkStateQuery, { offset: skip, limit: limit - out.length }));
      out.push(...page.items);
      skip = 0;
    }
    return out;
  }

  return {
    /** Starts the month's run now (or finds the one going: same business id). */
    async start(r: RunRef): Promise<{ workflowId: string; runId: string }> {
      const workflowId = runId(r);
      const input: ReconciliationWorkflowInput = { connectionId: r.connectionId, provider: r.provider, billingMonth: r.month };
      const handle = await deps.temporal.workflow.start(reconciliationWorkflow, { workflowId, taskQueue: deps.taskQueue, args: [input], workflowIdConflictPolicy: 'USE_EXISTING' });
      return { workflowId, runId: handle.firstExecutionRunId };
    },

    summary,

    /** The run's state with one page of its items (default the first 100, at most 500). */
    async view(r: RunRef, page: ItemsPageRequest = {}): Promise<ReconciliationRunView> {
      const s = await summary(r);
      const offset = Math.max(0, Math.trunc(page.offset ?? 0));
      const limit = Math.min(Math.max(0, Math.trunc(page.limit ?? DEFAULT_PAGE)), MAX_ITEMS_PAGE);
      return { ...s, items: await items(s, offset, limit), page: { offset, limit, total: s.total } };
    },

    /**
     * Accept / reject / retry. Named subscriptions: refused as a whole (409 with every reason)
     * unless each is in the run and its chunk would take it; `all`: every open chunk's eligible
     * items. Answers each item's new status, in the order asked (chunk order for `all`).
     */
    async decide(r: RunRef, action: DecisionAction, request: DecisionRequest): Promise<DecisionResult> {
      const req = parseInput(DecisionRequestSchema, request);
      const s = await summary(r);
      if (s.finished) throw new ConflictError(`the reconciliation run ${runId(r)} has ended; its records are in the log`);
      const update = UPDATES[action];
      const chunkId = (n: number) => s.chunks.find((c) => c.chunk === n)?.workflowId;

      if (req.all) {
        const open = s.chunks.filter((c) => !c.finished).sort((a, b) => a.chunk - b.chunk);
        const settled = await Promise.allSettled(open.map((c) => temporalCall(c.workflowId, () => handleOf(c.workflowId).executeUpdate(update, { args: [req] }))));
        const taken = settled.flatMap((x) => (x.status === 'fulfilled' ? x.value.items : []));
        // A chunk with nothing eligible refuses, and one may have closed meanwhile: neither is an error of the whole.
        const failure = settled.find((x): x is PromiseRejectedResult => x.status === 'rejected' && !(x.reason instanceof ConflictError));
        if (failure) throw failure.reason;
        if (taken.length === 0) throw new ConflictError(nothingTo(action, s.billingMonth, s.provider));
        return { items: taken };
      }

      const ids = [...new Set(req.subscriptionIds ?? [])];
      const home = new Map<string, number>();
      for (const m of await deps.store.reconciliations.chunkMembers({ connectionId: s.connectionId, provider: s.provider, month: s.billingMonth })) {
        for (const id of m.subscriptionIds) home.set(id, m.chunk);
      }
      const groups = new Map<string, string[]>();
      const problems: string[] = [];
      for (const id of ids) {
        const at = home.get(id);
        const workflowId = at === undefined ? undefined : chunkId(at);
        if (!workflowId) problems.push(notPartOf(id, s));
        else groups.set(workflowId, [...(groups.get(workflowId) ?? []), id]);
      }
      const requestOf = (subscriptionIds: string[]): DecisionRequest => ({ ...req, subscriptionIds });
      // Every chunk involved is asked first, so a refusal anywhere leaves everything untouched.
      for (const [workflowId, group] of groups) {
        problems.push(...(await temporalCall(workflowId, () => handleOf(workflowId).query(decisionProblemsQuery, action, requestOf(group)))));
      }
      if (problems.length > 0) {
        const order = (p: string) => ids.findIndex((id) => p.startsWith(`${id}:`));
        throw new ConflictError(problems.sort((a, b) => order(a) - order(b)).join('; '));
      }
      const answers = await Promise.all([...groups].map(([workflowId, group]) => temporalCall(workflowId, () => handleOf(workflowId).executeUpdate(update, { args: [requestOf(group)] }))));
      const byId = new Map(answers.flatMap((a) => a.items.map((i) => [i.subscriptionId, i] as const)));
      return { items: ids.map((id) => byId.get(id)!).filter(Boolean) };
    },
  };
}

export type ReconciliationRuns = ReturnType<typeof createReconciliationRuns>;
