/**
 * Autotask's JSON query grammar (docs/psa-apis.md §2.4) as the client builds it. The sandbox reads
 * queries with its own parser (sandbox/autotask/query-parser.ts), so a mistake here shows up
 * there as Autotask would report it.
 */
export type ConditionOp =
  | 'eq' | 'noteq' | 'gt' | 'gte' | 'lt' | 'lte' | 'beginsWith' | 'endsWith' | 'contains' | 'exist' | 'notExist' | 'in' | 'notIn';

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
