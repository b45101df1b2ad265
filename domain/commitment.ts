/**
 * Commitment terms (docs/renewals.md; docs/billing-rules.md §3 "Commitment", a project rule).
 * A committed subscription holds its licences for a whole term; a decrease asked for during the
 * term takes effect on the renewal date, the first day of the next term. Pure date arithmetic
 * on the subscription's state plus read-only looks at its ledger: ledger.ts places the changes,
 * the workflow and `plan` show what this file computes.
 *
 * Where a term ends:
 *  - with an end date (a bounded term): at the end date — the platform's own term end, moved by
 *    `renewed` (§3 renewal), a new term starting the day after the end it renews;
 *  - open-ended with a commitment term: rolling terms of 1, 12 or 36 months from the start date,
 *    each starting on the start date's day of the month (the month's last day when it has no such
 *    day: a term bought on 01-31 renews on 02-28, 03-31, 04-30, …; one bought on 2024-02-29
 *    renews on 2025-02-28, 2026-02-28, 2027-02-28, 2028-02-29).
 */
import { addDays, maxDate, periodContaining, type IsoDate } from './dates';
import { inPurchaseWindow } from './effective-date';
import { rulesOn } from './rules-history';
import type { Ledger } from './ledger-types';
import type { CommitmentTerm, SubscriptionEvent } from './schemas';
import type { SubscriptionState } from './subscription-state';
import { currentLane, laneQuantityOn } from './timeline';

/** Months in one term of each commitment term. */
export const TERM_MONTHS: Readonly<Record<Exclude<CommitmentTerm, 'none'>, number>> = { monthly: 1, annual: 12, triennial: 36 };

/** What an admin needs to know about a subscription's commitment on a day (state query, lists, digest). */
export interface SubscriptionCommitment {
  /** The length of one term; `none`: no commitment (decreases follow §3 at once). */
  term: CommitmentTerm;
  /** First day of the term in progress (committed subscriptions only; null otherwise or when unknown). */
  termStart: IsoDate | null;
  /**
   * Last day of the term in progress: a decrease asked for by then waits for the renewal. For a
   * subscription without a commitment term, its end date. Null: open-ended without a term, or
   * cancelled.
   */
  commitmentEnd: IsoDate | null;
  /** First day of the next term when one is expected (auto-renew on, a rolling term, or a renewal already received); null: billing ends at commitmentEnd. */
  nextRenewal: IsoDate | null;
  autoRenew: boolean;
  /** The decrease waiting for the next renewal: billed `from` until the day before `date`, `to` from `date`. */
  scheduledDecrease: { date: IsoDate; from: number; to: number } | null;
}

/**
 * The term of a committed subscription around `day` (day ≤ its end date when it has one):
 * `start` its first day (null when not known: a renewal already received early, the term still
 * running), `renewal` the first day of the next one.
 */
function termAround(state: SubscriptionState, day: IsoDate): { start: IsoDate | null; renewal: IsoDate } {
  const months = TERM_MONTHS[state.commitmentTerm!];
  if (state.endDate === null) {
    const t = periodContaining(state.startDate, months, maxDate(day, state.startDate));
    return { start: t.start, renewal: t.next };
  }
  const termStart = state.termStart ?? state.startDate;
  // A renewal received before the old term ended: that term still runs until the new one starts.
  if (day < termStart) return { start: null, renewal: termStart };
  return { start: termStart, renewal: addDays(state.endDate, 1) };
}

/**
 * Whether the commitment rule moves a decrease dated `date` (a term, and the connection's rule in
 * force on that date at its default `at-renewal`: docs/mapping.md "Rules change").
 */
function ruleApplies(ledger: Ledger, date: IsoDate): boolean {
  const rules = rulesOn(ledger.rules, ledger.rulesHistory ?? [], date);
  return ledger.state.commitmentTerm !== undefined && (rules.committedDecrease ?? 'at-renewal') === 'at-renewal';
}

/**
 * §3 "Commitment": the effective date of a decrease dated `date` (after the purchase window), or
 * null when the rule does not apply (then §3's negative-change rule does):
 *  - inside a renewal window — the first two days of a term after the first, the counterpart
 *    of the purchase window — it counts from the term's first day;
 *  - otherwise it takes effect on the renewal date, the first day of the next term;
 *  - after a bounded term ended without a renewal and outside the window that follows it, no
 *    term is in progress: null.
 * Never before the current product's first billed day (§3 clamp).
 */
