/**
 * §7 bundled billing as a line (docs/billing-modes.md "Bundles"): several member subscriptions
 * bill through ONE PSA line (ConnectWise addition / Autotask contract service) whose values are
 * `bundle(members' values, mode)` (bundling.ts), day by day.
 *
 * 1. Each member's **billed values** come from its own replay (replay.ts, the code its workflow
 *    and `plan` run): the §3 billed quantity of each day (its timeline) with the unit price and
 *    cost in force that day.
 * 2. The **bundle's values** are the members' values bundled on every day one of them changes:
 *    `quantity-only` sums the quantities at the bundle's own prices; `average` sums them at the
 *    quantity-weighted average price and cost; `total` bills quantity 1 at the summed totals. A
 *    day on which no member bills has quantity 0 (in `total` mode too) and keeps the prices.
 * 3. The bundle **line** follows §4 and §5 as a subscription of its own would, except that its
 *    changes are already effective-dated (no purchase window, no §2 rule applied twice): it opens
 *    with a base line / contract service at the first day, each change of the quantity is a §4
 *    rule 3 delta (folded at month starts, rule 4) and a §5 adjustment on that day, and each change
 *    of the price or cost re-prices the line the way `price-changed` does (base line and unbilled
 *    deltas updated in place; contract service re-priced). A change is written on its day (not
 *    ahead): the bundle's workflow wakes then, and `plan` as of a day shows what was written by it.
 * 4. Ending a bundle (deleted after it billed) stops its line on the switch day like a standard
 *    line whose billing mode changed (ledger.ts `endStandardBilling`).
 */
import { z } from 'zod';
import { addDays, firstOfMonth, maxDate, minDate, type IsoDate } from './dates';
import { atAdjust, atChangePrice, atEnsureService, findService } from './autotask-projection';
import { bundle, BundleModeSchema, type BundleMode } from './bundling';
import { cwChangeAfterWindow, cwChangePrice, cwCreateBase, cwNextFoldDate } from './connectwise-projection';
import { inPurchaseWindow } from './effective-date';
import type { LoggedEvent } from './event-log';
import { emptyOps, type Ledger } from './ledger-types';
import { endStandardBilling, foldParsed } from './ledger';
import { moneyEquals, type Money } from './money';
import type { SubscriptionReplay } from './replay';
import { MoneySchema, type Agreement, type Subscription } from './schemas';
import { initialState } from './subscription-state';
import { addPoint, laneQuantityOn } from './timeline';

/** A member's (or the bundle's) values from `from` until the next point. */
export interface BilledValues {
  from: IsoDate;
  quantity: number;
  unitPrice: Money;
  unitCost: Money;
}

/** What defines the bundle line's values: its id, mode and (quantity-only) its own prices. */
export const BundleTermsSchema = z
  .object({
    id: z.string({ required_error: 'is required' }).min(1, 'must not be empty').max(100, 'is too long').regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a slug: lowercase letters, digits and dashes'),
    mode: BundleModeSchema,
    unitPrice: MoneySchema.optional(),
    unitCost: MoneySchema.optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    for (const f of ['unitPrice', 'unitCost'] as const) {
      if (t.mode === 'quantity-only' && t[f] === undefined) ctx.addIssue({ code: 'custom', path: [f], message: 'is required in mode quantity-only (the bundle line bills the summed quantity at this price)' });
      if (t.mode !== 'quantity-only' && t[f] !== undefined) ctx.addIssue({ code: 'custom', path: [f], message: `is not accepted in mode ${t.mode}: the members' prices make it` });
    }
  });
export type BundleTerms = z.infer<typeof BundleTermsSchema>;

/** The synthetic subscription and product id the bundle's line keys are made of: `bundle-<id>`. */
export const bundleLineOwner = (bundleId: string): string => `bundle-${bundleId}`;

