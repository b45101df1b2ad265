/**
 * Adoption at cutover and drift (docs/adopt-and-drift.md), for the admin API, the CLI and the
 * console: read the lines of a subscription's agreement from the PSA, compare them with the
 * ledger (domain/owned-lines.ts), and tell the subscription's workflow what the PSA holds
 * (`takeOverLines`) — the workflow then writes the ledger's values itself. Nothing here writes
 * a PSA line or the workflow's state directly.
 *
 * - `adoption` / `adoptionAll`: the dry run (a report) or, with `apply`, the take-over, per
 *   subscription or for every mapped subscription of a connection.
 * - `planForPlacement` + `adoptPlanned`: the same, for `services map --adopt` (before the
 *   placement reaches the workflow, so its first sync updates the adopted line).
 * - `drift`, `restore`, `accept`: the owned lines compared now; write the ledger's values back;
 *   or accept the PSA's values (recorded as events dated today, so `plan` explains the bill).
 */
import { z } from 'zod';
import type { DriftReport } from '../../contracts/owned-lines';
import type { SubscriptionPlacement, SubscriptionWorkflowState } from '../../contracts/subscription';
import { isoDateOf, type IsoDate } from '../../domain/dates';
import type { LoggedEvent } from '../../domain/event-log';
import type { Ledger } from '../../domain/ledger-types';
import { findDrift, observedHeld, planAdoption, type AdoptionTarget, type DriftFinding, type PsaLineFound } from '../../domain/owned-lines';
import { replaySubscription } from '../../domain/replay';
import { mappedProductIds } from '../../activities/psa-targets';
import { parseInput, type Connection, type SubscriptionMapping } from '../../activities/store';
import { ConflictError, invalid, NotFoundError, normalizeErrors } from './mapping-errors';
import type { MappingServiceDeps } from './mapping-service.deps';

const psaLineId = z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').positive('must be positive');

/** Dry run or apply; `line`: the PSA line to take over when several fit. */
export const AdoptionInputSchema = z.object({ line: psaLineId.optional() }).strict();
export const DriftRestoreInputSchema = z.object({ lineKey: z.string().min(1, 'must not be empty').max(400, 'is too long').optional() }).strict();
export const DriftAcceptInputSchema = z
  .object({
    lineKey: z.string({ required_error: 'is required' }).min(1, 'must not be empty').max(400, 'is too long'),
    field: z.enum(['quantity', 'unitPrice', 'unitCost'], { errorMap: () => ({ message: 'must be quantity, unitPrice or unitCost (other fields can only be restored)' }) }).optional(),
  })
  .strict();

/** A target as reported: candidates by id and quantity only (the full lines are in `differences`). */
export interface AdoptionView extends Omit<AdoptionTarget, 'held' | 'candidates'> {
  candidates: Array<Pick<PsaLineFound, 'psaId' | 'quantity' | 'unitPrice' | 'description'>>;
}

export interface AdoptionReport {
  subscriptionId: string;
  psa: Connection['psa'];
  agreementId: number;
  /** True when the take-over was handed to the workflow (apply, and every target adoptable or held). */
  applied: boolean;
  targets: AdoptionView[];
}

interface Planned {
  report: Omit<AdoptionReport, 'applied'>;
  targets: AdoptionTarget[];
}

const view = (t: AdoptionTarget): AdoptionView => {
  const { held: _held, candidates, ...rest } = t;
  void _held;
  return { ...rest, candidates: candidates.map((c) => ({ psaId: c.psaId, quantity: c.quantity, unitPrice: c.unitPrice, description: c.description })) };
};