export function commitmentDecreaseDate(ledger: Ledger, date: IsoDate): IsoDate | null {
  if (!ruleApplies(ledger, date)) return null;
  const state = ledger.state;
  const from = currentLane(ledger)?.from ?? state.startDate;
  if (state.endDate !== null && date > state.endDate) {
    const next = addDays(state.endDate, 1);
    return date <= addDays(next, 1) ? maxDate(next, from) : null;
  }
  const t = termAround(state, date);
  if (t.start !== null && t.start > state.startDate && date <= addDays(t.start, 1)) return maxDate(t.start, from);
  return maxDate(t.renewal, from);
}

/** The renewal date a change dated `date` waits for under the commitment rule (null: the rule does not apply, or no term is in progress). */
export function pendingRenewalDate(ledger: Ledger, date: IsoDate): IsoDate | null {
  if (!ruleApplies(ledger, date)) return null;
  if (ledger.state.endDate !== null && date > ledger.state.endDate) return null;
  return termAround(ledger.state, date).renewal;
}

/**
 * The net change waiting on `date` for the current product, if it is a decrease (≤ 0): on the
 * timeline when the date is inside the term, else among the changes deferred until a renewal
 * (a bounded term's renewal date lies after its end date, §3).
 */
export function pendingDecreaseAt(ledger: Ledger, date: IsoDate): number {
  const lane = currentLane(ledger);
  if (!lane) return 0;
  const inside = lane.to === null || date <= lane.to;
  const net = (inside ? lane.points : ledger.deferred).reduce((n, p) => (p.date === date ? n + p.delta : n), 0);
  return Math.min(net, 0);
}

/**
 * What the state query shows next to a quantity change of a committed subscription, computed
 * on the ledger before the change applies: where the commitment rule put it, or how much of a
 * scheduled decrease an increase took back.
 */
export function commitmentNote(ledger: Ledger, event: SubscriptionEvent): string | undefined {
  const state = ledger.state;
  if (event.type !== 'quantity-changed' || event.quantity === state.quantity || inPurchaseWindow(state.startDate, event.date)) return undefined;
  if (event.quantity > state.quantity) {
    const renewal = pendingRenewalDate(ledger, event.date);
    const pending = renewal === null ? 0 : -pendingDecreaseAt(ledger, renewal);
    if (pending === 0) return undefined;
    return `takes back ${Math.min(pending, event.quantity - state.quantity)} of the decrease scheduled for ${renewal} (commitment)`;
  }
  const at = commitmentDecreaseDate(ledger, event.date);
  if (at === null) return undefined;
  if (at <= event.date) return `counted from ${at} (renewal window)`;
  return state.endDate !== null && at > state.endDate ? `scheduled for ${at} (commitment), once the subscription renews` : `scheduled for ${at} (commitment)`;
}

/**
 * The subscription's commitment as of `asOf`: the term in progress, its end, the next renewal
 * and, given the ledger, the decrease waiting for that renewal.
 */
export function commitmentOf(state: SubscriptionState, asOf: IsoDate, ledger?: Ledger): SubscriptionCommitment {
  const term: CommitmentTerm = state.commitmentTerm ?? 'none';
  const none = { term, autoRenew: state.autoRenew, termStart: null, commitmentEnd: null, nextRenewal: null, scheduledDecrease: null };
  if (state.cancelledOn !== null) return none;
  const day = maxDate(asOf, state.startDate);
  let view: SubscriptionCommitment;
  if (state.endDate !== null) {
    const termStart = state.termStart ?? state.startDate;
    view =
      day < termStart
        ? { ...none, commitmentEnd: addDays(termStart, -1), nextRenewal: termStart }
        : { ...none, termStart: state.termStart ?? null, commitmentEnd: state.endDate, nextRenewal: state.autoRenew ? addDays(state.endDate, 1) : null };
  } else if (state.commitmentTerm !== undefined) {
    const t = periodContaining(state.startDate, TERM_MONTHS[state.commitmentTerm], day);
    view = { ...none, termStart: t.start, commitmentEnd: addDays(t.next, -1), nextRenewal: t.next };
  } else {
    return none;
  }
  if (ledger && state.commitmentTerm !== undefined && view.nextRenewal !== null && view.nextRenewal > asOf) {
    view.scheduledDecrease = scheduledChangeAt(ledger, view.nextRenewal);
  }
  return view;
}

/** The decrease billed from `renewal` on: the quantity the day before, and from that day (null when nothing decreases there). */
function scheduledChangeAt(ledger: Ledger, renewal: IsoDate): SubscriptionCommitment['scheduledDecrease'] {
  const lane = currentLane(ledger);
  if (!lane) return null;
  const from = laneQuantityOn(lane, addDays(renewal, -1));
  const inside = lane.to === null || renewal <= lane.to;
  const to = inside ? laneQuantityOn(lane, renewal) : from + pendingDecreaseAt(ledger, renewal);
  return to < from ? { date: renewal, from, to } : null;
}
