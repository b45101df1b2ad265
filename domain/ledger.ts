/**
 * The incremental billing engine: a reducer over a JSON ledger per subscription, used by the
 * plan command (replay) and by the long-lived subscription workflow (one event per signal,
 * folds on a durable timer, the ledger carried across continue-as-new).
 *
 *   openLedger(init)             → { ledger, ops }            §4 rule 1, §5 "Mapped", §4 rule 9
 *   applyEvent(ledger, event)    → { ledger, ops, spawned? }  §3, §4 rules 2–3 and 5–8, §5
 *   foldAt(ledger, firstOfMonth) → { ledger, ops }            §4 rule 4
 *   nextFoldDate(ledger)         → IsoDate | null             when the workflow's timer fires
 *   checkEvent(ledger, event)    → Problem[]                  validator for signals/updates
 *
 * Every function is pure: the input ledger is never modified, and the same inputs give the
 * same ledger and ops (deterministic line keys), as workflow code requires.
 */
import { addDays, firstOfMonth, maxDate, type IsoDate } from './dates';
import { atAdjust, atChangePrice, atEnsureService, atStop, findService } from './autotask-projection';
import {
  cwChangeAfterWindow,
  cwChangeInWindow,
  cwChangePrice,
  cwCreateBase,
  cwFold,
  cwNextFoldDate,
  cwRenew,
  cwStopAtEndOfMonth,
  cwStopWithReversal,
  currentBase,
  mappingProblems,
} from './connectwise-projection';
import { billingStartDate, cancellationStopDate, changeEffectiveDate, inPurchaseWindow } from './effective-date';
import { commitmentDecreaseDate, pendingDecreaseAt, pendingRenewalDate } from './commitment';
import { cloneLedger, emptyOps, type Ledger, type PsaOps } from './ledger-types';
import { rulesOn } from './rules-history';
import type { ZodError } from 'zod';
import { BillingInputError, zodProblems, type Problem } from './problems';
import {
  LedgerInitSchema,
  SubscriptionEventSchema,
  type LedgerInit,
  type LedgerInitInput,
  type SubscriptionEvent,
  type SubscriptionEventInput,
} from './schemas';
import { advanceState, eventProblems, initialState, spawnedSubscription } from './subscription-state';
import { addPoint, currentLane, stopLane } from './timeline';

export interface StepResult {
  ledger: Ledger;
  ops: PsaOps;
}
export interface EventResult extends StepResult {
  /** §3 partial upgrade: S2's init, to be opened as its own ledger (own workflow). */
  spawned?: LedgerInit;
}

function parseOrThrow<T>(r: { success: true; data: T } | { success: false; error: ZodError }, prefix: string): T {
  if (r.success) return r.data;
  throw new BillingInputError(zodProblems(r.error).map((p) => ({ ...p, path: p.path ? `${prefix}${p.path}` : prefix.replace(/\.$/, '') })));
}

/** §4 rule 1 / §5 "Mapped": validates the init (zod, §4 rule 9) and maps the subscription. */
export function openLedger(init: LedgerInitInput): StepResult {
  const parsed = parseOrThrow(LedgerInitSchema.safeParse(init), '');
  // §4 rule 9 does not apply to S2: it rides on its parent's agreement (§4 rule 6).
  const problems = mappingProblems(parsed.agreement, parsed.subscription).filter(
    (p) => parsed.parentSubscriptionId === null || !p.message.includes('rule 9'),
  );
  if (problems.length > 0) throw new BillingInputError(problems);
  const ops = emptyOps();
  return { ledger: openParsed(parsed, ops), ops };
}

/** @internal openLedger on an already validated init, appending to `ops`. */
export function openParsed(init: LedgerInit, ops: PsaOps): Ledger {
  const s = init.subscription;
  const billingStart = maxDate(billingStartDate(s.startDate, init.agreement.startDate), init.billedFrom ?? s.startDate);
  const ledger: Ledger = {
    version: 1,
    rules: { ...init.rules },
    ...(init.rulesHistory?.length ? { rulesHistory: init.rulesHistory.map((c) => ({ from: c.from, rules: { ...c.rules } })) } : {}),
    agreement: { ...init.agreement },
    parentSubscriptionId: init.parentSubscriptionId,
    billCustomer: s.billCustomer ?? null,
    state: initialState(s),
    billingStart,
    foldedThrough: firstOfMonth(billingStart),
    lanes: [{ productId: s.productId, from: billingStart, to: s.endDate, points: [] }],
    additions: [],
    retiredLineKeys: [],
    services: [],
    deferred: [],
  };
  addPoint(ledger.lanes[0]!, billingStart, s.quantity);
  // §4 rule 1: base line, quantity Q0, effective max(start, agreement start), cancelled = end.
  cwCreateBase(ledger, ops, { productId: s.productId, quantity: s.quantity, unitPrice: s.unitPrice, unitCost: s.unitCost, effectiveDate: billingStart });
  // §5 Mapped: contract service for P, adjustment +Q0 effective max(start, contract start).
  const service = atEnsureService(ledger, ops, s.productId, s.unitPrice, s.unitCost);
  atAdjust(ledger, ops, service, billingStart, s.quantity);
  return ledger;
}

