/** `/api/connections`: credentials (tested live before saving), §2 rules, summary. */
import type { FastifyInstance } from 'fastify';
import type { MappingService } from '../../../app/admin/mapping-service';
import { invalid } from '../../../app/admin/mapping-errors';
import { PsaKindSchema, type CreateConnectionInput, type UpdateCredentialsInput } from '../../../activities/store';
import type { RulesPatch } from '../../../app/admin/mapping-service.schemas';

type Id = { Params: { id: string } };

export function registerConnectionRoutes(app: FastifyInstance, service: MappingService): void {
  app.post<{ Body: CreateConnectionInput }>('/api/connections', async (request, reply) =>
    reply.status(201).send(await service.connections.add(request.body)),
  );

  app.get<{ Querystring: { psa?: string } }>('/api/connections', async (request) => {
    const { psa, ...rest } = request.query;
    if (Object.keys(rest).length > 0) throw invalid(...Object.keys(rest).map((k) => ({ path: k, message: 'is not a known filter' })));
    const parsed = psa === undefined ? undefined : PsaKindSchema.safeParse(psa);
    if (parsed && !parsed.success) throw invalid({ path: 'psa', message: 'must be "connectwise" or "autotask"' });
    return { items: await service.connections.list(parsed ? { psa: parsed.data } : {}) };
  });

  app.get<Id>('/api/connections/:id', async (request) => service.connections.get(request.params.id));

  app.delete<Id>('/api/connections/:id', async (request) => service.connections.delete(request.params.id));

  app.post<Id>('/api/connections/:id/test', async (request) => service.connections.test(request.params.id));

  app.put<Id & { Body: UpdateCredentialsInput }>('/api/connections/:id/credentials', async (request) =>
    service.connections.updateCredentials(request.params.id, request.body),
  );

  app.get<Id>('/api/connections/:id/rules', async (request) => service.connections.getRules(request.params.id));

  app.put<Id & { Body: RulesPatch }>('/api/connections/:id/rules', async (request) => service.connections.setRules(request.params.id, request.body));

  app.get<Id>('/api/connections/:id/summary', async (request) => service.summary(request.params.id));
}
