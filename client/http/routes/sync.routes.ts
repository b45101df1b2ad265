/**
 * `/api/sync`: the global sync on demand (§2; seed 004 "trigger an on-demand sync any time"):
 * every connection, one connection, or one record (`entity: "customer:<id>"`). Starts
 * `globalSyncWorkflow` on the worker; waits for its result when asked (or for one record).
 */
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { NotFoundError, parseInput, type Store } from '../../../activities/store';
import { SYNC_KINDS, type SyncKind } from '../../../activities/sync/global-sync.activities';
import type { globalSyncWorkflow, GlobalSyncInput } from '../../../workflows/global-sync.workflow';

export interface SyncRouteDeps {
  temporal: Client;
  taskQueue: string;
  store: Pick<Store, 'connections'>;
}

const EntitySchema = z
  .string({ invalid_type_error: 'must be a string such as "customer:cust-7"' })
  .regex(new RegExp(`^(${SYNC_KINDS.join('|')}):.+$`), `must be <kind>:<platform id> with kind ${SYNC_KINDS.join(', ')}, e.g. "customer:cust-7"`)
  .transform((s) => ({ kind: s.slice(0, s.indexOf(':')) as SyncKind, platformId: s.slice(s.indexOf(':') + 1) }));

export const SyncRunSchema = z
  .object({
    connectionId: z.string().min(1, 'must not be empty').optional(),
    entity: EntitySchema.optional(),
    /** Wait for the result (default: only for one record). */
    wait: z.boolean({ invalid_type_error: 'must be true or false' }).optional(),
  })
  .strict()
  .refine((v) => !v.entity || v.connectionId, { path: ['connectionId'], message: 'is required with entity' });

export const syncRoutes: FastifyPluginAsync<SyncRouteDeps> = async (app, deps) => {
  app.post<{ Body: unknown }>('/api/sync', async (request) => {
    const body = parseInput(SyncRunSchema, request.body ?? {});
    let ids: string[];
    if (body.connectionId) {
      if (!(await deps.store.connections.get(body.connectionId))) throw new NotFoundError('connection', body.connectionId);
      ids = [body.connectionId];
    } else {
      ids = (await deps.store.connections.list()).map((c) => c.id);
    }
    const wait = body.wait ?? body.entity !== undefined;
    const stamp = new Date().toISOString();
    const runs = await Promise.all(
      ids.map(async (connectionId) => {
        const input: GlobalSyncInput = { connectionId, ...(body.entity ? { entity: body.entity } : {}) };
        const workflowId = `global-sync/${connectionId}/${body.entity ? `${body.entity.kind}:${body.entity.platformId}/` : ''}manual-${stamp}`;
        const handle = await deps.temporal.workflow.start<typeof globalSyncWorkflow>('globalSyncWorkflow', {
          taskQueue: deps.taskQueue,
          workflowId,
          args: [input],
          staticSummary: `On-demand global sync of ${connectionId}${body.entity ? ` (${body.entity.kind} ${body.entity.platformId})` : ''}`,
        });
        return { connectionId, workflowId, ...(wait ? { result: await handle.result() } : {}) };
      }),
    );
    return { runs };
  });
};
