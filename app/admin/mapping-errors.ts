/**
 * The errors the mapping service throws, so its callers (HTTP API, CLI through the API) can
 * answer each the same way: NotFoundError → 404, ConflictError → 409, ValidationError → 400
 * with one "field path: reason" problem per line, PsaError → 502 with the PSA's own message.
 * They are the store's own classes: one set of error types from the database to the wire.
 */
import { WorkflowNotFoundError } from '@temporalio/common';
import { MessageConflictError } from '../../contracts/errors';
import { BillingInputError, type Problem } from '../../domain/problems';
import { ConflictError, NotFoundError, StoreInputError } from '../../activities/store/errors';

export { ConflictError, NotFoundError };
export { PsaError, isPsaError } from '../../activities/psa/http/psa-error';

/** Bad input: every problem found, each with a field path and a reason. */
export const ValidationError = StoreInputError;
export type ValidationError = StoreInputError;

/**
 * Temporal could not bring a connection's Schedules in line with a change, so the change was not
 * saved (docs/mapping.md "Schedules follow connections"): the API answers 503 with this message.
 */
export class SchedulesUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SchedulesUnavailableError';
  }
}

/** A validation error from one or more problems. */
export const invalid = (...problems: Problem[]): StoreInputError => new StoreInputError(problems);

/**
 * Runs `fn`, turning the billing engine's and the platform client's BillingInputError into
 * our ValidationError, a workflow's MessageConflictError into a ConflictError, and Temporal's "no such workflow" into a NotFoundError, so callers see
 * one set of error types.
 */
export async function normalizeErrors<T>(fn: () => Promise<T>, notFound?: { kind: string; id: string }): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof BillingInputError) throw new StoreInputError(e.problems);
    if (e instanceof MessageConflictError) throw new ConflictError(e.message);
    if (e instanceof WorkflowNotFoundError && notFound) throw new NotFoundError(notFound.kind, notFound.id);
    throw e;
  }
}
