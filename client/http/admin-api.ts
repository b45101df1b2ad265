/**
 * The admin HTTP API: a fastify app over the mapping service (every route is one service call)
 * plus the dry-run plan preview. Built by a factory so tests inject real dependencies and
 * `main.ts` production ones. Routes: client/http/README.md.
 *
 * The fastify logger is off: request logs would carry bodies and headers, and bodies carry PSA
 * secrets. Unexpected errors go to `onError` (main.ts prints their message), never to clients.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { MappingService } from '../../activities/mapping/mapping-service';
import { errorReply } from './error-reply';
import { registerConnectionRoutes } from './routes/connections';
import { registerMappingRoutes } from './routes/mappings';
import { registerPlatformRoutes } from './routes/platform';
import { catalogRoutes, type CatalogRouteDeps } from './routes/catalog.routes';
import { notificationRoutes, type NotificationRouteDeps } from './routes/notifications.routes';
import { scheduleRoutes, type ScheduleRouteDeps } from './routes/schedules.routes';
import { seatCountRoutes, type SeatCountRouteDeps } from './routes/seat-count.routes';
import { syncRoutes, type SyncRouteDeps } from './routes/sync.routes';
import { reconciliationRoutes, type ReconciliationRouteDeps } from './routes/reconciliation.routes';

export interface AdminApiDeps {
  service: MappingService;
  /** Extra health checks (database, Temporal); a throw answers 503 with its message. */
  health?: () => Promise<Record<string, unknown>>;
  /** Told about 500s (the client only sees "internal error"). */
  onError?: (error: unknown, route: string) => void;
  /** Schedules, global sync, notifications, seat count, catalog push (docs/operations.md); absent → those routes are not served. */
  operations?: ScheduleRouteDeps & SyncRouteDeps & NotificationRouteDeps & SeatCountRouteDeps & CatalogRouteDeps & ReconciliationRouteDeps;
}

export function createAdminApi(deps: AdminApiDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 5 * 1024 * 1024 });

  app.setErrorHandler((error, request, reply) => {
    const { status, body } = errorReply(error);
    if (status >= 500 && status !== 502) deps.onError?.(error, `${request.method} ${request.routeOptions.url ?? request.url}`);
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => reply.status(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}` }));

  app.get('/api/health', async (_request, reply) => {
    try {
      return { status: 'ok', ...(deps.health ? await deps.health() : {}) };
    } catch (e) {
      return reply.status(503).send({ status: 'unavailable', error: e instanceof Error ? e.message : String(e) });
    }
  });

  registerConnectionRoutes(app, deps.service);
  registerMappingRoutes(app, deps.service);
  registerPlatformRoutes(app, deps.service);
  if (deps.operations) {
    const ops = deps.operations;
    void app.register(scheduleRoutes, ops).register(syncRoutes, ops).register(notificationRoutes, ops).register(seatCountRoutes, ops).register(catalogRoutes, ops).register(reconciliationRoutes, ops);
  }
  return app;
}
