/**
 * The per-subscription ledger: everything the billing engine needs to carry from one event to
 * the next, for both PSA projections at once. Plain JSON (strings, numbers, booleans, arrays,
 * plain objects; no Map/Set/bigint/Date/class), so a Temporal workflow can keep it in its state
 * and hand it across continue-as-new unchanged.
 */
import type { IsoDate } from './dates';
import type { AtContractService, AtOperation, CwAddition, CwOperation } from './psa-operations';
import type { Agreement, BillCustomer, RulesChange, SyncRules } from './schemas';
import type { SubscriptionState } from './subscription-state';

/** A change of the billed quantity (§3), additive: billed(t) = Σ deltas dated ≤ t. */
export interface TimelinePoint {
  date: IsoDate;
  delta: number;
}

/**
 * §3 billed-quantity timeline of one product of the subscription, billed on [from, to]
 * (`to` null = open-ended). A full upgrade ends one lane and opens the next.
 */
export interface Lane {
  productId: string;
  from: IsoDate;
  to: IsoDate | null;
  points: TimelinePoint[];
}

/** §4 addition as the ledger tracks it. */
export interface LedgerAddition extends CwAddition {
  /** §4 rule 4: a folded delta stays as history; its quantity now lives in its base line. */
  folded: boolean;
  /** The base line a delta folds into (null for base and reversal lines). */
  baseLineKey: string | null;
}

export interface LedgerAdjustment {
  effectiveDate: IsoDate;
  unitChange: number;
}

/** §5 contract service with every adjustment the ledger asked for, in order (not netted). */
export interface LedgerService extends AtContractService {
  adjustments: LedgerAdjustment[];
}

export interface Ledger {
  version: 1;
  /** §2 rules in force before the first change of `rulesHistory`. */
  rules: SyncRules;
  /** Later rule changes, each for events dated on or after its day (rules-history.ts); absent = none. */
  rulesHistory?: RulesChange[];
  agreement: Agreement;
  /** S1's id when this ledger is the S2 of a partial upgrade (§4 rule 6). */
  parentSubscriptionId: string | null;
  billCustomer: BillCustomer | null;
  state: SubscriptionState;
  /** §4 rule 1 `max(start, agreement start)`: the "start date" of the window and the clamp (§3). */
  billingStart: IsoDate;
  /** §4 rule 4: every fold up to and including this month start has been done. */
  foldedThrough: IsoDate;
  lanes: Lane[];
  additions: LedgerAddition[];
  /** Keys of deleted additions, never reused for another line (the gateway maps keys to PSA ids). */
  retiredLineKeys: string[];
  services: LedgerService[];
  /**
   * Changes whose effective date fell after the end date (§3: no billing effect). Kept so a
   * later renewal (§3 "billing continues to E'") bills them once the term covers their date.
   */
  deferred: TimelinePoint[];
}

/** What one step of the engine asks the PSAs to do, in order. */
export interface PsaOps {
  connectwise: CwOperation[];
  autotask: AtOperation[];
}

export const emptyOps = (): PsaOps => ({ connectwise: [], autotask: [] });

export function cloneLedger(l: Ledger): Ledger {
  return {
    ...l,
    rules: { ...l.rules },
    ...(l.rulesHistory ? { rulesHistory: l.rulesHistory.map((c) => ({ from: c.from, rules: { ...c.rules } })) } : {}),
    agreement: { ...l.agreement },
    state: { ...l.state },
    lanes: l.lanes.map((ln) => ({ ...ln, points: ln.points.map((p) => ({ ...p })) })),
    additions: l.additions.map((a) => ({ ...a })),
    retiredLineKeys: [...l.retiredLineKeys],
    services: l.services.map((s) => ({ ...s, adjustments: s.adjustments.map((a) => ({ ...a })) })),
    deferred: l.deferred.map((p) => ({ ...p })),
  };
}
