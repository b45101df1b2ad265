/**
 * Evaluates Autotask query filters (docs/psa-apis.md §2.4) against in-memory records. Field names and
 * string comparisons are case-insensitive; datetimes compare as instants, so "2026-03-01" and
 * "2026-03-01T00:00:00Z" are equal, as the real API treats them.
 */
import type { FilterNode, Scalar } from './query-parser';

type Condition = Extract<FilterNode, { kind: 'condition' }>;

type Row = object;

/** Reads a field by case-insensitive name; `udf` reads `userDefinedFields` [{name, value}]. */
export function readField(row: Row, field: string, udf = false): unknown {
  const entries = Object.entries(row);
  if (udf) {
    const udfs = entries.find(([k]) => k.toLowerCase() === 'userdefinedfields')?.[1];
    if (!Array.isArray(udfs)) return undefined;
    const hit = (udfs as { name?: unknown; value?: unknown }[]).find(
      (u) => typeof u.name === 'string' && u.name.toLowerCase() === field.toLowerCase(),
    );
    return hit?.value;
  }
  return entries.find(([k]) => k.toLowerCase() === field.toLowerCase())?.[1];
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/;

function asInstant(v: unknown): number | null {
  if (typeof v !== 'string' || !ISO_DATE.test(v)) return null;
  const ms = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : /Z|[+-]\d{2}:\d{2}$/.test(v) ? v : `${v}Z`);
  return Number.isNaN(ms) ? null : ms;
}

/** Orders two values of possibly different JSON types; null when they are not comparable. */
function compare(a: unknown, b: Scalar): number | null {
  if (a === undefined || a === null || b === null) return null;
  const da = asInstant(a);
  const db = asInstant(b);
  if (da !== null && db !== null) return Math.sign(da - db);
  if (typeof a === 'number' || typeof b === 'number') {
    const na = Number(a);
    const nb = Number(b);
    return Number.isNaN(na) || Number.isNaN(nb) ? null : Math.sign(na - nb);
  }
  if (typeof a === 'boolean' || typeof b === 'boolean') {
    const ba = String(a).toLowerCase();
    const bb = String(b).toLowerCase();
    return ba === bb ? 0 : ba < bb ? -1 : 1;
  }
  const sa = String(a).toLowerCase();
  const sb = String(b).toLowerCase();
  return sa === sb ? 0 : sa < sb ? -1 : 1;
}

const text = (v: unknown): string => (v === undefined || v === null ? '' : String(v).toLowerCase());
const single = (c: Condition): Scalar => (Array.isArray(c.value) ? null : (c.value ?? null));
const list = (c: Condition): Scalar[] => (Array.isArray(c.value) ? c.value : []);

function matchesCondition(row: Row, c: Condition): boolean {
  const actual = readField(row, c.field, c.udf);
  const present = actual !== undefined && actual !== null && actual !== '';
  switch (c.op) {
    case 'exist': return present;
    case 'notExist': return !present;
    case 'eq': return single(c) === null ? !present : compare(actual, single(c)) === 0;
    case 'noteq': return single(c) === null ? present : compare(actual, single(c)) !== 0;
    case 'gt': return (compare(actual, single(c)) ?? -2) > 0;
    case 'gte': return (compare(actual, single(c)) ?? -2) >= 0;
    case 'lt': return (compare(actual, single(c)) ?? 2) < 0;
    case 'lte': return (compare(actual, single(c)) ?? 2) <= 0;
    case 'beginsWith': return present && text(actual).startsWith(text(single(c)));
    case 'endsWith': return present && text(actual).endsWith(text(single(c)));
    case 'contains': return present && text(actual).includes(text(single(c)));
    case 'in': return list(c).some((v) => compare(actual, v) === 0);
    case 'notIn': return !list(c).some((v) => compare(actual, v) === 0);
  }
}

export function matchesFilter(row: Row, filter: FilterNode): boolean {
  if (filter.kind === 'group') {
    if (filter.items.length === 0) return true; // every condition in it was dropped (unknown operators)
    return filter.op === 'and' ? filter.items.every((f) => matchesFilter(row, f)) : filter.items.some((f) => matchesFilter(row, f));
  }
  return matchesCondition(row, filter);
}

/** Top-level filter items are ANDed. */
export const matchesAll = (row: Row, filters: readonly FilterNode[]): boolean => filters.every((f) => matchesFilter(row, f));

/** `IncludeFields` projection (case-insensitive); `id` always stays so paging can continue. */
export function project(row: Row, includeFields: readonly string[] | undefined): Record<string, unknown> {
  if (!includeFields || includeFields.length === 0) return { ...row };
  const wanted = new Set(['id', ...includeFields.map((f) => f.toLowerCase())]);
  return Object.fromEntries(Object.entries(row).filter(([k]) => wanted.has(k.toLowerCase())));
}
