/**
 * One long-lived workflow per bundle (id `bundle/<connectionId>/<bundleId>`, docs/billing-modes.md
 * "Bundles"): the only writer of the bundle's ONE line.
 *
 * Members' workflows send their billed values (signal, newest revision wins); on every change —
 * a member's values, the definition (created, deleted), a day a bundled value or a month-start
 * fold is due — it computes the line with `replayBundle` (the code `plan` runs for a bundle) as
 * of today and writes the difference to the PSA through one journaled step whose idempotency
 * keys are `<workflow id>/<lineage>/<step>/<index>`, as subscription workflows do. So the line
 * bills what `plan` shows for the members' events, however often and in whatever order members
 * report, and whatever crashed in between.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  sleep,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import { BundleMemberReportSchema, type BundleSpec, type BundleStatus, type BundleWorkflowState } from '../contracts/bundle';
import { checkMessage, type HistoryEntry } from '../contracts/subscription';
import type { BundleActivities } from '../activities/bundles/bundle.activities';
import type { KeyedOperation } from '../activities/psa/psa-gateway.port';
import { replayBundle, type BilledValues, type BundleReplay } from '../domain/bundle-billing';
import { isoDateOf, toDayNumber } from '../domain/dates';
import { diffLines, emptyHeld, heldAfter, heldLineIds, lineIdsFor, type HeldLines } from '../domain/psa-diff';
import { bundleChangedSignal, bundleMemberSignal, bundleStateQuery } from './bundle-messages';
import { PSA_WRITE_ACTIVITY, RECORD_ACTIVITY } from './activity-options';

const { loadBundle } = proxyActivities<BundleActivities>(RECORD_ACTIVITY);
// The same retry policy as the subscription workflow's PSA step (docs/retries.md).
const { applyBundleOperations } = proxyActivities<BundleActivities>(PSA_WRITE_ACTIVITY);

export interface BundleWorkflowInput {
  connectionId: string;
  bundleId: string;
  carried?: BundleCarried;
  /** History length after which the run continues as new (default 2,000; tests lower it). */
  historyLimit?: number;
}

interface PendingStep {
  step: number;
  what: string;
  operations: KeyedOperation[];
}

/** Everything the workflow knows, carried across continue-as-new. */
export interface BundleCarried {
  version: 1;
  lineage: string;
  spec: BundleSpec | null;
  members: BundleWorkflowState['members'];
  held: HeldLines;
  step: number;
  pendingStep: PendingStep | null;
  status: BundleStatus;
  lastError: BundleWorkflowState['lastError'];
  lastSyncAt: string | null;
  history: HistoryEntry[];
  /** The bundle's values at the last successful write (what changed, for the history). */
  synced: BilledValues[];
}

const KEPT = 50;
const DAY_MS = 86_400_000;
const RETRY_AFTER_MS = 10 * 60_000;

