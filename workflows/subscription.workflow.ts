/**
 * One long-lived workflow per subscription (id `subscription/<connectionId>/<subscriptionId>`).
 *
 * It keeps the subscription's event log in billing order (by date, platform sequence, arrival)
 * and what the PSA holds. On every change — an event, a month start, a future-dated event's day,
 * an admin's retry or skip — it replays the whole log with the same domain code `plan` uses, as
 * of today, and writes the difference to the PSA through one journaled activity step. So the
 * PSA ends up billing what `plan` shows for the date-sorted, de-duplicated events, whatever
 * order they arrived in, however often, and whatever crashed in between.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setDefaultSignalHandler,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  PlacementMessageSchema,
  RetrySchema,
  RulesMessageSchema,
  SkipEventSchema,
  SpawnNoticeSchema,
  SubscriptionReportSchema,
  checkMessage,
  type EventReceipt,
  type HistoryEntry,
  type RulesMessage,
  type SpawnNotice,
  type SubscriptionPlacement,
  type SubscriptionReport,
  type SubscriptionStatus,
  type SubscriptionWorkflowState,
} from '../contracts/subscription';
import type { BundleActivities } from '../activities/bundles/bundle.activities';
import { PSA_WRITE_ACTIVITY, RECORD_ACTIVITY } from './activity-options';
import type { CommitmentReport, StepPlacement, SubscriptionActivities } from '../activities/subscription.activities';
import type { KeyedOperation } from '../activities/psa/psa-gateway.port';
import { commitmentOf } from '../domain/commitment';
import { addDays, firstOfMonth, isoDateOf, toDayNumber, type IsoDate } from '../domain/dates';
import { admit, insertLogged, parsePlatformEvent, type LoggedEvent, type PlatformEvent } from '../domain/event-log';
import { diffLines, emptyHeld, heldAfter, heldLineIds, lineIdsFor, type HeldLines } from '../domain/psa-diff';
import { problemLine, type Problem } from '../domain/problems';
import { replaySubscription, type SubscriptionReplay } from '../domain/replay';
import { billingNote, billingOrStandard, standardRange } from '../domain/billing-mode';
import { memberValues } from '../domain/bundle-billing';
import { initialState } from '../domain/subscription-state';
import {
  placementUpdate,
  platformEventUpdate,
  queuedMessageSignal,
  reportUpdate,
  retryUpdate,
  rulesUpdate,
  skipEventUpdate,
  spawnUpdate,
  stateQuery,
  driftFoundSignal,
  takeOverLinesUpdate,
} from './messages';
import { DriftReportSchema, TakeOverLinesSchema, type DriftReport, type TakeOverLines } from '../contracts/owned-lines';
import { heldAfterTakeOver, takeOverProblems } from './owned-lines';
import { PsaConnectionId, PsaCustomerId, PsaMappingStatus, PsaSubscriptionId, PsaType } from './search-attributes';
import { eventViews, subscriptionSummary } from './summary';

const { recordSubscription, recordSyncFailure, handOverPartialUpgrade, restoreSubscription, archiveSubscription, recordCommitment } =
  proxyActivities<SubscriptionActivities>(RECORD_ACTIVITY);
const { reportBundleMember } = proxyActivities<BundleActivities>(RECORD_ACTIVITY);
// PSA writes retry for a few minutes under the same keys, then the workflow retries the step (docs/retries.md).
const { applyOperations } = proxyActivities<SubscriptionActivities>(PSA_WRITE_ACTIVITY);

export interface SubscriptionWorkflowInput {
  connectionId: string;
  subscriptionId: string;
  /** State carried across continue-as-new. */
  carried?: CarriedState;
  /** History length after which the run continues as new (default 2,000, well under Temporal's 2,000 updates per run; tests lower it). */
  historyLimit?: number;
  /** Days an ended subscription stays open for late events before its workflow closes (default 35). */
  closeAfterDays?: number;
  /**
   * Month starts and event days wake each subscription at 00:00 UTC plus a fixed offset of up to
   * this many minutes taken from its id (default 240), so thousands of subscriptions do not all
   * write to the PSA in the first minute of a month. Billing is the same: the replay is as of the day.
   */
  wakeSpreadMinutes?: number;
}

/** A step being written: kept until the PSA answered, so a retry reuses its idempotency keys. */
interface PendingStep {
  step: number;
  what: string;
  operations: KeyedOperation[];
}

