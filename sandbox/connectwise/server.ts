/**
 * startConnectWiseSandbox: the ConnectWise simulator as a value tests can start on a free port
 * and close, and that `main.ts` runs standalone. Options and control routes: sandbox/README.md.
 */
import { createFaultInjector, seededRandom, type FaultInjector } from '../shared/faults';
import { createJsonFileStore } from '../shared/json-file-store';
import { createRateLimiter, type RateLimit } from '../shared/rate-limit';
import { CONTROL_PREFIX, createSandboxApp, listenOnLoopback } from '../shared/sandbox-app';
import { createTenantClock, parseInstant } from '../shared/tenant-time';
import { createTraffic, type Traffic } from '../shared/traffic';
import { DEFAULT_CW_SANDBOX_CREDENTIALS, type CwCredentials } from './auth';
import { assertEditable, buildAddition, buildAgreement, buildCatalogItem, buildCompany, type EntityRules } from './entities';
import { CW_API_PREFIX, registerConnectWiseRoutes } from './routes';
import { loadSeed, type CwSeed } from './seed';
import { emptyState, type CwRecord, type CwState } from './state';
import { CwHttpError, faultBody, notFound } from './vendor-errors';

export interface ConnectWiseSandboxOptions {
  /** 0 (default) = any free port. */
  port?: number;
  seed?: CwSeed;
  credentials?: Partial<CwCredentials>;
  /** Per-credential limit; default 60 requests per 10 s; `{ limit: 0 }` turns it off. */
  rateLimit?: RateLimit;
  /** Answer bad credentials with 404 like ConnectWise cloud often does (default 401). */
  authFailureStatus?: 401 | 404;
  /** The server's IANA time zone: date fields are its calendar days (default UTC). */
  timeZone?: string;
  rules?: Partial<Omit<EntityRules, 'clock'>>;
  /** Keep the state in this JSON file across restarts. */
  stateFile?: string;
  /** Seed of the probabilistic fault rules (default 1): the same seed strikes the same requests. */
  faultSeed?: number;
  now?: () => number;
}

export interface ConnectWiseSandbox {
  /** Server root, e.g. http://127.0.0.1:8710 (control routes live under `${url}/__sandbox`). */
  url: string;
  /** API base the client takes: `${url}/v4_6_release/apis/3.0`. */
  apiUrl: string;
  port: number;
  credentials: CwCredentials;
  /** Live state (mutated in place, also by reset). */
  state: CwState;
  faults: FaultInjector;
  traffic: Traffic;
  close(): Promise<void>;
}

export const DEFAULT_CW_RATE_LIMIT: RateLimit = { limit: 60, windowMs: 10_000 };

/** The first day of the month after `day` (YYYY-MM-DD). */
const firstOfNextMonth = (day: string): string => {
  const [y, m] = day.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);
};

export async function startConnectWiseSandbox(options: ConnectWiseSandboxOptions = {}): Promise<ConnectWiseSandbox> {
  const now = options.now ?? Date.now;
  const credentials: CwCredentials = { ...DEFAULT_CW_SANDBOX_CREDENTIALS, ...options.credentials };
  const clock = createTenantClock(options.timeZone ?? 'UTC');
  const rules: EntityRules = { additionDescriptionMax: null, overlongDescription: 'truncate', lockInvoicedAdditions: true, ...options.rules, clock };
  const store = options.stateFile ? createJsonFileStore<CwState>(options.stateFile, (e) => console.error('connectwise sandbox: saving state failed', e)) : undefined;

  const state = emptyState();
  const reset = (seed: string): void => {
    Object.assign(state, emptyState());
    loadSeed(state, seed === 'demo' ? 'demo' : 'empty', now(), clock);
    store?.save(state);
  };
  const saved = store?.load();
  if (saved) Object.assign(state, saved);
  else reset(options.seed ?? 'empty');

  const faults = createFaultInjector(seededRandom(options.faultSeed ?? 1));
  const traffic = createTraffic();
  const rateLimiter = createRateLimiter(options.rateLimit ?? DEFAULT_CW_RATE_LIMIT, now);
  const app = createSandboxApp({ faults, traffic, rateLimiter, faultBody, reset, snapshot: () => state });
  const changed = (): void => store?.save(state);

  registerConnectWiseRoutes(app, {
    state,
    rules,
    credentials,
    rateLimiter,
    authFailureStatus: options.authFailureStatus ?? 401,
    now,
    changed,
  });

  // ConnectWise-specific control routes.
  app.post<{ Body: { companies?: object[]; catalog?: object[]; agreements?: object[]; additions?: ({ agreementId: number } & object)[] } }>(
    `${CONTROL_PREFIX}/seed`,
    async (req, reply) => {
      const b = req.body ?? {};
      const t = now();
      const created = {
        companies: (b.companies ?? []).map((c) => push(state.companies, buildCompany(state, c as Record<string, unknown>, t))),
        catalog: (b.catalog ?? []).map((c) => push(state.catalog, buildCatalogItem(state, c as Record<string, unknown>, t))),
        agreements: (b.agreements ?? []).map((a) => push(state.agreements, buildAgreement(state, a as Record<string, unknown>, t, clock))),
        additions: (b.additions ?? []).map(({ agreementId, ...a }) => {
          const agreement = state.agreements.find((x) => x.id === agreementId);
          if (!agreement) throw notFound('agreement', agreementId);
          return push(state.additions, buildAddition(state, rules, agreement, a as Record<string, unknown>, t));
        }),
      };
      changed();
      return reply.code(201).send(created);
    },
  );

  // Invoicing locks an addition and moves its agreement's next invoice date past the addition's first period.
  app.post<{ Body: { ids: number[]; invoiced?: boolean } }>(`${CONTROL_PREFIX}/additions/invoiced`, async (req) => {
    const invoiced = req.body?.invoiced ?? true;
    for (const id of req.body?.ids ?? []) {
      const addition = state.additions.find((a) => a.id === id);
      if (!addition) throw notFound('addition', id);
      state.invoicedAdditionIds = state.invoicedAdditionIds.filter((x) => x !== id);
      if (!invoiced) continue;
      state.invoicedAdditionIds.push(id);
      const agreement = state.agreements.find((a) => a.id === addition.agreementId)!;
      const after = firstOfNextMonth(clock.localDateOf(parseInstant(String(addition.effectiveDate))!));
      if (!agreement.nextInvoiceDate || String(agreement.nextInvoiceDate) < after) agreement.nextInvoiceDate = after;
    }
    changed();
    return { invoicedAdditionIds: state.invoicedAdditionIds };
  });

  /** Whether an addition is locked, for tests that check the sandbox rule itself. */
  app.get<{ Params: { id: string } }>(`${CONTROL_PREFIX}/additions/:id/editable`, async (req) => {
    const addition = state.additions.find((a) => a.id === Number(req.params.id));
    if (!addition) throw notFound('addition', req.params.id);
    try {
      assertEditable(state, rules, addition);
      return { editable: true };
    } catch (error) {
      if (error instanceof CwHttpError) return { editable: false };
      throw error;
    }
  });

  const { url, port } = await listenOnLoopback(app, options.port ?? 0);
  return {
    url,
    apiUrl: `${url}${CW_API_PREFIX}`,
    port,
    credentials,
    state,
    faults,
    traffic,
    async close() {
      await app.close();
      await store?.flush();
    },
  };
}

function push(list: CwRecord[], record: CwRecord): CwRecord {
  list.push(record);
  return record;
}