/**
 * OUR DECISION (docs/billing-modes.md "Switching"): the subscription's standard lines stop
 * billing from `until` (a first of month) because its billing mode changed — the §4 rule 7
 * `end-of-month` treatment of a cancellation dated the day before (base line cancelled then,
 * unbilled later deltas deleted, no reversal) and the §5 stop (−billed units on `until`).
 * Nothing to do when a cancellation already stopped it.
 */
export function endStandardBilling(ledger: Ledger, ops: PsaOps, until: IsoDate): void {
  if (ledger.state.cancelledOn !== null) return;
  if (currentBase(ledger)) cwStopAtEndOfMonth(ledger, ops, addDays(until, -1));
  stopCurrent(ledger, ops, until);
}

/** Problems of `event` for this ledger (paths relative to the event); empty when it applies. */
export function checkEvent(ledger: Ledger, event: SubscriptionEventInput): Problem[] {
  const r = SubscriptionEventSchema.safeParse(event);
  if (!r.success) return zodProblems(r.error);
  const problems: Problem[] = [];
  if (r.data.subscriptionId !== undefined && r.data.subscriptionId !== ledger.state.id) {
    problems.push({ path: 'subscriptionId', message: `is ${r.data.subscriptionId}, but this ledger is subscription ${ledger.state.id}` });
  }
  return [...problems, ...eventProblems(ledger.state, r.data)];
}

/** Applies one platform event. Throws BillingInputError (with every problem) for a bad event. */
export function applyEvent(ledger: Ledger, event: SubscriptionEventInput): EventResult {
  const problems = checkEvent(ledger, event);
  if (problems.length > 0) throw new BillingInputError(problems);
  const draft = cloneLedger(ledger);
  const ops = emptyOps();
  const spawned = applyParsed(draft, SubscriptionEventSchema.parse(event), ops);
  return spawned ? { ledger: draft, ops, spawned } : { ledger: draft, ops };
}

/** §4 rule 4 at `monthStart` (00:00 UTC on the 1st). Idempotent; a date already folded is a no-op. */
export function foldAt(ledger: Ledger, monthStart: IsoDate): StepResult {
  if (firstOfMonth(monthStart) !== monthStart) {
    throw new BillingInputError([{ path: 'firstOfMonth', message: `${monthStart} is not the first day of a month` }]);
  }
  const draft = cloneLedger(ledger);
  const ops = emptyOps();
  foldParsed(draft, monthStart, ops);
  return { ledger: draft, ops };
}

/**
 * The next month start at which foldAt changes something (null: nothing pending). `today` is
 * accepted for symmetry with the workflow's clock: a returned date ≤ today means "fold now".
 */
export function nextFoldDate(ledger: Ledger, _today?: IsoDate): IsoDate | null {
  return cwNextFoldDate(ledger);
}

/** @internal mutating fold (plan replay avoids a clone per step). */
export function foldParsed(ledger: Ledger, monthStart: IsoDate, ops: PsaOps): void {
  if (monthStart <= ledger.foldedThrough) return;
  cwFold(ledger, ops, monthStart);
  ledger.foldedThrough = monthStart;
}

/** The §2 rules an event dated `date` is billed under (our decision: docs/mapping.md "Rules change"). */
const rulesAt = (ledger: Ledger, date: IsoDate) => rulesOn(ledger.rules, ledger.rulesHistory ?? [], date);

/**
 * §3 a quantity change of Δ dated `date`: inside the purchase window it applies from the start
 * date (§4 rule 2, §5), after it at its effective date (§4 rule 3, §5). Effective dates after
 * the end date have no billing effect (§3) and are kept in `deferred` for a later renewal.
 * Our clamp also keeps an effective date on or after the current product's first billed day
 * (first-of-month after a mid-month full upgrade must not bill the new product before it existed).
 * `commitment`: a platform quantity change, to which §3 "Commitment" applies (a partial
 * upgrade's decrease does not wait for the renewal: the licences move to the new subscription).
 */