/** Everything the workflow knows, carried across continue-as-new and archived when it closes. */
export interface CarriedState {
  version: 2;
  /** Part of every idempotency key: unique per chain of runs, so keys never repeat across runs. */
  lineage: string;
  report: SubscriptionReport | null;
  placement: SubscriptionPlacement | null;
  /** The PSA agreement/contract the held lines live on. */
  heldOn: number | null;
  /** Set on S2 of a partial upgrade: which event of which subscription created it. */
  origin: SpawnNotice['parent'] | null;
  withdrawn: boolean;
  log: LoggedEvent[];
  arrivals: number;
  skipped: Record<string, { reason: string; by?: string; at: string }>;
  held: HeldLines;
  step: number;
  pendingStep: PendingStep | null;
  status: SubscriptionStatus;
  /** Set when an earlier run left PSA lines but no state: nothing is written until an admin acts. */
  blocked: string | null;
  lastError: SubscriptionWorkflowState['lastError'];
  lastSyncAt: string | null;
  history: HistoryEntry[];
  spawned: Record<string, { subscriptionId: string; withdrawn: boolean; notice: SpawnNotice }>;
  rejectedMessages: SubscriptionWorkflowState['rejectedMessages'];
  /** Event ids applied, and the last month start folded, at the last successful sync (for the history). */
  synced: { applied: string[]; foldedThrough: IsoDate | null };
  /** Last day something happened; an ended subscription closes `closeAfterDays` later. */
  quietSince: IsoDate | null;
  /** A bundle member: the billed values last sent to its bundle (docs/billing-modes.md). */
  bundleSent?: { bundleId: string; revision: number; values: string; at: string };
  /** The commitment last recorded for lists and the renewals mail (its JSON without the day), so it is written only when it changes. */
  commitmentRecorded?: string;
  /** The last daily comparison of the owned lines with the ledger (absent in states carried before it existed). */
  drift?: DriftReport | null;
}

const KEPT = 50;
const DAY_MS = 86_400_000;
const RETRY_AFTER_MS = 10 * 60_000;

