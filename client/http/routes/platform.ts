/**
 * What the platform pushes: customers and products (global), subscriptions and their lifecycle
 * events (per connection); a subscription's state; and the dry-run plan preview.
 */
import type { FastifyInstance } from 'fastify';
import type { MappingService } from '../../../app/admin/mapping-service';
import { invalid } from '../../../app/admin/mapping-errors';
import { isIsoDate } from '../../../domain/dates';
import { planScenario } from '../../../domain/plan';

type Sub = { Params: { id: string; pid: string } };

/** RFC 7240: does a `Prefer` header (one or several, comma-separated) ask for `respond-async`? */
export function prefersAsync(header: string | string[] | undefined): boolean {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  return values.some((v) => v.split(',').some((pref) => pref.split(';')[0]!.trim().toLowerCase() === 'respond-async'));
}

export function registerPlatformRoutes(app: FastifyInstance, service: MappingService): void {
  app.put('/api/platform/customers', async (request) => service.platform.upsertCustomers(request.body));
  app.put('/api/platform/products', async (request) => service.platform.upsertProducts(request.body));

  app.post<{ Params: { id: string } }>('/api/connections/:id/subscriptions', async (request, reply) =>
    reply.status(202).send(await service.platform.reportSubscription(request.params.id, request.body)),
  );
  app.post<Sub>('/api/connections/:id/subscriptions/:pid/events', async (request, reply) => {
    const respondAsync = prefersAsync(request.headers.prefer);
    const receipt = await service.platform.sendEvent(request.params.id, request.params.pid, request.body, { wait: !respondAsync });
    if (respondAsync) void reply.header('preference-applied', 'respond-async');
    return reply.status(202).send(receipt);
  });
  app.get<Sub>('/api/connections/:id/subscriptions/:pid/state', async (request) => service.platform.subscriptionState(request.params.id, request.params.pid));

  /** The `plan` command over HTTP: body = scenario, `?asOf=YYYY-MM-DD`. */
  app.post<{ Querystring: { asOf?: string } }>('/api/plan', async (request) => {
    const { asOf } = request.query;
    if (asOf !== undefined && !isIsoDate(asOf)) throw invalid({ path: 'asOf', message: `must be a calendar date YYYY-MM-DD (got ${asOf})` });
    return planScenario(request.body, asOf);
  });
}
