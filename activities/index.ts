/**
 * All activities, composed from their factories. The worker builds the dependencies once
 * (MongoDB store, PSA gateways, Temporal client, mailer) and passes them in; tests pass real
 * local servers the same way.
 */
import type { Client } from '@temporalio/client';
import { createSubscriptionMappingPort } from './mapping/subscription-mapping';
import { createReconciliationActivities } from './reconciliation/reconciliation.activities';
import type { GatewayRegistry } from './psa/gateway-registry';
import type { Store } from './store';
import { createSubscriptionActivities } from './subscription.activities';
import { createPlatformClient } from '../client/platform-client';

export interface ActivityDeps {
  store: Store;
  gateways: GatewayRegistry;
  temporal: Client;
  taskQueue: string;
}

export function createActivities(deps: ActivityDeps) {
  const platform = createPlatformClient(deps.temporal, { taskQueue: deps.taskQueue });
  return {
    ...createReconciliationActivities(deps),
    ...createSubscriptionActivities({
      mappings: createSubscriptionMappingPort(deps),
      gateways: deps.gateways,
      async startSubscription(connectionId, report, mapping) {
        await platform.reportSubscription(connectionId, report);
        if (mapping) await platform.mapSubscription(connectionId, report.subscription.id, mapping);
      },
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