/**
 * A member's billed values as its replay gives them: the §3 quantity of each day (all its
 * lanes) with the price in force — the subscription's own price from its billing start, then
 * each applied full upgrade's and price change's from its date (an upgrade inside the purchase
 * window from the start, as the ledger does). `from` drops the days before it (a member bills
 * through the bundle only from then).
 */
export function memberValues(subscription: Subscription, log: readonly LoggedEvent[], replay: SubscriptionReplay, from?: IsoDate): BilledValues[] {
  const { ledger } = replay;
  const applied = new Set(replay.outcomes.filter((o) => o.status === 'applied').map((o) => o.id));
  const prices: Array<{ date: IsoDate; unitPrice: Money; unitCost: Money }> = [{ date: ledger.billingStart, unitPrice: subscription.unitPrice, unitCost: subscription.unitCost }];
  for (const { id, event } of log) {
    if (!applied.has(id)) continue;
    if (event.type === 'full-upgrade') {
      const date = inPurchaseWindow(ledger.state.startDate, event.date) ? ledger.billingStart : maxDate(event.date, ledger.billingStart);
      prices.push({ date, unitPrice: event.unitPrice, unitCost: event.unitCost });
    } else if (event.type === 'price-changed') {
      prices.push({ date: maxDate(event.date, ledger.billingStart), unitPrice: event.unitPrice, unitCost: event.unitCost });
    }
  }
  const days = new Set<IsoDate>(prices.map((p) => p.date));
  for (const lane of ledger.lanes) {
    days.add(lane.from);
    for (const p of lane.points) days.add(p.date);
    if (lane.to !== null) days.add(addDays(lane.to, 1));
  }
  if (from !== undefined) days.add(from);
  const out: BilledValues[] = [];
  for (const day of [...days].sort()) {
    if (from !== undefined && day < from) continue;
    const quantity = ledger.lanes.reduce((q, lane) => q + laneQuantityOn(lane, day), 0);
    let price = prices[0]!;
    for (const p of prices) if (p.date <= day) price = p; // in log order: a later event of the same day wins
    pushValues(out, { from: day, quantity, unitPrice: price.unitPrice, unitCost: price.unitCost });
  }
  return out;
}

/** Appends unless the values equal the last point's (a point is a change). */
function pushValues(out: BilledValues[], v: BilledValues): void {
  const last = out[out.length - 1];
  if (last && last.quantity === v.quantity && moneyEquals(last.unitPrice, v.unitPrice) && moneyEquals(last.unitCost, v.unitCost)) return;
  out.push(v);
}

const valuesOn = (points: readonly BilledValues[], day: IsoDate): BilledValues | undefined => {
  let found: BilledValues | undefined;
  for (const p of points) if (p.from <= day) found = p;
  return found;
};

/** The bundle's values on every day a member's change: step 2 of the file comment. */
export function bundleValues(members: ReadonlyArray<readonly BilledValues[]>, terms: BundleTerms): BilledValues[] {
  const days = [...new Set(members.flatMap((m) => m.map((p) => p.from)))].sort();
  const out: BilledValues[] = [];
  for (const day of days) {
    const lines = members.map((m) => valuesOn(m, day)).filter((v): v is BilledValues => v !== undefined);
    const bundled = bundle(lines.map((l) => ({ quantity: l.quantity, unitPrice: l.unitPrice, unitCost: l.unitCost })), terms.mode);
    const quantity = lines.every((l) => l.quantity === 0) ? 0 : bundled.quantity;
    const last = out[out.length - 1];
    const keep = quantity === 0 && last !== undefined;
    const unitPrice = terms.mode === 'quantity-only' ? terms.unitPrice! : keep ? last.unitPrice : bundled.unitPrice!;
    const unitCost = terms.mode === 'quantity-only' ? terms.unitCost! : keep ? last.unitCost : bundled.unitCost!;
    pushValues(out, { from: day, quantity, unitPrice, unitCost });
  }
  return out;
}

