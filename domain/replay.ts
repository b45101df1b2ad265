/**
 * The desired billing of one subscription as of a day: its ledger after replaying the whole
 * event log in billing order (event-log.ts), with the month-start folds up to that day
 * (§4 rule 4). The subscription workflow runs this on every change — an event, a month start, a
 * retry, a skip — and writes the difference to the PSA (psa-diff.ts); `plan` runs the same code,
 * which is why what lands in the PSA equals what `plan` shows for the date-sorted, de-duplicated
 * events, whatever order they arrived in.
 */
import { commitmentNote } from './commitment';
import { firstOfMonth, type IsoDate } from './dates';
import { firstScheduledDate, type EventStatus, type LoggedEvent } from './event-log';
import { cwNextFoldDate } from './connectwise-projection';
import type { Ledger, PsaOps } from './ledger-types';
import { applyParsed, endStandardBilling, foldParsed, openLedger } from './ledger';
import { problemLine } from './problems';
import type { LedgerInit, LedgerInitInput } from './schemas';
import { eventProblems } from './subscription-state';

export interface EventOutcome {
  id: string;
  status: Exclude<EventStatus, 'waiting'>;
  /** Why a rejected event does not apply (field: reason; ...). */
  reason?: string;
  /** How an applied event was placed when that is not its own date: "scheduled for <date> (commitment)" (§3 "Commitment"). */
  note?: string;
}

export interface SubscriptionReplay {
  ledger: Ledger;
  /** Every operation of the replay from an empty PSA (applying them in order gives the ledger's lines). */
  ops: PsaOps;
  asOf: IsoDate;
  /** One per logged event, in log order. */
  outcomes: EventOutcome[];
  /** Partial upgrades applied: each opens its new subscription (S2) with this init. */
  spawned: Array<{ eventId: string; init: LedgerInit }>;
  /** The first day after `asOf` on which the replay gives another result: a fold or a scheduled event. */
  nextWake: IsoDate | null;
}

/**
 * Replays `log` (billing order) onto the subscription opened with `init`, as of `asOf`: events
 * dated after it are `scheduled`, skipped ones are left out, and an event that breaks a rule at
 * its place in the log (an upgrade to the same product, a change after the cancellation, ...)
 * is `rejected` with the reason and left out too. Throws BillingInputError when `init` itself
 * cannot be mapped (§4 rule 9).
 */
export function replaySubscription(input: {
  init: LedgerInitInput;
  log: readonly LoggedEvent[];
  asOf: IsoDate;
  skipped?: ReadonlySet<string>;
  /** Standard billing ends on this first of month (docs/billing-modes.md "Switching"); events from that day on are not its to bill. */
  billedUntil?: IsoDate;
}): SubscriptionReplay {
  const skipped = input.skipped ?? new Set<string>();
  const { ledger, ops } = openLedger(input.init);
  const outcomes: EventOutcome[] = [];
  const spawned: SubscriptionReplay['spawned'] = [];
  for (const logged of input.log) {
    const { id, event } = logged;
    if (skipped.has(id)) {
      outcomes.push({ id, status: 'skipped' });
      continue;
    }
    if (input.billedUntil !== undefined && event.date >= input.billedUntil) {
      outcomes.push({ id, status: 'rejected', reason: `dated on or after ${input.billedUntil}, when this subscription's own (standard) lines stopped billing: its billing mode changed` });
      continue;
    }
    if (event.date > input.asOf) {
      outcomes.push({ id, status: 'scheduled' });
      continue;
    }
    const problems = [
      ...(event.subscriptionId !== undefined && event.subscriptionId !== ledger.state.id
        ? [{ path: 'subscriptionId', message: `is ${event.subscriptionId}, but this is subscription ${ledger.state.id}` }]
        : []),
      ...eventProblems(ledger.state, event),
    ];
    if (problems.length > 0) {
      outcomes.push({ id, status: 'rejected', reason: problems.map(problemLine).join('; ') });
      continue;
    }
    const note = commitmentNote(ledger, event);
    const init = applyParsed(ledger, event, ops);
    if (init) spawned.push({ eventId: id, init });
    outcomes.push(note ? { id, status: 'applied', note } : { id, status: 'applied' });
  }
  if (input.billedUntil !== undefined) endStandardBilling(ledger, ops, input.billedUntil);
  foldParsed(ledger, firstOfMonth(input.asOf), ops);
  const fold = cwNextFoldDate(ledger);
  const scheduled = firstScheduledDate(input.log, input.asOf, skipped);
  const nextWake = fold === null ? scheduled : scheduled === null || fold < scheduled ? fold : scheduled;
  return { ledger, ops, asOf: input.asOf, outcomes, spawned, nextWake };
}
