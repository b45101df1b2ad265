import type { Db, MongoClient } from 'mongodb';
import { createPlatformRepository, StoreInputError, type PlatformRepository } from '../../activities/store';
import { openTestDb } from './store-db';

describe('platform records', () => {
  let client: MongoClient;
  let db: Db;
  let p: PlatformRepository;
  beforeAll(async () => {
    ({ client, db } = await openTestDb('store_platform'));
    p = createPlatformRepository(db);
  });
  afterAll(async () => {
    await client.close();
  });

  const sub = {
    connectionId: 'conn-a',
    id: 'sub-1',
    customerId: 'c1',
    productId: 'm365-bp',
    provider: 'Microsoft CSP',
    quantity: 10,
    unitPrice: '22',
    unitCost: '18.7',
    startDate: '2026-03-01',
    endDate: '2027-02-28',
    billingFrequency: 'monthly' as const,
    autoRenew: true,
    status: 'active' as const,
  };

  it('upserts and reads back customers, products and subscriptions (money normalized, defaults filled)', async () => {
    await p.upsertCustomer({ id: 'c1', name: 'Acme Inc', city: 'Tampa', country: 'US' });
    await p.upsertCustomer({ id: 'c2', name: 'Dunco Fruit Supply' });
    await p.upsertProduct({ id: 'm365-bp', name: 'Microsoft 365 Business Premium', partNumber: 'CFQ7TTC0LCHC', provider: 'Microsoft CSP', unitPrice: '22.00', unitCost: '18.70', billingFrequency: 'monthly' });
    await p.upsertProduct({ id: 'gws', name: 'Google Workspace', partNumber: 'GWS-1', provider: 'Google', unitPrice: '6', unitCost: '5', billingFrequency: 'yearly', kind: 'saas' });
    expect(await p.upsertSubscription(sub)).toMatchObject({ unitPrice: '22.00', unitCost: '18.70', kind: 'saas' });
    await p.upsertSubscription({ ...sub, id: 'sub-2', customerId: 'c2', status: 'cancelled' });
    expect(await p.getCustomer('c1')).toEqual({ id: 'c1', name: 'Acme Inc', city: 'Tampa', country: 'US' });
    expect(await p.getProduct('m365-bp')).toMatchObject({ kind: 'saas', partNumber: 'CFQ7TTC0LCHC' });
    expect(await p.getSubscription('conn-a', 'sub-1')).toEqual({ ...sub, unitPrice: '22.00', unitCost: '18.70', kind: 'saas' });
    expect(await p.getSubscription('conn-a', 'nope')).toBeNull();
    expect(await p.getSubscription('conn-b', 'sub-1')).toBeNull();
  });

  it('an upsert replaces the record whole (fields the platform dropped disappear)', async () => {
    await p.upsertCustomer({ id: 'c1', name: 'Acme Incorporated' });
    expect(await p.getCustomer('c1')).toEqual({ id: 'c1', name: 'Acme Incorporated' });
  });

  it('keeps subscriptions per connection: reporting one on connection B leaves what A holds untouched', async () => {
    await p.upsertSubscription({ ...sub, connectionId: 'conn-b', unitPrice: '99.00', quantity: 1 });
    expect(await p.getSubscription('conn-a', 'sub-1')).toMatchObject({ unitPrice: '22.00', quantity: 10 });
    expect(await p.getSubscription('conn-b', 'sub-1')).toMatchObject({ unitPrice: '99.00', quantity: 1 });
    expect(await p.subscriptionConnections('sub-1')).toEqual(['conn-a', 'conn-b']);
    expect(await p.subscriptionConnections('sub-none')).toEqual([]);
    await db.collection('platform_subscriptions').deleteOne({ _id: 'conn-b|sub-1' } as never);
  });

  it('lists with filters, search and paging', async () => {
    expect((await p.listCustomers({ search: 'dunco' })).items.map((c) => c.id)).toEqual(['c2']);
    expect(await p.listCustomers({ limit: 1 })).toMatchObject({ total: 2, items: [{ id: 'c1' }] });
    expect((await p.listProducts({ provider: 'Google' })).items.map((x) => x.id)).toEqual(['gws']);
    expect((await p.listProducts({ search: 'cfq7' })).items.map((x) => x.id)).toEqual(['m365-bp']);
    expect((await p.listSubscriptions({ connectionId: 'conn-a', customerId: 'c2' })).items.map((s) => s.id)).toEqual(['sub-2']);
    expect((await p.listSubscriptions({ connectionId: 'conn-a', status: ['active', 'suspended'] })).items.map((s) => s.id)).toEqual(['sub-1']);
    expect((await p.listSubscriptions({ connectionId: 'conn-a', provider: 'Microsoft CSP' })).total).toBe(2);
    expect((await p.listSubscriptions({ connectionId: 'conn-b' })).total).toBe(0);
  });

  it('streams the subscriptions of one connection and provider in id order, after an id when given, with only the fields a listing needs', async () => {
    for (const id of ['s-3', 's-1', 's-2']) await p.upsertSubscription({ ...sub, connectionId: 'conn-s', id, customerId: `cust-${id}` });
    await p.upsertSubscription({ ...sub, connectionId: 'conn-s', id: 's-0', provider: 'Google' });
    await p.upsertSubscription({ ...sub, connectionId: 'conn-t', id: 's-4' });
    const all = async (q: Parameters<PlatformRepository['streamSubscriptions']>[0]) => {
      const out = [];
      for await (const x of p.streamSubscriptions(q)) out.push(x);
      return out;
    };
    expect(await all({ connectionId: 'conn-s', provider: 'Microsoft CSP' })).toEqual(
      ['s-1', 's-2', 's-3'].map((id) => ({ id, customerId: `cust-${id}`, productId: 'm365-bp', kind: 'saas' })),
    );
    expect((await all({ connectionId: 'conn-s', provider: 'Microsoft CSP', after: 's-1' })).map((x) => x.id)).toEqual(['s-2', 's-3']);
    expect(await all({ connectionId: 'conn-s', provider: 'Microsoft CSP', after: 's-3' })).toEqual([]);
    expect(await all({ connectionId: 'conn-s', provider: 'AWS' })).toEqual([]);
  });

  it('invoices: one per (subscription, month, kind); both looked up for reconciliation', async () => {
    const reseller = { id: 'R-1', subscriptionId: 'sub-1', customerId: 'c1', provider: 'Microsoft CSP', month: '2026-03', kind: 'reseller' as const, quantity: 10, usageQuantity: 9.5, amount: '177.65' };
    expect(await p.receiveInvoice(reseller, 'platform')).toEqual({ id: 'R-1', outcome: 'created' });
    expect(await p.invoicesFor('sub-1', '2026-03')).toEqual({ reseller: { ...reseller, receivedAt: expect.any(String), receivedBy: 'platform', amendments: [] }, customer: null });
    await p.receiveInvoice({ ...reseller, id: 'C-1', kind: 'customer', amount: '209' }, 'platform');
    expect(await p.receiveInvoice({ ...reseller, id: 'C-1', kind: 'customer', amount: '209.00' }, 'platform')).toEqual({ id: 'C-1', outcome: 'unchanged' }); // re-push: still one
    expect(await p.invoicesFor('sub-1', '2026-03')).toMatchObject({ reseller: { amount: '177.65' }, customer: { amount: '209.00' } });
    expect(await p.listInvoices({ month: '2026-03' })).toHaveLength(2);
    expect(await p.listInvoices({ month: '2026-03', kind: 'customer' })).toHaveLength(1);
    expect(await p.getInvoice('sub-1', '2026-04', 'reseller')).toBeNull();
  });

  it('invoices: an amendment under the same id replaces the content and is kept; identity never moves', async () => {
    const inv = { id: 'R-9', subscriptionId: 'sub-9', customerId: 'c1', provider: 'Microsoft CSP', month: '2026-03', kind: 'reseller' as const, quantity: 3, amount: '56.10' };
    await p.receiveInvoice(inv, 'platform');
    expect(await p.receiveInvoice({ ...inv, amount: '60.00', quantity: 4 }, 'billing-bot')).toEqual({ id: 'R-9', outcome: 'amended', changed: ['quantity', 'amount'] });
    expect(await p.getInvoice('sub-9', '2026-03', 'reseller')).toMatchObject({
      amount: '60.00',
      quantity: 4,
      receivedBy: 'platform',
      amendments: [{ by: 'billing-bot', changes: [{ field: 'quantity', from: 3, to: 4 }, { field: 'amount', from: '56.10', to: '60.00' }] }],
    });
    await expect(p.receiveInvoice({ ...inv, id: 'R-10' }, 'platform')).rejects.toThrow('sub-9 already has a reseller invoice for 2026-03: "R-9"');
    await expect(p.receiveInvoice({ ...inv, month: '2026-04' }, 'platform')).rejects.toThrow('invoice "R-9" was received for sub-9 2026-03 (reseller)');
  });

  it('invoices: one stored before invoice ids were kept is taken over by the first id sent for it', async () => {
    const slot = { subscriptionId: 'sub-old', customerId: 'c1', provider: 'Microsoft CSP', month: '2026-02', kind: 'customer' as const, quantity: 2, amount: '44.00' };
    await db.collection('platform_invoices').insertOne({ _id: 'sub-old|2026-02|customer' as never, ...slot, updatedAt: new Date() });
    expect(await p.receiveInvoice({ id: 'C-OLD', ...slot }, 'platform')).toEqual({ id: 'C-OLD', outcome: 'unchanged' });
    expect(await p.getInvoice('sub-old', '2026-02', 'customer')).toMatchObject({ id: 'C-OLD', amount: '44.00', amendments: [] });
    await expect(p.receiveInvoice({ id: 'C-NEW', ...slot }, 'platform')).rejects.toThrow('already has a customer invoice for 2026-02: "C-OLD"');
  });

  it('rejects bad records with field paths', async () => {
    const err = await p
      .upsertSubscription({ ...sub, quantity: 1.5, unitPrice: 22, startDate: '2026-02-30', endDate: '2026-01-01', status: 'gone' } as never)
      .catch((e: StoreInputError) => e);
    expect(err).toBeInstanceOf(StoreInputError);
    expect((err as Error).message.split('\n')).toEqual(
      expect.arrayContaining([
        'quantity: must be a whole number',
        'unitPrice: must be a decimal string such as "22.00"',
        'startDate: must be a calendar date YYYY-MM-DD',
        expect.stringMatching(/^status: must be one of pending, active/),
      ]),
    );
    await expect(p.receiveInvoice({ id: 'i', subscriptionId: 's', customerId: 'c', provider: 'x', month: '2026-13', kind: 'reseller', quantity: 1, amount: '1' }, 'x')).rejects.toThrow('month: must be a month YYYY-MM');
  });
});
