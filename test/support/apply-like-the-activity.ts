/**
 * Drives a gateway's `apply` the way the subscription activity and its retry policy do
 * (docs/retries.md): after a retryable error, `apply` is called again with the SAME keyed
 * operations, until it succeeds. A refusal ends it at once, as activities/psa-failure.ts makes
 * it non-retryable: a PsaError that is not retryable, or a PsaSetupError; anything else (a
 * transient PsaError, a crash) is retried. No waiting between attempts: the tests run against
 * sandboxes, and what they check is what was written.
 */
import { isPsaError } from '../../activities/psa/http/psa-error';
import { PsaSetupError } from '../../activities/psa/psa-setup-error';
import type { AppliedOperation, KeyedOperation, PsaGateway, PsaTarget } from '../../activities/psa/psa-gateway.port';

export interface ActivityRun {
  applied: AppliedOperation[];
  /** Calls of `apply`, the successful one included. */
  attempts: number;
  /** The errors that ended the earlier calls, in order. */
  errors: unknown[];
}

export async function applyLikeTheActivity(
  gateway: Pick<PsaGateway, 'apply'>,
  target: PsaTarget,
  operations: KeyedOperation[],
  lineIds: Record<string, number>,
  options: { attempts: number },
): Promise<ActivityRun> {
  const errors: unknown[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      return { applied: await gateway.apply(target, operations, lineIds), attempts: attempt, errors };
    } catch (error) {
      const refusal = (isPsaError(error) && !error.retryable) || error instanceof PsaSetupError;
      if (refusal || attempt >= options.attempts) throw error;
      errors.push(error);
    }
  }
}
