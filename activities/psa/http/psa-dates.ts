/**
 * Calendar dates at the PSA boundary. ConnectWise and Autotask keep effective dates, billing
 * start dates and purchase dates as days of the tenant (whose time zone the connector does not
 * know), but speak UTC instants on the wire: a `YYYY-MM-DDT00:00:00Z` can land on the day before
 * in a tenant west of UTC, and a day written as the tenant's midnight reads back as
 * `…T23:00:00Z` of the day before in a tenant east of it (sandbox/README.md, "Dates and time
 * zones"). So a day is written at noon UTC (the same calendar day in every zone from UTC−11 to
 * UTC+11, whether the PSA takes the date part or converts to its zone) and read back as the
 * calendar day nearest to the instant (local midnight in any zone from UTC−11:59 to UTC+12, or
 * our own noon, both give back the day meant).
 */
import { isIsoDate, type IsoDate } from '../../../domain/dates';
import type { PsaKind } from '../../../domain/psa-operations';
import { PsaError } from './psa-error';

const HALF_DAY_MS = 12 * 3_600_000;

/** The instant to send for a calendar day. */
export const psaDateTime = (date: IsoDate): string => `${date}T12:00:00Z`;

/** The calendar day a PSA date(-time) stands for, or null when the text is not one. */
export function psaDateOf(value: string): IsoDate | null {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(value.trim());
  if (!m || !isIsoDate(m[1]!)) return null;
  if (!m[2]) return m[1]!;
  const ms = Date.parse(`${m[1]}T${m[2]}${m[3] ?? 'Z'}`);
  if (Number.isNaN(ms)) return null;
  // Noon itself belongs to its own day, hence the millisecond.
  return new Date(ms + HALF_DAY_MS - 1).toISOString().slice(0, 10);
}

/** The calendar day of a date field a PSA answered with; a protocol PsaError naming the field when it is not one. */
export function psaDateField(psa: PsaKind, field: string, value: string, where: string): IsoDate {
  const day = psaDateOf(value);
  if (day === null) throw new PsaError({ psa, kind: 'protocol', method: 'GET', path: where, psaMessage: `${field} is not a date: ${value}` });
  return day;
}

/** The same for a field that may be empty (null then). */
export const psaOptionalDateField = (psa: PsaKind, field: string, value: string | null | undefined, where: string): IsoDate | null =>
  value ? psaDateField(psa, field, value, where) : null;
