/**
 * The activity options the workflows share, so a retry policy has one definition
 * (docs/retries.md: who retries what, and why never two layers at once).
 */
import type { ActivityOptions } from '@temporalio/workflow';

/** Database records and messages to other workflows: short, retried until they pass. */
export const RECORD_ACTIVITY: ActivityOptions = { startToCloseTimeout: '30 seconds', retry: { maximumInterval: '1 minute' } };

/**
 * A PSA write step: transient errors (429, 5xx, timeouts) retry here for about two minutes under
 * the same idempotency keys; after that the workflow shows the error and tries the same step again
 * later. A PSA refusal is not an error of the activity: it comes back with what was written before it.
 */
export const PSA_WRITE_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 8 },
};
