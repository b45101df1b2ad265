/**
 * The ConnectWise REST 3.0 surface the connector uses, under `/v4_6_release/apis/3.0`:
 * companies, catalog, agreements, agreement additions, their `/count`s, reference lists and
 * `/system/info`. Every route requires the Basic credentials and `clientId` and counts against
 * the per-credential rate limit.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimiter } from '../shared/rate-limit';
import { authenticate, type CwCredentials } from './auth';
import { assertEditable, buildAddition, buildAgreement, buildCatalogItem, buildCompany, type EntityRules } from './entities';
import { applyJsonPatch } from './json-patch';
import { filterRecords, project, sendList, type ListQuery } from './list-query';
import type { CwRecord, CwState } from './state';
import { CwHttpError, badRequest, faultBody, notFound } from './vendor-errors';

export const CW_API_PREFIX = '/v4_6_release/apis/3.0';
export const CW_API_VERSION = '2025.8';

export interface CwRouteDeps {
  state: CwState;
  rules: EntityRules;
  credentials: CwCredentials;
  rateLimiter: RateLimiter;
  /** 401 as documented, or 404 as ConnectWise cloud often answers bad credentials. */
  authFailureStatus: 401 | 404;
  now(): number;
  /** Called after every successful write (persistence). */
  changed(): void;
}

type Req = FastifyRequest<{ Params: { id?: string; additionId?: string }; Querystring: ListQuery; Body: unknown }>;

/** Fields the server owns: a PATCH touching them is refused. */
const READ_ONLY = new Set(['id', '_info', 'agreementId', 'billedQuantity', 'extPrice', 'extCost', 'margin', 'agreementStatus', 'nextInvoiceDate']);

/** A JSON value with every `null` property left out, at any depth. */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]));
}

