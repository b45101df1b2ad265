/**
 * `/api/connections/:connectionId/reconciliation/...`: the monthly reconciliation (§6).
 *   GET  .../log?from&to&status&provider&customerId&search&limit&offset   a page of log rows (JSON) with the total
 *   GET  .../log.csv?(same filters)                                 the log as CSV
 *   GET  .../runs/:provider/:month?offset&limit                     a run's state: counts, chunks, one page of items
 *   POST .../runs/:provider/:month                                  start the month's run now (or find it)
 *   POST .../runs/:provider/:month/{accept|reject|retry}            { subscriptionIds } or { all: true }
 * A decision is recorded under the calling token's name (never a name the caller types).
 * Decisions are Updates of the chunk workflows holding the items (the only writers of their
 * records; client/reconciliation-runs.ts routes them): a refusal answers 409 with the reasons,
 * a run that does not exist (or has ended) 404 / 409.
 */
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { createReconciliationLog, ReconciliationLogQuerySchema } from '../../../app/admin/reconciliation-log';
import { invalid } from '../../../app/admin/mapping-errors';
import { MonthSchema, NotFoundError, parseInput, type Store } from '../../../activities/store';
import { DecisionRequestSchema, type DecisionAction } from '../../../workflows/reconciliation-decisions';
import { decisionAnswer, MAX_ITEMS_PAGE } from '../../../contracts/reconciliation';
import { createReconciliationRuns } from '../../reconciliation-runs';

export interface ReconciliationRouteDeps {
  temporal: Client;
  taskQueue: string;
  store: Pick<Store, 'connections' | 'reconciliations' | 'platform'>;
}

type RunParams = { connectionId: string; provider: string; month: string };
const ACTIONS: readonly DecisionAction[] = ['accept', 'reject', 'retry'];

/** A page of a run's items: `offset` from 0, `limit` 0..500 (default 100). */
export const RunPageSchema = z
  .object({
    offset: z.coerce.number().int('must be a whole number').min(0, 'must not be negative').optional(),
    limit: z.coerce.number().int('must be a whole number').min(0, 'must not be negative').max(MAX_ITEMS_PAGE, `must be at most ${MAX_ITEMS_PAGE}`).optional(),
  })
  .strict();

export const reconciliationRoutes: FastifyPluginAsync<ReconciliationRouteDeps> = async (app, deps) => {
  const log = createReconciliationLog(deps.store);
  const runs = createReconciliationRuns(deps);
  const base = '/api/connections/:connectionId/reconciliation';

  async function mustExist(connectionId: string): Promise<void> {
    if (!(await deps.store.connections.get(connectionId))) throw new NotFoundError('connection', connectionId);
  }

  function runOf(p: RunParams) {
    parseInput(z.object({ month: MonthSchema }), { month: p.month });
    return { connectionId: p.connectionId, provider: decodeURIComponent(p.provider), month: p.month };
  }

  app.get<{ Params: { connectionId: string }; Querystring: unknown }>(`${base}/log`, async (request) => {
    const query = parseInput(ReconciliationLogQuerySchema, request.query ?? {});
    await mustExist(request.params.connectionId);
    return log.page(request.params.connectionId, query);
  });

  app.get<{ Params: { connectionId: string }; Querystring: unknown }>(`${base}/log.csv`, async (request, reply) => {
    const query = parseInput(ReconciliationLogQuerySchema, request.query ?? {});
    await mustExist(request.params.connectionId);
    const csv = await log.csv(request.params.connectionId, query);
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="reconciliation-${request.params.connectionId}.csv"`)
      .send(csv);
  });

  app.get<{ Params: RunParams; Querystring: unknown }>(`${base}/runs/:provider/:month`, async (request) => {
    const page = parseInput(RunPageSchema, request.query ?? {});
    return runs.view(runOf(request.params), page);
  });

  // On demand, besides the provider's Schedule: the same business id, so a run already going
  // for that month is found, not duplicated.
  app.post<{ Params: RunParams }>(`${base}/runs/:provider/:month`, async (request, reply) => {
    await mustExist(request.params.connectionId);
    return reply.status(202).send(await runs.start(runOf(request.params)));
  });

  for (const action of ACTIONS) {
    app.post<{ Params: RunParams; Body: unknown }>(`${base}/runs/:provider/:month/${action}`, async (request) => {
      if (typeof request.body === 'object' && request.body !== null && 'by' in request.body) {
        throw invalid({ path: 'by', message: "is not accepted: decisions are recorded under the API token's name" });
      }
      const body = { ...parseInput(DecisionRequestSchema, request.body ?? {}), by: request.principal?.name ?? 'unknown' };
      // The decision was carried out (200) but may have left items failed: the answer says which.
      return decisionAnswer(await runs.decide(runOf(request.params), action, body));
    });
  }
};
