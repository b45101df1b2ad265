/**
 * The JSON-over-HTTP core both PSA clients are built on: base URL + fixed headers, a deadline
 * per attempt (AbortSignal), retries of what the PSA refused before doing anything (429/503 with
 * Retry-After, a refused connection; retry.ts, docs/retries.md), zod validation of every answer,
 * and one PsaError for every failure. What a failure *means* is PSA-specific
 * (Autotask reports validation errors as HTTP 500, ConnectWise cloud answers bad credentials
 * with 404), so each client supplies a `classify` function that looks at status, body and the
 * request's context.
 */
import type { z } from 'zod';
import type { PsaKind } from '../../../domain/psa-operations';
import { type KeyedLimiter } from './concurrency';
import { silentLogger, type Logger } from './logger';
import { isPsaError, PsaError, type PsaErrorKind } from './psa-error';
import { createRedactor, pathOnly } from './redact';
import { defaultRetryPolicy, parseRetryAfter, refusalOf, withRetries, type RetryPolicy } from './retry';
import { realSleep, type Sleep } from './sleep';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | undefined;

export interface HttpRequest<T> {
  method: HttpMethod;
  /** Path below the base URL, e.g. `/company/companies/12` (no query string). */
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Shape of a successful answer's body (`null` for an empty body). */
  schema: z.ZodType<T, z.ZodTypeDef, unknown>;
  /**
   * Whether repeating the request is harmless. Defaults to true for every method but POST.
   * A non-idempotent request that failed after it may have reached the PSA (a 5xx, a timeout, a
   * dropped connection) is thrown `maybeApplied`: the caller looks before writing again.
   */
  idempotent?: boolean;
  /** What a 404 means here: a missing record, or (ConnectWise cloud) bad credentials. */
  on404?: 'not-found' | 'auth';
  extraHeaders?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface HttpResponse<T> {
  status: number;
  headers: Headers;
  data: T;
}

/** A non-2xx answer as the PSA classifier sees it. */
export interface HttpFailure {
  status: number;
  /** Parsed JSON body, or the raw text when it was not JSON, or null when empty. */
  body: unknown;
  headers: Headers;
  method: HttpMethod;
  path: string;
  on404: 'not-found' | 'auth';
}

export interface Classification {
  kind: PsaErrorKind;
  psaMessage?: string;
  details?: string[];
}

export type Classifier = (failure: HttpFailure) => Classification;

/** How requests travel, shared by every PSA client's dependencies (tests inject fakes here). */
export type TransportOptions = Pick<HttpClientConfig, 'fetch' | 'logger' | 'sleep' | 'random' | 'now' | 'timeoutMs' | 'retry'>;

export interface HttpClientConfig {
  psa: PsaKind;
  baseUrl: string;
  /** Sent on every request (credentials included); their values are never logged. */
  headers: Record<string, string>;
  /** Every secret form sent (keys, the whole Authorization value): scrubbed from messages. */
  secrets: readonly string[];
  classify: Classifier;
  fetch?: typeof fetch;
  logger?: Logger;
  sleep?: Sleep;
  random?: () => number;
  now?: () => number;
  /** Deadline of one attempt. */
  timeoutMs?: number;
  /** The core's own retry budget (429/503 with Retry-After, refused connections); see retry.ts. */
  retry?: Partial<RetryPolicy>;
  /** Bounds requests in flight per key (Autotask: 3 per endpoint). */
  limit?: { limiter: KeyedLimiter; keyOf: (method: HttpMethod, path: string) => string };
}

export interface HttpClient {
  request<T>(req: HttpRequest<T>): Promise<HttpResponse<T>>;
  /** Scrubs the configured secrets from any text (for callers building their own messages). */
  redact(text: string): string;
}

/** The usual meaning of a status, for classifiers to fall back on. */
export function kindOfStatus(status: number, on404: 'not-found' | 'auth'): PsaErrorKind {
  if (status === 401) return 'auth';
  if (status === 403) return 'forbidden';
  if (status === 404) return on404;
  if (status === 408 || status === 504) return 'timeout';
  if (status === 409) return 'conflict';
  if (status === 429) return 'rate-limited';
  if (status >= 500) return 'unavailable';
  if (status === 400 || status === 422) return 'validation';
  return 'protocol';
}

export function createHttpClient(config: HttpClientConfig): HttpClient {
  const doFetch = config.fetch ?? fetch;
  const logger = config.logger ?? silentLogger;
  const sleep = config.sleep ?? realSleep;
  const random = config.random ?? Math.random;
  const now = config.now ?? Date.now;
  const timeoutMs = config.timeoutMs ?? 30_000;
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...config.retry };
  const redact = createRedactor(config.secrets);
  const baseUrl = config.baseUrl.replace(/\/+$/, '');
  /** Failures of requests that never reached the PSA (connection refused): safe to send again. */
  const neverSent = new WeakSet<PsaError>();

