/**
 * Effective dates of a change (docs/billing-rules.md §3). Pure date arithmetic on UTC calendar dates.
 */
import { addDays, endOfMonth, firstOfMonth, firstOfNextMonth, maxDate, type IsoDate } from './dates';
import type { SyncRules } from './schemas';

/**
 * §3 "Purchase window": the subscription's start date and the day after it. A change dated
 * inside the window applies from the start date, as if it had been bought that way.
 */
export function inPurchaseWindow(subscriptionStart: IsoDate, date: IsoDate): boolean {
  return date >= subscriptionStart && date <= addDays(subscriptionStart, 1);
}

/**
 * The first day the subscription can be billed on the mapped agreement: §4 rule 1
 * `max(start, agreement start)`; §3 clamp "never before the agreement/contract start date nor
 * the subscription start date".
 */
export function billingStartDate(subscriptionStart: IsoDate, agreementStart: IsoDate): IsoDate {
  return maxDate(subscriptionStart, agreementStart);
}

/**
 * §3 "Effective date of a later change" with delta Δ = newQty − oldQty, clamped to the billing
 * start (§3 clamp). Δ = 0 has no effective date worth computing; it returns the change date.
 */
export function changeEffectiveDate(rules: SyncRules, date: IsoDate, delta: number, billingStart: IsoDate): IsoDate {
  let e = date;
  if (delta > 0 && rules.positiveChange === 'first-of-month') e = firstOfMonth(date);
  if (delta < 0 && rules.negativeChange === 'first-of-next-month') e = firstOfNextMonth(date);
  return maxDate(e, billingStart);
}

/**
 * §3 "Cancellation on d": `cancellation-date` → billed 0 from d; `end-of-month` → billed 0
 * from FONM(d). Returns the first day that is no longer billed.
 */
export function cancellationStopDate(rules: SyncRules, date: IsoDate): IsoDate {
  return rules.cancellation === 'end-of-month' ? firstOfNextMonth(date) : date;
}

/** §3 "An effective date after the subscription end date has no billing effect." */
export function afterEnd(date: IsoDate, endDate: IsoDate | null): boolean {
  return endDate !== null && date > endDate;
}

/** `min(date, end)` with a null end meaning "no end". */
export function capAtEnd(date: IsoDate, endDate: IsoDate | null): IsoDate {
  return endDate !== null && endDate < date ? endDate : date;
}

/** §4 rule 3: a delta line is cancelled at `min(EOM(e), subscription end)`. */
export function deltaCancelledDate(e: IsoDate, endDate: IsoDate | null): IsoDate {
  return capAtEnd(endOfMonth(e), endDate);
}
