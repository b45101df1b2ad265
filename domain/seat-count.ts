/**
 * §7 Seat count / high-water mark: for usage-billed products the billed quantity of a month is
 * the highest daily count seen in that month; the PSA is updated at most once a day when it
 * rises, effective at the start of the current billing period (§5: bypassing Autotask proration).
 */
import { z } from 'zod';
import { addDays, endOfMonth, firstOfMonth, monthOf, type IsoDate } from './dates';
import { IsoDateSchema, PeriodTypeSchema, QuantitySchema } from './schemas';

export const DailyCountSchema = z.object({ date: IsoDateSchema, count: QuantitySchema }).strict();
export type DailyCount = z.infer<typeof DailyCountSchema>;

/** Highest daily count of `month` (YYYY-MM) up to and including `through`; 0 with no counts. */
export function highWaterMark(counts: readonly DailyCount[], month: string, through?: IsoDate): number {
  let max = 0;
  for (const c of counts) if (monthOf(c.date) === month && (through === undefined || c.date <= through) && c.count > max) max = c.count;
  return max;
}

/** Same day-of-month as `anchor` in the month of `monthDate`, or its last day if shorter. */
function anchoredIn(anchor: IsoDate, monthDate: IsoDate): IsoDate {
  const day = Number(anchor.slice(8, 10));
  const eom = endOfMonth(monthDate);
  return Number(eom.slice(8, 10)) < day ? eom : addDays(firstOfMonth(monthDate), day - 1);
}

/**
 * Start of the billing period containing `today`: periods start on the anchor's day of month
 * (monthly) or its anniversary (yearly); a day the month lacks falls on the month's last day.
 */
export function currentBillingPeriodStart(periodType: 'monthly' | 'yearly', anchor: IsoDate, today: IsoDate): IsoDate {
  if (today <= anchor) return anchor;
  if (periodType === 'monthly') {
    const here = anchoredIn(anchor, today);
    return here <= today ? here : anchoredIn(anchor, addDays(firstOfMonth(today), -1));
  }
  const thisYear = anchoredIn(anchor, `${today.slice(0, 4)}${anchor.slice(4, 8)}01`);
  return thisYear <= today ? thisYear : anchoredIn(anchor, `${String(Number(today.slice(0, 4)) - 1)}${anchor.slice(4, 8)}01`);
}

export const SeatCountInputSchema = z
  .object({
    counts: z.array(DailyCountSchema),
    today: IsoDateSchema,
    /** Quantity the PSA bills now, and the month it was set for (null: never set). */
    billedQuantity: QuantitySchema,
    billedMonth: z.string().regex(/^\d{4}-\d{2}$/, 'must be YYYY-MM').nullable(),
    lastUpdatedOn: IsoDateSchema.nullable(),
    periodType: PeriodTypeSchema,
    /** Billing period anchor: the agreement/contract start. */
    periodAnchor: IsoDateSchema,
  })
  .strict();
export type SeatCountInput = z.infer<typeof SeatCountInputSchema>;

export interface SeatCountDecision {
  /** The month's high-water mark so far: what the month bills. */
  quantity: number;
  /** True when the PSA should be written today. */
  update: boolean;
  /** §7 / §5: the start of the current billing period. */
  effectiveDate: IsoDate;
  reason: string;
}

export function seatCountUpdate(input: SeatCountInput): SeatCountDecision {
  const month = monthOf(input.today);
  const quantity = highWaterMark(input.counts, month, input.today);
  const effectiveDate = currentBillingPeriodStart(input.periodType, input.periodAnchor, input.today);
  const base = { quantity, effectiveDate };
  if (input.lastUpdatedOn === input.today) return { ...base, update: false, reason: 'already updated today (at most once a day)' };
  if (input.billedMonth !== month) {
    // A new month starts its own high-water mark: the first update of the month sets it.
    return { ...base, update: true, reason: `first count of ${month}` };
  }
  if (quantity > input.billedQuantity) return { ...base, update: true, reason: `high-water mark rose from ${input.billedQuantity} to ${quantity}` };
  return { ...base, update: false, reason: `high-water mark ${quantity} not above billed ${input.billedQuantity}` };
}
