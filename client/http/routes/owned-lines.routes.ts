/**
 * Adoption at cutover and drift (docs/adopt-and-drift.md): GET is the dry run / the comparison,
 * POST hands the take-over (or the restore, the acceptance) to the subscription's workflow,
 * recorded under the token's name (and in the audit log, like every change).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { MappingService } from '../../../app/admin/mapping-service';

type Sub = { Params: { id: string; pid: string }; Querystring: { line?: string }; Body: unknown };
type Conn = { Params: { id: string } };

const who = (request: FastifyRequest): string => request.principal?.name ?? 'unknown';

export function registerOwnedLineRoutes(app: FastifyInstance, service: MappingService): void {
  const ops = service.ownedLines;
  const sub = '/api/connections/:id/subscriptions/:pid';
  app.get<Sub>(`${sub}/adoption`, async (r) => ops.adoption(r.params.id, r.params.pid, r.query, { apply: false, by: who(r) }));
  app.post<Sub>(`${sub}/adoption`, async (r) => ops.adoption(r.params.id, r.params.pid, r.body ?? {}, { apply: true, by: who(r) }));
  app.get<Conn>('/api/connections/:id/adoption', async (r) => ops.adoptionAll(r.params.id, { apply: false, by: who(r) }));
  app.post<Conn>('/api/connections/:id/adoption', async (r) => ops.adoptionAll(r.params.id, { apply: true, by: who(r) }));
  app.get<Sub>(`${sub}/drift`, async (r) => ops.drift(r.params.id, r.params.pid));
  app.post<Sub>(`${sub}/drift/restore`, async (r) => ops.restore(r.params.id, r.params.pid, r.body ?? {}, who(r)));
  app.post<Sub>(`${sub}/drift/accept`, async (r) => ops.accept(r.params.id, r.params.pid, r.body ?? {}, who(r)));
}
