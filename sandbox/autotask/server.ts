/**
 * The Autotask PSA sandbox: zone discovery and the REST v1.0 API on one loopback port, with
 * Autotask's envelopes, query grammar, paging, error bodies, per-endpoint thread limit and
 * hourly request threshold (docs/psa-apis.md §2, checklist §2.10). Control routes live under
 * `/__sandbox` (sandbox/README.md).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isIsoDate, type IsoDate } from '../../domain/dates';
import { createFaultInjector, seededRandom } from '../shared/faults';
import { createJsonFileStore } from '../shared/json-file-store';
import { createRateLimiter } from '../shared/rate-limit';
import { CONTROL_PREFIX, createSandboxApp, listenOnLoopback } from '../shared/sandbox-app';
import { createTenantClock } from '../shared/tenant-time';
import { createTraffic } from '../shared/traffic';
import { endpointOf } from './endpoint-map';
import { matchesAll, project } from './query-evaluator';
import { parseQuery, QueryError, type ParsedQuery } from './query-parser';
import { DEFAULT_TENANT, type AutotaskTenantProfile } from './tenant';
import { VENDOR_FIELDS } from './vendor-fields';
import { seedState, type AutotaskSeed } from './seed';
import { AutotaskNotFoundError, AutotaskRuleError, createAutotaskStore, type AutotaskSandboxState, type AutotaskStore, type UpdateMode } from './store';

export interface AutotaskSandboxCredentials {
  username: string;
  secret: string;
  integrationCode: string;
}

/** Documented in sandbox/README.md; `npm run sandbox:autotask` lets AT_SANDBOX_* override them. */
export const DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS: AutotaskSandboxCredentials = {
  username: 'sandbox.api@example.com',
  secret: 'sandbox-secret-at',
  integrationCode: 'SANDBOX-INTEGRATION-CODE',
};

export interface AutotaskSandboxOptions {
  /** 0 = any free port. */
  port?: number;
  seed?: AutotaskSeed;
  credentials?: Partial<AutotaskSandboxCredentials>;
  /** Keep the state in this JSON file across restarts. */
  stateFile?: string;
  /** Concurrent requests per integration code and endpoint before a 429 (Autotask: 3). */
  threadLimit?: number;
  /** Requests per rolling hour for the database (Autotask: 10,000). */
  hourlyThreshold?: number;
  /** The tenant's calendar day (default: today in the tenant's time zone). */
  today?: () => IsoDate;
  /** Time zone, picklist labels, currencies, unit-period boundary (default: DEFAULT_TENANT). */
  tenant?: Partial<AutotaskTenantProfile>;
  /** Seed of the probabilistic fault rules (default 1): the same seed strikes the same requests. */
  faultSeed?: number;
}

export interface AutotaskSandbox {
  /** Base URL for zone discovery (the API itself lives under `${url}/ATServicesRest/V1.0`). */
  url: string;
  port: number;
  state: AutotaskSandboxState;
  store: AutotaskStore;
  close(): Promise<void>;
}

const API = '/atservicesrest/v1.0';

type Verb = 'query' | 'get' | 'create' | 'update';
interface EntityDef {
  name: string;
  verbs: readonly Verb[];
  create?: (store: AutotaskStore, body: unknown) => number;
  update?: (store: AutotaskStore, body: unknown, mode: UpdateMode) => number;
}

