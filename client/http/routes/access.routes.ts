/**
 * `/api/tokens`, `/api/audit`, `/api/whoami`: API tokens (admin), the audit log (admin) and the
 * caller's own identity. The operator can do the same on the database directly with
 * `psa-connector tokens …` (client/cli/commands/tokens.ts), e.g. for the first token.
 */
import type { FastifyPluginAsync } from 'fastify';
import { parseInput, AuditQuerySchema, type ApiTokenRepository, type AuditLog } from '../../../activities/store';

export interface AccessRouteDeps {
  tokens: ApiTokenRepository;
  audit: AuditLog;
}

export const accessRoutes: FastifyPluginAsync<AccessRouteDeps> = async (app, deps) => {
  app.get('/api/whoami', async (request) => request.principal);

  app.get<{ Querystring: { revoked?: string } }>('/api/tokens', async (request) => ({ items: await deps.tokens.list({ includeRevoked: request.query.revoked === 'true' }) }));

  app.post<{ Body: unknown }>('/api/tokens', async (request, reply) => {
    const { token, view } = await deps.tokens.create(request.body as never, request.principal!.name);
    return reply.status(201).send({ ...view, token });
  });

  app.delete<{ Params: { name: string } }>('/api/tokens/:name', async (request) => deps.tokens.revoke(request.params.name, request.principal!.name));

  app.get<{ Querystring: unknown }>('/api/audit', async (request) => ({ items: await deps.audit.list(parseInput(AuditQuerySchema, request.query)) }));
};
