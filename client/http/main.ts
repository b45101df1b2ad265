/**
 * The admin HTTP API process: configuration (worker/config.ts) → MongoDB → Temporal client →
 * mapping service → fastify on API_HOST:API_PORT. SIGINT/SIGTERM close it gracefully.
 */
import { createMappingService } from '../../activities/mapping/mapping-service';
import { createMappingSettingsRepository } from '../../activities/mapping/mapping-settings';
import { createGatewayRegistry } from '../../activities/psa/gateway-registry';
import { connectMongo, createStore, ensureIndexes, parseEncryptionKey } from '../../activities/store';
import { loadConfig } from '../../worker/config';
import { createPlatformClient } from '../platform-client';
import { connectTemporal } from '../temporal';
import { createAdminApi } from './admin-api';
import { createUsageCountRepository } from '../../activities/seat-count/usage-counts';
import { createServiceCatalog } from '../../activities/sync/service-catalog.activities';
import { createOutboundPolicy } from '../../activities/mapping/outbound-policy';

async function main(): Promise<void> {
  const config = loadConfig();
  const { client: mongo, db } = await connectMongo(config.MONGO_URL);
  await ensureIndexes(db);
  const store = createStore(db, { secretKeys: { current: parseEncryptionKey(config.SECRETS_KEY) } });
  const { client: temporal, connection } = await connectTemporal({
    address: config.TEMPORAL_ADDRESS,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
  });
  const service = createMappingService({
    outbound: createOutboundPolicy(config.OUTBOUND_ALLOWLIST),
    store,
    gateways: createGatewayRegistry({ connections: store.connections, journal: store.journal }),
    journal: store.journal,
    platform: createPlatformClient(temporal, { taskQueue: config.TEMPORAL_TASK_QUEUE, acceptTimeoutMs: config.MESSAGE_ACCEPT_TIMEOUT_MS }),
    temporal,
    settings: createMappingSettingsRepository(db),
  });
  const app = createAdminApi({
    service,
    store,
    access: { tokens: store.tokens, audit: store.audit, ...(config.ADMIN_BOOTSTRAP_TOKEN ? { bootstrapToken: config.ADMIN_BOOTSTRAP_TOKEN } : {}) },
    health: {
      mongo: () => db.command({ ping: 1 }),
      temporal: () => connection.healthService.check({}),
    },
    operations: {
      temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, store, usage: createUsageCountRepository(db),
      catalog: createServiceCatalog({ store, gateways: createGatewayRegistry({ connections: store.connections, journal: store.journal }), db }),
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
    await connection.close();
    await mongo.close();
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
