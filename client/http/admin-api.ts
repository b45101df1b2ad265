/**
 * The admin HTTP API: a fastify app over the mapping service (every route is one service call),
 * platform intake, operations and the dry-run plan preview. Built by a factory so tests inject
 * real dependencies and `main.ts` production ones. Routes: client/http/route-catalog.ts (also
 * served as /api/docs and /api/openapi.json); access and audit: docs/security.md.
 *
 * Every route must be in the route catalog, which gives its role and its input schemas: the
 * access check runs first (401/403/429), then the schemas validate the request (400 naming
 * each field), then the handler. Every change is written to the audit log under the caller's
 * token name before the answer leaves. The fastify logger is off: request logs would carry
 * bodies and headers, and those carry PSA secrets and tokens. Unexpected errors go to
 * `onError` (main.ts prints their message), never to clients.
 *
 * The admin console (client/console, docs/console.md) is served by the same app under
 * /console: its pages have their own table of roles (CONSOLE_ROUTES) and carry out every read
 * and change through the routes below, signed in with the same tokens.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { ZodTypeAny } from 'zod';
import type { MappingService } from '../../app/admin/mapping-service';
import { StoreInputError, zodInputProblems, type ApiTokenRepository, type AuditLog, type Store } from '../../activities/store';
import { consolePlugin, type ConsoleDeps } from '../console/console';
import { consoleRoute } from '../console/console-routes';
import { createSessionStore } from '../console/sessions';
import { createAccessCheck, retryAfterHeader, type AccessOptions } from './access';
import { errorReply, OUTAGE_RETRY_AFTER_S } from './error-reply';
import { apiIndex, docsPage, openApiDocument, type ServedRoute } from './openapi';
import { connectionParam, isMutating, ROUTE_CATALOG, routeKey, type RouteSpec } from './route-catalog';
import { accessRoutes } from './routes/access.routes';
import { registerConnectionRoutes } from './routes/connections';
import { invoiceRoutes } from './routes/invoices.routes';
import { registerMappingRoutes } from './routes/mappings';
import { registerBundleRoutes } from './routes/bundles.routes';
import { registerOwnedLineRoutes } from './routes/owned-lines.routes';
import { registerPlatformRoutes } from './routes/platform';
import { registerRenewalRoutes } from './routes/renewals.routes';
import { catalogRoutes, type CatalogRouteDeps } from './routes/catalog.routes';
import { notificationRoutes, type NotificationRouteDeps } from './routes/notifications.routes';
import { scheduleRoutes, type ScheduleRouteDeps } from './routes/schedules.routes';
import { seatCountRoutes, type SeatCountRouteDeps } from './routes/seat-count.routes';
import { syncRoutes, type SyncRouteDeps } from './routes/sync.routes';
import { reconciliationRoutes, type ReconciliationRouteDeps } from './routes/reconciliation.routes';

export interface AdminApiDeps {
  service: MappingService;
  /** Platform records (invoice intake). */
  store: Pick<Store, 'platform'>;
  /** Tokens, the audit log, the bootstrap token and throttling (docs/security.md). */
  access: Omit<AccessOptions, 'tokens'> & { tokens: ApiTokenRepository; audit: AuditLog };
  /** Dependency checks for /api/health, by name (e.g. mongo, temporal); a throw marks that one down (503). */
  health?: Record<string, () => Promise<unknown>>;
  /** Told about 500s (the client only sees "internal error") and failed audit writes. */
  onError?: (error: unknown, route: string) => void;
  /** Schedules, global sync, notifications, seat count, catalog push (docs/operations.md); absent → those routes are not served. */
  operations?: ScheduleRouteDeps & SyncRouteDeps & NotificationRouteDeps & SeatCountRouteDeps & CatalogRouteDeps & ReconciliationRouteDeps;
  /** The admin console under /console (on unless false): links to the Temporal Web UI, a Secure cookie behind TLS, a clock. */
  console?: Pick<ConsoleDeps, 'links' | 'secureCookie' | 'now'> | false;
}

/** Console routes: the pages under /console and the root, which leads there. */
const isConsoleUrl = (url: string): boolean => url === '/' || url === '/console' || url.startsWith('/console/');

declare module 'fastify' {
  interface FastifyRequest {
    /** The failure line the answer carried, for the audit log. */
    failure?: string;
  }
}

const HEALTH_TIMEOUT_MS = 3_000;
/** The package version: package.json is two folders up from the source, three from dist/ (the image). */
function packageVersion(): string {
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
  }
  return 'unknown';
}
const VERSION = packageVersion();

/** The catalog entry of the route a request matched (HEAD is its GET), or null (404s). */
function specOf(request: FastifyRequest): { spec: RouteSpec; url: string } | null {
  const url = request.routeOptions.url;
  if (!url) return null;
  const spec = ROUTE_CATALOG[routeKey(request.method === 'HEAD' ? 'GET' : request.method, url)];
  return spec ? { spec, url } : null;
}

