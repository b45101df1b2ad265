/**
 * The admin HTTP API process: configuration → the runtime (runtime/runtime.ts) → the admin
 * service → fastify on API_HOST:API_PORT. SIGINT/SIGTERM close it gracefully.
 */
import { createUsageCountRepository } from '../../activities/seat-count/usage-counts';
import { createServiceCatalog } from '../../activities/sync/service-catalog.activities';
import { loadConfig } from '../../runtime/config';
import { createRuntime, runtimeSettings } from '../../runtime/runtime';
import { createAdminApi } from './admin-api';

async function main(): Promise<void> {
  const config = loadConfig();
  const rt = await createRuntime(runtimeSettings(config));
  const { store, db, temporal, connection, gateways } = rt;
  const app = createAdminApi({
    service: rt.mappingService(),
    store,
    access: { tokens: store.tokens, audit: store.audit, ...(config.ADMIN_BOOTSTRAP_TOKEN ? { bootstrapToken: config.ADMIN_BOOTSTRAP_TOKEN } : {}) },
    health: {
      mongo: () => db.command({ ping: 1 }),
      temporal: () => connection.healthService.check({}),
    },
    operations: {
      temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, store, usage: createUsageCountRepository(db),
      catalog: createServiceCatalog({ store, gateways, db }),
      schedules: { taskQueue: config.TEMPORAL_TASK_QUEUE, digestHourUtc: config.NOTIFICATION_DIGEST_HOUR_UTC, seatCountHourUtc: config.SEAT_COUNT_HOUR_UTC, idPrefix: config.SCHEDULE_ID_PREFIX },
    },
    console: {
      links: { temporalNamespace: config.TEMPORAL_NAMESPACE, ...(config.TEMPORAL_UI_URL ? { temporalUiUrl: config.TEMPORAL_UI_URL } : {}) },
      secureCookie: config.CONSOLE_SECURE_COOKIE === 'true',
    },
    // The message only: a stack trace adds nothing for the operator and may quote request data.
    onError: (error, route) => console.error(`api: ${route} failed: ${error instanceof Error ? error.message : String(error)}`),
  });
  await app.listen({ host: config.API_HOST, port: config.API_PORT });
  console.log(`api: listening on http://${config.API_HOST}:${config.API_PORT}/api, console http://${config.API_HOST}:${config.API_PORT}/console (Temporal ${config.TEMPORAL_ADDRESS}, task queue "${config.TEMPORAL_TASK_QUEUE}")`);
  if (!config.ADMIN_BOOTSTRAP_TOKEN && (await store.tokens.list()).length === 0) {
    console.log('api: no API token exists yet: create one with `psa-connector tokens create --name NAME --role admin` (MONGO_URL set), or set ADMIN_BOOTSTRAP_TOKEN');
  }

  const shutdown = async () => {
    await app.close();
    await rt.close();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      shutdown().then(
        () => process.exit(0),
        (err: unknown) => {
          console.error('api: shutdown failed:', err instanceof Error ? err.message : err);
          process.exit(1);
        },
      );
    });
  }
}

main().catch((err: unknown) => {
  console.error('api failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
