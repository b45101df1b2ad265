/**
 * Refusals the subscription workflow gives a sender, as the client library throws them. A bad
 * message is a BillingInputError (domain/problems.ts: every field and why; HTTP 400); these are
 * the other kind: the message is well formed but conflicts with what the workflow holds (HTTP 409).
 */
/** No worker answered a subscription's state query in time. */
export class StateTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateTimeoutError';
  }
}

export class MessageConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MessageConflictError';
  }
}
