/**
 * The PSA side of a reconciliation (docs/billing-rules.md §6): what the PSA bills for a subscription
 * in the billing month, compared with the platform's invoices for that month — not what the PSA
 * holds today (a later change would otherwise show up as a false discrepancy).
 *
 * The month's quantity is the one in force on its last day (the platform invoices the month's
 * final quantity, "platform quantity (last billing period)"), priced at each line's unit cost
 * and price:
 * - Autotask: the units of each contract service's unit period in force that day (the gateway
 *   reads the unit periods, which keep the history).
 * - ConnectWise: every addition of the subscription active that day. Additions keep no history:
 *   a base line's quantity today includes the deltas folded into it since (§4 rule 4: at each
 *   month start, the deltas that ended before it are added to the base while it runs). Those
 *   folds are taken back out, so the base counts what it held on the day.
 * Reconciliation lines posted by earlier accepts are not what the sync billed, so they never count.
 */
import { endOfMonth, firstOfNextMonth, type IsoDate } from '../../domain/dates';
import { mulMoney, sumMoney } from '../../domain/money';
import type { ChargeValues } from '../../domain/reconciliation';
import type { PsaLineSnapshot } from '../psa/psa-gateway.port';

/** A ConnectWise addition's role (`<sub>/<product>/<kind>/<date>`) or an Autotask contract service (`<sub>/<product>`). */
export type BillingLineKind = 'base' | 'delta' | 'reversal' | 'service';

export interface BillingLine {
  key: string;
  kind: BillingLineKind;
  productId: string;
}

const BILLING_KINDS: ReadonlySet<string> = new Set(['base', 'delta', 'reversal']);

/** The subscription's lines that bill (planner keys parsed), in key order. */
export function billingLines(subscriptionId: string, lineIds: Record<string, number>): BillingLine[] {
  return Object.keys(lineIds)
    .sort()
    .flatMap((key): BillingLine[] => {
      const [sub, productId = '', kind] = key.split('/');
      if (sub !== subscriptionId) return [];
      if (kind === undefined) return [{ key, kind: 'service', productId }];
      return BILLING_KINDS.has(kind) ? [{ key, kind: kind as BillingLineKind, productId }] : [];
    });
}

/** The day whose quantity a billing month (`YYYY-MM`) is reconciled on: its last. */
export const reconciledDay = (month: string): IsoDate => endOfMonth(`${month}-01`);

const activeOn = (s: PsaLineSnapshot, day: IsoDate): boolean =>
  !!s.effectiveDate && s.effectiveDate <= day && (s.cancelledDate == null || day <= s.cancelledDate);

/**
 * The lines as they billed on `day`, read `today`: Autotask contract services as read (their
 * quantity is already the day's), ConnectWise additions active that day with each base line's
 * later folds taken back out.
 */
export function linesOn(lines: readonly { line: BillingLine; snapshot: PsaLineSnapshot }[], day: IsoDate, today: IsoDate): PsaLineSnapshot[] {
  const deltas = lines.filter((l) => l.line.kind === 'delta');
  return lines.flatMap(({ line, snapshot }): PsaLineSnapshot[] => {
    if (line.kind === 'service') return [snapshot];
    if (!activeOn(snapshot, day)) return [];
    if (line.kind !== 'base') return [snapshot];
    // A delta ending on `c` is folded on the first of the next month if the base still runs
    // then; folds after `day` that have happened by `today` are in the base's quantity now.
    const foldedSince = deltas
      .filter((d) => d.line.productId === line.productId && d.snapshot.cancelledDate != null)
      .filter((d) => {
        const foldDay = firstOfNextMonth(d.snapshot.cancelledDate!);
        const baseRuns = snapshot.cancelledDate == null || foldDay <= snapshot.cancelledDate;
        return day < foldDay && foldDay <= today && baseRuns;
      })
      .reduce((n, d) => n + d.snapshot.quantity, 0);
    return [{ ...snapshot, quantity: snapshot.quantity - foldedSince }];
  });
}

/** Quantity and month totals of the billing lines: Σ quantity, Σ quantity × unit cost / price. */
export function psaMonthValues(lines: readonly PsaLineSnapshot[]): ChargeValues {
  return {
    quantity: lines.reduce((n, l) => n + l.quantity, 0),
    cost: sumMoney(lines.map((l) => mulMoney(l.unitCost, l.quantity))),
    price: sumMoney(lines.map((l) => mulMoney(l.unitPrice, l.quantity))),
  };
}
