/**
 * app/admin/shared-psa-targets.ts (docs/mapping.md "Shared PSA targets"): two products on one
 * catalog item / service, or two Autotask subscriptions on one contract service, are named in
 * a warning; a product or subscription alone on its PSA record gets none.
 */
import { productSharingWarnings, subscriptionSharingWarnings } from '../../app/admin/shared-psa-targets';
import type { Store, SubscriptionMapping } from '../../activities/store';

type Row = Record<string, unknown> & { platformId: string };

/** The two listings the warnings read, over plain rows (paging and the `linked` / `customerId` filters as the store applies them). */
function storeOf(products: Row[], subscriptions: Row[]): Store {
  const lister = (rows: Row[]) => ({
    list: async (_connectionId: string, q: { linked?: boolean; customerId?: string; limit?: number; skip?: number }) => {
      const items = rows.filter((r) => (q.linked === undefined || r.linked === q.linked) && (q.customerId === undefined || r.customerId === q.customerId));
      return { items: items.slice(q.skip ?? 0, (q.skip ?? 0) + (q.limit ?? 50)), total: items.length };
    },
  });
  return { mappings: { products: lister(products), subscriptions: lister(subscriptions) } } as unknown as Store;
}

const product = (platformId: string, psaId: number, psaName: string): Row => ({ platformId, linked: true, psaId, psaName });
const sub = (platformId: string, productId: string, agreementId: number): SubscriptionMapping =>
  ({ platformId, linked: true, status: 'mapped', customerId: 'c-1', productId, agreementId, companyId: 1 }) as unknown as SubscriptionMapping;

describe('shared PSA targets', () => {
  // The demo's old mistake: E5 mapped onto the E3 item (name score 0.821 over a 0.8 cut-off).
  const products = [product('m365-e3', 12, 'Microsoft 365 E3'), product('m365-e5', 12, 'Microsoft 365 E3'), product('m365-bp', 11, 'Microsoft 365 Business Premium')];

  it('warns when a product lands on a catalog item another product is mapped to, naming both', async () => {
    const [warning, ...rest] = await productSharingWarnings(storeOf(products, []), 'cw-1', 'connectwise', 'm365-e5', 12);
    expect(rest).toEqual([]);
    expect(warning).toMatch(/^product m365-e5 shares ConnectWise catalog item 12 \("Microsoft 365 E3"\) with product m365-e3: /);
    expect(await productSharingWarnings(storeOf(products, []), 'cw-1', 'connectwise', 'm365-bp', 11)).toEqual([]);
  });

  it('warns in an Autotask subscription\'s state when another subscription shares its contract service', async () => {
    const subs = [sub('s-e3', 'm365-e3', 2001), sub('s-e5', 'm365-e5', 2001), sub('s-bp', 'm365-bp', 2001), sub('s-e3-other', 'm365-e3', 2002)];
    const store = storeOf(products, subs as unknown as Row[]);
    const warnings = await subscriptionSharingWarnings(store, 'at-1', 'autotask', subs[1]!);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^product m365-e5 shares Autotask service 12/);
    expect(warnings[1]).toMatch(/^subscription s-e5 shares the Autotask contract service of service 12 on contract 2001 with subscription s-e3: /);
    expect(await subscriptionSharingWarnings(store, 'at-1', 'autotask', subs[2]!)).toEqual([]);
    // ConnectWise gives each subscription its own additions: only the product sharing is named.
    expect(await subscriptionSharingWarnings(store, 'cw-1', 'connectwise', subs[1]!)).toHaveLength(1);
  });
});
