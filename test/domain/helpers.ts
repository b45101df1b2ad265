/** Test helpers: scenario builders, an in-memory PSA that applies ops, invariant checks. */
import {
  addDays,
  atUnitsOn,
  billedQuantityOn,
  cwQuantityOn,
  endOfMonth,
  firstOfMonth,
  planScenario,
  replayScenario,
  parseScenario,
  type CwAddition,
  type CwOperation,
  type AtOperation,
  type IsoDate,
  type Ledger,
  type PlanOutput,
  type ScenarioInput,
  type SubscriptionEventInput,
} from '../../domain';

export const SUB = {
  id: 'sub-1',
  productId: 'm365-bp',
  quantity: 10,
  unitPrice: '22.00',
  unitCost: '18.70',
  startDate: '2026-03-01',
  endDate: '2027-02-28',
  billingFrequency: 'monthly' as const,
  autoRenew: true,
  kind: 'saas' as const,
};

type Rules = { positiveChange?: 'actual-date' | 'first-of-month'; negativeChange?: 'actual-date' | 'first-of-next-month'; cancellation?: 'cancellation-date' | 'end-of-month'; committedDecrease?: 'at-renewal' | 'negative-change' };

export function scenario(
  events: SubscriptionEventInput[],
  opts: { rules?: Rules; subscription?: Record<string, unknown>; agreement?: { startDate?: string; periodType?: 'monthly' | 'yearly' }; asOf?: string } = {},
): ScenarioInput {
  return {
    psa: 'connectwise',
    rules: { positiveChange: 'actual-date', negativeChange: 'actual-date', cancellation: 'cancellation-date', ...opts.rules },
    agreement: { startDate: '2026-03-01', periodType: 'monthly', ...opts.agreement },
    subscription: { ...SUB, ...opts.subscription } as ScenarioInput['subscription'],
    events,
    ...(opts.asOf ? { asOf: opts.asOf } : {}),
  };
}

export const plan = (s: ScenarioInput, asOf?: string): PlanOutput => planScenario(s, asOf);

/** Additions without subscriptionId/prices, for compact assertions. */
export function lines(p: PlanOutput, productId?: string) {
  return p.connectwise.additions
    .filter((a) => productId === undefined || a.productId === productId)
    .map((a) => ({ kind: a.kind, productId: a.productId, quantity: a.quantity, effectiveDate: a.effectiveDate, cancelledDate: a.cancelledDate }));
}

export function adjustments(p: PlanOutput, productId: string, subscriptionId = 'sub-1') {
  const s = p.autotask.contractServices.find((c) => c.productId === productId && c.subscriptionId === subscriptionId);
  return s ? s.adjustments.map((a) => [a.effectiveDate, a.unitChange] as const) : undefined;
}

export function timeline(p: PlanOutput) {
  return p.timeline.map((t) => [t.productId, t.from, t.to, t.quantity] as const);
}

/** Order-insensitive comparison (arrays compare as sets in the shared examples). */
export function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sortDeep(x)]));
  return v;
}

/** An in-memory ConnectWise: applies ops in order and returns the lines by key. */
export function applyCwOps(ops: readonly CwOperation[], into: Map<string, CwAddition> = new Map()): Map<string, CwAddition> {
  for (const op of ops) {
    if (op.type === 'cw.create-addition') {
      if (into.has(op.addition.lineKey)) throw new Error(`duplicate create ${op.addition.lineKey}`);
      into.set(op.addition.lineKey, { ...op.addition });
    } else if (op.type === 'cw.update-addition') {
      const line = into.get(op.lineKey);
      if (!line) throw new Error(`update of missing ${op.lineKey}`);
      Object.assign(line, op.set);
    } else {
      if (!into.delete(op.lineKey)) throw new Error(`delete of missing ${op.lineKey}`);
    }
  }
  return into;
}

export interface MemService {
  productId: string;
  unitPrice: string;
  unitCost: string;
  adjustments: Array<{ effectiveDate: string; unitChange: number }>;
}
/** An in-memory Autotask: contract services and their (create-only) adjustments. */
export function applyAtOps(ops: readonly AtOperation[], into: Map<string, MemService> = new Map()): Map<string, MemService> {
  for (const op of ops) {
    if (op.type === 'at.create-contract-service') {
      if (into.has(op.service.serviceKey)) throw new Error(`duplicate service ${op.service.serviceKey}`);
      into.set(op.service.serviceKey, { productId: op.service.productId, unitPrice: op.service.unitPrice, unitCost: op.service.unitCost, adjustments: [] });
    } else if (op.type === 'at.update-contract-service') {
      const s = into.get(op.serviceKey)!;
      s.unitPrice = op.unitPrice;
      s.unitCost = op.unitCost;
    } else if (op.type === 'at.adjust-units') {
      const s = into.get(op.serviceKey);
      if (!s) throw new Error(`adjustment on missing ${op.serviceKey}`);
      s.adjustments.push({ effectiveDate: op.effectiveDate, unitChange: op.unitChange });
    }
  }
  return into;
}

/** Replays a scenario and returns its ledgers (validating first). */
export function replay(s: ScenarioInput, asOf?: string) {
  const parsed = parseScenario(s);
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return replayScenario(parsed.value, asOf);
}

/** Days where a step function built from the ledger may change (and the day before each). */
export function interestingDays(ledger: Ledger, extra: IsoDate[] = []): IsoDate[] {
  const ds = new Set<IsoDate>(extra);
  const add = (d: IsoDate | null) => {
    if (d === null) return;
    ds.add(d);
    ds.add(addDays(d, -1));
    ds.add(addDays(d, 1));
  };
  for (const l of ledger.lanes) {
    add(l.from);
    add(l.to);
    l.points.forEach((p) => add(p.date));
  }
  for (const a of ledger.additions) {
    add(a.effectiveDate);
    add(a.cancelledDate);
  }
  for (const s of ledger.services) s.adjustments.forEach((a) => add(a.effectiveDate));
  return [...ds].sort();
}

/**
 * §3 invariant at replay time T: for every day of T's month (from the ledger's point of view,
 * with the month's fold done), the sum of active ConnectWise additions equals the timeline; and
 * for every day up to the end date, the running sum of Autotask adjustments equals it.
 */
export function checkInvariants(ledger: Ledger, T: IsoDate, opts: { autotask?: boolean } = {}): string[] {
  const checkAt = opts.autotask ?? true;
  const errors: string[] = [];
  const products = new Set(ledger.lanes.map((l) => l.productId).concat(ledger.additions.map((a) => a.productId)));
  const end = ledger.state.endDate;
  const monthFrom = firstOfMonth(T);
  const monthTo = endOfMonth(T);
  const days = interestingDays(ledger, [monthFrom, monthTo]).filter((t) => checkAt || (t >= monthFrom && t <= monthTo));
  for (const p of products) {
    for (const t of days) {
      const want = billedQuantityOn(ledger, p, t);
      if (t >= monthFrom && t <= monthTo) {
        const cw = cwQuantityOn(ledger.additions, t, p);
        if (cw !== want) errors.push(`CW ${p} on ${t}: lines ${cw} ≠ timeline ${want} (T=${T})`);
      }
      if (checkAt && t >= ledger.billingStart && (end === null || t <= end)) {
        const svc = ledger.services.find((s) => s.productId === p);
        const at = svc ? atUnitsOn(svc, t) : 0;
        if (at !== want) errors.push(`AT ${p} on ${t}: units ${at} ≠ timeline ${want} (T=${T})`);
      }
    }
  }
  return errors;
}
