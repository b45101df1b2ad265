/**
 * The composition root: what every process of the connector is built from, made once per
 * process — MongoDB (indexes ensured) and its repositories, ONE PSA gateway registry (Autotask's
 * hourly request budget is counted by the gateway that makes the requests), the Temporal client
 * and the client library that talks to subscription workflows. The worker, the admin API, the
 * demo loader and the test harnesses all start here; only what is process-specific (the Temporal
 * worker, fastify) is built by them.
 */
import type { Client, Connection } from '@temporalio/client';
import type { Db, MongoClient } from 'mongodb';
import { createActivities, type Activities } from '../activities';
import { createSmtpMailer, type Mailer } from '../activities/notifications/mailer';
import { createGatewayRegistry, type GatewayRegistry } from '../activities/psa/gateway-registry';
import { connectMongo, createStore, ensureIndexes, parseEncryptionKey, type Store } from '../activities/store';
import { createMappingService, type MappingService } from '../app/admin/mapping-service';
import type { ConnectionSchedules } from '../app/admin/mapping-service.deps';
import { createMappingSettingsRepository } from '../app/admin/mapping-settings';
import { createOutboundPolicy } from '../app/admin/outbound-policy';
import { createPlatformClient } from '../client/platform-client';
import { applyConnectionSchedules, type ScheduleSettings } from '../client/schedules';
import { createBundleClient } from '../client/bundle-client';
import type { BundleMessenger } from '../contracts/bundle';
import { connectTemporal } from '../client/temporal';
import type { SubscriptionMessenger } from '../contracts/subscription';
import type { Config } from './config';
import type { OutboundAllowEntry } from '../app/admin/outbound-policy';

/** The settings a runtime needs (a subset of the process configuration, so tests can pass their own). */
export interface RuntimeSettings {
  mongoUrl: string;
  secretsKey: string;
  temporal: { address: string; namespace: string; taskQueue: string };
  /** How long an event, report or mapping waits for a worker before it is queued (default 10 s). */
  messageAcceptTimeoutMs?: number;
  /** Digest mail; without it the digest activity refuses (non-retryable). */
  smtp?: { url: string; from: string };
  /** Internal hosts connection URLs may reach (docs/security.md). */
  outboundAllowList?: readonly OutboundAllowEntry[];
  /** The Schedules' settings (hours, id prefix): with them, connection changes apply their Schedules themselves. */
  schedules?: Omit<ScheduleSettings, 'taskQueue'>;
}

export const runtimeSettings = (config: Config): RuntimeSettings => ({
  mongoUrl: config.MONGO_URL,
  secretsKey: config.SECRETS_KEY,
  temporal: { address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE },
  messageAcceptTimeoutMs: config.MESSAGE_ACCEPT_TIMEOUT_MS,
  smtp: { url: config.SMTP_URL, from: config.MAIL_FROM },
  outboundAllowList: config.OUTBOUND_ALLOWLIST,
  schedules: { digestHourUtc: config.NOTIFICATION_DIGEST_HOUR_UTC, seatCountHourUtc: config.SEAT_COUNT_HOUR_UTC, idPrefix: config.SCHEDULE_ID_PREFIX },
});

export interface Runtime {
  settings: RuntimeSettings;
  mongo: MongoClient;
  db: Db;
  store: Store;
  gateways: GatewayRegistry;
  temporal: Client;
  /** The Temporal connection under `temporal` (health checks, operator calls). */
  connection: Connection;
  /** The client library on `temporal`: what the admin service and the activities tell subscription workflows. */
  subscriptions: SubscriptionMessenger;
  /** What the admin service and the activities tell bundle workflows (docs/billing-modes.md). */
  bundles: BundleMessenger;
  mailer: Mailer | undefined;
  /** A connection's Schedules on this Temporal (present when the settings give the Schedules' settings). */
  connectionSchedules: ConnectionSchedules | undefined;
  /** Every activity, built from this runtime's dependencies. */
  activities(): Activities;
  /** The admin application service (HTTP API, console). */
  mappingService(opts?: { stateQueryTimeoutMs?: number }): MappingService;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Wraps each connection attempt (the worker waits for servers that are still starting). */
  retry?: <T>(what: string, attempt: () => Promise<T>) => Promise<T>;
  /** An existing Temporal client (the time-skipping test environment's); not closed by `close()`. */
  temporal?: { client: Client; connection: Connection };
  /** Run once the Temporal connection is up (the worker registers its search attributes). */
  onTemporal?: (connection: Connection) => Promise<void>;
}

export async function createRuntime(settings: RuntimeSettings, options: RuntimeOptions = {}): Promise<Runtime> {
  const retry = options.retry ?? (<T>(_what: string, attempt: () => Promise<T>) => attempt());
  const { client: mongo, db } = await retry(`MongoDB at ${redactedUrl(settings.mongoUrl)}`, async () => {
    const m = await connectMongo(settings.mongoUrl);
    try {
      await ensureIndexes(m.db);
      return m;
    } catch (e) {
      await m.client.close().catch(() => undefined);
      throw e;
    }
  });
  const store = createStore(db, { secretKeys: { current: parseEncryptionKey(settings.secretsKey) } });
  const gateways = createGatewayRegistry({ connections: store.connections, journal: store.journal });
  const { address, namespace, taskQueue } = settings.temporal;
  const ownTemporal = !options.temporal;
  const temporal =
    options.temporal ??
    (await retry(`Temporal at ${address} (namespace ${namespace})`, async () => {
      const c = await connectTemporal({ address, namespace, taskQueue });
      try {
        await options.onTemporal?.(c.connection);
        return c;
      } catch (e) {
        await c.connection.close().catch(() => undefined);
        throw e;
      }
    }));
  const subscriptions = createPlatformClient(temporal.client, { taskQueue, ...(settings.messageAcceptTimeoutMs ? { acceptTimeoutMs: settings.messageAcceptTimeoutMs } : {}) });
  const bundles = createBundleClient(temporal.client, { taskQueue });
  const mailer = settings.smtp ? createSmtpMailer({ smtpUrl: settings.smtp.url, from: settings.smtp.from }) : undefined;
  const scheduleSettings = settings.schedules;
  const connectionSchedules: ConnectionSchedules | undefined = scheduleSettings
    ? { apply: (connectionId, connection) => applyConnectionSchedules(temporal.client, connectionId, connection, { ...scheduleSettings, taskQueue }) }
    : undefined;

  return {
    settings,
    mongo,
    db,
    store,
    gateways,
    temporal: temporal.client,
    connection: temporal.connection,
    subscriptions,
    bundles,
    mailer,
    connectionSchedules,
    activities: () => createActivities({ store, gateways, subscriptions, bundles, taskQueue, db, ...(mailer ? { mailer } : {}) }),
    mappingService: (opts = {}) =>
      createMappingService({
        store,
        gateways,
        journal: store.journal,
        platform: subscriptions,
        bundles,
        settings: createMappingSettingsRepository(db),
        outbound: createOutboundPolicy(settings.outboundAllowList ?? []),
        ...(connectionSchedules ? { schedules: connectionSchedules } : {}),
        ...(opts.stateQueryTimeoutMs !== undefined ? { stateQueryTimeoutMs: opts.stateQueryTimeoutMs } : {}),
      }),
    async close() {
      if (ownTemporal) await temporal.connection.close().catch(() => undefined);
      await mongo.close();
    },
  };
}

/** A URL for messages: the password replaced. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    u.search = '';
    return u.toString();
  } catch {
    return '(MONGO_URL)';
  }
}
