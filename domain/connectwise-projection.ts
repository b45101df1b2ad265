/**
 * §4 ConnectWise projection: one base addition per (subscription, product) plus short-lived
 * delta and reversal additions. Functions here mutate a ledger draft (the exported reducers in
 * ledger.ts clone first) and append the matching operations.
 */
import { endOfMonth, firstOfMonth, firstOfNextMonth, minDate, type IsoDate } from './dates';
import { deltaCancelledDate } from './effective-date';
import type { Ledger, LedgerAddition, PsaOps } from './ledger-types';
import type { Money } from './money';
import type { Problem } from './problems';
import type { AdditionKind, CwAddition } from './psa-operations';
import type { Agreement, Subscription } from './schemas';

/**
 * §4 rule 9: a yearly subscription maps only to a yearly agreement starting on the first day of
 * the subscription's start month; the error names both dates. We also refuse an agreement that
 * starts after the subscription ended (nothing could ever be billed on it).
 */
export function mappingProblems(agreement: Agreement, subscription: Subscription): Problem[] {
  const problems: Problem[] = [];
  if (subscription.billingFrequency === 'yearly') {
    const needed = firstOfMonth(subscription.startDate);
    if (agreement.periodType !== 'yearly') {
      problems.push({
        path: 'agreement.periodType',
        message: `is monthly, but yearly subscription ${subscription.id} (start ${subscription.startDate}) needs a yearly agreement starting ${needed}; this agreement starts ${agreement.startDate} (§4 rule 9)`,
      });
    }
    if (agreement.startDate !== needed) {
      problems.push({
        path: 'agreement.startDate',
        message: `is ${agreement.startDate}, but yearly subscription ${subscription.id} starts ${subscription.startDate}, so its agreement must start on ${needed} (§4 rule 9)`,
      });
    }
  }
  if (subscription.endDate !== null && agreement.startDate > subscription.endDate) {
    problems.push({
      path: 'agreement.startDate',
      message: `is ${agreement.startDate}, after subscription ${subscription.id} ends (${subscription.endDate}): nothing could be billed`,
    });
  }
  return problems;
}

/** A line key not used before by this ledger (deleted keys are never reused). */
function freshKey(ledger: Ledger, wanted: string): string {
  const taken = (k: string) => ledger.retiredLineKeys.includes(k) || ledger.additions.some((a) => a.lineKey === k);
  if (!taken(wanted)) return wanted;
  for (let n = 2; ; n++) if (!taken(`${wanted}~${n}`)) return `${wanted}~${n}`;
}

export const lineKey = (subscriptionId: string, productId: string, kind: AdditionKind, date: IsoDate): string =>
  `${subscriptionId}/${productId}/${kind}/${date}`;

/** The addition as the PSA holds it (the ledger's bookkeeping fields dropped). */
export function toCw(a: LedgerAddition): CwAddition {
  return {
    lineKey: a.lineKey,
    subscriptionId: a.subscriptionId,
    productId: a.productId,
    kind: a.kind,
    quantity: a.quantity,
    unitPrice: a.unitPrice,
    unitCost: a.unitCost,
    effectiveDate: a.effectiveDate,
    cancelledDate: a.cancelledDate,
  };
}

function create(ledger: Ledger, ops: PsaOps, a: Omit<LedgerAddition, 'lineKey'> & { wantedKey: string }): LedgerAddition {
  const { wantedKey, ...rest } = a;
  const line: LedgerAddition = { lineKey: freshKey(ledger, wantedKey), ...rest };
  ledger.additions.push(line);
  ops.connectwise.push({ type: 'cw.create-addition', addition: toCw(line) });
  return line;
}

function remove(ledger: Ledger, ops: PsaOps, line: LedgerAddition): void {
  ledger.additions.splice(ledger.additions.indexOf(line), 1);
  ledger.retiredLineKeys.push(line.lineKey);
  ops.connectwise.push({ type: 'cw.delete-addition', lineKey: line.lineKey });
}

/** The base line of the subscription's current product (the last base line created). */
export function currentBase(ledger: Ledger): LedgerAddition | undefined {
  for (let i = ledger.additions.length - 1; i >= 0; i--) {
    const a = ledger.additions[i]!;
    if (a.kind === 'base') return a.productId === ledger.state.productId ? a : undefined;
  }
  return undefined;
}

/** Deltas that fold into `base` (§4 rule 4 "delta line of the current base product"). */
const deltasOf = (ledger: Ledger, base: LedgerAddition) =>
  ledger.additions.filter((a) => a.kind === 'delta' && a.baseLineKey === base.lineKey);

const activeOn = (a: CwAddition, day: IsoDate) => a.effectiveDate <= day && (a.cancelledDate === null || day <= a.cancelledDate);

/** Sum of the quantities of every addition active on `day` (optionally of one product). */
export function cwQuantityOn(additions: readonly CwAddition[], day: IsoDate, productId?: string): number {
  let q = 0;
  for (const a of additions) {
    if (a.kind === 'reconciliation') continue;
    if (productId !== undefined && a.productId !== productId) continue;
    if (activeOn(a, day)) q += a.quantity;
  }
  return q;
}

