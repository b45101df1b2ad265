/**
 * UTC calendar dates (billing-rules.md §1) as `YYYY-MM-DD` strings. Pure arithmetic on
 * day numbers: no time zones, no clocks (workflows pass "today" in explicitly).
 */
export type IsoDate = string;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** True for a real calendar date in `YYYY-MM-DD` form (rejects 2026-02-30). */
export function isIsoDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

/** Days since 1970-01-01. */
export function toDayNumber(d: IsoDate): number {
  if (!isIsoDate(d)) throw new RangeError(`not a calendar date: "${d}"`);
  const [y, mo, da] = d.split('-').map(Number) as [number, number, number];
  return Date.UTC(y, mo - 1, da) / DAY_MS;
}

export function fromDayNumber(n: number): IsoDate {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

/** The UTC calendar date of an instant (e.g. the workflow clock). */
export const isoDateOf = (instantMs: number): IsoDate => new Date(instantMs).toISOString().slice(0, 10);

export const addDays = (d: IsoDate, n: number): IsoDate => fromDayNumber(toDayNumber(d) + n);
export const daysBetween = (from: IsoDate, to: IsoDate): number => toDayNumber(to) - toDayNumber(from);
/** ISO dates compare correctly as strings once validated. */
export const compareDates = (a: IsoDate, b: IsoDate): number => (a < b ? -1 : a > b ? 1 : 0);
export const maxDate = (...ds: IsoDate[]): IsoDate => ds.reduce((a, b) => (b > a ? b : a));
export const minDate = (...ds: IsoDate[]): IsoDate => ds.reduce((a, b) => (b < a ? b : a));

/** FOM(d): first day of d's month. */
export const firstOfMonth = (d: IsoDate): IsoDate => `${d.slice(0, 7)}-01`;
/** FONM(d): first day of the month after d. */
export function firstOfNextMonth(d: IsoDate): IsoDate {
  const [y, m] = d.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
}
/** EOM(d): last day of d's month. */
export const endOfMonth = (d: IsoDate): IsoDate => addDays(firstOfNextMonth(d), -1);
/** `YYYY-MM` of a date (billing month). */
export const monthOf = (d: IsoDate): string => d.slice(0, 7);
