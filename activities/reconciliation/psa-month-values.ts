/**
 * The PSA side of a reconciliation (billing-rules.md §6): which of a subscription's lines carry
 * the month's charge, and their quantity and cost/price totals.
 *
 * The line that bills a month is the subscription's base line (ConnectWise) or contract service
 * (Autotask): after the month-start fold (§4 rule 4) it carries the whole quantity, deltas and
 * reversals only bridge the days before. Reconciliation lines posted by earlier accepts are not
 * part of what the sync billed, so they never count.
 */
import { mulMoney, sumMoney } from '../../domain/money';
import type { ChargeValues } from '../../domain/reconciliation';
import type { PsaLineSnapshot } from '../psa/psa-gateway.port';

/** Planner keys of the lines that bill the subscription's month, in key order. */
export function billingLineKeys(subscriptionId: string, lineIds: Record<string, number>): string[] {
  return Object.keys(lineIds)
    .filter((key) => {
      const parts = key.split('/');
      if (parts[0] !== subscriptionId) return false;
      // ConnectWise `<sub>/<product>/base/<date>`; Autotask contract service `<sub>/<product>`.
      return (parts.length >= 4 && parts[2] === 'base') || parts.length === 2;
    })
    .sort();
}

/** Quantity and month totals of the billing lines: Σ quantity, Σ quantity × unit cost / price. */
export function psaMonthValues(lines: readonly PsaLineSnapshot[]): ChargeValues {
  return {
    quantity: lines.reduce((n, l) => n + l.quantity, 0),
    cost: sumMoney(lines.map((l) => mulMoney(l.unitCost, l.quantity))),
    price: sumMoney(lines.map((l) => mulMoney(l.unitPrice, l.quantity))),
  };
}
