/**
 * All activities, composed from their factories. The worker builds the dependencies once
 * (MongoDB store, PSA gateways, Temporal client, mailer) and passes them in; tests pass real
 * local servers the same way.
 */
import type { Db } from 'mongodb';
import type { Mailer } from './notifications/mailer';
import { createNotificationActivities } from './notifications/notification.activities';
import { createSeatCountActivities } from './seat-count/seat-count.activities';
import { createUsageCountRepository } from './seat-count/usage-counts';
import { createGlobalSyncActivities } from './sync/global-sync.activities';
import { createDriftActivities } from './sync/drift.activities';
import { createServiceCatalogActivities } from './sync/service-catalog.activities';
import { createSubscriptionMappingPort } from './subscription-records';
import { createReconciliationActivities } from './reconciliation/reconciliation.activities';
import type { GatewayRegistry } from './psa/gateway-registry';
import type { Store } from './store';
import { createSubscriptionActivities } from './subscription.activities';
import type { SubscriptionMessenger } from '../contracts/subscription';
import type { BundleMessenger } from '../contracts/bundle';
import { createBundleActivities } from './bundles/bundle.activities';

export interface ActivityDeps {
  store: Store;
  gateways: GatewayRegistry;
  /** Tells other subscription workflows (a partial upgrade's new subscription). */
  subscriptions: Pick<SubscriptionMessenger, 'handOver' | 'state' | 'reportDrift'>;
  taskQueue: string;
  /** The store's database, for the seat-count, catalog-status and digest collections (optional: tests without them). */
  db?: Db;
  /** §8 digests (SMTP_URL / MAIL_FROM); without it the digest activity fails, non-retryable. */
  mailer?: Mailer;
  /** Tells bundle workflows (a member's billed values, docs/billing-modes.md). */
  bundles?: BundleMessenger;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createReconciliationActivities(deps),
    ...createGlobalSyncActivities({ store: deps.store, gateways: deps.gateways }),
    ...createDriftActivities({ store: deps.store, gateways: deps.gateways, subscriptions: deps.subscriptions, ...(deps.db ? { db: deps.db } : {}) }),
    ...createServiceCatalogActivities(deps),
    ...createSeatCountActivities({ ...deps, ...(deps.db ? { usage: createUsageCountRepository(deps.db) } : {}) }),
    ...createNotificationActivities(deps),
    ...createBundleActivities({ store: deps.store, gateways: deps.gateways, ...(deps.bundles ? { bundles: deps.bundles } : {}) }),
    ...createSubscriptionActivities({
      mappings: createSubscriptionMappingPort(deps),
      gateways: deps.gateways,
      journal: deps.store.journal,
      archive: deps.store.archive,
      handOver: (connectionId, notice) => deps.subscriptions.handOver(connectionId, notice),
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
