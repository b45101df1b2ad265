/**
 * `/api/connections/:connectionId/reconciliation/...`: the monthly reconciliation (§6).
 *   GET  .../log?from&to&status&provider&customerId&search&limit   the log rows (JSON)
 *   GET  .../log.csv?(same filters)                                 the log as CSV
 *   GET  .../runs/:provider/:month                                  a run's state (every item)
 *   POST .../runs/:provider/:month                                  start the month's run now (or find it)
 *   POST .../runs/:provider/:month/{accept|reject|retry}            { subscriptionIds } or { all: true }
 * A decision is recorded under the calling token's name (never a name the caller types).
 * Decisions are Updates of the run's workflow (the only writer of its records): its validator's
 * refusal answers 409 with the reason, a run that does not exist (or has ended) 404 / 409.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { createReconciliationLog, ReconciliationLogQuerySchema } from '../../../app/admin/reconciliation-log';
import { invalid } from '../../../app/admin/mapping-errors';
import { ConflictError, MonthSchema, NotFoundError, parseInput, type Store } from '../../../activities/store';
import { DecisionRequestSchema } from '../../../workflows/reconciliation-decisions';
import { acceptUpdate, reconciliationStateQuery, rejectUpdate, retryUpdate } from '../../../workflows/reconciliation-messages';
import { decisionAnswer, reconciliationWorkflowId, type ReconciliationWorkflowInput } from '../../../contracts/reconciliation';
import { reconciliationWorkflow } from '../../../workflows/reconciliation.workflow';

export interface ReconciliationRouteDeps {
  temporal: Client;
  taskQueue: string;
  store: Pick<Store, 'connections' | 'reconciliations' | 'platform'>;
}

type RunParams = { connectionId: string; provider: string; month: string };
const UPDATES = { accept: acceptUpdate, reject: rejectUpdate, retry: retryUpdate } as const;

export const reconciliationRoutes: FastifyPluginAsync<ReconciliationRouteDeps> = async (app, deps) => {
  const log = createReconciliationLog(deps.store);
  const base = '/api/connections/:connectionId/reconciliation';

  async function mustExist(connectionId: string): Promise<void> {
    if (!(await deps.store.connections.get(connectionId))) throw new NotFoundError('connection', connectionId);
  }

  function runOf(p: RunParams) {
    parseInput(z.object({ month: MonthSchema }), { month: p.month });
    const workflowId = reconciliationWorkflowId(p.connectionId, decodeURIComponent(p.provider), p.month);
    return { workflowId, handle: deps.temporal.workflow.getHandle(workflowId) };
  }

  /** Temporal's answers in the API's error shapes. */
  async function temporalCall<T>(workflowId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) throw new NotFoundError('reconciliation run', workflowId);
      if (e instanceof WorkflowUpdateFailedError) throw new ConflictError(e.cause?.message ?? e.message);
      if (e instanceof Error && /already completed|workflow execution.*(closed|completed)/i.test(e.message)) {
        throw new ConflictError(`the reconciliation run ${workflowId} has ended; its records are in the log`);
      }
      throw e;
    }
  }

  app.get<{ Params: { connectionId: string }; Querystring: unknown }>(`${base}/log`, async (request) => {
    const query = parseInput(ReconciliationLogQuerySchema, request.query ?? {});
    await mustExist(request.params.connectionId);
    return { rows: await log.list(request.params.connectionId, query) };
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

  app.get<{ Params: RunParams }>(`${base}/runs/:provider/:month`, async (request) => {
    const { workflowId, handle } = runOf(request.params);
    return temporalCall(workflowId, () => handle.query(reconciliationStateQuery));
  });

  // On demand, besides the provider's Schedule: the same business id, so a run already going
  // for that month is found, not duplicated.
  app.post<{ Params: RunParams }>(`${base}/runs/:provider/:month`, async (request, reply) => {
    await mustExist(request.params.connectionId);
    const { workflowId } = runOf(request.params);
    const input: ReconciliationWorkflowInput = {
      connectionId: request.params.connectionId,
      provider: decodeURIComponent(request.params.provider),
      billingMonth: request.params.month,
    };
    const handle = await deps.temporal.workflow.start(reconciliationWorkflow, {
      workflowId,
      taskQueue: deps.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    return reply.status(202).send({ workflowId, runId: handle.firstExecutionRunId });
  });

  for (const [name, update] of Object.entries(UPDATES)) {
    app.post<{ Params: RunParams; Body: unknown }>(`${base}/runs/:provider/:month/${name}`, async (request) => {
      if (typeof request.body === 'object' && request.body !== null && 'by' in request.body) {
        throw invalid({ path: 'by', message: "is not accepted: decisions are recorded under the API token's name" });
      }
      const body = { ...parseInput(DecisionRequestSchema, request.body ?? {}), by: request.principal?.name ?? 'unknown' };
      const { workflowId, handle } = runOf(request.params);
      // The decision was carried out (200) but may have left items failed: the answer says which.
      return decisionAnswer(await temporalCall(workflowId, () => handle.executeUpdate(update, { args: [body] })));
    });
  }
};