export async function subscriptionWorkflow(input: SubscriptionWorkflowInput): Promise<void> {
  const { connectionId, subscriptionId } = input;
  const workflowId = workflowInfo().workflowId;
  const closeAfterDays = input.closeAfterDays ?? 35;
  const wakeOffsetMs = spreadOffset(`${connectionId}/${subscriptionId}`, input.wakeSpreadMinutes ?? 240);
  let s: CarriedState = input.carried ?? freshState(workflowInfo().firstExecutionRunId);
  let restoring = input.carried === undefined;
  let replay: SubscriptionReplay | null = null;
  // A bundle member's whole-log replay, where its billed values come from (docs/billing-modes.md).
  let contribution: SubscriptionReplay | null = null;
  // A report the activity has not recorded yet (platform records, mapping document, auto-mapping).
  let pendingReport: SubscriptionReport | null = null;
  let dirty = true;
  let working = false; // a change is being worked on (replay, PSA step, partial-upgrade hand-over)
  let armedAt: number | null = null; // the wake-up time of the timer that is running
  let published = ''; // what the search attributes and memo last said
  // The placement the mapping document shows as synced without an error, as far as this run
  // knows (an earlier step recorded it, nothing failed since): later steps write only lines.
  let linkRecorded: string | null = null;
  // Runs started before the memo lost its per-event figures keep them (they replay as they ran).
  const leanMemo = patched('memo-without-per-event-figures');
  const now = (): string => new Date().toISOString();
  const today = (): IsoDate => isoDateOf(Date.now());

  // ---- messages ---------------------------------------------------------------------------
  // Validators refuse what can never apply (which field, why) before anything is recorded;
  // handlers wait for a reopened subscription's state to be restored, then record.

  setHandler(stateQuery, () => view(), { description: 'Event log with statuses, ledger, PSA lines held, last error, history' });

  setHandler(
    platformEventUpdate,
    async (raw): Promise<EventReceipt> => {
      await condition(() => !restoring);
      return receiveEvent(parseEventOrThrow(raw));
    },
    { validator: (raw) => void parseEventOrThrow(raw), description: 'A lifecycle event { id, sequence?, type, date, ... }' },
  );

  setHandler(queuedMessageSignal, async (message) => {
    await condition(() => !restoring);
    const kind = typeof message === 'object' && message !== null ? (message as { kind?: unknown }).kind : undefined;
    const payload = typeof message === 'object' && message !== null ? (message as { payload?: unknown }).payload : undefined;
    try {
      if (kind === 'event') receiveEvent(parseEventOrThrow(payload));
      else if (kind === 'report') takeReport(parsed(SubscriptionReportSchema, payload, 'report'));
      else if (kind === 'placement') {
        const { placement } = parsed(PlacementMessageSchema, payload, 'placement');
        placementProblem(placement);
        takePlacement(placement);
      } else if (kind === 'rules') takeRules(parsed(RulesMessageSchema, payload, 'rules'));
      else throw new Error(`kind must be event, report, placement or rules (got ${JSON.stringify(kind) ?? 'nothing'})`);
    } catch (err) {
      rejectMessage(`queued ${typeof kind === 'string' ? kind : 'message'}`, err instanceof Error ? err.message : String(err));
    }
  });

  setHandler(
    reportUpdate,
    async (raw) => {
      await condition(() => !restoring);
      return takeReport(parsed(SubscriptionReportSchema, raw, 'report'));
    },
    { validator: (raw) => void parsed(SubscriptionReportSchema, raw, 'report'), description: 'The platform reports the subscription' },
  );

  setHandler(
    placementUpdate,
    async (raw) => {
      await condition(() => !restoring);
      const { placement } = parsed(PlacementMessageSchema, raw, 'placement');
      placementProblem(placement);
      return takePlacement(placement);
    },
    {
      validator: (raw) => placementProblem(parsed(PlacementMessageSchema, raw, 'placement').placement),
      description: 'Place the subscription on a PSA agreement/contract, or disconnect it (placement: null)',
    },
  );

  setHandler(
    rulesUpdate,
    async (raw) => {
      await condition(() => !restoring);
      return takeRules(parsed(RulesMessageSchema, raw, 'rules'));
    },
    { validator: (raw) => void parsed(RulesMessageSchema, raw, 'rules'), description: "The connection's §2 rules changed: events dated from each change on are billed under it" },
  );

  setHandler(
    retryUpdate,
    async (raw) => {
      parsed(RetrySchema, raw ?? {}, 'retry');
      await condition(() => !restoring);
      if (s.status !== 'failed' && !s.lastError && !s.blocked) return { outcome: 'nothing-to-retry' as const };
      clearFailure();
      return { outcome: 'retrying' as const };
    },
    { validator: (raw) => void parsed(RetrySchema, raw ?? {}, 'retry'), description: 'Try the failed step again' },
  );

  setHandler(
    skipEventUpdate,
    async (raw) => {
      await condition(() => !restoring);
      const skip = parsed(SkipEventSchema, raw, 'skip');
      skipProblem(skip.eventId);
      s.skipped[skip.eventId] = { reason: skip.reason, ...(skip.by ? { by: skip.by } : {}), at: now() };
      clearFailure();
      return { outcome: 'skipped' as const };
    },
    {
      validator: (raw) => skipProblem(parsed(SkipEventSchema, raw, 'skip').eventId),
      description: 'Leave out an event that cannot apply, with a reason',
    },
  );

  setHandler(
    spawnUpdate,
    async (raw) => {
      await condition(() => !restoring);
      return takeSpawn(parsed(SpawnNoticeSchema, raw, 'spawn'));
    },
    { validator: (raw) => spawnProblem(parsed(SpawnNoticeSchema, raw, 'spawn')), description: "A partial upgrade's new subscription" },
  );

  // Adoption at cutover and restoring a drifted line (docs/adopt-and-drift.md): the admin tools
  // read the PSA and tell the workflow what it holds; the next diff writes the ledger's values.
  setHandler(
    takeOverLinesUpdate,
    async (raw) => {
      const m = parsed(TakeOverLinesSchema, raw, 'takeOverLines');
      await condition(() => !restoring && !working);
      return takeOver(m);
    },
    { validator: (raw) => takeOverCheck(parsed(TakeOverLinesSchema, raw, 'takeOverLines')), description: 'The PSA holds these lines: adopt hand-made ones, or restore drifted ones' },
  );

  setHandler(driftFoundSignal, (raw) => {
    const r = DriftReportSchema.safeParse(raw);
    if (!r.success) return rejectMessage('driftFound', 'not a drift report');
    // Only findings about lines still held as they were read (a step may have written since).
    const held = new Map([...Object.values(s.held.connectwise), ...Object.values(s.held.autotask)].map((l) => [l.psaId, l]));
    s.drift = { ...r.data, findings: r.data.findings.filter((f) => held.has(f.psaId)) };
  });

  // Anything else sent to the workflow (an old or mistyped message name) is recorded, never fatal.
  setDefaultSignalHandler((name) => rejectMessage(name, `unknown message "${name}": send lifecycle events with the platformEvent update`));

  // ---- a new run: the state an earlier run left, if any --------------------------------------
  if (restoring) {
    const restored = await restoreSubscription({ connectionId, subscriptionId, workflowId });
    if (isCarried(restored.carried)) s = { ...restored.carried, lineage: restored.carried.lineage };
    else if (restored.recordedLines > 0) {
      s.blocked = `an earlier run of this workflow wrote ${restored.recordedLines} PSA line(s) but left no state (was it terminated?); nothing is written until an admin checks the PSA lines and retries`;
      s.status = 'failed';
    }
    restoring = false;
  }

  publish();
  for (;;) {
    armTimer();
    await condition(() => dirty);
    dirty = false;
    working = true;
    try {
      await work();
      // Awaited only when there is something to write: an extra await would reorder this
      // activation's commands (an update's completion before the memo) against old histories.
      const commitment = commitmentToRecord();
      if (commitment) {
        await recordCommitment({ connectionId, subscriptionId, report: commitment.report });
        s.commitmentRecorded = commitment.text;
      }
    } finally {
      working = false;
    }
    publish();
    if (closable()) {
      await condition(allHandlersFinished);
      if (closable() && !dirty) {
        await archiveSubscription({ workflowId, state: s });
        return;
      }
    }
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > (input.historyLimit ?? 2_000)) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof subscriptionWorkflow>({ ...input, carried: s });
    }
  }

  // ---- what a message does -----------------------------------------------------------------

  function parseEventOrThrow(raw: unknown): PlatformEvent {
    const r = parsePlatformEvent(raw);
    if (!r.ok) throw invalid('event', r.problems);
    if (r.value.event.subscriptionId !== undefined && r.value.event.subscriptionId !== subscriptionId) {
      throw invalid('event', [{ path: 'subscriptionId', message: `is ${r.value.event.subscriptionId}, but this is subscription ${subscriptionId}` }]);
    }
    if (!restoring) {
      const a = admit(s.log, r.value);
      if (a.kind === 'conflict') throw ApplicationFailure.create({ type: 'EventConflict', message: a.reason, nonRetryable: true });
    }
    return r.value;
  }

  function receiveEvent(e: PlatformEvent): EventReceipt {
    const a = admit(s.log, e);
    if (a.kind === 'duplicate') return { eventId: e.id, outcome: 'duplicate' };
    if (a.kind === 'conflict') throw ApplicationFailure.create({ type: 'EventConflict', message: a.reason, nonRetryable: true });
    s.log = insertLogged(s.log, { id: e.id, sequence: e.sequence, arrival: s.arrivals++, receivedAt: now(), event: e.event });
    s.quietSince = today();
    dirty = true;
    return e.event.date > today() ? { eventId: e.id, outcome: 'accepted', scheduledFor: e.event.date } : { eventId: e.id, outcome: 'accepted' };
  }

  function takeReport(report: SubscriptionReport): { outcome: 'recorded' | 'unchanged' } {
    if (s.report && JSON.stringify(s.report) === JSON.stringify(report)) return { outcome: 'unchanged' };
    if (s.report && (s.step > 0 || s.pendingStep)) {
      // Billing starts from the subscription as first reported; later changes come as events.
      s.report = { ...s.report, customerId: report.customerId, ...(report.provider ? { provider: report.provider } : {}) };
    } else {
      s.report = report;
    }
    pendingReport = report;
    dirty = true;
    return { outcome: 'recorded' };
  }

  function placementProblem(placement: SubscriptionPlacement | null): void {
    if (!placement) return;
    const lines = Object.keys(s.held.connectwise).length + Object.keys(s.held.autotask).length;
    const billing = billingOrStandard(placement.billing);
    if (lines > 0 && standardRange(billing) === null) {
      // docs/billing-modes.md "Switching": lines that billed are ended on a day, never dropped.
      throw invalid('placement', [{ path: 'billing.standardUntil', message: `is required: subscription ${subscriptionId} bills through ${lines} line(s) of its own, which a switch to ${billing.mode} must end on a day (map it again with force)` }]);
    }
    if (s.heldOn !== null && lines > 0 && placement.agreementId !== s.heldOn) {
      throw invalid('placement', [
        { path: 'agreementId', message: `is ${placement.agreementId}, but subscription ${subscriptionId} bills through ${lines} line(s) on ${placement.psa === 'connectwise' ? 'agreement' : 'contract'} ${s.heldOn}; it cannot move while they bill` },
      ]);
    }
  }

  function takePlacement(placement: SubscriptionPlacement | null): { outcome: 'placed' | 'disconnected' | 'unchanged' } {
    if (JSON.stringify(placement) === JSON.stringify(s.placement)) return { outcome: 'unchanged' };
    s.placement = placement;
    if (!placement) {
      s.status = 'unmapped';
      dirty = true;
      return { outcome: 'disconnected' };
    }
    if (s.status === 'unmapped') s.status = 'mapped';
    clearFailure();
    return { outcome: 'placed' };
  }

  function takeOverCheck(m: TakeOverLines): void {
    if (restoring) return;
    const problems = takeOverProblems({ held: s.held, heldOn: s.heldOn, placement: s.placement, writing: s.pendingStep !== null }, m);
    if (problems.length > 0) throw invalid('takeOverLines', problems);
  }

  function takeOver(m: TakeOverLines): { outcome: 'recorded' | 'unchanged' } {
    takeOverCheck(m);
    const { held, changed } = heldAfterTakeOver(s.held, m);
    if (changed.length === 0) return { outcome: 'unchanged' };
    s.held = held;
    if (s.heldOn === null) s.heldOn = m.agreementId;
    if (s.drift) s.drift = { ...s.drift, findings: s.drift.findings.filter((f) => !changed.includes(f.lineKey)) };
    const what = `${m.kind === 'adopt' ? 'adopted' : 'restoring'} ${changed.join(', ')}${m.by ? ` (by ${m.by})` : ''}`;
    remember({ step: s.step, at: now(), what, operations: 0 });
    // Like a retry: a subscription whose first write was refused goes on with the adopted line.
    clearFailure();
    return { outcome: 'recorded' };
  }

  /** The connection's rules over time replace the placement's: events dated before a change keep the rules they were billed under. */
  function takeRules(m: RulesMessage): { outcome: 'updated' | 'unchanged' | 'unmapped' } {
    if (!s.placement) return { outcome: 'unmapped' };
    const { rules: _r, rulesHistory: _h, ...rest } = s.placement;
    const next: SubscriptionPlacement = { ...rest, rules: m.rules, ...(m.rulesHistory.length ? { rulesHistory: m.rulesHistory } : {}) };
    const same = JSON.stringify({ r: s.placement.rules, h: s.placement.rulesHistory ?? [] }) === JSON.stringify({ r: next.rules, h: next.rulesHistory ?? [] });
    if (same) return { outcome: 'unchanged' };
    s.placement = next;
    dirty = true;
    return { outcome: 'updated' };
  }

  function skipProblem(eventId: string): void {
    if (restoring) return;
    if (!s.log.some((e) => e.id === eventId)) throw invalid('skip', [{ path: 'eventId', message: `no event ${eventId} in subscription ${subscriptionId}'s log` }]);
    if (s.skipped[eventId]) throw invalid('skip', [{ path: 'eventId', message: `event ${eventId} was skipped already (${s.skipped[eventId]!.reason})` }]);
  }

  function spawnProblem(notice: SpawnNotice): void {
    if (notice.report.subscription.id !== subscriptionId) {
      throw invalid('spawn', [{ path: 'report.subscription.id', message: `is ${notice.report.subscription.id}, but this is subscription ${subscriptionId}` }]);
    }
  }

  function takeSpawn(notice: SpawnNotice): { outcome: 'recorded' | 'unchanged' } {
    spawnProblem(notice);
    const same = s.origin?.eventId === notice.parent.eventId && s.withdrawn === notice.withdrawn && s.report !== null;
    if (same) return { outcome: 'unchanged' };
    s.origin = notice.parent;
    s.withdrawn = notice.withdrawn;
    if (!s.report) {
      s.report = notice.report;
      pendingReport = notice.report;
    }
    if (!s.placement) s.placement = notice.placement;
    clearFailure();
    return { outcome: 'recorded' };
  }

  function clearFailure(): void {
    if (s.status === 'failed' || s.blocked) s.status = s.placement ? 'mapped' : 'unmapped';
    s.blocked = null;
    if (s.lastError) s.lastError = { ...s.lastError, retryAt: now() };
    dirty = true;
  }

  function rejectMessage(name: string, reason: string): void {
    s.rejectedMessages.push({ name, reason, at: now() });
    if (s.rejectedMessages.length > KEPT) s.rejectedMessages.splice(0, s.rejectedMessages.length - KEPT);
  }

  // ---- the work: report, replay, diff, write ------------------------------------------------

  async function work(): Promise<void> {
    if (pendingReport) {
      const report = pendingReport;
      pendingReport = null;
      const { autoPlacement } = await recordSubscription({ connectionId, report, placed: s.placement !== null });
      if (autoPlacement && !s.placement) {
        s.placement = autoPlacement;
        if (s.status === 'unmapped') s.status = 'mapped';
      }
    }
    if (!s.report || !s.placement) {
      if (s.status !== 'failed') s.status = 'unmapped';
      replay = null;
      return;
    }
    if (s.blocked || s.status === 'failed') return; // an admin's retry, skip or new placement clears it
    if (s.pendingStep) {
      // The PSA was unreachable: the same step (same idempotency keys) goes first, when its time comes.
      if (s.lastError?.retryAt && Date.parse(s.lastError.retryAt) > Date.now()) return;
      if (!(await write(s.pendingStep))) return;
    }

    const desired = desiredState(s.report, s.placement);
    if (desired === undefined) return;
    const operations = diffLines(s.placement.psa, s.held, desired, today());
    if (operations.length > 0) {
      const step: PendingStep = {
        step: s.step,
        what: describeChange(),
        operations: operations.map((operation, i) => ({ idempotencyKey: `${workflowId}/${s.lineage}/${s.step}/${i}`, operation })),
      };
      s.step += 1;
      s.pendingStep = step;
      if (!(await write(step))) return;
    } else {
      // Nothing left to write (e.g. an admin skipped the refused event): the failure is over.
      s.lastError = null;
    }
    noteSynced();
    await handOverSpawns(s.placement);
    // Awaited only for a bundle member: an extra await on every path would move the commands of
    // a standard subscription against its update handlers, and stored histories would not replay.
    if (billingOrStandard(s.placement.billing).mode === 'bundled') await reportToBundle();
  }

  /**
   * The ledger the whole log gives as of today (null: bill nothing; undefined: cannot tell — failed).
   * docs/billing-modes.md: only standard billing writes lines of its own, on the days its mode
   * gives it; a bundle member's values come from the whole log.
   */
  function desiredState(report: SubscriptionReport, placement: SubscriptionPlacement) {
    const billing = billingOrStandard(placement.billing);
    const range = standardRange(billing);
    const init = {
      rules: placement.rules,
      ...(placement.rulesHistory?.length ? { rulesHistory: placement.rulesHistory } : {}),
      agreement: placement.agreement,
      subscription: report.subscription,
      parentSubscriptionId: placement.parentSubscriptionId ?? null,
    };
    const replayWith = (limits: { from?: IsoDate; until?: IsoDate }) =>
      replaySubscription({ init: { ...init, billedFrom: limits.from }, log: s.log, asOf: today(), skipped: new Set(Object.keys(s.skipped)), billedUntil: limits.until });
    try {
      replay = replayWith(range ?? {});
      contribution = billing.mode !== 'bundled' ? null : range?.until ? replayWith({}) : replay;
    } catch (err) {
      replay = null;
      contribution = null;
      fail('map', `the subscription cannot be billed on this placement: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
    return s.withdrawn || range === null ? null : replay.ledger;
  }

  /** A bundle member sends its billed values to the bundle's workflow when they changed. */
  async function reportToBundle(): Promise<void> {
    const billing = billingOrStandard(s.placement?.billing);
    if (billing.mode !== 'bundled' || !billing.bundleId || !contribution || !s.report) return;
    const values = s.withdrawn ? [] : memberValues(s.report.subscription, s.log, contribution, billing.from);
    const text = JSON.stringify(values);
    if (s.bundleSent?.bundleId === billing.bundleId && s.bundleSent.values === text) return;
    const revision = (s.bundleSent?.revision ?? -1) + 1;
    await reportBundleMember({ connectionId, bundleId: billing.bundleId, report: { subscriptionId, revision, values } });
    s.bundleSent = { bundleId: billing.bundleId, revision, values: text, at: now() };
  }

  /** Writes one step; false when the PSA refused (failed) or stayed unreachable (retried later). */
  async function write(step: PendingStep): Promise<boolean> {
    const placement = s.placement!;
    const link = JSON.stringify(placement);
    const recorded = linkRecorded === link;
    linkRecorded = null;
    let outcome;
    try {
      outcome = await applyOperations({
        connectionId,
        subscriptionId,
        // Only what the PSA write needs (not the rules or the agreement's dates): a lean history.
        placement: writeTarget(placement),
        operations: step.operations,
        lineIds: lineIdsFor(s.held, step.operations.map((o) => o.operation)),
        ...(recorded ? { linkRecorded: true } : {}),
      });
    } catch (err) {
      // Still unreachable after the activity's own retries: show it, and try the same step
      // (same idempotency keys) again in a while.
      const message = errorMessage(err);
      s.lastError = { message: `the PSA did not answer (${message}); the step is tried again automatically`, at: now(), step: step.what, retryAt: new Date(Date.now() + RETRY_AFTER_MS).toISOString() };
      await recordSyncFailure({ connectionId, subscriptionId, error: s.lastError.message });
      return false;
    }
    s.held = heldAfter(s.held, step.operations.map((o) => o.operation), outcome.applied);
    if (s.heldOn === null) s.heldOn = placement.agreementId;
    s.pendingStep = null;
    s.lastSyncAt = now();
    s.quietSince = today();
    const written = outcome.applied.filter((a) => a !== null).length;
    const shifted = shiftsOf(step.operations, outcome.applied);
    remember({ step: step.step, at: s.lastSyncAt, what: step.what, operations: written, ...(shifted.length ? { shifted } : {}) });
    if (outcome.refused) {
      fail(step.what, outcome.refused.message);
      return false;
    }
    s.lastError = null;
    if (s.status !== 'ended') s.status = 'mapped';
    linkRecorded = link;
    return true;
  }

  function fail(step: string, message: string): void {
    s.status = 'failed';
    s.lastError = { message, at: now(), step };
  }

  function remember(entry: HistoryEntry): void {
    s.history.push(entry);
    if (s.history.length > KEPT) s.history.splice(0, s.history.length - KEPT);
  }

  /** What moved the desired state since the last sync: events now applied, months folded, a correction. */
  function describeChange(): string {
    const applied = new Set(s.synced.applied);
    const fresh = (replay?.outcomes ?? []).filter((o) => o.status === 'applied' && !applied.has(o.id));
    const byId = new Map(s.log.map((e) => [e.id, e]));
    const parts = fresh.map((o) => `${byId.get(o.id)!.event.type} ${byId.get(o.id)!.event.date}`);
    const folded = replay?.ledger.foldedThrough ?? null;
    const since = s.synced.foldedThrough ?? (replay ? firstOfMonth(replay.ledger.billingStart) : null);
    if (folded && since && folded > since) parts.push(`month start ${folded}`);
    if (s.synced.applied.length === 0 && s.step === 0) parts.unshift('mapped');
    if (parts.length === 0) parts.push(s.withdrawn ? 'withdrawn' : 'correction');
    return parts.join(', ');
  }

  function noteSynced(): void {
    if (!replay) return;
    s.synced = { applied: replay.outcomes.filter((o) => o.status === 'applied').map((o) => o.id), foldedThrough: replay.ledger.foldedThrough };
    const st = replay.ledger.state;
    s.status = st.cancelledOn !== null && replay.nextWake === null && !s.pendingStep ? 'ended' : 'mapped';
  }

  /** Partial upgrades now applied get their S2; ones no longer applied withdraw it. */
  async function handOverSpawns(placement: SubscriptionPlacement): Promise<void> {
    if (!replay || s.withdrawn) return;
    const live = new Map(replay.spawned.map((x) => [x.eventId, x.init]));
    for (const [eventId, init] of live) {
      const known = s.spawned[eventId];
      if (known && !known.withdrawn) continue;
      const notice: SpawnNotice = {
        report: { customerId: s.report!.customerId, ...(s.report!.provider ? { provider: s.report!.provider } : {}), subscription: init.subscription },
        placement: {
          ...placement,
          parentSubscriptionId: subscriptionId,
          description: placement.description.split(subscriptionId).join(init.subscription.id),
          // S2's lines are described from its own product and licences (the activity names the product).
          ...(placement.descriptionSource
            ? { descriptionSource: { ...placement.descriptionSource, quantity: init.subscription.quantity, billingFrequency: init.subscription.billingFrequency } }
            : {}),
        },
        parent: { subscriptionId, eventId },
        withdrawn: false,
      };
      await handOverPartialUpgrade({ connectionId, notice });
      s.spawned[eventId] = { subscriptionId: init.subscription.id, withdrawn: false, notice };
    }
    for (const [eventId, known] of Object.entries(s.spawned)) {
      if (known.withdrawn || live.has(eventId)) continue;
      await handOverPartialUpgrade({ connectionId, notice: { ...known.notice, withdrawn: true } });
      s.spawned[eventId] = { ...known, withdrawn: true };
    }
  }

  // ---- commitment (docs/renewals.md) ------------------------------------------------------

  /** The commitment as of today: from the replay once mapped, from the report while events wait for a mapping. */
  function commitmentReport(): CommitmentReport | null {
    if (!s.report) return null;
    const state = replay?.ledger.state ?? initialState(s.report.subscription);
    const commitment = commitmentOf(state, today(), replay?.ledger);
    // A withdrawn partial upgrade bills nothing: no term to end, nothing to renew.
    const billed = s.withdrawn ? { ...commitment, termStart: null, commitmentEnd: null, nextRenewal: null, scheduledDecrease: null } : commitment;
    return { customerId: s.report.customerId, productId: state.productId, quantity: state.quantity, asOf: today(), commitment: billed };
  }

  /** The commitment to write where `renewals due` and the renewals mail read it: null when it did not change since the last write. */
  function commitmentToRecord(): { report: CommitmentReport; text: string } | null {
    const report = commitmentReport();
    if (!report) return null;
    // An uncommitted subscription is listed only for its end date: its quantity alone does not make
    // it worth an activity on every event (docs/worker-tuning.md "History per event"); the record
    // takes the quantity whenever anything else in it changes.
    const committed = report.commitment.term !== 'none';
    const { asOf: _asOf, quantity, ...rest } = report;
    const text = JSON.stringify(committed ? { ...rest, quantity } : rest);
    if (text === s.commitmentRecorded) return null;
    // Runs started before commitments were recorded replay without this activity.
    if (!patched('record-commitment')) return null;
    return { report, text };
  }

  // ---- time --------------------------------------------------------------------------------

  /** One durable timer for the next wake (a month start, a future event, a retry, closing). */
  function armTimer(): void {
    const at = nextWakeMs();
    if (at === null) return;
    const ms = at - Date.now();
    if (ms <= 0) {
      dirty = true;
      return;
    }
    if (armedAt !== null && armedAt <= at && armedAt > Date.now()) return; // an earlier timer will wake us
    armedAt = at;
    void sleep(ms).then(() => {
      if (armedAt === at) armedAt = null;
      dirty = true;
    });
  }

  function nextWakeMs(): number | null {
    const candidates: number[] = [];
    // Only a step still to write has a retry time; a stale one would wake the loop for nothing, forever.
    if (s.pendingStep && s.lastError?.retryAt) candidates.push(Date.parse(s.lastError.retryAt));
    if (s.status !== 'failed' && !s.blocked && replay?.nextWake) candidates.push(toDayNumber(replay.nextWake) * DAY_MS + wakeOffsetMs);
    if (s.status === 'ended' && s.quietSince) candidates.push(toDayNumber(addDays(s.quietSince, closeAfterDays)) * DAY_MS);
    // A committed subscription's term ends by the calendar alone: wake on the renewal date so
    // the recorded commitment (and the state) moves on to the next term.
    const commitment = commitmentReport()?.commitment;
    if (commitment && commitment.term !== 'none' && commitment.nextRenewal && commitment.nextRenewal > today()) {
      candidates.push(toDayNumber(commitment.nextRenewal) * DAY_MS + wakeOffsetMs);
    }
    return candidates.length ? Math.min(...candidates) : null;
  }

  function closable(): boolean {
    return s.status === 'ended' && !s.pendingStep && s.quietSince !== null && today() >= addDays(s.quietSince, closeAfterDays);
  }

  // ---- what an admin sees ------------------------------------------------------------------

  function view(): SubscriptionWorkflowState {
    const events = eventViews(s.log, replay?.outcomes ?? null, s.skipped);
    const counts = { waiting: 0, scheduled: 0, applied: 0, rejected: 0, skipped: 0 };
    for (const e of events) counts[e.status] += 1;
    return {
      connectionId,
      subscriptionId,
      customerId: s.report?.customerId ?? null,
      status: s.status,
      report: s.report,
      placement: s.placement,
      // A seat-count or bundled subscription bills no ledger of its own (docs/billing-modes.md).
      ledger: standardRange(billingOrStandard(s.placement?.billing)) === null ? null : (replay?.ledger ?? null),
      asOf: replay?.asOf ?? null,
      held: s.held,
      lineIds: heldLineIds(s.held),
      events,
      counts,
      nextWake: replay?.nextWake ?? null,
      step: s.step,
      syncing: s.pendingStep !== null || working || dirty,
      lastError: s.blocked ? { message: s.blocked, at: now(), step: 'restore' } : s.lastError,
      lastSyncAt: s.lastSyncAt,
      history: s.history,
      spawned: Object.fromEntries(Object.entries(s.spawned).map(([k, v]) => [k, { subscriptionId: v.subscriptionId, withdrawn: v.withdrawn }])),
      rejectedMessages: s.rejectedMessages,
      billing: billingView(),
      commitment: commitmentReport()?.commitment ?? null,
      drift: s.drift ?? null,
    };
  }

  function billingView(): SubscriptionWorkflowState['billing'] {
    const billing = billingOrStandard(s.placement?.billing);
    return { ...billing, note: billingNote(billing), ...(s.bundleSent ? { bundle: { revision: s.bundleSent.revision, sentAt: s.bundleSent.at } } : {}) };
  }

  /** Search attributes and memo, so the Web UI lists and explains the subscription; written only when they change. */
  function publish(): void {
    const v = view();
    const attributes = {
      status: s.status,
      customer: v.customerId,
      psa: s.placement?.psa ?? null,
      summary: subscriptionSummary(v, { perEventFigures: !leanMemo }),
      lastError: v.lastError?.message ?? null,
    };
    const text = JSON.stringify(attributes);
    if (text === published) return;
    const before = published ? (JSON.parse(published) as typeof attributes) : null;
    published = text;
    if (!before || before.status !== attributes.status || before.customer !== attributes.customer || before.psa !== attributes.psa) {
      upsertSearchAttributes([
        { key: PsaConnectionId, value: connectionId },
        { key: PsaSubscriptionId, value: subscriptionId },
        { key: PsaMappingStatus, value: s.status },
        ...(attributes.customer ? [{ key: PsaCustomerId, value: attributes.customer }] : []),
        ...(attributes.psa ? [{ key: PsaType, value: attributes.psa }] : []),
      ]);
    }
    if (!before || before.summary !== attributes.summary || before.lastError !== attributes.lastError) {
      upsertMemo({ summary: attributes.summary, lastError: attributes.lastError });
    }
  }
}

/** The part of a placement a PSA step needs: where the lines go and what they say. */
function writeTarget(p: SubscriptionPlacement): StepPlacement {
  return {
    psa: p.psa,
    companyId: p.companyId,
    agreementId: p.agreementId,
    description: p.description,
    // A line of another product (after an upgrade) gets its own text from it (docs/mapping.md "Line descriptions").
    ...(p.descriptionSource ? { descriptionSource: p.descriptionSource } : {}),
    ...(p.billCustomer ? { billCustomer: p.billCustomer } : {}),
  };
}

/** A fixed offset in [0, minutes) from a text (FNV-1a): the same subscription always wakes at the same minute of a day. */
function spreadOffset(text: string, minutes: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return minutes > 0 ? (h % minutes) * 60_000 : 0;
}

/** Autotask adjustments that landed on another day than the one they belong to (§5), for the history. */
function shiftsOf(operations: readonly KeyedOperation[], applied: ReadonlyArray<{ effectiveDate?: IsoDate } | null>): NonNullable<HistoryEntry['shifted']> {
  return operations.flatMap(({ operation: op }, i) => {
    if (op.type !== 'at.adjust-units' || !applied[i]) return [];
    const from = op.forDate ?? op.effectiveDate;
    const to = applied[i]!.effectiveDate ?? op.effectiveDate;
    return from === to ? [] : [{ lineKey: op.serviceKey, from, to }];
  });
}

function freshState(firstRunId: string): CarriedState {
  return {
    version: 2,
    // The random end of the run id (a UUIDv7's start is its timestamp, shared by runs of the same minute).
    lineage: firstRunId.replace(/-/g, '').slice(-12),
    report: null,
    placement: null,
    heldOn: null,
    origin: null,
    withdrawn: false,
    log: [],
    arrivals: 0,
    skipped: {},
    held: emptyHeld(),
    step: 0,
    pendingStep: null,
    status: 'unmapped',
    blocked: null,
    lastError: null,
    lastSyncAt: null,
    history: [],
    spawned: {},
    rejectedMessages: [],
    synced: { applied: [], foldedThrough: null },
    quietSince: null,
  };
}

function isCarried(x: unknown): x is CarriedState {
  return typeof x === 'object' && x !== null && (x as { version?: unknown }).version === 2;
}

/** A refused message: the caller sees which field and why (HTTP 400 through the admin API). */
function invalid(what: string, problems: Problem[]): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'InvalidMessage',
    message: `invalid ${what}: ${problems.map(problemLine).join('; ')}`,
    details: [problems],
    nonRetryable: true,
  });
}

function parsed<T>(schema: Parameters<typeof checkMessage<T>>[0], raw: unknown, what: string): T {
  const r = checkMessage(schema, raw);
  if (!r.ok) throw invalid(what, r.problems);
  return r.value;
}

function errorMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}