/** §4 rule 1 (and rule 6 for S2): the base line of a newly mapped product. */
export function cwCreateBase(
  ledger: Ledger,
  ops: PsaOps,
  p: { productId: string; quantity: number; unitPrice: Money; unitCost: Money; effectiveDate: IsoDate },
): void {
  create(ledger, ops, {
    wantedKey: lineKey(ledger.state.id, p.productId, 'base', p.effectiveDate),
    subscriptionId: ledger.state.id,
    productId: p.productId,
    kind: 'base',
    quantity: p.quantity,
    unitPrice: p.unitPrice,
    unitCost: p.unitCost,
    effectiveDate: p.effectiveDate,
    cancelledDate: ledger.state.endDate,
    folded: false,
    baseLineKey: null,
  });
}

/** §4 rule 2: inside the purchase window the base line changes in place; dates stay. */
export function cwChangeInWindow(
  ledger: Ledger,
  ops: PsaOps,
  change: { delta: number; productId?: string; unitPrice?: Money; unitCost?: Money },
): void {
  const base = currentBaseOrThrow(ledger);
  const set: Extract<PsaOps['connectwise'][number], { type: 'cw.update-addition' }>['set'] = {};
  if (change.delta !== 0) set.quantity = base.quantity = base.quantity + change.delta;
  if (change.productId !== undefined) set.productId = base.productId = change.productId;
  if (change.unitPrice !== undefined) set.unitPrice = base.unitPrice = change.unitPrice;
  if (change.unitCost !== undefined) set.unitCost = base.unitCost = change.unitCost;
  if (Object.keys(set).length > 0) ops.connectwise.push({ type: 'cw.update-addition', lineKey: base.lineKey, set });
}

function currentBaseOrThrow(ledger: Ledger): LedgerAddition {
  const base = currentBase(ledger);
  if (!base) throw new Error(`ledger ${ledger.state.id}: no base line for ${ledger.state.productId}`);
  return base;
}

/**
 * §4 rule 3: a change after the window lands on the delta line of its effective date `e`
 * (created if missing: quantity Δ, cancelled `min(EOM(e), end)`, the base line's prices).
 * §4 "a delta whose quantity nets to 0 before it ever billed is deleted": we hold a line to have
 * billed once a whole day of it has passed, i.e. its effective date is before `today`.
 */
export function cwChangeAfterWindow(ledger: Ledger, ops: PsaOps, e: IsoDate, delta: number, today: IsoDate): void {
  const base = currentBaseOrThrow(ledger);
  const existing = ledger.additions.find(
    (a) => a.kind === 'delta' && a.baseLineKey === base.lineKey && !a.folded && a.effectiveDate === e,
  );
  if (existing) {
    existing.quantity += delta;
    if (existing.quantity === 0 && existing.effectiveDate >= today) remove(ledger, ops, existing);
    else ops.connectwise.push({ type: 'cw.update-addition', lineKey: existing.lineKey, set: { quantity: existing.quantity } });
    return;
  }
  create(ledger, ops, {
    wantedKey: lineKey(ledger.state.id, base.productId, 'delta', e),
    subscriptionId: ledger.state.id,
    productId: base.productId,
    kind: 'delta',
    quantity: delta,
    unitPrice: base.unitPrice,
    unitCost: base.unitCost,
    effectiveDate: e,
    cancelledDate: deltaCancelledDate(e, ledger.state.endDate),
    folded: false,
    baseLineKey: base.lineKey,
  });
}

function setCancelled(ops: PsaOps, line: LedgerAddition, date: IsoDate): void {
  if (line.cancelledDate === date) return;
  line.cancelledDate = date;
  ops.connectwise.push({ type: 'cw.update-addition', lineKey: line.lineKey, set: { cancelledDate: date } });
}

/**
 * §4 rule 5 (full upgrade after the window) and rule 7 `cancellation-date`: billing of the
 * current product stops from `d`.
 * - `billed` = base + unfolded deltas active on d;
 * - unbilled lines effective after d are deleted (a delta effective on d stays, offset by the
 *   reversal). Our reading: a base line not yet effective on d (agreement starting later) is
 *   unbilled too and deleted the same way;
 * - base cancelled → EOM(d), capped at the subscription end (so no line outlives the term);
 * - reversal −billed effective d, cancelled like the base (none when billed is 0).
 */
