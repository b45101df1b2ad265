/**
 * Errors as the admin API answers them: one JSON shape, no stack trace, no secret.
 *   400 { error, problems: [{ path, message }] }   bad input (zod, billing rules)
 *   404 / 409 { error }                            missing record / state conflict
 *   401 / 403 / 429 { error }                      no or unknown token / not allowed / throttled (access.ts)
 *   502 { error, psa: { psa, kind, status, message, details } }   the PSA refused or failed
 *   503 { error } + Retry-After                    MongoDB or Temporal cannot be reached (or a connection's Schedules could not be applied: nothing saved); retrying will work
 *   500 { error: "internal error" }                anything else (reported to onError)
 */
import { isGrpcServiceError, ServiceError } from '@temporalio/client';
import { MongoNetworkError, MongoNotConnectedError, MongoServerSelectionError, MongoTopologyClosedError } from 'mongodb';
import { MessageConflictError } from '../../contracts/errors';
import { BillingInputError, type Problem } from '../../domain/problems';
import { UnknownConnectionError } from '../../activities/psa/gateway-registry';
import { PsaError } from '../../activities/psa/http/psa-error';
import { ConflictError, NotFoundError, StoreInputError } from '../../activities/store/errors';
import { SchedulesUnavailableError } from '../../app/admin/mapping-errors';

export interface ErrorReply {
  status: number;
  body: { error: string; problems?: Problem[]; psa?: Record<string, unknown> };
  /** Seconds for the Retry-After header. */
  retryAfter?: number;
}

/** A refusal of the access check: 401, 403 or 429 (with the seconds to wait). */
export class HttpRefusal extends Error {
  constructor(
    readonly status: 401 | 403 | 429,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'HttpRefusal';
  }
}

/** How long a client should wait before retrying during an outage. */
export const OUTAGE_RETRY_AFTER_S = 5;

const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

/** Which dependency an error says is unreachable: "MongoDB", "Temporal", or null. */
export function unreachableDependency(e: unknown): 'MongoDB' | 'Temporal' | null {
  if (e instanceof MongoServerSelectionError || e instanceof MongoNetworkError || e instanceof MongoNotConnectedError || e instanceof MongoTopologyClosedError) return 'MongoDB';
  const grpc = e instanceof ServiceError && isGrpcServiceError(e.cause) ? e.cause : isGrpcServiceError(e) ? e : null;
  if (grpc && (grpc.code === GRPC_UNAVAILABLE || grpc.code === GRPC_DEADLINE_EXCEEDED)) return 'Temporal';
  return null;
}

/** Fastify's own request errors (bad JSON, wrong content type, body too large) carry a 4xx statusCode and an FST_ code. */
function fastifyClientError(e: unknown): { statusCode: number; code: string } | null {
  if (typeof e !== 'object' || e === null) return null;
  const { statusCode, code } = e as { statusCode?: unknown; code?: unknown };
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500) return null;
  if (typeof code === 'string' && code.startsWith('FST_')) return { statusCode, code };
  return e instanceof SyntaxError ? { statusCode, code: 'FST_ERR_CTP_INVALID_JSON_BODY' } : null; // JSON.parse of the body
}

export function errorReply(e: unknown): ErrorReply {
  if (e instanceof HttpRefusal) return { status: e.status, body: { error: e.message }, ...(e.retryAfter !== undefined ? { retryAfter: e.retryAfter } : {}) };
  if (e instanceof SchedulesUnavailableError) return { status: 503, body: { error: e.message }, retryAfter: OUTAGE_RETRY_AFTER_S };
  const down = unreachableDependency(e);
  if (down) return { status: 503, body: { error: `${down} is unreachable; try again shortly (GET /api/health says what is down)` }, retryAfter: OUTAGE_RETRY_AFTER_S };
  if (e instanceof StoreInputError || e instanceof BillingInputError) return { status: 400, body: { error: 'invalid input', problems: e.problems } };
  if (e instanceof NotFoundError || e instanceof UnknownConnectionError) return { status: 404, body: { error: e.message } };
  if (e instanceof ConflictError || e instanceof MessageConflictError) return { status: 409, body: { error: e.message } };
  if (e instanceof PsaError) {
    return {
      status: 502,
      body: { error: e.message, psa: { psa: e.psa, kind: e.kind, status: e.status ?? null, message: e.psaMessage ?? null, details: e.details } },
    };
  }
  const fst = fastifyClientError(e);
  if (fst) {
    // Never fastify's message for a bad body: JSON.parse quotes the body, which may hold a secret.
    const message =
      fst.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'must be sent as application/json'
        : fst.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? 'is too large'
          : fst.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
            ? 'must not be empty when sent as application/json'
            : 'is not valid JSON';
    return { status: fst.statusCode, body: { error: 'invalid input', problems: [{ path: 'body', message }] } };
  }
  return { status: 500, body: { error: 'internal error' } };
}
