/**
 * Where a mapped subscription's lines go, with every platform product the connection has mapped
 * resolved to its PSA catalog item / service id. One place for it, so the subscription
 * workflow, the reconciliation and the seat-count job write lines for the same products.
 */
import type { PsaTarget } from './psa/psa-gateway.port';
import { psaTargetOf, type Store, type SubscriptionMapping } from './store';

const PAGE = 500;

/** Platform product id → PSA id, for every product mapped on the connection. */
export async function mappedProductIds(store: Pick<Store, 'mappings'>, connectionId: string): Promise<Record<string, number>> {
  const ids: Record<string, number> = {};
  for (let skip = 0; ; skip += PAGE) {
    const page = await store.mappings.products.list(connectionId, { status: 'mapped', limit: PAGE, skip });
    for (const p of page.items) if (p.psaId !== undefined) ids[p.platformId] = p.psaId;
    if (page.items.length < PAGE) return ids;
  }
}

/** The subscription's target (null while not linked); its own product ids win over the connection's. */
export async function resolvePsaTarget(store: Pick<Store, 'mappings'>, connectionId: string, mapping: SubscriptionMapping): Promise<PsaTarget | null> {
  const target = psaTargetOf(mapping);
  if (!target) return null;
  return { ...target, productIds: { ...(await mappedProductIds(store, connectionId)), ...target.productIds } };
}
