/**
 * §5 Autotask projection: one contract service per (subscription, product) holding price and
 * cost; units change only through create-only, effective-dated adjustments. Functions mutate a
 * ledger draft and append the matching operations (one `at.adjust-units` per change; the
 * gateway nets per date against what the PSA already holds and shift-posts, §5).
 */
import type { IsoDate } from './dates';
import { afterEnd } from './effective-date';
import type { Ledger, LedgerService, PsaOps } from './ledger-types';
import type { Money } from './money';

export const serviceKey = (subscriptionId: string, productId: string): string => `${subscriptionId}/${productId}`;

export function findService(ledger: Ledger, productId: string): LedgerService | undefined {
  const key = serviceKey(ledger.state.id, productId);
  return ledger.services.find((s) => s.serviceKey === key);
}

/**
 * §5 "Mapped: contract service for P" / "The new product gets its own contract service".
 * One service per (subscription, product): going back to a product reuses its service (the
 * prices are updated when they differ).
 */
export function atEnsureService(ledger: Ledger, ops: PsaOps, productId: string, unitPrice: Money, unitCost: Money): LedgerService {
  const found = findService(ledger, productId);
  if (found) {
    if (found.unitPrice !== unitPrice || found.unitCost !== unitCost) atChangePrice(ops, found, unitPrice, unitCost);
    return found;
  }
  const service: LedgerService = {
    serviceKey: serviceKey(ledger.state.id, productId),
    subscriptionId: ledger.state.id,
    productId,
    unitPrice,
    unitCost,
    adjustments: [],
  };
  ledger.services.push(service);
  const { adjustments: _omit, ...plain } = service;
  void _omit;
  ops.autotask.push({ type: 'at.create-contract-service', service: plain });
  return service;
}

/**
 * §5 one adjustment of Δ at its effective date. §3: a date after the subscription end has no
 * billing effect, so nothing is written for it.
 */
export function atAdjust(ledger: Ledger, ops: PsaOps, service: LedgerService, effectiveDate: IsoDate, unitChange: number): void {
  if (unitChange === 0 || afterEnd(effectiveDate, ledger.state.endDate)) return;
  service.adjustments.push({ effectiveDate, unitChange });
  ops.autotask.push({ type: 'at.adjust-units', serviceKey: service.serviceKey, effectiveDate, unitChange });
}

/** Units the service holds on `day`: the running sum of its adjustments (Autotask's own view). */
export function atUnitsOn(service: LedgerService, day: IsoDate): number {
  let q = 0;
  for (const a of service.adjustments) if (a.effectiveDate <= day) q += a.unitChange;
  return q;
}

/**
 * §5 full upgrade / cancellation: billing stops from `stopDate`. An adjustment of −billed at
 * that date, plus, for every pending adjustment effective later, an equal and opposite one at
 * the same date (adjustments cannot be deleted). We compensate the net of each later date
 * (one per date, skipped when a date already nets to 0): the same units, fewer writes, and
 * Autotask takes one adjustment per date anyway.
 */
export function atStop(ledger: Ledger, ops: PsaOps, service: LedgerService, stopDate: IsoDate): void {
  const billed = atUnitsOn(service, stopDate);
  const later = new Map<IsoDate, number>();
  for (const a of service.adjustments) {
    if (a.effectiveDate > stopDate) later.set(a.effectiveDate, (later.get(a.effectiveDate) ?? 0) + a.unitChange);
  }
  atAdjust(ledger, ops, service, stopDate, -billed);
  for (const [date, net] of [...later].sort((x, y) => (x[0] < y[0] ? -1 : 1))) atAdjust(ledger, ops, service, date, -net);
}

/** price-changed (our decision, see ledger.ts): `at.update-contract-service`. */
export function atChangePrice(ops: PsaOps, service: LedgerService, unitPrice: Money, unitCost: Money): void {
  if (service.unitPrice === unitPrice && service.unitCost === unitCost) return;
  service.unitPrice = unitPrice;
  service.unitCost = unitCost;
  ops.autotask.push({ type: 'at.update-contract-service', serviceKey: service.serviceKey, unitPrice, unitCost });
}

/**
 * §5 "the plan shows the net units per effective date": adjustments summed per date, in date
 * order, dates netting to 0 left out (nothing needs posting there).
 */
export function netAdjustments(service: LedgerService): Array<{ effectiveDate: IsoDate; unitChange: number }> {
  const byDate = new Map<IsoDate, number>();
  for (const a of service.adjustments) byDate.set(a.effectiveDate, (byDate.get(a.effectiveDate) ?? 0) + a.unitChange);
  return [...byDate]
    .filter(([, n]) => n !== 0)
    .sort((x, y) => (x[0] < y[0] ? -1 : 1))
    .map(([effectiveDate, unitChange]) => ({ effectiveDate, unitChange }));
}