export function cwStopWithReversal(ledger: Ledger, ops: PsaOps, d: IsoDate): void {
  const base = currentBaseOrThrow(ledger);
  const group = [base, ...deltasOf(ledger, base)];
  let billed = 0;
  for (const a of group) if ((a === base || !a.folded) && activeOn(a, d)) billed += a.quantity;
  for (const a of group) if (a.effectiveDate > d) remove(ledger, ops, a);
  if (!ledger.additions.includes(base)) return;
  const cancelled = minDate(endOfMonth(d), base.cancelledDate ?? endOfMonth(d));
  setCancelled(ops, base, cancelled);
  if (billed === 0) return;
  create(ledger, ops, {
    wantedKey: lineKey(ledger.state.id, base.productId, 'reversal', d),
    subscriptionId: ledger.state.id,
    productId: base.productId,
    kind: 'reversal',
    quantity: -billed,
    unitPrice: base.unitPrice,
    unitCost: base.unitCost,
    effectiveDate: d,
    cancelledDate: cancelled,
    folded: false,
    baseLineKey: null,
  });
}

/**
 * §4 rule 7 `end-of-month`: base cancelled → EOM(d) (capped at the subscription end), unbilled
 * deltas effective after EOM(d) deleted, no reversal.
 */
export function cwStopAtEndOfMonth(ledger: Ledger, ops: PsaOps, d: IsoDate): void {
  const base = currentBaseOrThrow(ledger);
  const eom = endOfMonth(d);
  for (const a of [base, ...deltasOf(ledger, base)]) if (a.effectiveDate > eom) remove(ledger, ops, a);
  if (ledger.additions.includes(base)) setCancelled(ops, base, minDate(eom, base.cancelledDate ?? eom));
}

/**
 * §4 rule 8: renewal to E' moves the base cancelled date to E'. Our addition: an unfolded delta
 * that was cut at the old end date (`min(EOM(e), end)`) is re-cut at `min(EOM(e), E')`, or the
 * days between the old end and its month end would go unbilled.
 */
export function cwRenew(ledger: Ledger, ops: PsaOps, oldEnd: IsoDate, newEnd: IsoDate): void {
  const base = currentBase(ledger);
  if (!base) return;
  if (base.cancelledDate === oldEnd) setCancelled(ops, base, newEnd);
  for (const a of deltasOf(ledger, base)) {
    if (!a.folded && a.cancelledDate === oldEnd) setCancelled(ops, a, deltaCancelledDate(a.effectiveDate, newEnd));
  }
}

/**
 * price-changed (not in docs/billing-rules.md; our decision, see ledger.ts): the base line takes the
 * new unit price/cost, and so do its deltas not yet effective (they will fold into the base);
 * later deltas copy the base's prices (§4 rule 3).
 */
export function cwChangePrice(ledger: Ledger, ops: PsaOps, d: IsoDate, unitPrice: Money, unitCost: Money): void {
  const base = currentBaseOrThrow(ledger);
  for (const a of [base, ...deltasOf(ledger, base).filter((x) => !x.folded && x.effectiveDate > d)]) {
    if (a.unitPrice === unitPrice && a.unitCost === unitCost) continue;
    a.unitPrice = unitPrice;
    a.unitCost = unitCost;
    ops.connectwise.push({ type: 'cw.update-addition', lineKey: a.lineKey, set: { unitPrice, unitCost } });
  }
}

/**
 * §4 rule 4 fold at 00:00 UTC on `firstOfMonth`: every unfolded delta of a base line whose
 * cancelled date is before that day goes into its base line (deltas stay as history). Folding
 * stops once the base line has ended; deltas of a replaced product never fold into the new
 * product's base line (each delta names its own base line).
 */
export function cwFold(ledger: Ledger, ops: PsaOps, monthStart: IsoDate): void {
  for (const base of ledger.additions) {
    if (base.kind !== 'base') continue;
    if (base.cancelledDate !== null && base.cancelledDate < monthStart) continue;
    let sum = 0;
    let any = false;
    for (const d of ledger.additions) {
      if (d.kind !== 'delta' || d.folded || d.baseLineKey !== base.lineKey) continue;
      if (d.cancelledDate === null || d.cancelledDate >= monthStart) continue;
      d.folded = true;
      sum += d.quantity;
      any = true;
    }
    if (any && sum !== 0) {
      base.quantity += sum;
      ops.connectwise.push({ type: 'cw.update-addition', lineKey: base.lineKey, set: { quantity: base.quantity } });
    }
  }
}

/**
 * The first month start (after the last fold) at which §4 rule 4 will change something, or
 * null when no fold is pending. A workflow sets its durable timer to this date (it may already
 * be past when the workflow was asleep; folding late is harmless, applyEvent catches up).
 */
export function cwNextFoldDate(ledger: Ledger): IsoDate | null {
  let best: IsoDate | null = null;
  for (const base of ledger.additions) {
    if (base.kind !== 'base') continue;
    for (const d of ledger.additions) {
      if (d.kind !== 'delta' || d.folded || d.baseLineKey !== base.lineKey || d.cancelledDate === null) continue;
      const m = firstOfNextMonth(d.cancelledDate);
      if (m <= ledger.foldedThrough) continue;
      if (base.cancelledDate !== null && base.cancelledDate < m) continue;
      if (best === null || m < best) best = m;
    }
  }
  return best;
}

