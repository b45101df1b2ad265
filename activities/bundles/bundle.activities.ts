/**
 * Activities of bundles (docs/billing-modes.md "Bundles"): the bundle's workflow reads its
 * definition from the store and writes its ONE line through the same journaled step the
 * subscription workflow uses (`applyOperations` of subscription.activities.ts, with the bundle's
 * record as the place the line ids go); a member's workflow sends its billed values to the
 * bundle's workflow.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { BundleMemberReport, BundleMessenger, BundleSpec } from '../../contracts/bundle';
import { bundleLineOwner } from '../../domain/bundle-billing';
import { DEFAULT_SYNC_RULES } from '../../domain/schemas';
import type { GatewayRegistry } from '../psa/gateway-registry';
import type { Store } from '../store';
import { createSubscriptionActivities, type SubscriptionMappingPort } from '../subscription.activities';

export interface BundleActivityDeps {
  store: Store;
  gateways: GatewayRegistry;
  /** Tells bundle workflows (absent on workers built without a Temporal client: reporting then fails, non-retryable). */
  bundles?: BundleMessenger;
}

const PAGE = 1000;

/**
 * The subscription writer's port over a bundle record: line ids and failures go to the bundle
 * (its id travels where a subscription id would); the product the line bills is the bundle's
 * PSA catalog item / service, named `bundle-<id>` in the plan.
 */
function bundleRecordsPort(store: Store): SubscriptionMappingPort {
  const unused = (what: string) => () => Promise.reject(new Error(`${what} is not part of a bundle's write`));
  return {
    recordReport: unused('recordReport'),
    autoPlacement: unused('autoPlacement'),
    recordedLineCount: unused('recordedLineCount'),
    recordCommitment: unused('recordCommitment'),
    // A bundle's placement has no descriptionSource: its lines keep the bundle's one text.
    productDetails: unused('productDetails'),
    async productPsaIds(connectionId) {
      const ids: Record<string, number> = {};
      for (let skip = 0; ; skip += PAGE) {
        const page = await store.bundles.list(connectionId, { limit: PAGE, skip });
        for (const b of page.items) ids[bundleLineOwner(b.id)] = b.psaProductId;
        if (page.items.length < PAGE) return ids;
      }
    },
    recordApplied: (connectionId, bundleId, _placement, applied) => store.bundles.recordApplied(connectionId, bundleId, Object.fromEntries(applied.map((a) => [a.lineKey, a.psaId]))),
    recordFailure: (connectionId, bundleId, message) => store.bundles.markFailed(connectionId, bundleId, message),
  };
}

export function createBundleActivities(deps: BundleActivityDeps) {
  const writer = createSubscriptionActivities({
    mappings: bundleRecordsPort(deps.store),
    gateways: deps.gateways,
    journal: deps.store.journal,
    archive: deps.store.archive,
    handOver: () => Promise.reject(new Error('a bundle has no partial upgrades')),
  });
  return {
    /** The bundle as the store holds it now (null: deleted before it ever billed). */
    async loadBundle(input: { connectionId: string; bundleId: string }): Promise<BundleSpec | null> {
      const b = await deps.store.bundles.get(input.connectionId, input.bundleId);
      if (!b) return null;
      return {
        terms: { id: b.id, mode: b.mode, ...(b.unitPrice !== undefined ? { unitPrice: b.unitPrice } : {}), ...(b.unitCost !== undefined ? { unitCost: b.unitCost } : {}) },
        placement: {
          psa: b.psa, companyId: b.companyId, agreementId: b.agreementId, agreement: b.agreement, rules: DEFAULT_SYNC_RULES, description: b.description,
          ...(b.billCustomer ? { billCustomer: b.billCustomer } : {}),
        },
        psaProductId: b.psaProductId,
        members: b.members,
        endFrom: b.endFrom ?? null,
      };
    },

    /** One step of the bundle's line: the subscription writer's `applyOperations`, `subscriptionId` = the bundle id. */
    applyBundleOperations: writer.applyOperations,

    /** A member's billed values to its bundle's workflow (which starts on the first). */
    async reportBundleMember(input: { connectionId: string; bundleId: string; report: BundleMemberReport }): Promise<void> {
      if (!deps.bundles) throw ApplicationFailure.nonRetryable('this worker cannot reach bundle workflows (no Temporal client)', 'BundlesNotConfigured');
      await deps.bundles.reportMember(input.connectionId, input.bundleId, input.report);
    },
  };
}

export type BundleActivities = ReturnType<typeof createBundleActivities>;
