/**
 * Autotask's JSON query grammar (psa-apis.md §2.4): the one definition both the client (to build
 * queries) and the sandbox (to parse and evaluate them) use.
 */
import { z } from 'zod';

export const CONDITION_OPS = [
  'eq', 'noteq', 'gt', 'gte', 'lt', 'lte', 'beginsWith', 'endsWith', 'contains', 'exist', 'notExist', 'in', 'notIn',
] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];

export type FilterValue = string | number | boolean | null;

export interface Condition {
  op: ConditionOp;
  field: string;
  value?: FilterValue | FilterValue[];
  udf?: boolean;
}
export interface Group {
  op: 'and' | 'or';
  items: Filter[];
}
export type Filter = Condition | Group;

export interface AutotaskQuery {
  filter: Filter[];
  MaxRecords?: number;
  IncludeFields?: string[];
}

export const MAX_RECORDS = 500;

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

// Operator names are matched case-insensitively, as the server does, then normalised.
const opName = <T extends string>(names: readonly T[]) =>
  z.string().transform((s, ctx) => {
    const found = names.find((n) => n.toLowerCase() === s.toLowerCase());
    if (!found) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `Unsupported filter operation "${s}".` });
      return z.NEVER;
    }
    return found;
  });

const conditionSchema: z.ZodType<Condition, z.ZodTypeDef, unknown> = z
  .object({
    op: opName(CONDITION_OPS),
    field: z.string().min(1),
    value: z.union([scalar, z.array(scalar)]).optional(),
    udf: z.boolean().optional(),
  })
  .superRefine((c, ctx) => {
    const needsArray = c.op === 'in' || c.op === 'notIn';
    const needsNone = c.op === 'exist' || c.op === 'notExist';
    if (needsArray && !Array.isArray(c.value)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `Operation "${c.op}" needs an array value.` });
    if (!needsArray && !needsNone && (c.value === undefined || Array.isArray(c.value))) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `Operation "${c.op}" on field "${c.field}" needs a single value.` });
    }
  });

export const filterSchema: z.ZodType<Filter, z.ZodTypeDef, unknown> = z.lazy(() =>
  z.union([
    z.object({ op: opName(['and', 'or'] as const), items: z.array(filterSchema).min(1) }),
    conditionSchema,
  ]),
);

/** Parses a query body; top-level keys are case-insensitive (`filter`/`Filter`, `maxRecords`/`MaxRecords`). */
export function parseAutotaskQuery(body: unknown): { ok: true; query: AutotaskQuery } | { ok: false; message: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, message: 'The query is not a JSON object.' };
  const lower = Object.fromEntries(Object.entries(body).map(([k, v]) => [k.toLowerCase(), v]));
  const parsed = z
    .object({
      filter: z.array(filterSchema).min(1, 'A query needs at least one filter condition.'),
      maxrecords: z.number().int().min(1).max(MAX_RECORDS).optional(),
      includefields: z.array(z.string()).optional(),
    })
    .safeParse(lower);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, message: `Invalid query (${issue.path.join('.') || 'body'}): ${issue.message}` };
  }
  const { filter, maxrecords, includefields } = parsed.data;
  return { ok: true, query: { filter, MaxRecords: maxrecords, IncludeFields: includefields } };
}

/** Small builders so call sites read like the grammar. */
export const q = {
  eq: (field: string, value: FilterValue): Condition => ({ op: 'eq', field, value }),
  contains: (field: string, value: string): Condition => ({ op: 'contains', field, value }),
  in: (field: string, value: FilterValue[]): Condition => ({ op: 'in', field, value }),
  gte: (field: string, value: FilterValue): Condition => ({ op: 'gte', field, value }),
  or: (...items: Filter[]): Group => ({ op: 'or', items }),
  /** Autotask rejects an empty filter; this is the documented "everything" condition. */
  all: (): Condition => ({ op: 'gte', field: 'id', value: 0 }),
};