export function registerConnectWiseRoutes(app: FastifyInstance, deps: CwRouteDeps): void {
  const { state, rules } = deps;

  app.setErrorHandler((error: Error, _req, reply) => {
    if (error instanceof CwHttpError) return reply.code(error.status).send(error.body);
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status < 500) return reply.code(status).send({ code: 'InvalidRequest', message: error.message });
    return reply.code(500).send({ code: 'ConnectWiseApi', message: `An error occurred: ${error.message}` });
  });

  // ConnectWise leaves empty properties out of its answers (its models have no null for dates
  // and references); so does the sandbox.
  app.addHook('preSerialization', async (req: FastifyRequest, _reply: FastifyReply, payload: unknown) =>
    req.url.startsWith(CW_API_PREFIX) ? withoutNulls(payload) : payload);

  // Codebase discovery (docs/psa-apis.md §1.1): no credentials; clients build their base URL from it.
  app.get<{ Params: { company: string } }>('/login/companyinfo/:company', async (req, reply) => {
    if (req.params.company.toLowerCase() !== deps.credentials.companyId.toLowerCase()) {
      return reply.code(404).send({ code: 'NotFound', message: `Company ${req.params.company} was not found.` });
    }
    return {
      CompanyName: deps.credentials.companyId,
      Codebase: `${CW_API_PREFIX.split('/')[1]}/`,
      VersionCode: `v${CW_API_VERSION}`,
      VersionNumber: `v4.6.${CW_API_VERSION.replace('.', '')}`,
      CompanyID: deps.credentials.companyId,
      IsCloud: true,
      SiteUrl: req.headers.host ?? '127.0.0.1',
    };
  });

  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith(CW_API_PREFIX)) return;
    reply.header('api-current-version', CW_API_VERSION);
    const auth = authenticate(req.headers, deps.credentials);
    if (!auth.ok) {
      return auth.reason === 'clientId'
        ? reply.code(401).send({ code: 'Unauthorized', message: 'A valid clientId header is required. Register your integration at developer.connectwise.com.' })
        : reply.code(deps.authFailureStatus).send(faultBody(deps.authFailureStatus));
    }
    const decision = deps.rateLimiter.take(auth.principal);
    if (!decision.ok) {
      return reply.code(429).header('retry-after', String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)))).send(faultBody(429));
    }
  });

  const idOf = (raw: string | undefined): number => {
    const id = Number(raw);
    if (!Number.isInteger(id) || id <= 0) throw badRequest(`invalid id "${raw}"`);
    return id;
  };
  const find = (list: CwRecord[], resource: string, raw: string | undefined): CwRecord => {
    const id = idOf(raw);
    const hit = list.find((r) => r.id === id);
    if (!hit) throw notFound(resource, id);
    return hit;
  };
  const body = (req: Req): Record<string, unknown> => {
    if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) throw badRequest('request body must be a JSON object');
    return req.body as Record<string, unknown>;
  };
  const written = <T>(value: T): T => {
    deps.changed();
    return value;
  };

  /** GET list, GET count, GET one, POST, PUT, PATCH for a top-level collection. */
  function collection(path: string, resource: string, list: () => CwRecord[], build: (input: Record<string, unknown>, existing?: CwRecord) => CwRecord): void {
    const base = `${CW_API_PREFIX}/${path}`;
    app.get(base, async (req: Req, reply) => sendList(req, reply, list(), resource));
    app.get(`${base}/count`, async (req: Req) => ({ count: filterRecords(list(), req.query.conditions, resource).length }));
    app.get(`${base}/:id`, async (req: Req) => project(find(list(), resource, req.params.id), req.query.fields));
    app.post(base, async (req: Req, reply) => {
      const record = build(body(req));
      list().push(record);
      return reply.code(201).send(written(record));
    });
    app.put(`${base}/:id`, async (req: Req) => replace(list(), find(list(), resource, req.params.id), build(body(req), find(list(), resource, req.params.id))));
    app.patch(`${base}/:id`, async (req: Req) => {
      const existing = find(list(), resource, req.params.id);
      return replace(list(), existing, build(applyJsonPatch(existing, req.body, READ_ONLY), existing));
    });
  }
  const replace = (list: CwRecord[], existing: CwRecord, next: CwRecord): CwRecord => {
    list[list.indexOf(existing)] = next;
    return written(next);
  };

  const now = deps.now;
  collection('company/companies', 'company', () => state.companies, (input, existing) => buildCompany(state, input, now(), existing));
  collection('procurement/catalog', 'catalogItem', () => state.catalog, (input, existing) => buildCatalogItem(state, input, now(), existing));
  collection('finance/agreements', 'agreement', () => state.agreements, (input, existing) => buildAgreement(state, input, now(), rules.clock, existing));

  for (const [path, list] of [
    ['procurement/types', () => state.productTypes],
    ['procurement/subcategories', () => state.subcategories],
    ['finance/billingCycles', () => state.billingCycles],
    ['finance/agreements/types', () => state.agreementTypes],
  ] as const) {
    app.get(`${CW_API_PREFIX}/${path}`, async (req: Req, reply) => sendList(req, reply, list()));
  }

  app.get(`${CW_API_PREFIX}/system/info`, async () => ({
    version: `v${CW_API_VERSION}`,
    isCloud: true,
    serverTimeZone: rules.clock.timeZone,
    cloudRegion: 'SANDBOX',
  }));

  // Agreement additions live under their agreement.
  const additionsBase = `${CW_API_PREFIX}/finance/agreements/:id/additions`;
  const agreementOf = (req: Req): CwRecord => find(state.agreements, 'agreement', req.params.id);
  const additionsOf = (agreement: CwRecord): CwRecord[] => state.additions.filter((a) => a.agreementId === agreement.id);
  const additionOf = (req: Req): { agreement: CwRecord; addition: CwRecord } => {
    const agreement = agreementOf(req);
    return { agreement, addition: find(additionsOf(agreement), 'addition', req.params.additionId) };
  };
  const build = (agreement: CwRecord, input: Record<string, unknown>, existing?: CwRecord): CwRecord =>
    buildAddition(state, rules, agreement, input, now(), existing);

  app.get(additionsBase, async (req: Req, reply: FastifyReply) => sendList(req, reply, additionsOf(agreementOf(req)), 'addition'));
  app.get(`${additionsBase}/count`, async (req: Req) => ({ count: filterRecords(additionsOf(agreementOf(req)), req.query.conditions, 'addition').length }));
  app.get(`${additionsBase}/:additionId`, async (req: Req) => project(additionOf(req).addition, req.query.fields));
  app.post(additionsBase, async (req: Req, reply) => {
    const agreement = agreementOf(req);
    const record = build(agreement, body(req));
    state.additions.push(record);
    return reply.code(201).send(written(record));
  });
  app.put(`${additionsBase}/:additionId`, async (req: Req) => {
    const { agreement, addition } = additionOf(req);
    assertEditable(state, rules, addition);
    return replace(state.additions, addition, build(agreement, body(req), addition));
  });
  app.patch(`${additionsBase}/:additionId`, async (req: Req) => {
    const { agreement, addition } = additionOf(req);
    assertEditable(state, rules, addition);
    return replace(state.additions, addition, build(agreement, applyJsonPatch(addition, req.body, READ_ONLY), addition));
  });
  app.delete(`${additionsBase}/:additionId`, async (req: Req, reply) => {
    const { addition } = additionOf(req);
    assertEditable(state, rules, addition);
    state.additions.splice(state.additions.indexOf(addition), 1);
    deps.changed();
    return reply.code(204).send();
  });
}
