/**
 * The PSA line operations the billing rules plan (docs/billing-rules.md §4, §5) and the gateways
 * apply. Lines are named by a stable `lineKey` chosen by the planner; the PSA's own record ids
 * live beside them in the mapping, never in the plan, so a plan is pure and replayable.
 */
import type { IsoDate } from './dates';
import type { Money } from './money';

export type PsaKind = 'connectwise' | 'autotask';

/** ConnectWise agreement addition roles (§4): base line, short-lived delta, reversal. */
export type AdditionKind = 'base' | 'delta' | 'reversal' | 'reconciliation';

export interface CwAddition {
  lineKey: string;
  subscriptionId: string;
  /** Platform product id; the gateway resolves it to the mapped catalog item. */
  productId: string;
  kind: AdditionKind;
  quantity: number;
  unitPrice: Money;
  unitCost: Money;
  effectiveDate: IsoDate;
  /** Last billed day (ConnectWise `cancelledDate`); null while open-ended. */
  cancelledDate: IsoDate | null;
}

export type CwOperation =
  | { type: 'cw.create-addition'; addition: CwAddition }
  | {
      type: 'cw.update-addition';
      lineKey: string;
      set: Partial<Pick<CwAddition, 'quantity' | 'unitPrice' | 'unitCost' | 'cancelledDate' | 'productId'>>;
    }
  | { type: 'cw.delete-addition'; lineKey: string };

/** Autotask contract service per (subscription, product) (§5): holds price and cost. */
export interface AtContractService {
  serviceKey: string;
  subscriptionId: string;
  productId: string;
  unitPrice: Money;
  unitCost: Money;
}

/**
 * Autotask one-off contract charge (added for §6: an accepted SaaS reconciliation posts the
 * month's delta cost and delta price as a quantity-1 charge; adjustments carry units only).
 */
export interface AtContractCharge {
  chargeKey: string;
  subscriptionId: string;
  productId: string;
  /** Date the charge is billed on (the last day of the reconciled month). */
  date: IsoDate;
  quantity: number;
  unitPrice: Money;
  unitCost: Money;
}

export type AtOperation =
  | { type: 'at.create-contract-service'; service: AtContractService }
  /** Price change: contract service unit price/cost (a PATCH on the contract service). */
  | { type: 'at.update-contract-service'; serviceKey: string; unitPrice: Money; unitCost: Money }
  /**
   * Units change only through create-only, effective-dated adjustments. `forDate`: the date the
   * change belongs to when `effectiveDate` is another (free) day because that one already holds
   * an adjustment (§5); absent when they are the same.
   */
  | { type: 'at.adjust-units'; serviceKey: string; effectiveDate: IsoDate; unitChange: number; forDate?: IsoDate }
  /** §6 accepted SaaS reconciliation (see AtContractCharge). */
  | { type: 'at.create-contract-charge'; charge: AtContractCharge };

export type PsaOperation = CwOperation | AtOperation;
