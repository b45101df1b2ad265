/**
 * The lines of §7 seat-count mode, shared by the daily seat-count job (activities/seat-count)
 * and `plan`, so the two agree (live = plan):
 * - ConnectWise: one addition per billing period, `<sub>/<product>/seat-count/<periodStart>`,
 *   created with the first update of the period (cancelled at the period's end, capped at the
 *   subscription's end) and its quantity raised in place;
 * - Autotask: one contract service per subscription, `<sub>/<product>/seat-count`, whose units
 *   move by an adjustment of the difference, dated the period start (§5: no proration).
 * A subscription switched to seat-count billing from another mode (docs/billing-modes.md) bills
 * its high-water mark from the switch day (`from`) on; a switch away from it ends the lines on
 * the switch day (`seatCountEnd`).
 */
import { addDays, maxDate, minDate, monthOf, type IsoDate } from './dates';
import type { Money } from './money';
import type { PlanOutput } from './plan';
import type { AtOperation, CwAddition, CwOperation } from './psa-operations';
import { currentBillingPeriodStart, seatCountUpdate, type DailyCount, type SeatCountDecision } from './seat-count';
import type { TimelineSegment } from './timeline';

/** What the seat-count lines are made of: the mapped subscription (as reported) and its agreement. */
export interface SeatCountSubject {
  subscriptionId: string;
  productId: string;
  unitPrice: Money;
  unitCost: Money;
  endDate: IsoDate | null;
  agreement: { startDate: IsoDate; periodType: 'monthly' | 'yearly' };
}

/** What the PSA bills now from the seat-count job (null: nothing billed yet). */
export interface SeatCountBilled {
  billedQuantity: number;
  /** YYYY-MM the quantity was set for. */
  billedMonth: string;
  lastUpdatedOn: IsoDate;
}

/** An operation of a seat-count write; `part` tells the job which idempotency key it takes. */
export interface SeatCountOperation {
  part: 'line' | 'contract-service';
  operation: CwOperation | AtOperation;
}

export const seatCountLineKey = (subscriptionId: string, productId: string, periodStart: IsoDate): string => `${subscriptionId}/${productId}/seat-count/${periodStart}`;
export const seatCountServiceKey = (subscriptionId: string, productId: string): string => `${subscriptionId}/${productId}/seat-count`;

/** First day of the billing period after the one starting `start` (periods are 28–31 or 365–366 days). */
export const nextPeriodStart = (periodType: 'monthly' | 'yearly', anchor: IsoDate, start: IsoDate): IsoDate =>
  currentBillingPeriodStart(periodType, anchor, addDays(start, periodType === 'monthly' ? 31 : 366));

/** The day's decision for a subscription whose counts of the month are `counts` (seat-count.ts). */
export function seatCountDecision(subject: SeatCountSubject, counts: readonly DailyCount[], billed: SeatCountBilled | null, day: IsoDate): SeatCountDecision {
  return seatCountUpdate({
    counts: [...counts],
    today: day,
    billedQuantity: billed?.billedQuantity ?? 0,
    billedMonth: billed?.billedMonth ?? null,
    lastUpdatedOn: billed?.lastUpdatedOn ?? null,
    periodType: subject.agreement.periodType,
    periodAnchor: subject.agreement.startDate,
  });
}

/**
 * The writes of an update the decision asks for. `has(key)` says whether the PSA already holds
 * a line / service of that key; `from` is the first day seat-count billing covers.
 */
export function seatCountOperations(psa: 'connectwise' | 'autotask', subject: SeatCountSubject, decision: SeatCountDecision, billedQuantity: number, has: (key: string) => boolean, from?: IsoDate): SeatCountOperation[] {
  const { subscriptionId, productId, unitPrice, unitCost } = subject;
  const periodStart = decision.effectiveDate;
  const effectiveDate = from ? maxDate(periodStart, from) : periodStart;
  if (psa === 'connectwise') {
    const lineKey = seatCountLineKey(subscriptionId, productId, periodStart);
    if (has(lineKey)) return [{ part: 'line', operation: { type: 'cw.update-addition', lineKey, set: { quantity: decision.quantity } } }];
    const periodEnd = addDays(nextPeriodStart(subject.agreement.periodType, subject.agreement.startDate, periodStart), -1);
    const addition: CwAddition = {
      lineKey, subscriptionId, productId, kind: 'base', quantity: decision.quantity, unitPrice, unitCost, effectiveDate,
      cancelledDate: subject.endDate ? minDate(periodEnd, subject.endDate) : periodEnd,
    };
    return [{ part: 'line', operation: { type: 'cw.create-addition', addition } }];
  }
  const serviceKey = seatCountServiceKey(subscriptionId, productId);
  const ops: SeatCountOperation[] = [];
  if (!has(serviceKey)) ops.push({ part: 'contract-service', operation: { type: 'at.create-contract-service', service: { serviceKey, subscriptionId, productId, unitPrice, unitCost } } });
  // Units are cumulative: move them from what is billed now to the new high-water mark.
  const unitChange = decision.quantity - billedQuantity;
  if (unitChange !== 0) ops.push({ part: 'line', operation: { type: 'at.adjust-units', serviceKey, effectiveDate, unitChange } });
  return ops;
}

