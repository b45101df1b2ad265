/**
 * The store's errors, named so activities can mark them non-retryable by type: bad input and
 * conflicts do not get better by retrying.
 */
import type { ZodError, ZodIssue, ZodType, ZodTypeDef } from 'zod';

export interface InputProblem {
  /** Field path in the input, e.g. `rules.fieldToggles.company.city`; empty for the whole input. */
  path: string;
  message: string;
}

/** Input that fails validation; the message has one "path: reason" line per problem. */
export class StoreInputError extends Error {
  readonly problems: InputProblem[];
  constructor(problems: InputProblem[]) {
    super(problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('\n'));
    this.name = 'StoreInputError';
    this.problems = problems;
  }
}

/** A record that should exist does not. */
export class NotFoundError extends Error {
  constructor(readonly kind: string, readonly id: string) {
    super(`${kind} "${id}" does not exist`);
    this.name = 'NotFoundError';
  }
}

/** The write would break an identity rule (duplicate id, PSA record already mapped, wrong state). */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out;
}

function issueProblems(issue: ZodIssue): InputProblem[] {
  if (issue.code === 'invalid_union') {
    const best = issue.unionErrors.map((e) => e.issues).sort((a, b) => a.length - b.length)[0];
    if (best && best.length > 0) return best.flatMap(issueProblems);
  }
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => ({ path: formatPath([...issue.path, k]), message: 'is not a known field' }));
  }
  return [{ path: formatPath(issue.path), message: issue.message === 'Required' ? 'is required' : issue.message }];
}

/** zod's issues as "path: reason" problems. */
export function zodInputProblems(error: ZodError): InputProblem[] {
  return error.issues.flatMap(issueProblems);
}

/** Validates `input` with `schema`, throwing a StoreInputError listing every problem. */
export function parseInput<O, I>(schema: ZodType<O, ZodTypeDef, I>, input: unknown): O {
  const res = schema.safeParse(input);
  if (!res.success) throw new StoreInputError(zodInputProblems(res.error));
  return res.data;
}
