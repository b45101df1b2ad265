/**
 * The one error type both PSA clients throw. It names what failed (PSA, method, path without
 * the query string) and carries the PSA's own message, never a credential: every message that
 * came from a server is scrubbed of the caller's secrets before it is stored.
 */
import type { PsaKind } from '../../../domain/psa-operations';

export type PsaErrorKind =
  | 'auth' // bad or missing credentials (also ConnectWise cloud's 404 on a collection)
  | 'forbidden' // authenticated, but the API member's security role denies it
  | 'validation' // the PSA refused the record (business rule, missing field, invoiced line)
  | 'not-found'
  | 'conflict' // record in use / already exists
  | 'rate-limited' // 429 or the Autotask thread limit
  | 'unavailable' // 5xx, connection refused or reset
  | 'timeout' // our deadline passed, or the PSA says it timed out
  | 'protocol'; // the answer did not have the documented shape

/**
 * Kinds worth retrying as they are (a validation error will fail the same way again). Who
 * retries them is docs/retries.md: the HTTP core only what the PSA refused and said when to come
 * back, the activity's retry policy everything else.
 */
export const RETRYABLE_KINDS: ReadonlySet<PsaErrorKind> = new Set(['rate-limited', 'unavailable', 'timeout']);

export interface PsaErrorInit {
  psa: PsaKind;
  kind: PsaErrorKind;
  method: string;
  /** URL path only: the query string is dropped because it may hold user names or filters. */
  path: string;
  status?: number;
  /** The PSA's own message (already scrubbed). */
  psaMessage?: string;
  /** Item-level messages, e.g. ConnectWise `errors[].message` or Autotask `errors[]`. */
  details?: string[];
  /** Server-requested wait before retrying (Retry-After), when given; also on errors the HTTP core did not wait for. */
  retryAfterMs?: number;
  /** Overrides the default retryable flag of the kind. */
  retryable?: boolean;
  /**
   * A non-idempotent write (POST) failed in a way that leaves open whether the PSA applied it
   * (5xx, timeout, dropped connection): look for the record before writing again.
   */
  maybeApplied?: boolean;
  cause?: unknown;
}

export class PsaError extends Error {
  override readonly name = 'PsaError';
  readonly psa: PsaKind;
  readonly kind: PsaErrorKind;
  readonly retryable: boolean;
  readonly method: string;
  readonly path: string;
  readonly status: number | undefined;
  readonly psaMessage: string | undefined;
  readonly details: string[];
  readonly retryAfterMs: number | undefined;
  readonly maybeApplied: boolean;

  constructor(init: PsaErrorInit) {
    const where = `${init.psa} ${init.method} ${init.path}`;
    const status = init.status === undefined ? '' : ` (HTTP ${init.status})`;
    const said = init.psaMessage ? `: ${init.psaMessage}` : '';
    const details = init.details?.length ? ` [${init.details.join('; ')}]` : '';
    super(`${where} failed with ${init.kind}${status}${said}${details}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.psa = init.psa;
    this.kind = init.kind;
    this.retryable = init.retryable ?? RETRYABLE_KINDS.has(init.kind);
    this.method = init.method;
    this.path = init.path;
    this.status = init.status;
    this.psaMessage = init.psaMessage;
    this.details = init.details ?? [];
    this.retryAfterMs = init.retryAfterMs;
    this.maybeApplied = init.maybeApplied ?? false;
  }

  /** Plain data for logs, Temporal failure details and API answers. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      psa: this.psa,
      kind: this.kind,
      retryable: this.retryable,
      method: this.method,
      path: this.path,
      status: this.status,
      psaMessage: this.psaMessage,
      details: this.details,
      retryAfterMs: this.retryAfterMs,
      maybeApplied: this.maybeApplied,
    };
  }
}

export const isPsaError = (e: unknown): e is PsaError => e instanceof PsaError;
