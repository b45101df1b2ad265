/**
 * §6 provider cutover calendar: per provider, the days of the month after the billing month in
 * which invoices become final. Configuration data: the defaults below are the §6 table; a
 * connection may override or add providers without code changes.
 */
import { z } from 'zod';
import { addDays, endOfMonth, firstOfNextMonth, minDate, type IsoDate } from './dates';

export const CutoverEntrySchema = z
  .object({
    provider: z.string().min(1, 'must not be empty'),
    cutoverStartDay: z.number().int('must be a whole day of month').min(1, 'must be 1–31').max(31, 'must be 1–31'),
    cutoverEndDay: z.number().int('must be a whole day of month').min(1, 'must be 1–31').max(31, 'must be 1–31'),
  })
  .strict()
  .refine((e) => e.cutoverEndDay >= e.cutoverStartDay, { path: ['cutoverEndDay'], message: 'must not be before cutoverStartDay' });
export type CutoverEntry = z.infer<typeof CutoverEntrySchema>;
export const CutoverCalendarSchema = z.array(CutoverEntrySchema);

/** §6 table. */
export const DEFAULT_CUTOVER_CALENDAR: readonly CutoverEntry[] = Object.freeze([
  ...['Google Cloud Platform', 'Amazon Web Services', 'Azure Legacy', 'Generic Web Service', 'Sophos'].map((provider) => ({
    provider,
    cutoverStartDay: 6,
    cutoverEndDay: 21,
  })),
  ...['Microsoft Modern Workplace', 'Microsoft CSP'].map((provider) => ({ provider, cutoverStartDay: 10, cutoverEndDay: 25 })),
]);

/** §6 "checks once a day, for up to 15 days". */
export const MAX_RECONCILIATION_CHECKS = 15;

const norm = (s: string) => s.trim().toLowerCase();

/** The defaults with `overrides` applied (same provider name, case-insensitive, replaces). */
export function cutoverCalendar(overrides: readonly CutoverEntry[] = [], base: readonly CutoverEntry[] = DEFAULT_CUTOVER_CALENDAR): CutoverEntry[] {
  const out = base.map((e) => ({ ...e }));
  for (const o of overrides) {
    const i = out.findIndex((e) => norm(e.provider) === norm(o.provider));
    if (i >= 0) out[i] = { ...o };
    else out.push({ ...o });
  }
  return out;
}

export interface CutoverWindow {
  provider: string;
  billingMonth: string;
  start: IsoDate;
  end: IsoDate;
  /** The days a check runs: from the cutover start, daily, at most 15, never after the end. */
  checkDates: IsoDate[];
}

/** The cutover window of `billingMonth` (YYYY-MM) for a provider; null for an unknown provider. */
export function cutoverWindow(provider: string, billingMonth: string, calendar: readonly CutoverEntry[] = DEFAULT_CUTOVER_CALENDAR): CutoverWindow | null {
  const entry = calendar.find((e) => norm(e.provider) === norm(provider));
  if (!entry) return null;
  const next = firstOfNextMonth(`${billingMonth}-01`);
  const eom = endOfMonth(next);
  const day = (d: number) => minDate(addDays(next, d - 1), eom); // day 31 in a 30-day month → the 30th
  const start = day(entry.cutoverStartDay);
  const end = day(entry.cutoverEndDay);
  const checkDates: IsoDate[] = [];
  for (let d = start; d <= end && checkDates.length < MAX_RECONCILIATION_CHECKS; d = addDays(d, 1)) checkDates.push(d);
  return { provider: entry.provider, billingMonth, start, end, checkDates };
}
