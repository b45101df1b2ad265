/**
 * Turns PSA errors into Temporal failures: a PSA that refused the record (validation, auth,
 * not-found…) fails the activity at once (non-retryable, with the PSA's own message), while
 * transient ones (429, 5xx, timeouts) are left to the activity retry policy.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { isPsaError } from './psa/http';

export async function withPsaFailures<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isPsaError(err)) {
      if (err.retryable) throw ApplicationFailure.retryable(err.message, `PsaError.${err.kind}`, err.toJSON());
      throw ApplicationFailure.nonRetryable(err.message, `PsaError.${err.kind}`, err.toJSON());
    }
    throw err;
  }
}
