/**
 * The subscription workflow's view of the mapping store: record what the platform reported,
 * map a subscription automatically when nothing is ambiguous, and keep the mapping document in
 * step with what the PSA holds.
 */
import type { AgreementSummary, AppliedOperation } from './psa/psa-gateway.port';
import { mappedProductIds } from './psa-targets';
import type { GatewayRegistry } from './psa/gateway-registry';
import { placementRules, type Store } from './store';
import type { SubscriptionPlacement } from '../contracts/subscription';
import type { SubscriptionMappingPort } from './subscription.activities';
import { AUTOMATIC_PARTS, lineDescription, type DescriptionSource } from '../domain/line-description';


/** What an automatic placement needs of a subscription. */
export interface PlaceableSubscription {
  id: string;
  customerId: string;
  productId: string;
  quantity: number;
  billingFrequency: 'monthly' | 'yearly';
}

/**
 * A subscription's placement when nothing is ambiguous (README "Events before mapping"): its
 * own linked mapping, or its customer and product mapped and the company holding exactly one
 * agreement/contract; the mapping is then recorded as linked. Otherwise why it waits.
 */
export async function automaticPlacement(
  deps: { store: Store; gateways: GatewayRegistry; now?: () => number },
  connectionId: string,
  s: PlaceableSubscription,
): Promise<{ placement: SubscriptionPlacement } | { waiting: string }> {
  const { store } = deps;
  const existing = await store.mappings.subscriptions.get(connectionId, s.id);
  const connection = await store.connections.get(connectionId);
  if (!connection) return { waiting: `connection ${connectionId} does not exist` };
  const gateway = await deps.gateways.forConnection(connectionId);
  let companyId = existing?.linked ? existing.companyId : undefined;
  let agreementId = existing?.linked ? existing.agreementId : undefined;
  // The company's agreements as read in this call: the one read that both chooses the agreement
  // (a new placement) and checks it is still the company's (an existing one).
  let agreements: AgreementSummary[] | undefined;
  if (companyId === undefined || agreementId === undefined) {
    const customer = await store.mappings.customers.get(connectionId, s.customerId);
    const product = await store.mappings.products.get(connectionId, s.productId);
    if (customer?.status !== 'mapped' || customer.psaId === undefined) return { waiting: `customer ${s.customerId} is not mapped` };
    if (product?.status !== 'mapped') return { waiting: `product ${s.productId} is not mapped` };
    agreements = await gateway.listAgreements(customer.psaId);
    if (agreements.length !== 1) return { waiting: `company ${customer.psaId} has ${agreements.length} agreements: an admin chooses (map the subscription)` };
    companyId = customer.psaId;
    agreementId = agreements[0]!.id;
    // Cutover: a line of this product the MSP bills by hand would be billed twice by a new
    // one. An admin adopts it (`services map --adopt`) or maps without (docs/adopt-and-drift.md).
    const hand = await unownedLinesOf(deps, connectionId, agreementId, product.psaId!);
    if (hand.length > 0) {
      const why = `not mapped automatically: ${connection.psa === 'connectwise' ? 'agreement' : 'contract'} ${agreementId} already has line(s) ${hand.join(', ')} of this product that no subscription owns (billed by hand?); adopt one with \`services map ${s.id} --adopt\`, or map the subscription to bill a new line`;
      await store.mappings.subscriptions.markFailed(connectionId, s.id, why);
      return { waiting: why };
    }
  }
  const agreement = (agreements ?? (await gateway.listAgreements(companyId))).find((a) => a.id === agreementId);
  if (!agreement) return { waiting: `agreement ${agreementId} is not on company ${companyId}` };
  const product = await store.platform.getProduct(s.productId);
  // `sub <id> | <product>` (docs/mapping.md "Line descriptions"); a line of a later product names that one.
  const descriptionSource: DescriptionSource = { productId: s.productId, text: '', include: { ...AUTOMATIC_PARTS }, quantity: s.quantity, billingFrequency: s.billingFrequency };
  const placement: SubscriptionPlacement = {
    psa: connection.psa,
    companyId,
    agreementId,
    agreement: { startDate: agreement.startDate, periodType: agreement.periodType },
    ...placementRules(connection),
    ...(existing?.description ? { description: existing.description } : { description: lineDescription(s.id, descriptionSource, product ?? undefined), descriptionSource }),
    // How an admin said it bills (docs/billing-modes.md): a seat-count or bundled mapping stays so.
    ...(existing?.linked && existing.billing ? { billing: existing.billing } : {}),
  };
  if (!existing?.linked) {
    await store.mappings.subscriptions.markMapped(connectionId, s.id, { companyId, agreementId, productIds: {}, description: placement.description });
  }
  return { placement };
}

