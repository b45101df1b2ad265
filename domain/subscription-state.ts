/**
 * The platform-side state of one subscription as its events replay, and the checks an event
 * must pass against it (docs/billing-rules.md §3). Shared by the ledger (applyEvent refuses a bad
 * event) and the scenario schema (every problem reported with its path), so the two agree.
 */
import { addDays, isIsoDate, type IsoDate } from './dates';
import type { Problem } from './problems';
import type { CommitmentTerm, Subscription, SubscriptionEvent, SubscriptionKind } from './schemas';
import type { Money } from './money';

export interface SubscriptionState {
  id: string;
  productId: string;
  /** Platform quantity (what the customer holds now), not necessarily what is billed today. */
  quantity: number;
  unitPrice: Money;
  unitCost: Money;
  startDate: IsoDate;
  endDate: IsoDate | null;
  billingFrequency: 'monthly' | 'yearly';
  autoRenew: boolean;
  kind: SubscriptionKind;
  cancelledOn: IsoDate | null;
  lastEventDate: IsoDate | null;
  /** Set only for a committed subscription (docs/renewals.md): the length of one term. */
  commitmentTerm?: Exclude<CommitmentTerm, 'none'>;
  /** Committed subscriptions: the first day of the latest term (the start date, then the day after each renewed end). */
  termStart?: IsoDate;
}

export function initialState(s: Subscription): SubscriptionState {
  return {
    id: s.id,
    productId: s.productId,
    quantity: s.quantity,
    unitPrice: s.unitPrice,
    unitCost: s.unitCost,
    startDate: s.startDate,
    endDate: s.endDate,
    billingFrequency: s.billingFrequency,
    autoRenew: s.autoRenew,
    kind: s.kind,
    cancelledOn: null,
    lastEventDate: null,
    // Only when committed, so an uncommitted subscription's state is what it always was.
    ...(s.commitmentTerm !== undefined && s.commitmentTerm !== 'none' ? { commitmentTerm: s.commitmentTerm, termStart: s.startDate } : {}),
  };
}

/** The S2 a partial upgrade creates (§3 "Partial upgrade"): starts on d with k licenses. */
export function spawnedSubscription(state: SubscriptionState, event: Extract<SubscriptionEvent, { type: 'partial-upgrade' }>): Subscription {
  const n = event.newSubscription;
  return {
    id: n.id,
    productId: n.productId,
    quantity: event.quantity,
    unitPrice: n.unitPrice,
    unitCost: n.unitCost,
    startDate: event.date,
    endDate: n.endDate,
    billingFrequency: n.billingFrequency ?? state.billingFrequency,
    autoRenew: n.autoRenew ?? state.autoRenew,
    kind: state.kind,
    ...(n.commitmentTerm !== undefined ? { commitmentTerm: n.commitmentTerm } : state.commitmentTerm ? { commitmentTerm: state.commitmentTerm } : {}),
  };
}

/** Problems of `event` against the state; paths are relative to the event object. */
export function eventProblems(state: SubscriptionState, event: SubscriptionEvent): Problem[] {
  const problems: Problem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  if (!isIsoDate(event.date)) return [{ path: 'date', message: 'must be a calendar date YYYY-MM-DD' }];
  // §3 "Several events on one date apply in the order given": order is by date, then as given.
  if (state.lastEventDate !== null && event.date < state.lastEventDate) {
    add('date', `is before the previous event's date (${state.lastEventDate}); events must be sorted by date`);
  }
  if (event.date < state.startDate) add('date', `is before the subscription's start date (${state.startDate})`);
  if (state.cancelledOn !== null) {
    add('type', `subscription ${state.id} was cancelled on ${state.cancelledOn}; no event may follow a cancellation`);
    return problems;
  }
  switch (event.type) {
    case 'quantity-changed':
    case 'price-changed':
    case 'cancelled':
      break;
    case 'full-upgrade':
      if (event.productId === state.productId) {
        add('productId', `is already the subscription's product (${state.productId}); an upgrade must change the product`);
      }
      if (state.endDate !== null && event.date > state.endDate) {
        add('date', `is after the subscription's end date (${state.endDate}); nothing is left to upgrade`);
      }
      break;
    case 'partial-upgrade': {
      const n = event.newSubscription;
      if (event.quantity > state.quantity) {
        add('quantity', `cannot move ${event.quantity} licenses: subscription ${state.id} holds ${state.quantity}`);
      }
      if (n.id === state.id) add('newSubscription.id', `must differ from the upgraded subscription's id (${state.id})`);
      if (n.productId === state.productId) {
        add('newSubscription.productId', `is already the subscription's product (${state.productId}); an upgrade must change the product`);
      }
      if (n.endDate !== null && isIsoDate(n.endDate) && n.endDate < event.date) {
        add('newSubscription.endDate', `must not be before the upgrade date (${event.date})`);
      }
      break;
    }
    case 'renewed':
      if (!state.autoRenew) {
        add('type', `subscription ${state.id} has auto-renew off: it ends at its end date (${state.endDate ?? 'none'})`);
      } else if (state.endDate === null) {
        add('type', `subscription ${state.id} has no end date to renew`);
      } else if (isIsoDate(event.endDate) && event.endDate <= state.endDate) {
        add('endDate', `must be after the current end date (${state.endDate})`);
      }
      break;
  }
  return problems;
}

/** The state after `event` (assumed valid). */
export function advanceState(state: SubscriptionState, event: SubscriptionEvent): SubscriptionState {
  const next: SubscriptionState = { ...state, lastEventDate: event.date };
  switch (event.type) {
    case 'quantity-changed':
      next.quantity = event.quantity;
      break;
    case 'full-upgrade':
      next.productId = event.productId;
      next.unitPrice = event.unitPrice;
      next.unitCost = event.unitCost;
      break;
    case 'partial-upgrade':
      next.quantity = state.quantity - event.quantity;
      break;
    case 'cancelled':
      next.cancelledOn = event.date;
      break;
    case 'renewed':
      next.endDate = event.endDate;
      // A committed subscription's new term starts the day after the end it renews (docs/renewals.md).
      if (state.termStart !== undefined && state.endDate !== null) next.termStart = addDays(state.endDate, 1);
      break;
    case 'price-changed':
      next.unitPrice = event.unitPrice;
      next.unitCost = event.unitCost;
      break;
  }
  return next;
}
