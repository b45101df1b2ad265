/**
 * `/api/connections/:id/bundles`: bundles (docs/billing-modes.md "Bundles") — several member
 * subscriptions billed through ONE PSA line. Create (201), list, show (with the bundle
 * workflow's state) and delete (`?force=true` to end a bundle that billed).
 */
import type { FastifyInstance } from 'fastify';
import type { MappingService } from '../../../app/admin/mapping-service';

type One = { Params: { id: string; bundleId: string }; Querystring: Record<string, string> };
type Many = { Params: { id: string }; Querystring: { limit?: string; skip?: string } };

export function registerBundleRoutes(app: FastifyInstance, service: MappingService): void {
  const base = '/api/connections/:id/bundles';
  app.get<Many>(base, async (request) => service.bundles.list(request.params.id, request.query));
  app.post<{ Params: { id: string } }>(base, async (request, reply) => reply.status(201).send(await service.bundles.create(request.params.id, request.body)));
  app.get<One>(`${base}/:bundleId`, async (request) => service.bundles.show(request.params.id, request.params.bundleId));
  app.delete<One>(`${base}/:bundleId`, async (request) => service.bundles.delete(request.params.id, request.params.bundleId, request.query));
}