export function createOwnedLineOperations(deps: MappingServiceDeps) {
  const { store } = deps;
  const subs = store.mappings.subscriptions;
  const today = (): IsoDate => isoDateOf((deps.now ?? (() => new Date()))().getTime());

  async function connection(connectionId: string): Promise<Connection> {
    const conn = await store.connections.get(connectionId);
    if (!conn) throw new NotFoundError('connection', connectionId);
    return conn;
  }

  async function linked(connectionId: string, subscriptionId: string): Promise<SubscriptionMapping & { agreementId: number }> {
    const m = await subs.get(connectionId, subscriptionId);
    if (!m) throw new NotFoundError('subscription mapping', `${connectionId}/${subscriptionId}`);
    if (!m.linked || m.agreementId === undefined) throw new ConflictError(`subscription "${subscriptionId}" is not mapped; map it with --adopt (POST …/mapping with "adopt": true) to take over its line at cutover`);
    return m as SubscriptionMapping & { agreementId: number };
  }

  const state = (connectionId: string, subscriptionId: string) =>
    normalizeErrors(() => deps.platform.state(connectionId, subscriptionId, { timeoutMs: deps.stateQueryTimeoutMs ?? 5_000 }), { kind: 'subscription workflow', id: subscriptionId });

  /** PSA ids any subscription of the connection owns (never taken over twice). */
  async function ownedIds(connectionId: string): Promise<Set<number>> {
    const out = new Set<number>();
    for (let skip = 0; ; skip += 500) {
      const page = await subs.list(connectionId, { linked: true, limit: 500, skip });
      for (const m of page.items) for (const id of Object.values(m.lineIds ?? {})) out.add(id);
      if (page.items.length < 500) return out;
    }
  }

  /** The ledger the workflow bills on `placement` (its own when it has one, else its log replayed as it will replay it). */
  function ledgerOf(s: SubscriptionWorkflowState, placement: SubscriptionPlacement): Ledger {
    if (s.ledger && s.placement?.agreementId === placement.agreementId) return s.ledger;
    if (!s.report) throw new ConflictError(`subscription "${s.subscriptionId}" has not been reported by the platform yet`);
    const log: LoggedEvent[] = s.events.map((e, arrival) => ({ id: e.id, sequence: e.sequence, arrival, receivedAt: e.receivedAt, event: e.event }));
    return replaySubscription({
      init: { rules: placement.rules, agreement: placement.agreement, subscription: s.report.subscription, parentSubscriptionId: placement.parentSubscriptionId ?? null },
      log,
      asOf: today(),
      skipped: new Set(s.events.filter((e) => e.status === 'skipped').map((e) => e.id)),
    }).ledger;
  }

  async function productIds(connectionId: string, m: Pick<SubscriptionMapping, 'productIds'>): Promise<Record<string, number>> {
    return { ...(await mappedProductIds(store, connectionId)), ...(m.productIds ?? {}) };
  }

  async function plan(connectionId: string, subscriptionId: string, placement: SubscriptionPlacement, s: SubscriptionWorkflowState, m: Pick<SubscriptionMapping, 'productIds'>, line?: number): Promise<Planned> {
    const gateway = await deps.gateways.forConnection(connectionId);
    const lines = await gateway.listLines(placement.agreementId);
    const targets = planAdoption({
      psa: placement.psa,
      ledger: ledgerOf(s, placement),
      held: s.held,
      productPsaIds: await productIds(connectionId, m),
      lines,
      owned: await ownedIds(connectionId),
      today: today(),
      ...(line !== undefined ? { chosen: { line } } : {}),
    });
    if (line !== undefined && !targets.some((t) => t.psaId === line)) {
      throw invalid({ path: 'line', message: `${line} is not a line of this subscription's product on ${placement.psa === 'connectwise' ? 'agreement' : 'contract'} ${placement.agreementId} that no subscription owns` });
    }
    return { report: { subscriptionId, psa: placement.psa, agreementId: placement.agreementId, targets: targets.map(view) }, targets };
  }

  /** Hands the adoptable targets to the workflow and records their line ids on the mapping. */
  async function adoptPlanned(connectionId: string, subscriptionId: string, planned: Planned, by: string): Promise<AdoptionReport> {
    const adopt = planned.targets.filter((t) => t.outcome === 'adopt' && t.held);
    if (adopt.length === 0) return { ...planned.report, applied: false };
    const lines = Object.fromEntries(adopt.map((t) => [t.lineKey, t.held!]));
    await normalizeErrors(() =>
      deps.platform.takeOverLines(connectionId, subscriptionId, {
        kind: 'adopt',
        agreementId: planned.report.agreementId,
        ...(planned.report.psa === 'connectwise' ? { connectwise: lines as never } : { autotask: lines as never }),
        by,
      }),
    );
    // The mapping document lists the line as owned at once (another subscription cannot take it).
    await subs.setLineIds(connectionId, subscriptionId, Object.fromEntries(adopt.map((t) => [t.lineKey, t.psaId!])));
    return { ...planned.report, applied: true };
  }

  function refuseUnadoptable(planned: Planned): void {
    const bad = planned.targets.filter((t) => t.outcome === 'ambiguous' || t.outcome === 'no-match');
    if (bad.length === 0) return;
    throw new ConflictError(
      bad
        .map((t) =>
          t.outcome === 'ambiguous'
            ? `${t.lineKey}: ${t.candidates.length} lines fit (${t.candidates.map((c) => `${c.psaId} qty ${c.quantity}`).join(', ')}); choose one with line`
            : `${t.lineKey}: no line of product ${t.productId} on ${planned.report.psa === 'connectwise' ? 'agreement' : 'contract'} ${planned.report.agreementId} that no subscription owns; map without adopt to create one`,
        )
        .join('; '),
    );
  }

  async function adoption(connectionId: string, subscriptionId: string, input: unknown, opts: { apply: boolean; by: string }): Promise<AdoptionReport> {
    const { line } = parseInput(AdoptionInputSchema, input ?? {});
    await connection(connectionId);
    const m = await linked(connectionId, subscriptionId);
    const s = await state(connectionId, subscriptionId);
    if (!s.placement) throw new ConflictError(`subscription "${subscriptionId}" has no placement in its workflow yet; try again in a moment`);
    const planned = await plan(connectionId, subscriptionId, s.placement, s, m, line);
    if (!opts.apply) return { ...planned.report, applied: false };
    return adoptPlanned(connectionId, subscriptionId, planned, opts.by);
  }

  return {
    adoption,

    /** Every mapped subscription of the connection: the dry run, or the take-over of each adoptable line. */
    async adoptionAll(connectionId: string, opts: { apply: boolean; by: string }) {
      await connection(connectionId);
      const items: Array<AdoptionReport | { subscriptionId: string; error: string }> = [];
      for (let skip = 0; ; skip += 500) {
        const page = await subs.list(connectionId, { linked: true, limit: 500, skip });
        for (const m of page.items) {
          try {
            items.push(await adoption(connectionId, m.platformId, {}, opts));
          } catch (e) {
            items.push({ subscriptionId: m.platformId, error: e instanceof Error ? e.message : String(e) });
          }
        }
        if (page.items.length < 500) break;
      }
      const totals = { adopt: 0, held: 0, ambiguous: 0, 'no-match': 0, lookAlikes: 0, failed: 0 };
      for (const i of items) {
        if ('error' in i) totals.failed += 1;
        else for (const t of i.targets) {
          totals[t.outcome] += 1;
          totals.lookAlikes += t.lookAlikes?.length ?? 0;
        }
      }
      return { connectionId, applied: opts.apply, totals, items };
    },

    /** `services map --adopt`: what would be taken over on this placement; refuses (409) unless every line is adoptable. */
    async planForPlacement(connectionId: string, subscriptionId: string, placement: SubscriptionPlacement, productPsaIds: Record<string, number>, line?: number): Promise<Planned> {
      const s = await state(connectionId, subscriptionId);
      const planned = await plan(connectionId, subscriptionId, placement, s, { productIds: productPsaIds }, line);
      refuseUnadoptable(planned);
      return planned;
    },
    adoptPlanned,

    /** The owned lines compared with the ledger now, and the last daily comparison. */
    async drift(connectionId: string, subscriptionId: string): Promise<{ subscriptionId: string; asOf: IsoDate; findings: DriftFinding[]; lastReport: DriftReport | null }> {
      await connection(connectionId);
      const m = await linked(connectionId, subscriptionId);
      const s = await state(connectionId, subscriptionId);
      const findings = await compare(connectionId, m, s);
      return { subscriptionId, asOf: today(), findings, lastReport: s.drift ?? null };
    },

    /** Restore: the workflow learns what the PSA holds for the drifted lines (all, or one) and writes the ledger's values back. */
    async restore(connectionId: string, subscriptionId: string, input: unknown, by: string) {
      const { lineKey } = parseInput(DriftRestoreInputSchema, input ?? {});
      await connection(connectionId);
      const m = await linked(connectionId, subscriptionId);
      const s = await state(connectionId, subscriptionId);
      const { findings, lines } = await compareWithLines(connectionId, m, s);
      const keys = [...new Set(findings.map((f) => f.lineKey))].filter((k) => lineKey === undefined || k === lineKey);
      if (lineKey !== undefined && keys.length === 0) throw invalid({ path: 'lineKey', message: `${lineKey} has not drifted (the PSA holds what the ledger bills)` });
      if (keys.length === 0) return { subscriptionId, restored: [], findings };
      await takeOver(connectionId, subscriptionId, s, keys, lines, by);
      return { subscriptionId, restored: keys, findings: findings.filter((f) => keys.includes(f.lineKey)) };
    },

    /**
     * Accept the PSA's value of a drifted quantity or price: recorded as the platform event that
     * would bill it from today (`quantity-changed` by the drift, `price-changed` to the PSA's
     * price), id `drift-accepted/<line>/<field>/<date>`, and the workflow learns what the PSA
     * holds — so the ledger, `plan` and the PSA agree from today on, and billed history stays.
     */
    async accept(connectionId: string, subscriptionId: string, input: unknown, by: string) {
      const { lineKey, field } = parseInput(DriftAcceptInputSchema, input);
      await connection(connectionId);
      const m = await linked(connectionId, subscriptionId);
      const s = await state(connectionId, subscriptionId);
      const { findings, lines } = await compareWithLines(connectionId, m, s);
      const mine = findings.filter((f) => f.lineKey === lineKey && (field === undefined || f.field === field));
      if (mine.length === 0) throw invalid({ path: 'lineKey', message: `${lineKey} has no drift${field ? ` in ${field}` : ''} to accept` });
      const other = mine.find((f) => f.field !== 'quantity' && f.field !== 'unitPrice' && f.field !== 'unitCost');
      if (other) throw new ConflictError(`${lineKey}: a drifted ${other.field} cannot be accepted (the connector bills the platform's product and dates); restore it instead`);
      const ledger = s.ledger!;
      const day = today();
      const events: Array<Record<string, unknown>> = [];
      const q = mine.find((f) => f.field === 'quantity');
      if (q) events.push({ id: `drift-accepted/${lineKey}/quantity/${day}`, type: 'quantity-changed', date: day, quantity: ledger.state.quantity + (Number(q.found) - Number(q.expected)) });
      const price = mine.find((f) => f.field === 'unitPrice');
      const cost = mine.find((f) => f.field === 'unitCost');
      if (price || cost) {
        events.push({ id: `drift-accepted/${lineKey}/price/${day}`, type: 'price-changed', date: day, unitPrice: price ? String(price.found) : ledger.state.unitPrice, unitCost: cost ? String(cost.found) : ledger.state.unitCost });
      }
      for (const e of events) await normalizeErrors(() => deps.platform.sendEvent(connectionId, subscriptionId, e));
      await takeOver(connectionId, subscriptionId, s, [lineKey], lines, by);
      return { subscriptionId, accepted: mine, events };
    },
  };

  async function takeOver(connectionId: string, subscriptionId: string, s: SubscriptionWorkflowState, keys: string[], lines: PsaLineFound[], by: string): Promise<void> {
    const psa = s.placement!.psa;
    const byId = new Map(lines.map((l) => [l.psaId, l]));
    const owned = psa === 'connectwise' ? s.held.connectwise : s.held.autotask;
    const observed = Object.fromEntries(keys.map((k) => [k, observedHeld(psa, s.held, k, byId.get(owned[k]!.psaId) ?? null)]));
    await normalizeErrors(() =>
      deps.platform.takeOverLines(connectionId, subscriptionId, { kind: 'restore', agreementId: s.placement!.agreementId, ...(psa === 'connectwise' ? { connectwise: observed as never } : { autotask: observed as never }), by }),
    );
  }

  async function compareWithLines(connectionId: string, m: Pick<SubscriptionMapping, 'productIds'>, s: SubscriptionWorkflowState): Promise<{ findings: DriftFinding[]; lines: PsaLineFound[] }> {
    if (!s.placement) throw new ConflictError(`subscription "${s.subscriptionId}" has no placement in its workflow`);
    if (s.syncing || s.status === 'failed') throw new ConflictError(`subscription "${s.subscriptionId}" is ${s.status === 'failed' ? 'failed' : 'syncing'}: its lines are compared once its workflow is in step with the PSA`);
    const lines = await (await deps.gateways.forConnection(connectionId)).listLines(s.placement.agreementId);
    return { findings: findDrift(s.placement.psa, s.ledger, s.held, lines, await productIds(connectionId, m), today()), lines };
  }

  async function compare(connectionId: string, m: Pick<SubscriptionMapping, 'productIds'>, s: SubscriptionWorkflowState): Promise<DriftFinding[]> {
    return (await compareWithLines(connectionId, m, s)).findings;
  }
}

export type OwnedLineOperations = ReturnType<typeof createOwnedLineOperations>;
