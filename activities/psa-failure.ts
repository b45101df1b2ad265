/**
 * Turns our errors into Temporal failures. A PSA that refused the record (validation, auth,
 * not-found…) or a store that refused the change (conflict, bad input) fails the activity at
 * once, non-retryable, with the message an admin needs; transient ones (429, 5xx, timeouts,
 * a database blip) are left to the activity retry policy.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { isPsaError } from './psa/http';
import { PsaSetupError } from './psa/psa-setup-error';
import { ConflictError, NotFoundError, StoreInputError } from './store';

export async function withFailureTypes<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isPsaError(err)) {
      if (err.retryable) throw ApplicationFailure.retryable(err.message, `PsaError.${err.kind}`, err.toJSON());
      throw ApplicationFailure.nonRetryable(err.message, `PsaError.${err.kind}`, err.toJSON());
    }
    if (err instanceof ConflictError || err instanceof NotFoundError || err instanceof StoreInputError || err instanceof PsaSetupError) {
      throw ApplicationFailure.nonRetryable(err.message, err.name);
    }
    throw err;
  }
}
