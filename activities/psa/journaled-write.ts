/**
 * The journaled write both gateways build on: one or more keyed operations that become ONE PSA
 * write (ConnectWise: one operation; Autotask: the changes of one day netted into one
 * adjustment), recorded in the operation journal before and after it.
 *
 * - a key found `done` is replayed from the journal, nothing is written;
 * - new keys are begun before the write;
 * - a key found `started` means an earlier attempt may have written (it crashed, or the PSA's
 *   answer was lost, between the write and the journal): the write runs with `resumed = true`
 *   and must look in the PSA before writing again;
 * - every member is completed with the write's outcome.
 *
 * Retrying is not done here (docs/retries.md): a transient error is thrown as it is, and the
 * activity calls `apply` again with the same keys, which then resume.
 */
import { isPsaError, type Logger } from './http';
import type { AppliedOperation, KeyedOperation, OperationJournal } from './psa-gateway.port';

/** What a member's journal result holds besides its key and the replay flag. */
export type AppliedFields = Omit<AppliedOperation, 'idempotencyKey' | 'replayed'>;

export interface JournaledWrite<O> {
  /** The operations this one write stands for, in plan order. */
  members: readonly KeyedOperation[];
  /** The write, for the members not done yet. `resumed`: look in the PSA before writing again. */
  write(open: readonly KeyedOperation[], resumed: boolean): Promise<O>;
  /** One member's result from the write's outcome. */
  applied(member: KeyedOperation, outcome: O): AppliedFields;
  /**
   * The outcome a member already completed recorded. Members of one write are completed
   * together after it, so when some are done and others not (a crash between two completions),
   * the write landed: the others are completed with the same outcome instead of writing again.
   */
  recorded?(result: AppliedOperation): O;
}

/** Applies one journaled write; one result per member, in order (`replayed` for keys done before). */
export async function journaledWrite<O>(journal: OperationJournal, w: JournaledWrite<O>): Promise<AppliedOperation[]> {
  const entries = await Promise.all(w.members.map((m) => journal.get(m.idempotencyKey)));
  const results: (AppliedOperation | null)[] = entries.map((e) => (e?.state === 'done' && e.result ? { ...e.result, replayed: true } : null));
  const open = w.members.filter((_, i) => results[i] === null);
  if (open.length > 0) {
    for (const [i, m] of w.members.entries()) if (!entries[i]) await journal.begin(m.idempotencyKey, m.operation);
    const done = results.find((r) => r !== null);
    const resumed = entries.some((e, i) => results[i] === null && e?.state === 'started');
    const outcome = done && w.recorded ? w.recorded(done) : await w.write(open, resumed);
    for (const [i, m] of w.members.entries()) {
      if (results[i] !== null) continue;
      const result: AppliedOperation = { idempotencyKey: m.idempotencyKey, ...w.applied(m, outcome), replayed: false };
      await journal.complete(result);
      results[i] = result;
    }
  }
  return results as AppliedOperation[];
}

/**
 * A create that may have landed without our hearing of it (`maybeApplied`: a 5xx, a timeout, a
 * dropped connection after sending) is looked up ONCE: found → adopted; not found → the
 * (retryable) error is thrown, for the activity to retry. The gateway never loops.
 */
export async function writeOrAdopt<T>(write: () => Promise<T>, look: () => Promise<T | null>, log?: { logger: Logger; what: string }): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!isPsaError(error) || !error.maybeApplied) throw error;
    const found = await look();
    if (found === null) throw error;
    log?.logger.info(`${log.what}: the answer was lost but the write had landed; adopted`, { kind: error.kind, status: error.status });
    return found;
  }
}
