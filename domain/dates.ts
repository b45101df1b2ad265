/**
 * UTC calendar dates (docs/billing-rules.md §1) as `YYYY-MM-DD` strings. Pure arithmetic on
 * day numbers: no time zones, no clocks (workflows pass "today" in explicitly).
 */
export type IsoDate = string;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** Days in month `m` (1–12) of year `y` (proleptic Gregorian). */
function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** True for a real calendar date in `YYYY-MM-DD` form (rejects 2026-02-30). */
export function isIsoDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo);
}

// Integer civil-calendar arithmetic (days ↔ y/m/d), no Date objects: the billing engine does
// a lot of date math per event, and this keeps it allocation-free and identical to Date.UTC.
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Days since 1970-01-01. */
export function toDayNumber(d: IsoDate): number {
  if (!isIsoDate(d)) throw new RangeError(`not a calendar date: "${d}"`);
  return daysFromCivil(Number(d.slice(0, 4)), Number(d.slice(5, 7)), Number(d.slice(8, 10)));
}

export function fromDayNumber(n: number): IsoDate {
  const z = n + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  if (y < 0 || y > 9999) return new Date(n * DAY_MS).toISOString().slice(0, 10);
  return `${String(y).padStart(4, '0')}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
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
  const y = Number(d.slice(0, 4));
  const m = Number(d.slice(5, 7));
  return m === 12 ? `${String(y + 1).padStart(4, '0')}-01-01` : `${d.slice(0, 4)}-${m < 9 ? '0' : ''}${m + 1}-01`;
}
/** EOM(d): last day of d's month. */
export const endOfMonth = (d: IsoDate): IsoDate => addDays(firstOfNextMonth(d), -1);
/**
 * The same day `n` months later (or earlier, n < 0); when that month has no such day, its last
 * day (2026-01-31 + 1 → 2026-02-28, 2024-02-29 + 12 → 2025-02-28). Always counted from `d`
 * itself, so repeated anniversaries of a 31st come back to the 31st where the month has one.
 */
export function addMonths(d: IsoDate, n: number): IsoDate {
  const index = Number(d.slice(0, 4)) * 12 + Number(d.slice(5, 7)) - 1 + n;
  const y = Math.floor(index / 12);
  const m = index - y * 12 + 1;
  const day = Math.min(Number(d.slice(8, 10)), daysInMonth(y, m));
  return `${String(y).padStart(4, '0')}-${m < 10 ? '0' : ''}${m}-${day < 10 ? '0' : ''}${day}`;
}
/**
 * The period of `months` months containing `day`, in a series of periods that start on `anchor`
 * and on its `addMonths` anniversaries (day ≥ anchor): its first day and the next period's.
 */
export function periodContaining(anchor: IsoDate, months: number, day: IsoDate): { start: IsoDate; next: IsoDate } {
  const monthIndex = (d: IsoDate) => Number(d.slice(0, 4)) * 12 + Number(d.slice(5, 7));
  let k = Math.max(0, Math.floor((monthIndex(day) - monthIndex(anchor)) / months));
  // The month count can be one period off around the anniversary day; settle it exactly.
  while (k > 0 && addMonths(anchor, k * months) > day) k--;
  while (addMonths(anchor, (k + 1) * months) <= day) k++;
  return { start: addMonths(anchor, k * months), next: addMonths(anchor, (k + 1) * months) };
}
/** `YYYY-MM` of a date (billing month). */
export const monthOf = (d: IsoDate): string => d.slice(0, 7);
