/**
 * Which items a human decision applies to, and why one is refused (the Update validators of the
 * reconciliation workflow). A refused update leaves no trace in the run's history, and the
 * caller gets the message (the HTTP API answers 409 with it).
 */
import { z } from 'zod';
import type { ReconciliationStatus } from '../domain/reconciliation';
import type { DecisionRequest, ReconciliationChunkState } from '../contracts/reconciliation';

export type DecisionAction = 'accept' | 'reject' | 'retry';

/** §6: accept/reject act on `pending-review`; retry on `failed` (post again) and `failed-review` (read again). */
export const DECIDABLE: Record<DecisionAction, readonly ReconciliationStatus[]> = {
  accept: ['pending-review'],
  reject: ['pending-review'],
  retry: ['failed', 'failed-review'],
};

export const DecisionRequestSchema = z
  .object({
    subscriptionIds: z.array(z.string().min(1, 'must not be empty'), { invalid_type_error: 'must be a list of subscription ids' }).min(1, 'must name at least one subscription').max(1000, 'at most 1000 at once').optional(),
    all: z.literal(true, { errorMap: () => ({ message: 'must be true when given' }) }).optional(),
    by: z.string().min(1, 'must not be empty').max(200, 'is too long').optional(),
    /** Why (optional): kept with the decision on each item's record, in the log and the CSV. */
    note: z.string({ invalid_type_error: 'must be a string' }).max(500, 'is too long (at most 500 characters)').optional(),
  })
  .strict()
  .refine((r) => (r.subscriptionIds === undefined) !== (r.all === undefined), { message: 'give either subscriptionIds or all: true (exactly one)' });

/** What a decision is checked against: a chunk's items (a month's run splits its items into chunks). */
export type DecisionScope = Pick<ReconciliationChunkState, 'connectionId' | 'provider' | 'billingMonth' | 'items'>;

/** The subscription ids a request selects, and why it cannot be carried out (empty when it can). */
export function decisionProblems(s: DecisionScope, action: DecisionAction, req: DecisionRequest): { ids: string[]; problems: string[] } {
  const parsed = DecisionRequestSchema.safeParse(req ?? {});
  if (!parsed.success) {
    return { ids: [], problems: [parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ')] };
  }
  const allowed = DECIDABLE[action];
  const wanted = allowed.join(' or ');
  if (parsed.data.all) {
    const ids = s.items.filter((i) => allowed.includes(i.status) && !i.queued && i.facts).map((i) => i.subscriptionId);
    return { ids, problems: ids.length === 0 ? [nothingTo(action, s.billingMonth, s.provider)] : [] };
  }
  const ids = [...new Set(parsed.data.subscriptionIds)];
  const problems: string[] = [];
  for (const id of ids) {
    const item = s.items.find((i) => i.subscriptionId === id);
    if (!item) problems.push(notPartOf(id, s));
    else if (item.queued) problems.push(`${id}: a ${item.queued} is already being carried out`);
    else if (!allowed.includes(item.status)) problems.push(`${id}: is ${item.status}; only ${wanted} items can be ${action === 'retry' ? 'retried' : `${action}ed`}`);
    else if (!item.facts) problems.push(`${id}: not checked by this run yet; try again after its next check`);
  }
  return { ids, problems };
}

/** The subscription ids a request selects; throws an Error saying what is wrong otherwise (the Update validators). */
export function checkDecision(s: DecisionScope, action: DecisionAction, req: DecisionRequest): string[] {
  const { ids, problems } = decisionProblems(s, action, req);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return ids;
}

/** The refusal of an `all` that finds nothing (also what a whole run answers when no chunk has any). */
export const nothingTo = (action: DecisionAction, billingMonth: string, provider: string): string =>
  `nothing to ${action}: no item of ${billingMonth} ${provider} is ${DECIDABLE[action].join(' or ')}`;

/** The refusal of a subscription the run does not hold. */
export const notPartOf = (id: string, s: Pick<DecisionScope, 'connectionId' | 'provider' | 'billingMonth'>): string =>
  `${id}: not part of the ${s.billingMonth} ${s.provider} reconciliation on ${s.connectionId}`;