async function checkWithin(check: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([check(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS)))]);
    return 'ok';
  } catch (e) {
    return `down: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`;
  } finally {
    clearTimeout(timer);
  }
}

export function createAdminApi(deps: AdminApiDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 5 * 1024 * 1024 });
  const sessions = deps.console === false ? undefined : createSessionStore();
  const access = createAccessCheck({ ...deps.access, ...(sessions ? { sessions } : {}) });
  const served: ServedRoute[] = [];

  // No route without a catalog entry: its role, summary and the schemas that validate it.
  app.addHook('onRoute', (route) => {
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
      if (method === 'HEAD') continue; // fastify's automatic HEAD of a GET shares its entry
      if (isConsoleUrl(route.url)) {
        // Pages, not API routes: their roles are in the console's own table (same rule: no entry, no start).
        if (!consoleRoute(method, route.url)) throw new Error(`console route ${method} ${route.url} has no entry in client/console/console-routes.ts`);
        continue;
      }
      const spec = ROUTE_CATALOG[routeKey(method, route.url)];
      if (!spec) throw new Error(`route ${method} ${route.url} has no entry in client/http/route-catalog.ts (role, summary, input schemas)`);
      served.push({ method, url: route.url });
      route.schema = {
        ...route.schema,
        ...(spec.body && !spec.bodyValidatedByHandler ? { body: spec.body } : {}),
        ...(spec.query ? { querystring: spec.query } : {}),
      };
    }
  });
  // The catalog's zod schemas check the input; the handler still receives it as sent, because
  // the operation behind it parses it again with the same schema (and its transforms).
  app.setValidatorCompiler(({ schema }) => (data: unknown) => {
    const res = (schema as ZodTypeAny).safeParse(data ?? {});
    return res.success ? { value: data } : { error: new StoreInputError(zodInputProblems(res.error)) };
  });

  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const matched = specOf(request);
    if (matched) await access.check(request, matched.spec, matched.url);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const matched = specOf(request);
    if (!matched || !request.principal || !isMutating(request.method, matched.spec)) return payload;
    const status = reply.statusCode;
    if (matched.spec.auditFailuresOnly && status < 400) return payload;
    const params = (request.params ?? {}) as Record<string, string>;
    const param = connectionParam(matched.url);
    try {
      await deps.access.audit.record({
        who: request.principal.name,
        role: request.principal.role,
        action: routeKey(request.method, matched.url),
        target: params,
        ...(param && params[param] ? { connectionId: params[param] } : {}),
        outcome: status < 400 ? 'ok' : status === 401 || status === 403 ? 'refused' : 'failed',
        status,
        ...(request.failure ? { error: request.failure } : {}),
      });
    } catch (e) {
      deps.onError?.(e, `audit of ${request.method} ${matched.url}`);
    }
    return payload;
  });

  app.setErrorHandler((error, request, reply) => {
    const { status, body, retryAfter } = errorReply(error);
    if (status >= 500 && status !== 502 && status !== 503) deps.onError?.(error, `${request.method} ${request.routeOptions.url ?? request.url}`);
    request.failure = body.problems ? `${body.error}: ${body.problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ')}` : body.error;
    retryAfterHeader(reply, retryAfter);
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => reply.status(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}; GET /api lists them` }));

  app.get('/api', async () => apiIndex(served, VERSION));
  app.get('/api/openapi.json', async () => openApiDocument(served, VERSION));
  app.get('/api/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(docsPage(openApiDocument(served, VERSION))));
  app.get('/api/health', async (_request, reply) => {
    const names = Object.keys(deps.health ?? {});
    const results = await Promise.all(names.map((n) => checkWithin(deps.health![n]!)));
    const checks = Object.fromEntries(names.map((n, i) => [n, results[i]!]));
    const down = names.filter((n) => checks[n] !== 'ok');
    if (down.length === 0) return { status: 'ok', ...checks };
    retryAfterHeader(reply, OUTAGE_RETRY_AFTER_S);
    return reply.status(503).send({ status: 'unavailable', error: `${down.join(' and ')} ${down.length > 1 ? 'are' : 'is'} unreachable`, ...checks });
  });

  void app.register(accessRoutes, deps.access);
  void app.register(invoiceRoutes, { store: deps.store });
  registerConnectionRoutes(app, deps.service);
  registerMappingRoutes(app, deps.service);
  registerBundleRoutes(app, deps.service);
  registerOwnedLineRoutes(app, deps.service);
  registerPlatformRoutes(app, deps.service);
  registerRenewalRoutes(app, deps.service);
  if (deps.operations) {
    const ops = deps.operations;
    void app.register(scheduleRoutes, ops).register(syncRoutes, ops).register(notificationRoutes, { ...ops, connections: deps.service.connections }).register(seatCountRoutes, ops).register(catalogRoutes, ops).register(reconciliationRoutes, ops);
  }
  if (sessions && deps.console !== false) {
    void app.register(consolePlugin, { access, sessions, ...deps.console });
    app.get('/', async (_request, reply) => reply.redirect('/console', 302));
  }
  return app;
}