/** Allowed operations per entity, as the swagger lists them (§2.8). */
const ENTITIES: readonly EntityDef[] = [
  { name: 'Companies', verbs: ['query', 'get', 'create', 'update'], create: (s, b) => s.createCompany(b), update: (s, b, m) => s.updateCompany(b, m) },
  { name: 'Contracts', verbs: ['query', 'get', 'create', 'update'], create: (s, b) => s.createContract(b), update: (s, b, m) => s.updateContract(b, m) },
  { name: 'Services', verbs: ['query', 'get', 'create', 'update'], create: (s, b) => s.createService(b), update: (s, b, m) => s.updateService(b, m) },
  { name: 'BillingCodes', verbs: ['query', 'get'] },
  { name: 'Resources', verbs: ['query', 'get'] },
  // Written only through /Contracts/{id}/Services.
  { name: 'ContractServices', verbs: ['query', 'get'] },
  { name: 'ContractServiceUnits', verbs: ['query', 'get'] },
  // Written only through /Contracts/{id}/Charges.
  { name: 'ContractCharges', verbs: ['query', 'get'] },
  // Create-only: cannot be queried, read, updated or deleted.
  { name: 'ContractServiceAdjustments', verbs: ['create'], create: (s, b) => s.createAdjustment(b) },
];
const entityOf = (name: string): EntityDef | undefined => ENTITIES.find((e) => e.name.toLowerCase() === name.toLowerCase());

const errors = (reply: FastifyReply, status: number, ...messages: string[]) => reply.code(status).send({ errors: messages });

/** Opaque paging token: where the next page starts and which form (GET/POST) the query used. */
interface Paging { offset: number; method: 'GET' | 'POST' }
const encodePaging = (p: Paging) => Buffer.from(JSON.stringify(p)).toString('base64url');
function decodePaging(token: string | undefined): Paging | null {
  try {
    const p = JSON.parse(Buffer.from(token ?? '', 'base64url').toString('utf8')) as Paging;
    return Number.isInteger(p.offset) && p.offset >= 0 && (p.method === 'GET' || p.method === 'POST') ? p : null;
  } catch {
    return null;
  }
}