/** PSA lines of a product on an agreement, still billing, that no subscription of the connection owns. */
async function unownedLinesOf(deps: { store: Store; gateways: GatewayRegistry; now?: () => number }, connectionId: string, agreementId: number, psaProductId: number): Promise<number[]> {
  const today = new Date(deps.now?.() ?? Date.now()).toISOString().slice(0, 10);
  const lines = (await (await deps.gateways.forConnection(connectionId)).listLines(agreementId)).filter(
    (l) => l.psaProductId === psaProductId && (l.cancelledDate === null || l.cancelledDate >= today),
  );
  if (lines.length === 0) return [];
  const owned = new Set<number>();
  for (let skip = 0; ; skip += 500) {
    const page = await deps.store.mappings.subscriptions.list(connectionId, { linked: true, limit: 500, skip });
    for (const m of page.items) for (const id of Object.values(m.lineIds ?? {})) owned.add(id);
    if (page.items.length < 500) break;
  }
  return lines.filter((l) => !owned.has(l.psaId)).map((l) => l.psaId);
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
      const found = await automaticPlacement(deps, connectionId, { customerId: report.customerId, ...report.subscription });
      return 'placement' in found ? found.placement : null;
    },

    // Cached per connection for a short while: a step then reads no product mappings; a product
    // mapped meanwhile is found at the latest when the cache expires, or at once on a miss.
    productPsaIds: (connectionId, opts) => productIds.get(connectionId, opts),

    async recordApplied(connectionId, subscriptionId, mapping, applied: readonly AppliedOperation[], opts = {}) {
      // The workflow's placement is the authority: no read, one write for the lines and — only
      // when the document does not show it yet — one for the mapping (the step's hot path).
      const link = opts.linkRecorded
        ? null
        : { companyId: mapping.companyId, agreementId: mapping.agreementId, description: mapping.description, ...(mapping.billCustomer ? { billCustomer: mapping.billCustomer } : {}) };
      await store.mappings.subscriptions.recordSynced(connectionId, subscriptionId, link, Object.fromEntries(applied.map((a) => [a.lineKey, a.psaId])));
    },

    async recordFailure(connectionId, subscriptionId, message) {
      await store.mappings.subscriptions.markFailed(connectionId, subscriptionId, message);
    },

    async recordCommitment(connectionId, subscriptionId, report) {
      // Names as the platform calls them now, for lists and mails (read only when the view changes).
      const [customer, product] = await Promise.all([
        report.customerId ? store.platform.getCustomer(report.customerId) : null,
        store.platform.getProduct(report.productId),
      ]);
      await store.commitments.record({
        connectionId,
        subscriptionId,
        customerId: report.customerId,
        ...(customer ? { customerName: customer.name } : {}),
        productId: report.productId,
        ...(product ? { productName: product.name } : {}),
        quantity: report.quantity,
        asOf: report.asOf,
        ...report.commitment,
      });
    },
    async productDetails(productIds) {
      const out: Record<string, { name: string; partNumber: string }> = {};
      for (const id of new Set(productIds)) {
        const p = await store.platform.getProduct(id);
        if (p) out[id] = { name: p.name, partNumber: p.partNumber };
      }
      return out;
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
