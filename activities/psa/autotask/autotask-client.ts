/**
 * Autotask REST v1.0 client (docs/psa-apis.md §2): zone discovery, the three credential headers,
 * the JSON query grammar with paging, creates/updates returning `{itemId}`, and Autotask's
 * limits — 3 requests in flight per endpoint and the hourly request threshold. Transport,
 * retries and secret scrubbing come from the shared HTTP core.
 */
import type { z } from 'zod';
import {
  createHttpClient,
  createKeyedLimiter,
  kindOfStatus,
  PsaError,
  realSleep,
  silentLogger,
  type Classification,
  type HttpClient,
  type HttpFailure,
  type HttpMethod,
  type KeyedLimiter,
  type TransportOptions,
} from '../http';
import { MAX_RECORDS, type AutotaskQuery, type Filter } from './autotask-query';
import {
  fieldsSchema,
  itemEnvelope,
  itemIdSchema,
  itemsEnvelope,
  queryCountSchema,
  thresholdInformationSchema,
  zoneInformationSchema,
  type FieldInfo,
  type ThresholdInformation,
} from './autotask-schemas';
import { createRequestBudget, type RequestBudgetPolicy } from './request-budget';

export interface AutotaskCredentials {
  username: string;
  secret: string;
  /** The integration's tracking identifier (`ApiIntegrationCode`). */
  integrationCode: string;
}

export interface AutotaskClientDeps extends TransportOptions {
  /** Where zone discovery is asked, e.g. `https://webservices.autotask.net` (or a sandbox). */
  discoveryUrl: string;
  credentials: AutotaskCredentials;
  budget?: Partial<RequestBudgetPolicy>;
  /** Requests in flight per endpoint; Autotask rejects a 4th (docs/psa-apis.md §2.7). */
  threadsPerEndpoint?: number;
}

export interface AutotaskClient {
  /** Every row matching `query`, following `nextPageUrl`; stops once `limit` rows are in. */
  query<T>(entity: string, query: AutotaskQuery, schema: z.ZodType<T, z.ZodTypeDef, unknown>, limit?: number): Promise<T[]>;
  count(entity: string, filter: Filter[]): Promise<number>;
  get<T>(entity: string, id: number, schema: z.ZodType<T, z.ZodTypeDef, unknown>): Promise<T | null>;
  /** POST to a root entity or a parent's child path (`/Contracts/12/Services`); returns the new id. */
  create(path: string, body: Record<string, unknown>): Promise<number>;
  /** PATCH: the body carries `id` plus the changed fields. */
  update(path: string, body: { id: number } & Record<string, unknown>): Promise<number>;
  fields(entity: string): Promise<FieldInfo[]>;
  thresholdInformation(): Promise<ThresholdInformation>;
  redact(text: string): string;
}

/** Past this length the query goes in a POST body instead of `?search=` (as public clients do). */
const MAX_SEARCH_URL_CHARS = 1_800;

function errorMessages(body: unknown): string[] {
  if (typeof body === 'string') return body.trim() ? [body.trim().slice(0, 500)] : [];
  if (typeof body !== 'object' || body === null || !('errors' in body) || !Array.isArray(body.errors)) return [];
  return body.errors.map((e: unknown) =>
    typeof e === 'string' ? e : typeof e === 'object' && e !== null && 'message' in e ? String(e.message) : JSON.stringify(e),
  );
}

/**
 * What an Autotask failure means. Most validation and business-rule failures arrive as HTTP 500
 * with a plain-English `errors` entry, so a 500 is a validation error unless its text says it
 * is a server fault (the generic "unexpected error … Error ID" sentence, a timeout) or the
 * thread limit (`Itgenatr005`, whatever its status). Other 5xx (502, 503, 504) come from in
 * front of the application and are never a refusal of the record.
 */
