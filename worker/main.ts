/**
 * The worker process: configuration → MongoDB (indexes ensured) → PSA gateways → Temporal
 * worker running every workflow and activity. SIGINT/SIGTERM shut it down gracefully.
 * MongoDB and Temporal may still be starting: each step waits for them (startup-retry.ts),
 * printing its progress, for up to STARTUP_BUDGET_SECONDS in all.
 */
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createSmtpMailer } from '../activities/notifications/mailer';
import { applySchedules } from '../client/schedules';
import { createGatewayRegistry } from '../activities/psa/gateway-registry';
import { connectMongo, createStore, ensureIndexes, parseEncryptionKey } from '../activities/store';
import { connectTemporal } from '../client/temporal';
import { ensureSearchAttributes } from './search-attributes';
import { loadConfig } from './config';
import { workflowSource } from './workflow-source';
import { retryStartupStep, startupBudget } from './startup-retry';
import { createWorkerLogger } from './worker-logger';

/** How long start-up waits for MongoDB and Temporal, in all, before it gives up. */
const STARTUP_BUDGET_SECONDS = 120;
const log = (line: string) => console.log(`worker: ${line}`);

async function main(): Promise<void> {
  const config = loadConfig();
  Runtime.install({ logger: createWorkerLogger(config.LOG_LEVEL) });
  const budget = startupBudget(STARTUP_BUDGET_SECONDS, log);

  const { client: mongo, db } = await retryStartupStep(`MongoDB at ${redactedUrl(config.MONGO_URL)}`, async () => {
    const m = await connectMongo(config.MONGO_URL);
    try {
      await ensureIndexes(m.db);
      return m;
    } catch (e) {
      await m.client.close().catch(() => undefined);
      throw e;
    }
  }, budget);
  const store = createStore(db, { secretKeys: { current: parseEncryptionKey(config.SECRETS_KEY) } });
  const gateways = createGatewayRegistry({ connections: store.connections, journal: store.journal });

  const temporalName = `Temporal at ${config.TEMPORAL_ADDRESS} (namespace ${config.TEMPORAL_NAMESPACE})`;
  const { client: temporal, connection, nativeConnection } = await retryStartupStep(temporalName, async () => {
    const c = await connectTemporal({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE });
    try {
      await ensureSearchAttributes(c.connection, config.TEMPORAL_NAMESPACE);
      return { ...c, nativeConnection: await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS }) };
    } catch (e) {
      await c.connection.close().catch(() => undefined);
      throw e;
    }
  }, budget);

  const worker = await Worker.create({
    connection: nativeConnection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...workflowSource(),
    activities: createActivities({ store, gateways, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, db, mailer: createSmtpMailer({ smtpUrl: config.SMTP_URL, from: config.MAIL_FROM }) }),
    shutdownGraceTime: '10 seconds',
  });
  if (config.APPLY_SCHEDULES_ON_START === 'true') {
    // Idempotent, so a retry after a half-done attempt finishes the job.
    const applied = await retryStartupStep(`applying the schedules on ${temporalName}`, async () =>
      applySchedules(temporal, await store.connections.list(), {
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        digestHourUtc: config.NOTIFICATION_DIGEST_HOUR_UTC,
        seatCountHourUtc: config.SEAT_COUNT_HOUR_UTC,
        idPrefix: config.SCHEDULE_ID_PREFIX,
      }), budget);
    console.log(`worker: schedules ${applied.created.length} created, ${applied.updated.length} updated, ${applied.unchanged.length} unchanged, ${applied.deleted.length} deleted`);
  }
  console.log(`worker: polling task queue "${config.TEMPORAL_TASK_QUEUE}" on ${config.TEMPORAL_ADDRESS}`);
  await worker.run(); // returns after SIGINT/SIGTERM (the SDK installs the handlers)
  await connection.close();
  await nativeConnection.close();
  await mongo.close();
}

/** A URL for messages: the password replaced. */
function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    u.search = '';
    return u.toString();
  } catch {
    return '(MONGO_URL)';
  }
}

main().catch((err: unknown) => {
  console.error('worker failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
