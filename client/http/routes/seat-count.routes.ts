/**
 * `/api/connections/:id/usage`: §7 seat-count mode — the platform's daily usage counts per
 * subscription in, what the month bills (its high-water mark) out, and a run of the daily
 * seat-count job now (`seatCountWorkflow`, at most one PSA update per subscription per day).
 */
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { monthOf } from '../../../domain/dates';
import { highWaterMark } from '../../../domain/seat-count';
import { IsoDateSchema } from '../../../domain/schemas';
import type { UsageCountRepository } from '../../../activities/seat-count/usage-counts';
import { NotFoundError, parseInput, type Store } from '../../../activities/store';
import type { seatCountWorkflow } from '../../../workflows/seat-count.workflow';

export interface SeatCountRouteDeps {
  temporal: Client;
  taskQueue: string;
  store: Pick<Store, 'connections'>;
  usage: UsageCountRepository;
}

type Id = { Params: { id: string } };
export const UsageMonthQuerySchema = z.object({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month YYYY-MM').optional() }).strict();
export const SeatCountRunSchema = z.object({ day: IsoDateSchema.optional() }).strict();

export const seatCountRoutes: FastifyPluginAsync<SeatCountRouteDeps> = async (app, deps) => {
  const mustExist = async (id: string) => {
    if (!(await deps.store.connections.get(id))) throw new NotFoundError('connection', id);
  };

  /** Body `{ subscriptionId, counts: [{ date, count }] }`; a day reported again replaces its count. */
  app.post<Id & { Body: unknown }>('/api/connections/:id/usage', async (request) => {
    await mustExist(request.params.id);
    return { stored: await deps.usage.report(request.params.id, request.body as never) };
  });

  app.get<Id & { Params: { subscriptionId: string }; Querystring: Record<string, string> }>('/api/connections/:id/usage/:subscriptionId', async (request) => {
    await mustExist(request.params.id);
    const month = parseInput(UsageMonthQuerySchema, request.query).month ?? monthOf(new Date().toISOString().slice(0, 10));
    const counts = await deps.usage.countsFor(request.params.id, request.params.subscriptionId, month);
    return { month, highWaterMark: highWaterMark(counts, month), counts, billed: await deps.usage.getState(request.params.id, request.params.subscriptionId) };
  });

  /** Runs the daily job now (optionally as of `day`) and answers its result. */
  app.post<Id & { Body: unknown }>('/api/connections/:id/seat-count/run', async (request) => {
    await mustExist(request.params.id);
    const { day } = parseInput(SeatCountRunSchema, request.body ?? {});
    return deps.temporal.workflow.execute<typeof seatCountWorkflow>('seatCountWorkflow', {
      taskQueue: deps.taskQueue,
      workflowId: `seat-count/${request.params.id}/manual-${new Date().toISOString()}`,
      args: [{ connectionId: request.params.id, ...(day ? { day } : {}) }],
      staticSummary: `On-demand seat-count update of ${request.params.id}`,
    });
  });
};
