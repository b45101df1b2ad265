/**
 * `/api/connections/:id/catalog`: §7 service catalog push (Autotask) — push every plan (body
 * `{ plans }`, or `{ billingCodeId }` for the platform's products) and list each plan's status.
 * Same code as the `pushServiceCatalog` activity, with plain errors: a name clash answers 502
 * with Autotask-style validation naming the name; bad input 400 with problems.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ServiceCatalog } from '../../../activities/sync/service-catalog.activities';
import { NotFoundError, type Store } from '../../../activities/store';

export interface CatalogRouteDeps {
  store: Pick<Store, 'connections'>;
  catalog: ServiceCatalog;
}

type Id = { Params: { id: string } };

export const catalogRoutes: FastifyPluginAsync<CatalogRouteDeps> = async (app, deps) => {
  const mustExist = async (id: string) => {
    if (!(await deps.store.connections.get(id))) throw new NotFoundError('connection', id);
  };

  app.post<Id & { Body: unknown }>('/api/connections/:id/catalog/push', async (request) => {
    await mustExist(request.params.id);
    return { results: await deps.catalog.pushServiceCatalog({ ...((request.body ?? {}) as object), connectionId: request.params.id }) };
  });

  app.get<Id>('/api/connections/:id/catalog', async (request) => {
    await mustExist(request.params.id);
    return { items: await deps.catalog.serviceCatalogStatus({ connectionId: request.params.id }) };
  });
};