export async function bundleWorkflow(input: BundleWorkflowInput): Promise<void> {
  const { connectionId, bundleId } = input;
  const workflowId = workflowInfo().workflowId;
  const s: BundleCarried = input.carried ?? {
    version: 1,
    lineage: workflowInfo().firstExecutionRunId.replace(/-/g, '').slice(-12),
    spec: null, members: {}, held: emptyHeld(), step: 0, pendingStep: null, status: 'waiting',
    lastError: null, lastSyncAt: null, history: [], synced: [],
  };
  // A new chain reads its definition first; a continued run reads it again (it may have changed meanwhile).
  let reload = true;
  let dirty = true;
  let working = false;
  let replay: BundleReplay | null = null;
  let armedAt: number | null = null;
  const now = (): string => new Date().toISOString();
  const today = () => isoDateOf(Date.now());

  setHandler(bundleStateQuery, () => view());
  setHandler(bundleMemberSignal, (raw) => {
    const r = checkMessage(BundleMemberReportSchema, raw);
    if (!r.ok) return; // only our own activities send this; a malformed one changes nothing
    const known = s.members[r.value.subscriptionId];
    if (known && known.revision >= r.value.revision) return; // an older report arriving late
    s.members[r.value.subscriptionId] = { revision: r.value.revision, values: r.value.values, at: now() };
    dirty = true;
  });
  setHandler(bundleChangedSignal, () => {
    reload = true;
    dirty = true;
  });

  for (;;) {
    armTimer();
    await condition(() => dirty);
    dirty = false;
    working = true;
    try {
      if (reload) {
        reload = false;
        s.spec = await loadBundle({ connectionId, bundleId });
      }
      // Deleted before it billed (nothing held): nothing left to do.
      if (!s.spec && Object.keys(s.held.connectwise).length + Object.keys(s.held.autotask).length === 0) {
        await condition(allHandlersFinished);
        if (!dirty) return;
        continue;
      }
      await work();
    } finally {
      working = false;
    }
    upsertMemo({ summary: summary() });
    // An ended bundle whose end is written closes; a late member report or definition change restarts it.
    if (s.status === 'ended' && !s.pendingStep && !s.lastError) {
      await condition(allHandlersFinished);
      if (!dirty) return;
    }
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > (input.historyLimit ?? 2_000)) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof bundleWorkflow>({ ...input, carried: s });
    }
  }

  async function work(): Promise<void> {
    const spec = s.spec;
    if (!spec) return;
    if (s.pendingStep) {
      // The PSA was unreachable: the same step (same keys) goes first, when its time comes.
      if (s.lastError?.retryAt && Date.parse(s.lastError.retryAt) > Date.now()) return;
      if (!(await write(spec, s.pendingStep))) return;
    }
    // The first line waits for every member's values: a line written for some of them and then
    // corrected would, on Autotask, post the rest a day late (one adjustment per day, §5).
    if (s.step === 0 && waitingFor(spec).length > 0) {
      s.status = 'waiting';
      return;
    }
    replay = replayBundle({ terms: spec.terms, agreement: spec.placement.agreement, members: Object.values(s.members).map((m) => m.values), asOf: today(), endFrom: spec.endFrom });
    const operations = diffLines(spec.placement.psa, s.held, replay.ledger, today());
    if (operations.length > 0) {
      const step: PendingStep = {
        step: s.step,
        what: describe(replay),
        operations: operations.map((operation, i) => ({ idempotencyKey: `${workflowId}/${s.lineage}/${s.step}/${i}`, operation })),
      };
      s.step += 1;
      s.pendingStep = step;
      if (!(await write(spec, step))) return;
    }
    s.synced = replay.values;
    s.status = spec.endFrom !== null ? 'ended' : replay.ledger ? 'billing' : 'waiting';
  }

  /** Writes one step; false when the PSA refused or stayed unreachable (tried again in a while, either way). */
  async function write(spec: BundleSpec, step: PendingStep): Promise<boolean> {
    let outcome;
    try {
      outcome = await applyBundleOperations({
        connectionId,
        subscriptionId: bundleId,
        placement: spec.placement,
        operations: step.operations,
        lineIds: lineIdsFor(s.held, step.operations.map((o) => o.operation)),
      });
    } catch (err) {
      const message = err instanceof ActivityFailure && err.cause ? err.cause.message : err instanceof Error ? err.message : String(err);
      s.lastError = { message: `the PSA did not answer (${message}); the step is tried again automatically`, at: now(), step: step.what, retryAt: new Date(Date.now() + RETRY_AFTER_MS).toISOString() };
      return false;
    }
    s.held = heldAfter(s.held, step.operations.map((o) => o.operation), outcome.applied);
    s.pendingStep = null;
    s.lastSyncAt = now();
    s.history.push({ step: step.step, at: s.lastSyncAt, what: step.what, operations: outcome.applied.filter((a) => a !== null).length });
    if (s.history.length > KEPT) s.history.splice(0, s.history.length - KEPT);
    if (outcome.refused) {
      // No admin retry for a bundle: the refusal is shown (bundles show) and the line is worked out and tried again later.
      s.status = 'failed';
      s.lastError = { message: outcome.refused.message, at: now(), step: step.what, retryAt: new Date(Date.now() + RETRY_AFTER_MS).toISOString() };
      return false;
    }
    s.lastError = null;
    return true;
  }

  /** What moved the line since the last write: bundled values of new days, the end, or a correction. */
  function describe(r: BundleReplay): string {
    const before = new Set(s.synced.map((v) => JSON.stringify(v)));
    const fresh = r.values.filter((v) => v.from <= r.asOf && !before.has(JSON.stringify(v)));
    const parts = fresh.map((v) => `${v.from}: ${v.quantity} at ${v.unitPrice}`);
    if (s.spec?.endFrom) parts.push(`ended from ${s.spec.endFrom}`);
    if (s.step === 0) parts.unshift('created');
    return parts.length ? parts.join(', ') : 'correction';
  }

  /** The defined members that have not sent their billed values yet. */
  function waitingFor(spec: BundleSpec | null): string[] {
    return (spec?.members ?? []).filter((m) => s.members[m] === undefined);
  }

  function armTimer(): void {
    const candidates: number[] = [];
    if (s.lastError?.retryAt) candidates.push(Date.parse(s.lastError.retryAt));
    if (replay?.nextWake) candidates.push(toDayNumber(replay.nextWake) * DAY_MS);
    if (candidates.length === 0) return;
    const at = Math.min(...candidates);
    const ms = at - Date.now();
    if (ms <= 0) {
      dirty = true;
      return;
    }
    if (armedAt !== null && armedAt <= at && armedAt > Date.now()) return;
    armedAt = at;
    void sleep(ms).then(() => {
      if (armedAt === at) armedAt = null;
      dirty = true;
    });
  }

  function summary(): string {
    const line = replay?.values.filter((v) => v.from <= (replay?.asOf ?? '')).pop();
    const waiting = s.step === 0 ? waitingFor(s.spec) : [];
    const billing = line ? `bills ${line.quantity} at ${line.unitPrice}` : waiting.length > 0 ? `bills nothing until ${waiting.join(', ')} report(s)` : 'bills nothing yet';
    return `Bundle ${bundleId} (${s.spec?.terms.mode ?? 'deleted'}) on ${connectionId}: ${Object.keys(s.members).length} member(s) reported, ${billing}; ${s.status}`;
  }

  function view(): BundleWorkflowState {
    return {
      connectionId,
      bundleId,
      status: s.status,
      spec: s.spec,
      members: s.members,
      waitingFor: s.step === 0 ? waitingFor(s.spec) : [],
      values: replay?.values ?? [],
      ledger: replay?.ledger ?? null,
      asOf: replay?.asOf ?? null,
      held: s.held,
      lineIds: heldLineIds(s.held),
      nextWake: replay?.nextWake ?? null,
      step: s.step,
      syncing: s.pendingStep !== null || working || dirty,
      lastError: s.lastError,
      lastSyncAt: s.lastSyncAt,
      history: s.history,
    };
  }
}
