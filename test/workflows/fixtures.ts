/** The worked example of docs/billing-rules.md §4 as platform data and lifecycle events. */
import type { SubscriptionPlacement, SubscriptionReport } from '../../contracts/subscription';
import type { SentEvent } from '../support/plan-for';
import type { Harness } from './harness';

export const workedExampleReport = (subscriptionId = 'sub-1'): SubscriptionReport => ({
  customerId: 'cust-acme',
  provider: 'Microsoft CSP',
  subscription: {
    id: subscriptionId, productId: 'm365-bp', quantity: 10, unitPrice: '22.00', unitCost: '18.70',
    startDate: '2026-03-01', endDate: '2027-02-28', billingFrequency: 'monthly', autoRenew: true, kind: 'saas',
  },
});

export const workedExampleEvents: SentEvent[] = [
  { id: 'we-1', event: { type: 'quantity-changed', date: '2026-03-02', quantity: 12 } },
  { id: 'we-2', sequence: 1, event: { type: 'quantity-changed', date: '2026-03-15', quantity: 15 } },
  { id: 'we-3', sequence: 2, event: { type: 'quantity-changed', date: '2026-03-15', quantity: 16 } },
  { id: 'we-4', event: { type: 'quantity-changed', date: '2026-03-20', quantity: 14 } },
  { id: 'we-5', event: { type: 'cancelled', date: '2026-04-10' } },
];

/** A platform event as sent: `{ id, sequence?, ...event }`. */
export const wire = (e: SentEvent): Record<string, unknown> => ({ id: e.id, ...(e.sequence !== undefined ? { sequence: e.sequence } : {}), ...e.event });

/** The rules of the worked example (docs/billing-rules.md §4). */
export const workedExampleRules: SubscriptionPlacement['rules'] = { positiveChange: 'actual-date', negativeChange: 'actual-date', cancellation: 'cancellation-date' };

/** Maps the demo customer Acme and the product M365 Business Premium (both seeded in each sandbox). */
export async function mapAcmeAndProducts(h: Harness): Promise<{ companyId: number }> {
  const gateway = await h.gateways.forConnection(h.connectionId);
  await h.store.platform.upsertCustomer({ id: 'cust-acme', name: 'Acme Ltd' });
  const [company] = await gateway.findCompanies('Acme Ltd');
  await h.store.mappings.customers.markMapped(h.connectionId, 'cust-acme', { psaId: company!.id, psaName: company!.name });
  for (const [id, name, price, cost] of [
    ['m365-bp', 'Microsoft 365 Business Premium', '22.00', '18.70'],
    ['m365-e3', 'Microsoft 365 E3', '36.00', '30.60'],
  ] as const) {
    await h.store.platform.upsertProduct({ id, name, partNumber: id.toUpperCase(), provider: 'Microsoft CSP', unitPrice: price, unitCost: cost, billingFrequency: 'monthly' });
    const [item] = await gateway.findCatalogItems({ name });
    await h.store.mappings.products.markMapped(h.connectionId, id, { psaId: item!.id, psaName: item!.name });
  }
  return { companyId: company!.id };
}
