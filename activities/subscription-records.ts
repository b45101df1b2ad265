/**
 * The subscription workflow's view of the mapping store: record what the platform reported,
 * map a subscription automatically when nothing is ambiguous, and keep the mapping document in
 * step with what the PSA holds.
 */
import type { AppliedOperation } from './psa/psa-gateway.port';
import { mappedProductIds } from './psa-targets';
import type { GatewayRegistry } from './psa/gateway-registry';
import type { Store } from './store';
import type { SubscriptionPlacement } from '../contracts/subscription';
import type { SubscriptionMappingPort } from './subscription.activities';

/**
 * Line description: the subscription id always comes first, so it survives the PSA's length
 * limit (ConnectWise: 60 characters) and drift or hand-made copies can be found by it.
 */
export function lineDescription(parts: { subscriptionId: string; productName?: string }): string {
  return parts.productName ? `${parts.subscriptionId} ${parts.productName}` : parts.subscriptionId;
}

export function createSubscriptionMappingPort(deps: { store: Store; gateways: GatewayRegistry; now?: () => number }): SubscriptionMappingPort {
  const { store } = deps;
  const productIds = cachedPerConnection((connectionId) => mappedProductIds(store, connectionId), 30_000, deps.now ?? Date.now);
  return {
    async recordReport(connectionId, report) {
      const s = report.subscription;
      const product = await store.platform.getProduct(s.productId);
      const { billCustomer: _billCustomer, ...fields } = s; // a mapping setting, not platform data
      await store.platform.upsertSubscription({
        ...fields,
        connectionId,
        customerId: report.customerId,
        provider: report.provider ?? product?.provider ?? 'unknown',
        status: 'active',
      });
      const customer = await store.platform.getCustomer(report.customerId);
      await store.mappings.subscriptions.track(connectionId, [
        {
          platformId: s.id,
          label: product ? `${product.name} (${s.id})` : s.id,
          customerId: report.customerId,
          ...(customer ? { customerName: customer.name } : {}),
          productId: s.productId,
        },
      ]);
    },

    async autoPlacement(connectionId, report) {
      const s = report.subscription;
      const existing = await store.mappings.subscriptions.get(connectionId, s.id);
      const connection = await store.connections.get(connectionId);
      if (!connection) return null;
      const rules = {
        positiveChange: connection.rules.positiveChange,
        negativeChange: connection.rules.negativeChange,
        cancellation: connection.rules.cancellation,
      };
      const gateway = await deps.gateways.forConnection(connectionId);
      let companyId = existing?.linked ? existing.companyId : undefined;
      let agreementId = existing?.linked ? existing.agreementId : undefined;
      if (companyId === undefined || agreementId === undefined) {
        const customer = await store.mappings.customers.get(connectionId, report.customerId);
        const product = await store.mappings.products.get(connectionId, s.productId);
        if (customer?.status !== 'mapped' || customer.psaId === undefined || product?.status !== 'mapped') return null;
        const agreements = await gateway.listAgreements(customer.psaId);
        if (agreements.length !== 1) return null; // none, or several: an admin chooses
        companyId = customer.psaId;
        agreementId = agreements[0]!.id;
      }
      const agreement = (await gateway.listAgreements(companyId)).find((a) => a.id === agreementId);
      if (!agreement) return null;
      const productName = (await store.platform.getProduct(s.productId))?.name;
      const mapping: SubscriptionPlacement = {
        psa: connection.psa,
        companyId,
        agreementId,
        agreement: { startDate: agreement.startDate, periodType: agreement.periodType },
        rules,
        description: existing?.description ?? lineDescription({ subscriptionId: s.id, productName }),
      };
      if (!existing?.linked) {
        await store.mappings.subscriptions.markMapped(connectionId, s.id, {
          companyId,
          agreementId,
          productIds: {},
          description: mapping.description,
        });
      }
      return mapping;
    },

    // Cached per connection for a short while: a step then reads no product mappings; a product
    // mapped meanwhile is found at the latest when the cache expires, or at once on a miss.
    productPsaIds: (connectionId, opts) => productIds.get(connectionId, opts),

    async recordApplied(connectionId, subscriptionId, mapping, applied: readonly AppliedOperation[]) {
      // The workflow's placement is the authority: two writes, no read (the step's hot path).
      await store.mappings.subscriptions.recordSynced(
        connectionId,
        subscriptionId,
        { companyId: mapping.companyId, agreementId: mapping.agreementId, description: mapping.description, ...(mapping.billCustomer ? { billCustomer: mapping.billCustomer } : {}) },
        Object.fromEntries(applied.map((a) => [a.lineKey, a.psaId])),
      );
    },

    async recordFailure(connectionId, subscriptionId, message) {
      await store.mappings.subscriptions.markFailed(connectionId, subscriptionId, message);
    },

    async recordedLineCount(connectionId, subscriptionId) {
      const doc = await store.mappings.subscriptions.get(connectionId, subscriptionId);
      return Object.keys(doc?.lineIds ?? {}).length;
    },
  };
}

/** A value per connection, reused for `ttlMs`; `{ fresh: true }` reads it again. */
function cachedPerConnection<T>(load: (connectionId: string) => Promise<T>, ttlMs: number, now: () => number) {
  const cache = new Map<string, { value: T; at: number }>();
  return {
    async get(connectionId: string, opts: { fresh?: boolean } = {}): Promise<T> {
      const hit = cache.get(connectionId);
      if (hit && !opts.fresh && now() - hit.at < ttlMs) return hit.value;
      const value = await load(connectionId);
      cache.set(connectionId, { value, at: now() });
      return value;
    },
  };
}
