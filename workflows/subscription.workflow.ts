/**
 * One long-lived workflow per subscription (id `subscription/<connectionId>/<subscriptionId>`):
 * it receives the platform's lifecycle events as signals, plans the PSA lines with the pure
 * billing engine in domain/, and applies them through the PSA gateway activity with an
 * idempotency key per operation. Events that arrive before the subscription is mapped wait, in
 * order, and are applied once it is. Delta lines fold into the base line at each month start on
 * a durable timer (billing-rules.md §4 rule 4).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
  type SignalDefinition,
} from '@temporalio/workflow';
import type { createSubscriptionActivities } from '../activities/subscription.activities';
import { isoDateOf, toDayNumber, type IsoDate } from '../domain/dates';
import { applyEvent, checkEvent, foldAt, nextFoldDate, openLedger } from '../domain/ledger';
import type { Ledger, PsaOps } from '../domain/ledger-types';
import type { LedgerInitInput, SubscriptionEventInput } from '../domain/schemas';
import {
  lifecycleSignals,
  retrySync,
  stateQuery,
  subscriptionCreated,
  subscriptionMapped,
  subscriptionUnmapped,
  type HistoryEntry,
  type MappingStatus,
  type SubscriptionMapping,
  type SubscriptionReport,
  type SubscriptionWorkflowState,
} from './messages';
import { PsaConnectionId, PsaCustomerId, PsaMappingStatus, PsaSubscriptionId, PsaType } from './search-attributes';
import { subscriptionSummary } from './summary';

const { recordSubscription, recordSyncFailure, startSpawnedSubscription } = proxyActivities<
  ReturnType<typeof createSubscriptionActivities>
>({ startToCloseTimeout: '30 seconds', retry: { maximumInterval: '1 minute' } });

// PSA writes: transient errors (429, 5xx, timeouts) retry for a while; a PSA validation error
// is non-retryable and surfaces at once as a failed sync the admin can see and retry.
const { applyOperations } = proxyActivities<ReturnType<typeof createSubscriptionActivities>>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 12 },
});

export interface SubscriptionWorkflowInput {
  connectionId: string;
  subscriptionId: string;
  /** State carried across continue-as-new. */
  carried?: CarriedState;
  /** History length after which the run continues as new (default 5,000; tests lower it). */
  historyLimit?: number;
}

interface CarriedState extends SubscriptionWorkflowState {
  inbox: { report: SubscriptionReport | null; mapping: SubscriptionMapping | null; unmap: boolean };
}

const HISTORY_KEPT = 50;
const DAY_MS = 86_400_000;

