/** Admin API on an Autotask connection: companies, services (catalog), contracts, §4 rule 9, summary. */
import { atConnection, demoCustomers, demoProducts, report, request, messagesOf, startHarness, type Harness } from './harness';

const C = 'at-map';
const base = `/api/connections/${C}`;

describe('admin API: mapping on Autotask', () => {
  let h: Harness;
  const call = (method: string, path: string, payload?: unknown) => request(h, method, path, payload);

  beforeAll(async () => {
    h = await startHarness('api_mappings_at');
    await call('PUT', '/api/platform/customers', { customers: demoCustomers });
    await call('PUT', '/api/platform/products', { products: demoProducts });
    // Records pushed before the connection existed are tracked when it is added.
    expect((await call('POST', '/api/connections', atConnection(h, C))).status).toBe(201);
  });
  afterAll(async () => {
    expect(h.errors).toEqual([]);
    await h.close();
  });

  it('suggests and maps companies; creates one in Autotask', async () => {
    const acme = await call('GET', `${base}/customers/c-acme/suggestions`);
    expect(acme.body.matches[0]).toMatchObject({ id: 1001, name: 'Acme Corporation' });
    expect(acme.body.matches[0].score).toBeGreaterThan(0.9);
    expect((await call('POST', `${base}/customers/c-acme/mapping`, { psaId: 1001, mode: 'map-and-sync' })).body.mapping).toMatchObject({ status: 'mapped', psaName: 'Acme Corporation' });
    expect((await call('POST', `${base}/customers/c-initech/mapping`, { psaId: 1003 })).status).toBe(200);
    const created = await call('POST', `${base}/customers/c-new/create`);
    expect(created.status).toBe(201);
    expect(h.at.state.companies.find((c) => c.id === created.body.created.id)).toMatchObject({ companyName: 'Brand New Customer Inc' });
  });

  it('creates services (the catalog) from platform products and maps them', async () => {
    for (const p of ['p-m365bp', 'p-backup']) {
      const res = await call('POST', `${base}/products/${p}/create`);
      expect(res.status).toBe(201);
      expect(h.at.state.services.find((s) => s.id === res.body.created.id)).toMatchObject({ name: demoProducts.find((d) => d.id === p)!.name });
    }
    const byPart = await call('GET', `${base}/products/p-e3/suggestions?partNumber=CFQ7TTC0LCHC`);
    expect(byPart.body.matches[0]).toMatchObject({ id: 3001, score: 1 });
  });

  it('maps a service onto the company\'s only contract and signals its workflow; §4 rule 9 on a yearly one', async () => {
    await call('POST', `${base}/subscriptions`, report('at-sub-1', 'c-acme', 'p-m365bp'));
    const res = await call('POST', `${base}/subscriptions/at-sub-1/mapping`, { description: 'Acme M365', include: { product: true, partNumber: true } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ agreementChosen: true, agreement: { id: 2001, periodType: 'monthly' }, warnings: [] });
    expect(res.body.description).toBe('sub at-sub-1 | Acme M365 | Microsoft 365 Business Premium | PN M365-BP');
    expect(await messagesOf(h.temporal, `subscription/${C}/at-sub-1`)).toEqual(['report', 'placement']);

    await call('POST', `${base}/subscriptions`, report('at-sub-y', 'c-initech', 'p-backup', { billingFrequency: 'yearly', startDate: '2026-05-10', endDate: '2027-05-09' }));
    const yearly = await call('POST', `${base}/subscriptions/at-sub-y/mapping`, { description: 'Backup' });
    expect(yearly.status).toBe(400);
    expect(yearly.body.problems).toEqual([
      { path: 'agreement.startDate', message: expect.stringMatching(/^is \d{4}-01-01, but yearly subscription at-sub-y starts 2026-05-10, so its agreement must start on 2026-05-01 \(§4 rule 9\)$/) },
    ]);
  });

  it('counts per kind', async () => {
    expect((await call('GET', `${base}/summary`)).body).toEqual({
      customers: { total: 5, mapped: 3, unmapped: 2, failed: 0 },
      products: { total: 3, mapped: 2, unmapped: 1, failed: 0 },
      subscriptions: { total: 2, mapped: 1, unmapped: 1, failed: 0 },
    });
  });
});