function changeQuantity(ledger: Ledger, ops: PsaOps, date: IsoDate, delta: number, commitment = false): void {
  if (delta === 0) return;
  const lane = currentLane(ledger);
  if (!lane) return;
  const service = findService(ledger, ledger.state.productId)!;
  if (inPurchaseWindow(ledger.state.startDate, date)) {
    addPoint(lane, lane.from, delta);
    cwChangeInWindow(ledger, ops, { delta });
    atAdjust(ledger, ops, service, lane.from, delta);
    return;
  }
  // §3 "Commitment": a decrease waits for the renewal date (or counts from the term's start in
  // a renewal window); an increase first takes back a decrease waiting for that renewal.
  const committed = commitment && delta < 0 ? commitmentDecreaseDate(ledger, date) : null;
  if (commitment && delta > 0) delta -= takeBackScheduledDecrease(ledger, ops, date, delta);
  if (delta === 0) return;
  const e = committed ?? changeEffectiveDate(rulesAt(ledger, date), date, delta, lane.from);
  if (ledger.state.endDate !== null && e > ledger.state.endDate) {
    ledger.deferred.push({ date: e, delta });
    return;
  }
  addPoint(lane, e, delta);
  cwChangeAfterWindow(ledger, ops, e, delta, date);
  // §3 "Commitment" renewal window: a decrease counts from a term's first day, which can lie in
  // a month already folded (a term starting on the 28th–31st, the decrease on the 1st or 2nd).
  // That month's fold is owed now (§4 rule 4), as after a late renewal, or its delta would bill
  // nothing in the current month while the base line still holds the old quantity.
  if (e < ledger.foldedThrough) cwFold(ledger, ops, ledger.foldedThrough);
  atAdjust(ledger, ops, service, e, delta);
}

/**
 * §3 "Commitment": an increase dated before a renewal on which a decrease waits first takes that
 * decrease back (the licences are still held, so nothing changes before the renewal); returns
 * how much of the increase it used. On the timeline when the renewal falls inside the term,
 * else among the deferred changes (a bounded term's renewal is after its end, §3).
 */
function takeBackScheduledDecrease(ledger: Ledger, ops: PsaOps, date: IsoDate, delta: number): number {
  const renewal = pendingRenewalDate(ledger, date);
  if (renewal === null) return 0;
  const taken = Math.min(delta, -pendingDecreaseAt(ledger, renewal));
  if (taken <= 0) return 0;
  const lane = currentLane(ledger)!;
  if (lane.to === null || renewal <= lane.to) {
    addPoint(lane, renewal, taken);
    cwChangeAfterWindow(ledger, ops, renewal, taken, date);
    atAdjust(ledger, ops, findService(ledger, ledger.state.productId)!, renewal, taken);
    return taken;
  }
  let left = taken;
  for (const p of ledger.deferred) {
    if (p.date !== renewal || p.delta >= 0 || left === 0) continue;
    const used = Math.min(left, -p.delta);
    p.delta += used;
    left -= used;
  }
  ledger.deferred = ledger.deferred.filter((p) => p.delta !== 0);
  return taken;
}

/**
 * Stops billing of the current product from `stopDate` (timeline + Autotask side). Changes
 * pending after it are void (§3), a decrease waiting for a renewal too (§3 "Commitment").
 */
function stopCurrent(ledger: Ledger, ops: PsaOps, stopDate: IsoDate): void {
  const lane = currentLane(ledger);
  if (lane && !stopLane(lane, stopDate)) ledger.lanes.splice(ledger.lanes.indexOf(lane), 1);
  const service = findService(ledger, ledger.state.productId);
  if (service) atStop(ledger, ops, service, stopDate);
  ledger.deferred = [];
}

