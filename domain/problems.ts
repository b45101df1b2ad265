/**
 * Validation problems: one per line, "field path: reason" (docs/architecture.md, "a bad scenario
 * exits non-zero with one clear line per problem"). Used for zod errors and for the rule
 * checks that need the subscription's state.
 */
import type { ZodError, ZodIssue } from 'zod';

export interface Problem {
  /** Field path in the input, e.g. `events[3].quantity`; empty for the document itself. */
  path: string;
  message: string;
}

/** `['events', 3, 'quantity']` → `events[3].quantity`. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

export function problemLine(p: Problem): string {
  return p.path === '' ? p.message : `${p.path}: ${p.message}`;
}

function issueProblems(issue: ZodIssue): Problem[] {
  if (issue.code === 'invalid_union') {
    // Report the branch that got furthest rather than "Invalid input".
    const branches = issue.unionErrors.map((e) => e.issues);
    const best = branches.sort((a, b) => a.length - b.length)[0];
    if (best && best.length > 0) return best.flatMap(issueProblems);
  }
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => ({ path: formatPath([...issue.path, k]), message: 'is not a known field' }));
  }
  const message = issue.message === 'Required' ? 'is required' : issue.message;
  return [{ path: formatPath(issue.path), message }];
}

export function zodProblems(error: ZodError): Problem[] {
  return error.issues.flatMap(issueProblems);
}

/** A billing input that breaks a rule; carries every problem found, not just the first. */
export class BillingInputError extends Error {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super(problems.map(problemLine).join('\n'));
    this.name = 'BillingInputError';
    this.problems = problems;
  }
}
