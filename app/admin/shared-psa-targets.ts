/**
 * Two platform products on one PSA catalog item / service, or two subscriptions on one Autotask
 * contract service, bill as one: their lines carry one product's name, Autotask adds their units
 * on one contract service, and reconciliation compares sums it cannot split
 * (docs/mapping.md "Shared PSA targets"). Nothing refuses it — an MSP may mean it — but every mapping
 * response that makes it, and the subscription's state, says so.
 */
import type { PsaKind, Store, SubscriptionMapping } from '../../activities/store';

const itemNoun = (psa: PsaKind) => (psa === 'connectwise' ? 'ConnectWise catalog item' : 'Autotask service');

/** Linked product mappings of the connection, by PSA id. */
async function productsByPsaId(store: Store, connectionId: string): Promise<Map<number, { platformId: string; psaName?: string }[]>> {
  const out = new Map<number, { platformId: string; psaName?: string }[]>();
  for (let skip = 0; ; skip += 500) {
    const { items } = await store.mappings.products.list(connectionId, { linked: true, limit: 500, skip });
    for (const p of items) {
      if (p.psaId === undefined) continue;
      out.set(p.psaId, [...(out.get(p.psaId) ?? []), { platformId: p.platformId, ...(p.psaName ? { psaName: p.psaName } : {}) }]);
    }
    if (items.length < 500) return out;
  }
}

/** The warning for a product mapped (or about to be) to `psaId` when other products are mapped to it too. */
export async function productSharingWarnings(store: Store, connectionId: string, psa: PsaKind, productId: string, psaId: number): Promise<string[]> {
  const on = (await productsByPsaId(store, connectionId)).get(psaId) ?? [];
  const others = on.filter((p) => p.platformId !== productId).map((p) => p.platformId);
  if (others.length === 0) return [];
  const name = on.find((p) => p.psaName)?.psaName;
  return [
    `product ${productId} shares ${itemNoun(psa)} ${psaId}${name ? ` ("${name}")` : ''} with product ${others.join(', ')}: their lines bill under one name${psa === 'autotask' ? ', one contract service per contract adds up their units,' : ''} and reconciliation cannot tell them apart; map each product to its own ${itemNoun(psa)}`,
  ];
}

/** What a linked subscription shares: its product's catalog item / service with other products, its Autotask contract service with other subscriptions. */
export async function subscriptionSharingWarnings(store: Store, connectionId: string, psa: PsaKind, mapping: SubscriptionMapping | null): Promise<string[]> {
  if (!mapping?.linked || !mapping.productId || mapping.agreementId === undefined) return [];
  const byPsaId = await productsByPsaId(store, connectionId);
  const psaIdOf = (productId: string | undefined) => [...byPsaId].find(([, ps]) => ps.some((p) => p.platformId === productId))?.[0];
  const psaId = psaIdOf(mapping.productId);
  if (psaId === undefined) return [];
  const warnings = await productSharingWarnings(store, connectionId, psa, mapping.productId, psaId);
  if (psa !== 'autotask') return warnings; // ConnectWise gives every subscription its own additions
  const neighbours: string[] = [];
  for (let skip = 0; ; skip += 500) {
    const q = { linked: true, limit: 500, skip, ...(mapping.customerId ? { customerId: mapping.customerId } : {}) };
    const { items } = await store.mappings.subscriptions.list(connectionId, q);
    for (const s of items) {
      if (s.platformId !== mapping.platformId && s.agreementId === mapping.agreementId && psaIdOf(s.productId) === psaId) neighbours.push(s.platformId);
    }
    if (items.length < 500) break;
  }
  if (neighbours.length > 0) {
    warnings.push(
      `subscription ${mapping.platformId} shares the Autotask contract service of service ${psaId} on contract ${mapping.agreementId} with subscription ${neighbours.join(', ')}: Autotask keeps one contract service per service per contract, so their units add up on one line and reconciliation compares their sum; put them on different contracts or services`,
    );
  }
  return warnings;
}