/** @internal mutating applyEvent on a validated event. */
export function applyParsed(ledger: Ledger, event: SubscriptionEvent, ops: PsaOps): LedgerInit | undefined {
  // Folds are due before anything happens on a day (§4 rule 4 runs at 00:00 UTC); catching up
  // here keeps the ledger right even if the workflow's timer fired late or not at all.
  foldParsed(ledger, firstOfMonth(event.date), ops);
  const before = ledger.state;
  let spawned: LedgerInit | undefined;
  switch (event.type) {
    case 'quantity-changed':
      changeQuantity(ledger, ops, event.date, event.quantity - before.quantity, true);
      ledger.state = advanceState(before, event);
      break;

    case 'full-upgrade': {
      const d = event.date;
      const quantity = before.quantity;
      if (inPurchaseWindow(before.startDate, d)) {
        // §3 / §4 rule 2: inside the window the product is replaced from the start date, in place.
        const lane = currentLane(ledger)!;
        lane.productId = event.productId;
        cwChangeInWindow(ledger, ops, { delta: 0, productId: event.productId, unitPrice: event.unitPrice, unitCost: event.unitCost });
        // §5: the same at the start date; the old contract service nets to zero units.
        const old = findService(ledger, before.productId)!;
        atStop(ledger, ops, old, lane.from);
        ledger.state = advanceState(before, event);
        const service = atEnsureService(ledger, ops, event.productId, event.unitPrice, event.unitCost);
        atAdjust(ledger, ops, service, lane.from, quantity);
        ledger.deferred = [];
        break;
      }
      // §4 rule 5 (CW), §5 (AT), §3: P billed 0 from d, P' billed the current quantity from d.
      cwStopWithReversal(ledger, ops, d);
      stopCurrent(ledger, ops, d);
      ledger.state = advanceState(before, event);
      const from = maxDate(d, ledger.billingStart);
      ledger.lanes.push({ productId: event.productId, from, to: ledger.state.endDate, points: [] });
      addPoint(ledger.lanes[ledger.lanes.length - 1]!, from, quantity);
      cwCreateBase(ledger, ops, { productId: event.productId, quantity, unitPrice: event.unitPrice, unitCost: event.unitCost, effectiveDate: from });
      const service = atEnsureService(ledger, ops, event.productId, event.unitPrice, event.unitCost);
      atAdjust(ledger, ops, service, from, quantity);
      break;
    }

    case 'partial-upgrade':
      // §3 / §4 rule 6 / §5: the old subscription takes a normal negative change of k ...
      changeQuantity(ledger, ops, event.date, -event.quantity);
      ledger.state = advanceState(before, event);
      // ... and S2 starts on d with k licenses at its own prices, on the same agreement.
      spawned = {
        rules: { ...ledger.rules },
        ...(ledger.rulesHistory ? { rulesHistory: ledger.rulesHistory.map((c) => ({ from: c.from, rules: { ...c.rules } })) } : {}),
        agreement: { ...ledger.agreement },
        subscription: spawnedSubscription(before, event),
        parentSubscriptionId: before.id,
      };
      break;

    case 'cancelled': {
      // §3 cancellation, §4 rule 7, §5.
      const rules = rulesAt(ledger, event.date);
      const stop = cancellationStopDate(rules, event.date);
      if (rules.cancellation === 'end-of-month') cwStopAtEndOfMonth(ledger, ops, event.date);
      else cwStopWithReversal(ledger, ops, event.date);
      stopCurrent(ledger, ops, stop);
      ledger.state = advanceState(before, event);
      break;
    }

    case 'renewed': {
      // §3 renewal: billing continues to E'; §4 rule 8; §5 "Renewal changes nothing".
      const oldEnd = before.endDate!;
      ledger.state = advanceState(before, event);
      const lane = currentLane(ledger);
      if (lane && lane.to === oldEnd) lane.to = event.endDate;
      cwRenew(ledger, ops, oldEnd, event.endDate);
      // Changes that fell after the old end now fall inside the term: bill them (our reading).
      const deferred = ledger.deferred;
      ledger.deferred = [];
      for (const p of deferred) {
        if (p.date > event.endDate) ledger.deferred.push(p);
        else if (lane) {
          addPoint(lane, p.date, p.delta);
          cwChangeAfterWindow(ledger, ops, p.date, p.delta, event.date);
          atAdjust(ledger, ops, findService(ledger, ledger.state.productId)!, p.date, p.delta);
        }
      }
      // A renewal recorded after the old end: the month-start folds that skipped the then-ended
      // base line (§4 rule 4), and those of deltas just dated back into a folded month, are owed
      // now that it bills again.
      cwFold(ledger, ops, ledger.foldedThrough);
      break;
    }

    case 'price-changed': {
      // Not in docs/billing-rules.md — OUR DECISION, the behaviour an MSP expects from a price list
      // change: the new unit price/cost apply to what is billed from now on, the quantity
      // timeline is untouched. ConnectWise: the base line's unit price/cost are updated (its
      // invoiced history keeps the old prices) and deltas not yet effective follow it; later
      // deltas copy the base line (§4 rule 3). Autotask: `at.update-contract-service`.
      ledger.state = advanceState(before, event);
      cwChangePrice(ledger, ops, event.date, event.unitPrice, event.unitCost);
      const service = findService(ledger, ledger.state.productId);
      if (service) atChangePrice(ops, service, event.unitPrice, event.unitCost);
      break;
    }
  }
  return spawned;
}

