/**
 * The demo world `npm start` loads: a few platform customers, products and subscriptions with
 * some history, mapped onto the sandboxes' demo companies, agreements and catalog items.
 * One customer is left unmapped on purpose, so the mapping pages and the digest have work.
 */
import type { PlatformInvoiceInput } from '../../activities/store';
import type { SubscriptionEventInput } from '../../domain/schemas';
import type { SubscriptionReport } from '../../contracts/subscription';

export const demoCustomers = [
  { id: 'cust-acme', name: 'Acme Ltd', city: 'Leeds', psaName: { connectwise: 'Acme Ltd', autotask: 'Acme Corporation' } },
  { id: 'cust-globex', name: 'Globex Corporation', city: 'Springfield', psaName: { connectwise: 'Globex Corporation', autotask: 'Globex Ltd' } },
  { id: 'cust-initech', name: 'Initech LLC', city: 'Austin', psaName: { connectwise: 'Initech LLC', autotask: 'Initech LLC' } },
  { id: 'cust-hooli', name: 'Hooli Inc', city: 'Palo Alto', psaName: null },
] as const;

export const demoProducts = [
  { id: 'm365-bp', name: 'Microsoft 365 Business Premium', partNumber: 'CFQ7TTC0LCHC', unitPrice: '22.00', unitCost: '18.70' },
  { id: 'm365-e3', name: 'Microsoft 365 E3', partNumber: 'CFQ7TTC0LFLX', unitPrice: '36.00', unitCost: '30.60' },
  { id: 'm365-e5', name: 'Microsoft 365 E5', partNumber: 'CFQ7TTC0LFLZ', unitPrice: '57.00', unitCost: '48.45' },
] as const;

export interface DemoSubscription {
  report: SubscriptionReport;
  /** Sent with ids `<subscription>-e1`, `-e2`, … (the platform's event ids). */
  events: SubscriptionEventInput[];
}

const sub = (id: string, customerId: string, productId: string, quantity: number, price: string, cost: string, startDate: string, endDate: string): SubscriptionReport => ({
  customerId,
  provider: 'Microsoft CSP',
  subscription: { id, productId, quantity, unitPrice: price, unitCost: cost, startDate, endDate, billingFrequency: 'monthly', autoRenew: true, kind: 'saas' },
});

/** Per PSA: subscription ids are prefixed so both connections can hold the same world. */
export function demoSubscriptions(prefix: string): DemoSubscription[] {
  return [
    {
      report: sub(`${prefix}-acme-bp`, 'cust-acme', 'm365-bp', 10, '22.00', '18.70', '2026-09-01', '2027-08-31'),
      events: [
        { type: 'quantity-changed', date: '2026-09-15', quantity: 14 },
        { type: 'quantity-changed', date: '2026-10-05', quantity: 12 },
        { type: 'quantity-changed', date: '2026-11-03', quantity: 15 },
      ],
    },
    {
      report: sub(`${prefix}-globex-e3`, 'cust-globex', 'm365-e3', 25, '36.00', '30.60', '2026-08-01', '2027-07-31'),
      events: [
        { type: 'partial-upgrade', date: '2026-10-12', quantity: 5, newSubscription: { id: `${prefix}-globex-e5`, productId: 'm365-e5', unitPrice: '57.00', unitCost: '48.45', endDate: '2027-10-11' } },
      ],
    },
    {
      report: sub(`${prefix}-acme-e3`, 'cust-acme', 'm365-e3', 4, '36.00', '30.60', '2026-10-01', '2027-09-30'),
      events: [{ type: 'cancelled', date: '2026-11-10' }],
    },
    { report: sub(`${prefix}-hooli-bp`, 'cust-hooli', 'm365-bp', 30, '22.00', '18.70', '2026-11-01', '2027-10-31'), events: [] },
  ];
}

/**
 * October 2026's final invoices, so a reconciliation run has something to find
 * (`psa-connector reconciliation start -c cw-demo -p "Microsoft CSP" -m 2026-10`): Acme's match
 * what the PSA bills, Globex E3's were prorated differently (a review), and Globex E5's customer
 * invoice has not been issued yet (pending).
 */
export function demoInvoices(prefix: string): PlatformInvoiceInput[] {
  const inv = (sub: string, customerId: string, kind: 'reseller' | 'customer', quantity: number, amount: string): PlatformInvoiceInput => ({
    id: `${kind === 'reseller' ? 'RI' : 'CI'}-2026-10-${prefix}-${sub}`,
    subscriptionId: `${prefix}-${sub}`, customerId, provider: 'Microsoft CSP', month: '2026-10', kind, quantity, amount, issuedOn: '2026-11-08',
  });
  return [
    inv('acme-bp', 'cust-acme', 'reseller', 12, '224.40'),
    inv('acme-bp', 'cust-acme', 'customer', 12, '264.00'),
    inv('globex-e3', 'cust-globex', 'reseller', 20, '640.00'),
    inv('globex-e3', 'cust-globex', 'customer', 20, '745.00'),
    inv('globex-e5', 'cust-globex', 'reseller', 5, '95.20'),
  ];
}