  function url(req: HttpRequest<unknown>): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return `${baseUrl}${req.path}${qs ? `?${qs}` : ''}`;
  }

  function fail(req: HttpRequest<unknown>, init: Omit<ConstructorParameters<typeof PsaError>[0], 'psa' | 'method' | 'path'>): PsaError {
    return new PsaError({
      ...init,
      psa: config.psa,
      method: req.method,
      path: pathOnly(req.path),
      psaMessage: init.psaMessage === undefined ? undefined : redact(init.psaMessage),
      details: init.details?.map(redact),
    });
  }

  async function attempt<T>(req: HttpRequest<T>, idempotent: boolean): Promise<HttpResponse<T>> {
    const deadline = AbortSignal.timeout(req.timeoutMs ?? timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, deadline]) : deadline;
    const started = now();
    let res: Response;
    let text: string;
    try {
      res = await doFetch(url(req), {
        method: req.method,
        headers: {
          ...config.headers,
          ...(req.body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...req.extraHeaders,
        },
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal,
      });
      text = await res.text();
    } catch (cause) {
      if (req.signal?.aborted) throw cause; // the caller cancelled: not a PSA failure
      if (deadline.aborted) {
        throw fail(req, { kind: 'timeout', psaMessage: `no answer within ${req.timeoutMs ?? timeoutMs} ms`, maybeApplied: !idempotent });
      }
      const code = (cause as { cause?: { code?: string } }).cause?.code;
      // A refused connection never reached the PSA, so even a POST may be repeated.
      const refused = code === 'ECONNREFUSED';
      const error = fail(req, {
        kind: 'unavailable',
        psaMessage: `network error${code ? ` ${code}` : ''}`,
        maybeApplied: !idempotent && !refused,
      });
      if (refused) neverSent.add(error);
      throw error;
    }
    logger.debug('psa request', {
      psa: config.psa,
      method: req.method,
      path: pathOnly(req.path),
      status: res.status,
      durationMs: now() - started,
    });

    let body: unknown = null;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (!res.ok) {
      const c = config.classify({ status: res.status, body, headers: res.headers, method: req.method, path: req.path, on404: req.on404 ?? 'not-found' });
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), now());
      // A 5xx may come after the write was done; a 4xx (429 included) means it was refused, and
      // so does a 503 that says when to come back.
      const refusedWithDate = res.status === 503 && retryAfterMs !== undefined;
      throw fail(req, {
        kind: c.kind,
        status: res.status,
        maybeApplied: !idempotent && res.status >= 500 && !refusedWithDate && c.kind !== 'validation',
        psaMessage: c.psaMessage,
        details: c.details,
        retryAfterMs,
      });
    }
    if (typeof body === 'string') throw fail(req, { kind: 'protocol', status: res.status, psaMessage: 'answer is not JSON' });
    const parsed = req.schema.safeParse(body);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      throw fail(req, { kind: 'protocol', status: res.status, psaMessage: 'unexpected answer shape', details: issues });
    }
    return { status: res.status, headers: res.headers, data: parsed.data };
  }

  function request<T>(req: HttpRequest<T>): Promise<HttpResponse<T>> {
    const idempotent = req.idempotent ?? req.method !== 'POST';
    const once = (): Promise<HttpResponse<T>> =>
      config.limit
        ? config.limit.limiter(config.limit.keyOf(req.method, req.path), () => attempt(req, idempotent))
        : attempt(req, idempotent);
    // Only refusals are retried here (never a write that may have landed: no refusal is
    // `maybeApplied`); the rest is the activity's to retry (docs/retries.md).
    return withRetries(once, {
        policy,
        sleep,
        random,
        signal: req.signal,
        refusal: (error) => (isPsaError(error) ? refusalOf(error, neverSent.has(error)) : null),
        onRetry: ({ attempt: n, delayMs, error }) =>
          logger.warn('psa request retry', {
            psa: config.psa,
            method: req.method,
            path: pathOnly(req.path),
            attempt: n,
            delayMs,
            kind: error instanceof PsaError ? error.kind : 'unknown',
            status: error instanceof PsaError ? error.status : undefined,
          }),
    });
  }

  return { request, redact };
}
