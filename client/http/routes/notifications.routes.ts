/**
 * `/api/connections/:id/notifications`: §8 preferences (opt-in, recipients, per-template
 * toggles) and a send-now that runs today's digest at once — still at most one mail per
 * template per day, and none when nothing changed.
 */
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsync } from 'fastify';
import type { MappingService } from '../../../app/admin/mapping-service';
import { NotFoundError, type Store } from '../../../activities/store';
import type { notificationDigestWorkflow } from '../../../workflows/notification-digest.workflow';

export interface NotificationRouteDeps {
  temporal: Client;
  taskQueue: string;
  store: Pick<Store, 'connections'>;
}

type Id = { Params: { id: string } };

/** The connection operations: a change of the preferences applies the digest's Schedule first (admin-api.ts passes them). */
type NotificationPluginDeps = NotificationRouteDeps & { connections: Pick<MappingService['connections'], 'updateNotifications'> };

export const notificationRoutes: FastifyPluginAsync<NotificationPluginDeps> = async (app, deps) => {
  const connection = async (id: string) => {
    const conn = await deps.store.connections.get(id);
    if (!conn) throw new NotFoundError('connection', id);
    return conn;
  };

  app.get<Id>('/api/connections/:id/notifications', async (request) => (await connection(request.params.id)).notifications);

  /**
   * Changes only the given preferences (recipients are replaced as a whole; 400 with problems);
   * the digest's Schedule follows (docs/mapping.md "Schedules follow connections").
   */
  app.put<Id & { Body: unknown }>('/api/connections/:id/notifications', async (request) =>
    deps.connections.updateNotifications(request.params.id, request.body ?? {}),
  );

  app.post<Id>('/api/connections/:id/notifications/send-now', async (request) => {
    const conn = await connection(request.params.id);
    const day = new Date().toISOString().slice(0, 10);
    const outcomes = await deps.temporal.workflow.execute<typeof notificationDigestWorkflow>('notificationDigestWorkflow', {
      taskQueue: deps.taskQueue,
      workflowId: `notification-digest/${conn.id}/manual-${new Date().toISOString()}`,
      args: [{ connectionId: conn.id, day }],
      staticSummary: `On-demand notification digest of ${conn.id}`,
    });
    return { day, outcomes };
  });
};