/** The ConnectWise line that bills the day before `until` (the one a switch away from seat-count cuts). */
export const seatCountLineBefore = (subject: SeatCountSubject, until: IsoDate): string =>
  seatCountLineKey(subject.subscriptionId, subject.productId, currentBillingPeriodStart(subject.agreement.periodType, subject.agreement.startDate, addDays(until, -1)));

/**
 * Ending seat-count billing on `until` (the switch day, docs/billing-modes.md): Autotask takes
 * the billed units off from that day; the ConnectWise line of the period holding the day before
 * (`seatCountLineBefore`) is cut there when it would bill past it — `cancelledDate` is what the
 * PSA holds for that line (undefined: there is none).
 */
export function seatCountEndOperations(psa: 'connectwise' | 'autotask', subject: SeatCountSubject, billedQuantity: number, until: IsoDate, cancelledDate: IsoDate | null | undefined): SeatCountOperation[] {
  if (psa === 'autotask') {
    return billedQuantity === 0 ? [] : [{ part: 'line', operation: { type: 'at.adjust-units', serviceKey: seatCountServiceKey(subject.subscriptionId, subject.productId), effectiveDate: until, unitChange: -billedQuantity } }];
  }
  const last = addDays(until, -1);
  const lineKey = seatCountLineBefore(subject, until);
  return cancelledDate !== undefined && (cancelledDate === null || cancelledDate > last) ? [{ part: 'line', operation: { type: 'cw.update-addition', lineKey, set: { cancelledDate: last } } }] : [];
}

/**
 * `plan` for a seat-count subscription: the daily job run on every day from the first count
 * (or `from`) through `asOf`, on both PSAs, with the lines it leaves. Only the counts of each
 * day's month count, as for the job.
 */
export function planSeatCount(subject: SeatCountSubject, counts: readonly DailyCount[], asOf: IsoDate, from?: IsoDate): PlanOutput {
  const sorted = [...counts].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const first = sorted[0]?.date;
  const additions = new Map<string, CwAddition>();
  const units: Array<{ effectiveDate: IsoDate; unitChange: number }> = [];
  let service: Extract<AtOperation, { type: 'at.create-contract-service' }>['service'] | null = null;
  let billed: SeatCountBilled | null = null;
  for (let day = first && from ? maxDate(first, from) : first; day !== undefined && day <= asOf; day = addDays(day, 1)) {
    const month = monthOf(day);
    const ofMonth = sorted.filter((c) => monthOf(c.date) === month);
    if (ofMonth.length === 0) continue;
    const decision = seatCountDecision(subject, ofMonth, billed, day);
    if (!decision.update) continue;
    const billedQuantity = billed?.billedQuantity ?? 0;
    for (const psa of ['connectwise', 'autotask'] as const) {
      for (const { operation: op } of seatCountOperations(psa, subject, decision, billedQuantity, (k) => additions.has(k) || service?.serviceKey === k, from)) {
        if (op.type === 'cw.create-addition') additions.set(op.addition.lineKey, op.addition);
        else if (op.type === 'cw.update-addition') additions.set(op.lineKey, { ...additions.get(op.lineKey)!, ...op.set });
        else if (op.type === 'at.create-contract-service') service = op.service;
        else if (op.type === 'at.adjust-units') units.push({ effectiveDate: op.effectiveDate, unitChange: op.unitChange });
      }
    }
    billed = { billedQuantity: decision.quantity, billedMonth: month, lastUpdatedOn: day };
  }
  const lines = [...additions.values()];
  const net = new Map<IsoDate, number>();
  for (const u of units) net.set(u.effectiveDate, (net.get(u.effectiveDate) ?? 0) + u.unitChange);
  const timeline: TimelineSegment[] = lines.map((a) => ({ subscriptionId: a.subscriptionId, productId: a.productId, from: a.effectiveDate, to: a.cancelledDate, quantity: a.quantity }));
  const svc = service as Extract<AtOperation, { type: 'at.create-contract-service' }>['service'] | null;
  return {
    timeline,
    connectwise: { additions: lines.map(({ lineKey: _lineKey, ...line }) => line) },
    autotask: {
      contractServices: svc
        ? [{
            subscriptionId: svc.subscriptionId, productId: svc.productId, unitPrice: svc.unitPrice, unitCost: svc.unitCost,
            adjustments: [...net].filter(([, n]) => n !== 0).sort(([a], [b]) => (a < b ? -1 : 1)).map(([effectiveDate, unitChange]) => ({ effectiveDate, unitChange })),
          }]
        : [],
    },
  };
}