export function classifyAutotaskFailure(f: HttpFailure): Classification {
  const details = errorMessages(f.body);
  const text = details.join(' ');
  const out = (kind: Classification['kind']): Classification => ({ kind, psaMessage: details[0], details: details.slice(1) });
  if (f.status === 429 || /Itgenatr005|thread.{0,40}threshold|threshold.{0,40}thread/i.test(text)) return out('rate-limited');
  if (/request threshold|API access.{0,40}(suspended|disabled)/i.test(text)) return out('rate-limited');
  if (f.status === 401) return out('auth');
  if (f.status === 403 || /adequate permission/i.test(text)) return out('forbidden');
  if (/integration ?code/i.test(text) && /invalid|not valid/i.test(text)) return out('auth');
  if (f.status > 500) return out(kindOfStatus(f.status, f.on404));
  if (f.status === 500) {
    if (details.length === 0) return out('unavailable');
    if (/time[d ]?out/i.test(text)) return out('timeout');
    if (/unexpected error|error id/i.test(text)) return out('unavailable');
    return out('validation');
  }
  return out(kindOfStatus(f.status, f.on404));
}

export function createAutotaskClient(deps: AutotaskClientDeps): AutotaskClient {
  const { credentials } = deps;
  const baseFetch = deps.fetch ?? fetch;
  const logger = deps.logger ?? silentLogger;
  const sleep = deps.sleep ?? realSleep;
  const now = deps.now ?? Date.now;
  const secrets = [credentials.secret];
  const limiter = nestedLimiter(createKeyedLimiter(deps.threadsPerEndpoint ?? 3));

  const budget = createRequestBudget({
    policy: deps.budget,
    now,
    sleep,
    readThreshold: async () => {
      const t = await (await zone()).request({ method: 'GET', path: '/ThresholdInformation', schema: thresholdInformationSchema });
      return { limit: t.data.externalRequestThreshold, used: t.data.currentTimeframeRequestCount };
    },
  });
  // Every attempt that reaches the zone counts against the threshold, retries included.
  const countingFetch: typeof fetch = (input, init) => {
    budget.record();
    return baseFetch(input, init);
  };

  const common = {
    psa: 'autotask' as const,
    secrets,
    classify: classifyAutotaskFailure,
    logger,
    sleep,
    random: deps.random,
    now,
    timeoutMs: deps.timeoutMs,
    retry: deps.retry,
  };

  const discovery = createHttpClient({ ...common, baseUrl: deps.discoveryUrl, headers: {}, fetch: baseFetch });

  let zoneClient: Promise<{ http: HttpClient; url: string }> | null = null;
  function discoverZone(): Promise<{ http: HttpClient; url: string }> {
    zoneClient ??= (async () => {
      const res = await discovery.request({
        method: 'GET',
        path: '/atservicesrest/v1.0/zoneInformation',
        query: { user: credentials.username },
        schema: zoneInformationSchema,
      });
      const url = res.data.url;
      logger.info('autotask zone discovered', { zoneName: res.data.zoneName, url });
      const http = createHttpClient({
        ...common,
        baseUrl: `${url.replace(/\/+$/, '')}/V1.0`,
        headers: { ApiIntegrationCode: credentials.integrationCode, UserName: credentials.username, Secret: credentials.secret },
        fetch: countingFetch,
        limit: { limiter, keyOf: (_method: HttpMethod, path: string) => endpointsOf(path).join('+') },
      });
      return { http, url };
    })();
    // A failed discovery is not cached: the next call asks again.
    zoneClient.catch(() => (zoneClient = null));
    return zoneClient;
  }
  const zone = async () => (await discoverZone()).http;

  type Req<T> = Parameters<HttpClient['request']>[0] & { schema: z.ZodType<T, z.ZodTypeDef, unknown> };

  /** Budget first, then the request; a 401 re-runs zone discovery once, in case the tenant moved. */
  async function send<T>(req: Req<T>): Promise<T> {
    await budget.admit(
      (retryAfterMs) =>
        new PsaError({
          psa: 'autotask', kind: 'rate-limited', method: req.method, path: req.path, retryAfterMs,
          psaMessage: `held back locally: ${Math.round(budget.usage() * 100)} % of the hourly request threshold used`,
        }),
    );
    const before = await discoverZone();
    try {
      return (await before.http.request(req)).data;
    } catch (error) {
      if (!(error instanceof PsaError) || error.kind !== 'auth') throw error;
      zoneClient = null;
      const after = await discoverZone();
      if (after.url === before.url) throw error;
      logger.warn('autotask zone changed; repeating request', { from: before.url, to: after.url });
      return (await after.http.request(req)).data;
    }
  }

  /** `nextPageUrl` is absolute; the request needs it relative to the zone's `/V1.0` root. */
  function pageRequest(nextPageUrl: string): { path: string; query: Record<string, string> } {
    const url = new URL(nextPageUrl);
    const match = /\/v1\.0(\/.*)$/i.exec(url.pathname);
    return { path: match ? match[1]! : url.pathname, query: Object.fromEntries(url.searchParams) };
  }

  return {
    async query(entity, query, schema, limit = Number.POSITIVE_INFINITY) {
      const body = { ...query, MaxRecords: Math.min(query.MaxRecords ?? MAX_RECORDS, MAX_RECORDS) };
      const search = JSON.stringify(body);
      const usePost = search.length > MAX_SEARCH_URL_CHARS;
      const envelope = itemsEnvelope(schema);
      const rows: T[] = [];
      type T = z.output<typeof schema>;
      let page = usePost
        ? await send({ method: 'POST', path: `/${entity}/query`, body, idempotent: true, schema: envelope })
        : await send({ method: 'GET', path: `/${entity}/query`, query: { search }, schema: envelope });
      for (;;) {
        rows.push(...(page.items as T[]));
        const next = page.pageDetails.nextPageUrl;
        if (!next || rows.length >= limit) return rows.slice(0, limit);
        const { path, query: params } = pageRequest(next);
        // A POST query's next page must be POSTed with the same body (a GET there is a 405).
        page = usePost
          ? await send({ method: 'POST', path, query: params, body, idempotent: true, schema: envelope })
          : await send({ method: 'GET', path, query: params, schema: envelope });
      }
    },

    async count(entity, filter) {
      const search = JSON.stringify({ filter });
      return (await send({ method: 'GET', path: `/${entity}/query/count`, query: { search }, schema: queryCountSchema })).queryCount;
    },

    async get(entity, id, schema) {
      try {
        return (await send({ method: 'GET', path: `/${entity}/${id}`, schema: itemEnvelope(schema) })).item as z.output<typeof schema> | null;
      } catch (error) {
        if (error instanceof PsaError && error.kind === 'not-found') return null;
        throw error;
      }
    },

    async create(path, body) {
      return (await send({ method: 'POST', path, body, schema: itemIdSchema })).itemId;
    },

    async update(path, body) {
      return (await send({ method: 'PATCH', path, body, schema: itemIdSchema })).itemId;
    },

    async fields(entity) {
      return (await send({ method: 'GET', path: `/${entity}/entityInformation/fields`, schema: fieldsSchema })).fields;
    },

    thresholdInformation() {
      return send({ method: 'GET', path: '/ThresholdInformation', schema: thresholdInformationSchema });
    },

    redact: (text) => discovery.redact(text),
  };
}

/**
 * The object endpoints a request counts against for the thread limit: the entity itself, or
 * for a child path (`/Contracts/12/Services`) both the parent and the child entity
 * (`ContractServices`). Which one Autotask counts is unverified, so the client holds a slot
 * of each; the sandbox counts the child entity (the object written).
 */
export function endpointsOf(path: string): string[] {
  const [parent = '', parentId, child] = path.split('/').filter(Boolean).map((p) => p.toLowerCase());
  const root = parent;
  return child !== undefined && /^\d+$/.test(parentId ?? '') ? [root, `${root.replace(/s$/, '')}${child}`] : [root];
}

/** A keyed limiter over composite keys (`a+b`): takes a slot of each part, always in order. */
function nestedLimiter(base: KeyedLimiter): KeyedLimiter {
  return (key, task) => key.split('+').reduceRight<() => Promise<never>>((inner, k) => () => base(k, inner), task as () => Promise<never>)();
}
