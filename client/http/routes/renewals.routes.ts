/**
 * `/api/connections/:id/renewals?days=N`: subscriptions whose commitment ends within the next N
 * days (1–366; default the connection's renewal days), paged with limit/skip (docs/renewals.md).
 */
import type { FastifyInstance } from 'fastify';
import type { MappingService } from '../../../app/admin/mapping-service';
import type { RenewalsQueryInput } from '../../../app/admin/renewals';

export function registerRenewalRoutes(app: FastifyInstance, service: MappingService): void {
  app.get<{ Params: { id: string }; Querystring: RenewalsQueryInput }>('/api/connections/:id/renewals', async (request) => service.renewals.due(request.params.id, request.query));
}