export async function subscriptionWorkflow(input: SubscriptionWorkflowInput): Promise<void> {
  const { connectionId, subscriptionId } = input;
  const s: CarriedState = input.carried ?? {
    connectionId,
    subscriptionId,
    customerId: null,
    mappingStatus: 'unmapped',
    report: null,
    mapping: null,
    ledger: null,
    lineIds: {},
    pendingEvents: [],
    rejectedEvents: [],
    seq: 0,
    lastError: null,
    lastSyncAt: null,
    nextFoldDate: null,
    history: [],
    inbox: { report: null, mapping: null, unmap: false },
  };
  let retryRequested = false;

  setHandler(stateQuery, () => s, { description: 'Ledger, PSA line ids, mapping status, pending events, last error' });
  setHandler(subscriptionCreated, (report) => void (s.inbox.report = report));
  for (const signal of Object.values(lifecycleSignals)) {
    setHandler(signal as SignalDefinition<[SubscriptionEventInput]>, (event) => void s.pendingEvents.push(event));
  }
  setHandler(subscriptionMapped, (mapping) => {
    s.inbox.mapping = mapping;
    s.inbox.unmap = false;
  });
  setHandler(subscriptionUnmapped, () => {
    s.inbox.unmap = true;
    s.inbox.mapping = null;
  });
  setHandler(retrySync, () => void (retryRequested = true));

  const today = (): IsoDate => isoDateOf(Date.now());
  const failed = () => s.mappingStatus === 'failed';
  const hasWork = () =>
    s.inbox.report !== null ||
    s.inbox.mapping !== null ||
    s.inbox.unmap ||
    retryRequested ||
    (!failed() && s.mapping !== null && ((s.ledger === null && s.report !== null) || (s.ledger !== null && s.pendingEvents.length > 0) || foldDue()));
  const foldDue = () => s.ledger !== null && s.nextFoldDate !== null && s.nextFoldDate <= today();

  publish();
  for (;;) {
    const timeout = untilNextFold();
    if (timeout === undefined) await condition(hasWork);
    else await condition(hasWork, timeout);

    if (s.inbox.report) await takeReport(s.inbox.report);
    if (s.inbox.unmap) takeUnmap();
    if (s.inbox.mapping) takeMapping(s.inbox.mapping);
    if (retryRequested) {
      retryRequested = false;
      if (failed()) setStatus(s.mapping ? 'mapped' : 'unmapped');
    }

    if (s.mapping && !failed()) await sync(s.mapping);
    publish();

    if (endedForGood()) {
      setStatus('ended');
      publish();
      await condition(allHandlersFinished);
      if (!hasWork()) return;
    }
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > (input.historyLimit ?? 5_000)) {
      // Signals that arrive meanwhile are kept in `s` by their handlers and carried over.
      await condition(allHandlersFinished);
      await continueAsNew<typeof subscriptionWorkflow>({ ...input, carried: s });
    }
  }

  /** The platform's data: recorded in MongoDB; mapped automatically when it can be (§ mapping). */
  async function takeReport(report: SubscriptionReport): Promise<void> {
    s.inbox.report = null;
    s.report = report;
    s.customerId = report.customerId;
    const { autoMapping } = await recordSubscription({ connectionId, report, status: s.mappingStatus });
    if (!s.mapping && !s.inbox.mapping && autoMapping) s.inbox.mapping = autoMapping;
  }

  function takeMapping(mapping: SubscriptionMapping): void {
    s.inbox.mapping = null;
    s.mapping = mapping;
    if (failed() || s.mappingStatus === 'unmapped') setStatus('mapped');
  }

  function takeUnmap(): void {
    s.inbox.unmap = false;
    s.mapping = null;
    setStatus('unmapped');
  }

  /** Opens the ledger, catches up folds, then applies waiting events in order. */
  async function sync(mapping: SubscriptionMapping): Promise<void> {
    if (!s.ledger) {
      if (!s.report) return; // mapped before the platform reported it: wait for `created`
      const init: LedgerInitInput = {
        rules: mapping.rules,
        agreement: mapping.agreement,
        subscription: s.report.subscription,
        parentSubscriptionId: mapping.parentSubscriptionId ?? null,
      };
      let opened: { ledger: Ledger; ops: PsaOps };
      try {
        opened = openLedger(init);
      } catch (err) {
        await fail('map', err);
        return;
      }
      if (!(await applyStep('mapped', opened.ledger, opened.ops, mapping))) return;
    }
    while (s.ledger && !failed()) {
      const event = s.pendingEvents[0];
      // A fold happens once its month has started, and before any event dated on or after it,
      // so events that arrive late still land in the month they belong to (§4 rule 4).
      if (foldDue() && (!event || s.nextFoldDate! <= event.date)) {
        const monthStart = s.nextFoldDate!;
        const folded = foldAt(s.ledger, monthStart);
        if (!(await applyStep(`fold ${monthStart}`, folded.ledger, folded.ops, mapping))) return;
        continue;
      }
      if (!event) return;
      const problems = checkEvent(s.ledger, event);
      if (problems.length > 0) {
        // Not applicable to this subscription at all (e.g. an upgrade to the same product):
        // kept in the state with the reason, so nothing disappears silently.
        s.rejectedEvents.push({ event, reason: problems.map((p) => `${p.path}: ${p.message}`).join('; '), at: new Date().toISOString() });
        s.pendingEvents.shift();
        continue;
      }
      const result = applyEvent(s.ledger, event);
      if (!(await applyStep(`${event.type} ${event.date}`, result.ledger, result.ops, mapping))) return;
      s.pendingEvents.shift();
      if (result.spawned) {
        await startSpawnedSubscription({ connectionId, parentSubscriptionId: subscriptionId, customerId: s.customerId, init: result.spawned, parentMapping: mapping });
      }
    }
  }

  /** Applies one step's operations; the ledger advances only once the PSA holds them. */
  async function applyStep(what: string, ledger: Ledger, ops: PsaOps, mapping: SubscriptionMapping): Promise<boolean> {
    const planned = mapping.psa === 'connectwise' ? ops.connectwise : ops.autotask;
    const base = `${workflowInfo().workflowId}/${s.seq}`;
    const operations = planned.map((operation, i) => ({ idempotencyKey: `${base}/${i}`, operation }));
    const shifted: NonNullable<HistoryEntry['shifted']> = [];
    try {
      const applied = operations.length
        ? await applyOperations({ connectionId, subscriptionId, mapping, operations, lineIds: s.lineIds })
        : [];
      for (const a of applied) {
        if (a.psaId !== null) s.lineIds[a.lineKey] = a.psaId;
        if (a.shiftedFrom && a.effectiveDate) shifted.push({ lineKey: a.lineKey, from: a.shiftedFrom, to: a.effectiveDate });
      }
    } catch (err) {
      await fail(what, err);
      return false;
    }
    s.ledger = ledger;
    s.seq += 1;
    s.lastError = null;
    s.lastSyncAt = new Date().toISOString();
    s.nextFoldDate = nextFoldDate(ledger);
    if (operations.length > 0 || !what.startsWith('fold')) {
      s.history.push({ seq: s.seq, at: s.lastSyncAt, what, operations: operations.length, ...(shifted.length ? { shifted } : {}) });
      if (s.history.length > HISTORY_KEPT) s.history.splice(0, s.history.length - HISTORY_KEPT);
    }
    if (s.mappingStatus !== 'mapped') setStatus('mapped');
    return true;
  }

  async function fail(step: string, err: unknown): Promise<void> {
    const message = errorMessage(err);
    s.lastError = { message, at: new Date().toISOString(), step };
    setStatus('failed');
    publish();
    await recordSyncFailure({ connectionId, subscriptionId, error: message });
  }

  function setStatus(status: MappingStatus): void {
    s.mappingStatus = status;
  }

  function endedForGood(): boolean {
    const st = s.ledger?.state;
    return !!st && st.cancelledOn !== null && s.nextFoldDate === null && s.pendingEvents.length === 0 && !failed();
  }

  /** ms until 00:00 UTC of the next fold date (undefined = no timer). */
  function untilNextFold(): number | undefined {
    if (!s.ledger || !s.nextFoldDate || failed()) return undefined;
    return Math.max(0, toDayNumber(s.nextFoldDate) * DAY_MS - Date.now()) || undefined;
  }

  /** Search attributes and memo, so the Web UI lists and explains the subscription. */
  function publish(): void {
    upsertSearchAttributes([
      { key: PsaConnectionId, value: connectionId },
      { key: PsaSubscriptionId, value: subscriptionId },
      { key: PsaMappingStatus, value: s.mappingStatus },
      ...(s.customerId ? [{ key: PsaCustomerId, value: s.customerId }] : []),
      ...(s.mapping ? [{ key: PsaType, value: s.mapping.psa }] : []),
    ]);
    upsertMemo({ summary: subscriptionSummary(s), lastError: s.lastError?.message ?? null });
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause.message;
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}