export interface BundleReplay {
  /** The bundle line's ledger (null: no member has billed values yet). */
  ledger: Ledger | null;
  values: BilledValues[];
  asOf: IsoDate;
  /** The next day the line changes by itself: a bundle value dated later, or a month-start fold. */
  nextWake: IsoDate | null;
}

/**
 * The bundle line as of `asOf`: step 3 of the file comment. `endFrom` (a first of month) ends
 * it; values dated on or after it are not billed.
 */
export function replayBundle(input: {
  terms: BundleTerms;
  agreement: Agreement;
  members: ReadonlyArray<readonly BilledValues[]>;
  asOf: IsoDate;
  endFrom?: IsoDate | null;
}): BundleReplay {
  const endFrom = input.endFrom ?? null;
  const values = bundleValues(input.members, input.terms).filter((v) => endFrom === null || v.from < endFrom);
  const due = values.filter((v) => v.from <= input.asOf);
  const later = values.find((v) => v.from > input.asOf)?.from ?? null;
  const first = due[0];
  if (!first) return { ledger: null, values, asOf: input.asOf, nextWake: later };
  const owner = bundleLineOwner(input.terms.id);
  const ops = emptyOps();
  const subscription: Subscription = {
    id: owner, productId: owner, quantity: first.quantity, unitPrice: first.unitPrice, unitCost: first.unitCost,
    startDate: first.from, endDate: null, billingFrequency: input.agreement.periodType, autoRenew: false, kind: 'saas',
  };
  const billingStart = maxDate(first.from, input.agreement.startDate);
  const ledger: Ledger = {
    version: 1,
    // The bundle's values are effective-dated already: its own rules shift nothing.
    rules: { positiveChange: 'actual-date', negativeChange: 'actual-date', cancellation: 'end-of-month' },
    agreement: { ...input.agreement },
    parentSubscriptionId: null,
    billCustomer: null,
    state: initialState(subscription),
    billingStart,
    foldedThrough: firstOfMonth(billingStart),
    lanes: [{ productId: owner, from: billingStart, to: null, points: [] }],
    additions: [],
    retiredLineKeys: [],
    services: [],
    deferred: [],
  };
  addPoint(ledger.lanes[0]!, billingStart, first.quantity);
  cwCreateBase(ledger, ops, { productId: owner, quantity: first.quantity, unitPrice: first.unitPrice, unitCost: first.unitCost, effectiveDate: billingStart });
  const service = atEnsureService(ledger, ops, owner, first.unitPrice, first.unitCost);
  atAdjust(ledger, ops, service, billingStart, first.quantity);
  for (const v of due.slice(1)) {
    foldParsed(ledger, firstOfMonth(v.from), ops);
    const day = maxDate(v.from, billingStart);
    if (!moneyEquals(v.unitPrice, ledger.state.unitPrice) || !moneyEquals(v.unitCost, ledger.state.unitCost)) {
      cwChangePrice(ledger, ops, day, v.unitPrice, v.unitCost);
      atChangePrice(ops, findService(ledger, owner)!, v.unitPrice, v.unitCost);
      ledger.state = { ...ledger.state, unitPrice: v.unitPrice, unitCost: v.unitCost };
    }
    const delta = v.quantity - ledger.state.quantity;
    if (delta !== 0) {
      addPoint(ledger.lanes[0]!, day, delta);
      cwChangeAfterWindow(ledger, ops, day, delta, day);
      atAdjust(ledger, ops, findService(ledger, owner)!, day, delta);
      ledger.state = { ...ledger.state, quantity: v.quantity };
    }
  }
  if (endFrom !== null) endStandardBilling(ledger, ops, endFrom);
  foldParsed(ledger, firstOfMonth(input.asOf), ops);
  const fold = cwNextFoldDate(ledger);
  const nextWake = fold === null ? later : later === null ? fold : minDate(fold, later);
  return { ledger, values, asOf: input.asOf, nextWake };
}

export type { BundleMode };
