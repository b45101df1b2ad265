/**
 * The worker process: configuration → MongoDB (indexes ensured) → PSA gateways → Temporal
 * worker running every workflow and activity. SIGINT/SIGTERM shut it down gracefully.
 */
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createSmtpMailer } from '../activities/notifications/mailer';
import { applySchedules } from '../client/schedules';
import { createGatewayRegistry } from '../activities/psa/gateway-registry';
import { connectMongo, createStore, ensureIndexes, parseEncryptionKey } from '../activities/store';
import { connectTemporal } from '../client/temporal';
import { ensureSearchAttributes } from './search-attributes';
import { loadConfig } from './config';
import { workflowSource } from './workflow-source';

async function main(): Promise<void> {
  const config = loadConfig();
  Runtime.install({ logger: new DefaultLogger(config.LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN') });

  const { client: mongo, db } = await connectMongo(config.MONGO_URL);
  await ensureIndexes(db);
  const store = createStore(db, { secretKeys: { current: parseEncryptionKey(config.SECRETS_KEY) } });
  const gateways = createGatewayRegistry({ connections: store.connections, journal: store.journal });

  const { client: temporal, connection } = await connectTemporal({
    address: config.TEMPORAL_ADDRESS,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
  });
  await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);

  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS }),
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...workflowSource(),
    activities: createActivities({ store, gateways, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, db, mailer: createSmtpMailer({ smtpUrl: config.SMTP_URL, from: config.MAIL_FROM }) }),
    shutdownGraceTime: '10 seconds',
  });
  if (config.APPLY_SCHEDULES_ON_START === 'true') {
    const applied = await applySchedules(temporal, await store.connections.list(), {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      digestHourUtc: config.NOTIFICATION_DIGEST_HOUR_UTC,
      seatCountHourUtc: config.SEAT_COUNT_HOUR_UTC,
      idPrefix: config.SCHEDULE_ID_PREFIX,
    });
    console.log(`worker: schedules ${applied.created.length} created, ${applied.updated.length} updated, ${applied.unchanged.length} unchanged, ${applied.deleted.length} deleted`);
  }
  console.log(`worker: polling task queue "${config.TEMPORAL_TASK_QUEUE}" on ${config.TEMPORAL_ADDRESS}`);
  await worker.run(); // returns after SIGINT/SIGTERM (the SDK installs the handlers)
  await connection.close();
  await mongo.close();
}

main().catch((err: unknown) => {
  console.error('worker failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
