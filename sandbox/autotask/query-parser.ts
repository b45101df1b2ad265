/**
 * The sandbox's own reading of an Autotask query body (`{ filter, MaxRecords, IncludeFields }`),
 * written from Autotask's documentation, not shared with the connector's client, so the sandbox
 * can catch the client's mistakes. It is as strict and as lenient as Autotask is:
 * - a filter on a field the entity does not have fails the whole query with HTTP 500
 *   "Unable to find <field> in the <Entity> Entity" (what Autotask answers);
 * - a condition whose operator Autotask does not know is dropped, not refused: Autotask then
 *   returns the rows the rest of the filter matches (integrators found `ne` for `noteq`
 *   returning everything);
 * - top-level keys, operator names and field names are case-insensitive.
 */
import { VENDOR_FIELDS } from './vendor-fields';

export const OPERATORS = ['eq', 'noteq', 'gt', 'gte', 'lt', 'lte', 'beginsWith', 'endsWith', 'contains', 'exist', 'notExist', 'in', 'notIn'] as const;
export type Operator = (typeof OPERATORS)[number];
export type Scalar = string | number | boolean | null;

export type FilterNode =
  | { kind: 'condition'; op: Operator; field: string; value: Scalar | Scalar[] | undefined; udf: boolean }
  | { kind: 'group'; op: 'and' | 'or'; items: FilterNode[] };

export interface ParsedQuery {
  filter: FilterNode[];
  maxRecords: number;
  includeFields: string[] | undefined;
}

export const MAX_RECORDS = 500;

/** Autotask names entities in the singular in its messages (`TimeEntries` → "TimeEntry Entity"). */
export const singular = (entity: string): string => (entity === 'Companies' ? 'Company' : entity.replace(/s$/, ''));

export class QueryError extends Error {}

const isScalar = (v: unknown): v is Scalar => v === null || ['string', 'number', 'boolean'].includes(typeof v);

/** The entity's own name for a field (case-insensitive), or null when it has none. */
export function fieldOf(entity: string, name: string): string | null {
  const fields = VENDOR_FIELDS[entity] ?? {};
  return Object.keys(fields).find((f) => f.toLowerCase() === name.toLowerCase()) ?? null;
}

function parseNode(entity: string, raw: unknown): FilterNode | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new QueryError('Each filter item must be an object.');
  const item = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k.toLowerCase(), v])) as Record<string, unknown>;
  const opText = typeof item.op === 'string' ? item.op : '';
  if (['and', 'or'].includes(opText.toLowerCase())) {
    if (!Array.isArray(item.items) || item.items.length === 0) throw new QueryError(`A "${opText}" group needs at least one item.`);
    return { kind: 'group', op: opText.toLowerCase() as 'and' | 'or', items: item.items.map((i) => parseNode(entity, i)).filter((n): n is FilterNode => n !== null) };
  }
  const op = OPERATORS.find((o) => o.toLowerCase() === opText.toLowerCase());
  if (!op) return null; // unknown operator: silently dropped, as Autotask does
  if (typeof item.field !== 'string' || item.field === '') throw new QueryError(`Operation "${op}" needs a field.`);
  const udf = item.udf === true;
  const field = udf ? item.field : fieldOf(entity, item.field);
  if (field === null) throw new QueryError(`Unable to find ${item.field} in the ${singular(entity)} Entity`);
  const value = item.value;
  if (value !== undefined && !isScalar(value) && !(Array.isArray(value) && value.every(isScalar))) {
    throw new QueryError(`The value of the "${op}" condition on ${item.field} is not valid.`);
  }
  return { kind: 'condition', op, field, value: value as Scalar | Scalar[] | undefined, udf };
}

/** Reads a query body for `entity`; throws QueryError with Autotask's wording when it cannot. */
export function parseQuery(entity: string, body: unknown): ParsedQuery {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new QueryError('The search parameter is not a valid JSON query.');
  const top = Object.fromEntries(Object.entries(body).map(([k, v]) => [k.toLowerCase(), v])) as Record<string, unknown>;
  if (!Array.isArray(top.filter) || top.filter.length === 0) throw new QueryError('A query must contain at least one filter.');
  const filter = top.filter.map((f) => parseNode(entity, f)).filter((n): n is FilterNode => n !== null);
  const max = top.maxrecords;
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > MAX_RECORDS)) {
    throw new QueryError(`MaxRecords must be a whole number from 1 to ${MAX_RECORDS}.`);
  }
  const include = top.includefields;
  if (include !== undefined && (!Array.isArray(include) || !include.every((f) => typeof f === 'string'))) throw new QueryError('IncludeFields must be a list of field names.');
  return { filter, maxRecords: (max as number | undefined) ?? MAX_RECORDS, includeFields: include as string[] | undefined };
}
