/**
 * Which items a human decision applies to, and why one is refused (the Update validators of the
 * reconciliation workflow). A refused update leaves no trace in the run's history, and the
 * caller gets the message (the HTTP API answers 409 with it).
 */
import { z } from 'zod';
import type { ReconciliationStatus } from '../domain/reconciliation';
import type { DecisionRequest, ReconciliationRunState } from '../contracts/reconciliation';

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

/** The subscription ids a request selects; throws an Error saying what is wrong otherwise. */
export function checkDecision(s: ReconciliationRunState, action: DecisionAction, req: DecisionRequest): string[] {
  const parsed = DecisionRequestSchema.safeParse(req ?? {});
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
  }
  const allowed = DECIDABLE[action];
  const wanted = allowed.join(' or ');
  if (parsed.data.all) {
    const ids = s.items.filter((i) => allowed.includes(i.status) && !i.queued && i.facts).map((i) => i.subscriptionId);
    if (ids.length === 0) throw new Error(`nothing to ${action}: no item of ${s.billingMonth} ${s.provider} is ${wanted}`);
    return ids;
  }
  const ids = [...new Set(parsed.data.subscriptionIds)];
  const problems: string[] = [];
  for (const id of ids) {
    const item = s.items.find((i) => i.subscriptionId === id);
    if (!item) problems.push(`${id}: not part of the ${s.billingMonth} ${s.provider} reconciliation on ${s.connectionId}`);
    else if (item.queued) problems.push(`${id}: a ${item.queued} is already being carried out`);
    else if (!allowed.includes(item.status)) problems.push(`${id}: is ${item.status}; only ${wanted} items can be ${action === 'retry' ? 'retried' : `${action}ed`}`);
    else if (!item.facts) problems.push(`${id}: not checked by this run yet; try again after its next check`);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return ids;
}