export async function startAutotaskSandbox(options: AutotaskSandboxOptions = {}): Promise<AutotaskSandbox> {
  const credentials = { ...DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS, ...options.credentials };
  const tenant: AutotaskTenantProfile = { ...DEFAULT_TENANT, ...options.tenant };
  const clock = createTenantClock(tenant.timeZone);
  const today = options.today ?? (() => clock.localDateOf(Date.now()));
  const file = options.stateFile ? createJsonFileStore<AutotaskSandboxState>(options.stateFile) : undefined;
  const state = file?.load() ?? seedState(options.seed ?? 'demo', today());
  const store = createAutotaskStore(state, today, tenant);
  const save = () => file?.save(state);

  let threadLimit = options.threadLimit ?? 3;
  const threshold = createRateLimiter({ limit: options.hourlyThreshold ?? 10_000, windowMs: 3_600_000 });
  const DATABASE = 'database'; // the threshold is per Autotask database, not per integration
  const inFlight = new Map<string, number>();
  const slotOf = new WeakMap<FastifyRequest, string>();
  const faults = createFaultInjector(seededRandom(options.faultSeed ?? 1));
  const traffic = createTraffic();

  const isApi = (req: FastifyRequest) => req.url.toLowerCase().startsWith(API) && !/\/zoneinformation/i.test(req.url);

  const app: FastifyInstance = createSandboxApp({
    faults,
    traffic,
    rateLimiter: threshold,
    caseInsensitive: true,
    faultBody: (status) =>
      status === 429
        ? { errors: ['Too many requests. Please retry later.'] }
        : { errors: [`An unexpected error has occurred. Please contact Autotask support with the following Error ID: ${randomUUID()}`] },
    reset: (seed) => {
      Object.assign(state, seedState(seed === 'demo' ? 'demo' : 'empty', today()));
      inFlight.clear();
      save();
    },
    snapshot: () => state,
    // The thread limit: a 4th concurrent request per integration code and endpoint is refused.
    onArrival: (req, reply) => {
      if (!isApi(req)) return;
      const endpoint = endpointOf(req.url.slice(API.length));
      const key = `${String(req.headers.apiintegrationcode ?? '')}|${endpoint}`;
      const n = inFlight.get(key) ?? 0;
      if (n >= threadLimit) {
        void errors(reply, 429, `Itgenatr005: The thread threshold of ${threadLimit} concurrent requests for this integration and endpoint (${endpoint}) has been exceeded.`);
        return;
      }
      inFlight.set(key, n + 1);
      slotOf.set(req, key);
    },
  });
  app.addHook('onResponse', async (req) => {
    const key = slotOf.get(req);
    if (key) inFlight.set(key, Math.max(0, (inFlight.get(key) ?? 1) - 1));
  });

  // Credentials, then the hourly threshold (only authenticated calls count).
  app.addHook('preHandler', async (req, reply) => {
    if (!isApi(req)) return;
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    if (header('apiintegrationcode') !== credentials.integrationCode) {
      return errors(reply, 500, 'The integration code (ApiIntegrationCode) is not valid. Verify the tracking identifier of the API user.');
    }
    if (header('username')?.toLowerCase() !== credentials.username.toLowerCase() || header('secret') !== credentials.secret) {
      return reply.code(401).send({ Message: 'Authorization has been denied for this request.' });
    }
    const decision = threshold.take(DATABASE);
    if (!decision.ok) {
      reply.header('retry-after', String(Math.ceil(decision.retryAfterMs / 1000)));
      return errors(reply, 429, `The request threshold of ${threshold.current().limit} requests per hour for this database has been exceeded. API access is suspended until usage falls below it.`);
    }
  });

  const baseOf = (req: FastifyRequest) => `http://${req.headers.host ?? '127.0.0.1'}`;

  app.get<{ Querystring: { user?: string } }>(`${API}/zoneInformation`, async (req, reply) => {
    if (!req.query.user || req.query.user.toLowerCase() !== credentials.username.toLowerCase()) {
      return errors(reply, 500, 'Zone information could not be determined for the given user.');
    }
    const base = baseOf(req);
    return { zoneName: 'Sandbox Zone', url: `${base}/ATServicesRest/`, webUrl: `${base}/`, ci: 1 };
  });

  app.get(`${API}/ThresholdInformation`, async () => ({
    externalRequestThreshold: threshold.current().limit,
    requestThresholdTimeframe: Math.round(threshold.current().windowMs / 60_000),
    currentTimeframeRequestCount: threshold.used(DATABASE),
  }));

  /** Resolves the entity and checks the verb; answers 404/405 itself and returns null. */
  function entityFor(reply: FastifyReply, name: string, verb: Verb): EntityDef | null {
    const entity = entityOf(name);
    if (!entity) {
      void errors(reply, 404, `The entity '${name}' does not exist.`);
      return null;
    }
    if (!entity.verbs.includes(verb)) {
      void errors(reply, 405, `The requested resource does not support the operation '${verb}' on '${entity.name}'.`);
      return null;
    }
    return entity;
  }

  /** Autotask reports a query it cannot run as HTTP 500 with its message (e.g. an unknown field). */
  function readQuery(reply: FastifyReply, entity: string, raw: unknown): ParsedQuery | null {
    try {
      return parseQuery(entity, raw);
    } catch (error) {
      if (!(error instanceof QueryError)) throw error;
      void errors(reply, 500, error.message);
      return null;
    }
  }

  function runQuery(req: FastifyRequest, reply: FastifyReply, entityName: string, raw: unknown, paging: Paging) {
    const entity = entityFor(reply, entityName, 'query');
    if (!entity) return reply;
    const query = readQuery(reply, entity.name, raw);
    if (!query) return reply;
    const pageSize = query.maxRecords;
    const all = [...store.rows[entity.name]!()]
      .filter((row) => matchesAll(row, query.filter))
      .sort((a, b) => (a as { id: number }).id - (b as { id: number }).id);
    const items = all.slice(paging.offset, paging.offset + pageSize).map((row) => project(row, query.includeFields));
    const more = paging.offset + pageSize < all.length;
    const base = `${baseOf(req)}/ATServicesRest/V1.0/${entity.name}/query`;
    const pageUrl = (offset: number) => {
      const token = encodePaging({ offset, method: paging.method });
      return paging.method === 'GET'
        ? `${base}/next?paging=${token}&search=${encodeURIComponent(JSON.stringify(raw))}`
        : `${base}/next?paging=${token}`;
    };
    return {
      items,
      pageDetails: {
        count: items.length,
        requestCount: pageSize,
        prevPageUrl: paging.offset > 0 ? pageUrl(Math.max(0, paging.offset - pageSize)) : null,
        nextPageUrl: more ? pageUrl(paging.offset + pageSize) : null,
      },
    };
  }

  const parseSearch = (search: string | undefined): unknown => {
    try {
      return JSON.parse(search ?? '');
    } catch {
      return undefined;
    }
  };

  type EntityParams = { Params: { entity: string }; Querystring: { search?: string; paging?: string } };

  app.get<EntityParams>(`${API}/:entity/query`, async (req, reply) =>
    runQuery(req, reply, req.params.entity, parseSearch(req.query.search), { offset: 0, method: 'GET' }));
  app.post<EntityParams>(`${API}/:entity/query`, async (req, reply) =>
    runQuery(req, reply, req.params.entity, req.body, { offset: 0, method: 'POST' }));

  const nextPage = (method: 'GET' | 'POST') => async (req: FastifyRequest<EntityParams>, reply: FastifyReply) => {
    const paging = decodePaging(req.query.paging);
    if (!paging) return errors(reply, 500, 'The paging token is not valid.');
    // A POST query's next page must be POSTed again with the same body.
    if (paging.method !== method) return errors(reply, 405, `The requested resource does not support http method '${method}'.`);
    return runQuery(req, reply, req.params.entity, method === 'GET' ? parseSearch(req.query.search) : req.body, paging);
  };
  app.get<EntityParams>(`${API}/:entity/query/next`, nextPage('GET'));
  app.post<EntityParams>(`${API}/:entity/query/next`, nextPage('POST'));

  const count = async (req: FastifyRequest<EntityParams>, reply: FastifyReply, raw: unknown) => {
    const entity = entityFor(reply, req.params.entity, 'query');
    if (!entity) return reply;
    const query = readQuery(reply, entity.name, raw);
    if (!query) return reply;
    return { queryCount: store.rows[entity.name]!().filter((row) => matchesAll(row, query.filter)).length };
  };
  app.get<EntityParams>(`${API}/:entity/query/count`, async (req, reply) => count(req, reply, parseSearch(req.query.search)));
  app.post<EntityParams>(`${API}/:entity/query/count`, async (req, reply) => count(req, reply, req.body));

  app.get<EntityParams>(`${API}/:entity/entityInformation`, async (req, reply) => {
    const entity = entityOf(req.params.entity);
    if (!entity) return errors(reply, 404, `The entity '${req.params.entity}' does not exist.`);
    const can = (v: Verb) => entity.verbs.includes(v);
    return { info: { name: entity.name, canCreate: can('create'), canUpdate: can('update'), canQuery: can('query'), canDelete: false, hasUserDefinedFields: ['Companies', 'Contracts'].includes(entity.name) } };
  });

  app.get<EntityParams>(`${API}/:entity/entityInformation/fields`, async (req, reply) => {
    const entity = entityOf(req.params.entity);
    if (!entity) return errors(reply, 404, `The entity '${req.params.entity}' does not exist.`);
    // Every field of the entity as the swagger lists it; picklists carry this tenant's labels.
    const lists = tenant.picklists[entity.name] ?? {};
    const fields = Object.entries(VENDOR_FIELDS[entity.name] ?? {}).map(([name, dataType]) => {
      const values = lists[name];
      return {
        name, dataType, length: 0, isRequired: name === 'id', isReadOnly: name === 'id', isQueryable: true,
        isReference: /ID$/.test(name) && name !== 'id', referenceEntityType: '', isPickList: values !== undefined,
        picklistValues: values === undefined ? null : Object.entries(values).map(([value, label], i) => ({
          value, label, isDefaultValue: false, sortOrder: i + 1, parentValue: '', isActive: true, isSystem: true,
        })),
        picklistParentValueField: '', isSupportedWebhookField: false,
      };
    });
    return { fields };
  });

  app.get<{ Params: { entity: string; id: string } }>(`${API}/:entity/:id`, async (req, reply) => {
    const entity = entityFor(reply, req.params.entity, 'get');
    if (!entity) return reply;
    const item = store.rows[entity.name]!().find((r) => String((r as { id: number }).id) === req.params.id);
    if (!item) return errors(reply, 404, `No ${entity.name} record with id ${req.params.id}.`);
    return { item };
  });

  /** Runs a write; rule violations answer HTTP 500 with Autotask's `errors` body. */
  function write(reply: FastifyReply, run: () => number) {
    try {
      const itemId = run();
      save();
      return { itemId };
    } catch (error) {
      if (error instanceof AutotaskRuleError) return errors(reply, 500, ...error.errors);
      if (error instanceof AutotaskNotFoundError) return errors(reply, 404, error.message);
      throw error;
    }
  }

  app.post<{ Params: { entity: string } }>(`${API}/:entity`, async (req, reply) => {
    const entity = entityFor(reply, req.params.entity, 'create');
    return entity ? write(reply, () => entity.create!(store, req.body)) : reply;
  });
  for (const mode of ['patch', 'put'] as const) {
    app.route<{ Params: { entity: string } }>({
      method: mode.toUpperCase() as 'PATCH' | 'PUT',
      url: `${API}/:entity`,
      handler: async (req, reply) => {
        const entity = entityFor(reply, req.params.entity, 'update');
        return entity ? write(reply, () => entity.update!(store, req.body, mode)) : reply;
      },
    });
  }

  type ChildParams = { Params: { id: string } };
  const contractId = (req: FastifyRequest<ChildParams>) => Number(req.params.id);
  app.post<ChildParams>(`${API}/Contracts/:id/Services`, async (req, reply) => write(reply, () => store.createContractService(contractId(req), req.body)));
  app.patch<ChildParams>(`${API}/Contracts/:id/Services`, async (req, reply) => write(reply, () => store.updateContractService(contractId(req), req.body)));
  app.post<ChildParams>(`${API}/Contracts/:id/Charges`, async (req, reply) => write(reply, () => store.createContractCharge(contractId(req), req.body)));
  app.delete<{ Params: { id: string; chargeId: string } }>(`${API}/Contracts/:id/Charges/:chargeId`, async (req, reply) =>
    write(reply, () => store.deleteContractCharge(Number(req.params.id), Number(req.params.chargeId))));
  app.post<ChildParams>(`${API}/Contracts/:id/ServiceAdjustments`, async (req, reply) =>
    write(reply, () => store.createAdjustment(req.body, contractId(req))));

  // Autotask-only control: "Approve and Post" a contract's periods up to a date.
  app.post<{ Body: { contractId?: number; through?: string } }>(`${CONTROL_PREFIX}/autotask/invoice`, async (req, reply) => {
    const { contractId: id, through } = req.body ?? {};
    if (typeof id !== 'number' || typeof through !== 'string' || !isIsoDate(through)) {
      return reply.code(400).send({ message: 'expected { contractId: number, through: "YYYY-MM-DD" }' });
    }
    return write(reply, () => {
      store.markInvoiced(id, through);
      return id;
    });
  });
  app.put<{ Body: { threadLimit?: number } }>(`${CONTROL_PREFIX}/autotask/thread-limit`, async (req, reply) => {
    const n = req.body?.threadLimit;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) return reply.code(400).send({ message: 'expected { threadLimit: positive integer }' });
    threadLimit = n;
    return { threadLimit };
  });

  const { url, port } = await listenOnLoopback(app, options.port ?? 0);
  return {
    url,
    port,
    state,
    store,
    async close() {
      await app.close();
      await file?.flush();
    },
  };
}
