/**
 * Mapping clashes the workbench warns about (pure, from the mapping lists): two platform
 * products on one PSA catalog item / service (their lines could no longer be told apart), and
 * two subscriptions whose lines would land on the same PSA item of one agreement / contract
 * (docs/billing-rules.md §7: "reported as an error instead of guessed at"; Autotask holds a service
 * once per contract).
 */
export interface ProductLinkView {
  platformId: string;
  label?: string;
  psaId?: number;
  psaName?: string;
  linked: boolean;
}

export interface SubscriptionLinkView {
  platformId: string;
  label?: string;
  agreementId?: number;
  productIds?: Record<string, number>;
  linked: boolean;
}

export interface MappingConflict {
  kind: 'product' | 'subscription';
  /** The PSA catalog item / service both land on. */
  psaId: number;
  agreementId?: number;
  /** The platform ids that collide. */
  platformIds: string[];
  message: string;
}

const named = (ids: Array<{ platformId: string; label?: string }>) => ids.map((x) => (x.label ? `${x.label} (${x.platformId})` : x.platformId)).join(' and ');

export function mappingConflicts(products: readonly ProductLinkView[], subscriptions: readonly SubscriptionLinkView[], psaNoun = 'PSA item'): MappingConflict[] {
  const out: MappingConflict[] = [];
  const byItem = new Map<number, ProductLinkView[]>();
  for (const p of products) if (p.linked && p.psaId !== undefined) byItem.set(p.psaId, [...(byItem.get(p.psaId) ?? []), p]);
  for (const [psaId, ps] of byItem) {
    if (ps.length < 2) continue;
    out.push({ kind: 'product', psaId, platformIds: ps.map((p) => p.platformId), message: `Products ${named(ps)} are all mapped to ${psaNoun} #${psaId}${ps[0]!.psaName ? ` (${ps[0]!.psaName})` : ''}: their lines could not be told apart` });
  }
  const byPlace = new Map<string, { agreementId: number; psaId: number; subs: SubscriptionLinkView[] }>();
  for (const s of subscriptions) {
    if (!s.linked || s.agreementId === undefined) continue;
    for (const psaId of new Set(Object.values(s.productIds ?? {}))) {
      const key = `${s.agreementId}/${psaId}`;
      const place = byPlace.get(key) ?? { agreementId: s.agreementId, psaId, subs: [] };
      place.subs.push(s);
      byPlace.set(key, place);
    }
  }
  for (const { agreementId, psaId, subs } of byPlace.values()) {
    if (subs.length < 2) continue;
    out.push({ kind: 'subscription', psaId, agreementId, platformIds: subs.map((s) => s.platformId), message: `Subscriptions ${named(subs)} bill ${psaNoun} #${psaId} on the same agreement #${agreementId}: one line per product and agreement is expected` });
  }
  return out;
}

/** Would mapping `platformId` to `psaId` put a second product on that item? The product already there, or null. */
export function productHolding(products: readonly ProductLinkView[], platformId: string, psaId: number): ProductLinkView | null {
  return products.find((p) => p.linked && p.psaId === psaId && p.platformId !== platformId) ?? null;
}
