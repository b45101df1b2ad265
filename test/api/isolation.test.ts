/**
 * Connections are isolated: a subscription reported on one connection is that connection's.
 * Reporting the same id on another leaves the first untouched, and an event sent through a
 * connection the subscription is not reported on is refused (409, with the reason).
 */
import { cwConnection, demoCustomers, demoProducts, report, request, startHarness, type Harness } from './harness';

describe('admin API: connections are isolated', () => {
  let h: Harness;
  const call = (method: string, path: string, payload?: unknown) => request(h, method, path, payload);
  beforeAll(async () => {
    h = await startHarness('api_isolation');
    for (const id of ['iso-a', 'iso-b']) expect((await call('POST', '/api/connections', cwConnection(h, id))).status).toBe(201);
    await call('PUT', '/api/platform/customers', { customers: demoCustomers });
    await call('PUT', '/api/platform/products', { products: demoProducts });
  });
  afterAll(async () => {
    expect(h.errors).toEqual([]);
    await h.close();
  });

  it('an event through the wrong connection is a 409 naming the right one; an unknown subscription a 404', async () => {
    expect((await call('POST', '/api/connections/iso-a/subscriptions', report('iso-sub', 'c-acme', 'p-m365bp'))).status).toBe(202);
    const wrong = await call('POST', '/api/connections/iso-b/subscriptions/iso-sub/events', { id: 'e1', type: 'quantity-changed', date: '2026-03-15', quantity: 12 });
    expect(wrong).toMatchObject({ status: 409, body: { error: expect.stringMatching(/subscription "iso-sub" is reported on connection "iso-a", not on "iso-b"/) } });
    expect((await call('POST', '/api/connections/iso-b/subscriptions/never/events', { id: 'e2', type: 'cancelled', date: '2026-03-15' })).status).toBe(404);
  });

  it('reporting the same subscription on another connection never changes what the first holds', async () => {
    expect((await call('POST', '/api/connections/iso-b/subscriptions', report('iso-sub', 'c-acme', 'p-m365bp', { unitPrice: '99.00' }))).status).toBe(202);
    const a = await call('GET', '/api/connections/iso-a/subscriptions?search=iso-sub');
    const b = await call('GET', '/api/connections/iso-b/subscriptions?search=iso-sub');
    expect(a.body.items[0].platform).toMatchObject({ id: 'iso-sub', unitPrice: '22.00', connectionId: 'iso-a' });
    expect(b.body.items[0].platform).toMatchObject({ id: 'iso-sub', unitPrice: '99.00', connectionId: 'iso-b' });
    // Now reported on both: each connection takes its own events.
    expect((await call('POST', '/api/connections/iso-b/subscriptions/iso-sub/events', { id: 'e1', type: 'quantity-changed', date: '2026-03-15', quantity: 12 })).status).toBe(202);
  });
});
