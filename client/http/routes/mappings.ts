/**
 * `/api/connections/:id/{customers|products|subscriptions}`: the three mapping pages. Each kind
 * has a list (?status=&search=&limit=&skip=), suggestions, map, create (customers, products)
 * and disconnect; services add retry and skipping an event.
 */
import type { FastifyInstance } from 'fastify';
import { invalid } from '../../../app/admin/mapping-errors';
import type { MappingService } from '../../../app/admin/mapping-service';
import type { MappingListQueryInput } from '../../../app/admin/mapping-service.schemas';

type Record = { Params: { id: string; pid: string } };
type List = { Params: { id: string }; Querystring: MappingListQueryInput };

export function registerMappingRoutes(app: FastifyInstance, service: MappingService): void {
  for (const kind of ['customers', 'products'] as const) {
    const ops = service[kind];
    const base = `/api/connections/:id/${kind}`;
    app.get<List>(base, async (request) => ops.list(request.params.id, request.query));
    app.get<Record>(`${base}/:pid/suggestions`, async (request) => ops.suggest(request.params.id, request.params.pid, request.query));
    app.post<Record>(`${base}/:pid/mapping`, async (request) => ops.map(request.params.id, request.params.pid, request.body));
    app.post<Record>(`${base}/:pid/create`, async (request, reply) =>
      reply.status(201).send(await ops.create(request.params.id, request.params.pid, request.body ?? {})),
    );
    app.delete<Record>(`${base}/:pid/mapping`, async (request) => ops.disconnect(request.params.id, request.params.pid));
  }

  const subs = '/api/connections/:id/subscriptions';
  app.get<List>(subs, async (request) => service.services.list(request.params.id, request.query));
  app.get<Record>(`${subs}/:pid/suggestions`, async (request) => service.services.suggest(request.params.id, request.params.pid));
  app.post<Record>(`${subs}/:pid/mapping`, async (request) => service.services.map(request.params.id, request.params.pid, request.body, request.principal?.name ?? 'unknown'));
  app.delete<Record>(`${subs}/:pid/mapping`, async (request) => service.services.unmap(request.params.id, request.params.pid));
  app.post<Record>(`${subs}/:pid/retry`, async (request) => service.services.retry(request.params.id, request.params.pid));
  // An event that cannot apply is left out (with a reason kept in the log); the subscription goes on.
  app.post<{ Params: { id: string; pid: string; eid: string }; Body: unknown }>(`${subs}/:pid/events/:eid/skip`, async (request) => {
    const body = isObject(request.body) ? request.body : {};
    if ('by' in body) throw invalid({ path: 'by', message: "is not accepted: a skip is recorded under the API token's name" });
    return service.services.skipEvent(request.params.id, request.params.pid, { ...body, eventId: request.params.eid, by: request.principal?.name ?? 'unknown' });
  });
}

const isObject = (v: unknown): v is { [key: string]: unknown } => typeof v === 'object' && v !== null && !Array.isArray(v);
