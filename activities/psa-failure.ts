/**
 * Turns our errors into Temporal failures. A PSA that refused the record (validation, auth,
 * not-found…) or a store that refused the change (conflict, bad input) fails the activity at
 * once, non-retryable, with the message an admin needs; transient ones (429, 5xx, timeouts,
 * a database blip) are left to the activity retry policy (the whole table: docs/retries.md).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { isPsaError } from './psa/http';
import { PsaSetupError } from './psa/psa-setup-error';
import { ConflictError, NotFoundError, StoreInputError } from './store';

/** The store's and the setup's refusals, passed on under their class name as the failure type. */
const REFUSALS = [ConflictError, NotFoundError, StoreInputError, PsaSetupError];

/**
 * True for the failure types `withFailureTypes` gives: a PSA's answer (refusal or transient) or
 * a refusal of ours, i.e. an expected outcome with a message for the admin, not a bug. The
 * worker logs these in one line, without the stack.
 */
export function isExpectedFailureType(type: string | null | undefined): boolean {
  return !!type && (type.startsWith('PsaError.') || REFUSALS.some((c) => c.name === type));
}

export async function withFailureTypes<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isPsaError(err)) {
      if (err.retryable) throw ApplicationFailure.retryable(err.message, `PsaError.${err.kind}`, err.toJSON());
      throw ApplicationFailure.nonRetryable(err.message, `PsaError.${err.kind}`, err.toJSON());
    }
    if (REFUSALS.some((c) => err instanceof c)) {
      throw ApplicationFailure.nonRetryable((err as Error).message, (err as Error).name);
    }
    throw err;
  }
}
