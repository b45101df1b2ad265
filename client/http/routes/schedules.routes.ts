/** `/api/schedules`: the Temporal Schedules the configuration implies (client/schedules.ts). */
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { parseInput, type Store } from '../../../activities/store';
import { applySchedules, listSchedules, type ScheduleSettings } from '../../schedules';

export interface ScheduleRouteDeps {
  temporal: Client;
  store: Pick<Store, 'connections'>;
  schedules: ScheduleSettings;
}

export const ScheduleListQuerySchema = z.object({ connection: z.string().min(1, 'must not be empty').optional() }).strict();

export const scheduleRoutes: FastifyPluginAsync<ScheduleRouteDeps> = async (app, deps) => {
  /** Creates / updates / deletes our schedules until they match the connections (idempotent). */
  app.post('/api/schedules/apply', async () => applySchedules(deps.temporal, await deps.store.connections.list(), deps.schedules));

  /** Our schedules with their next and recent runs; `?connection=` narrows to one connection. */
  app.get<{ Querystring: Record<string, string> }>('/api/schedules', async (request) => {
    const q = parseInput(ScheduleListQuerySchema, request.query);
    return { items: await listSchedules(deps.temporal, { idPrefix: deps.schedules.idPrefix, ...(q.connection ? { connectionId: q.connection } : {}) }) };
  });
};
