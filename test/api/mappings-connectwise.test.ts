/**
 * Admin API on a ConnectWise connection: platform intake, customer and product mapping (suggest,
 * map only / map & sync, create, disconnect), service mapping (automatic and explicit agreement,
 * §4 rule 9, §7 one agreement per company), the workflow's signals, summary counts.
 */
import { planScenario } from '../../domain/plan';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cwConnection, demoCustomers, demoProducts, report, request, messagesOf, startHarness, type Harness } from './harness';

const C = 'cw-map';
const base = `/api/connections/${C}`;

describe('admin API: mapping on ConnectWise', () => {
  let h: Harness;
  const company = (name: string) => h.cw.state.companies.find((c) => c.name === name)!.id as number;
  const call = (method: string, path: string, payload?: unknown) => request(h, method, path, payload);

  beforeAll(async () => {
    h = await startHarness('api_mappings_cw');
    expect((await call('POST', '/api/connections', cwConnection(h, C))).status).toBe(201);
    expect(await call('PUT', '/api/platform/customers', { customers: demoCustomers })).toMatchObject({ status: 200, body: { upserted: 5, newMappings: 5 } });
    expect(await call('PUT', '/api/platform/products', { products: demoProducts })).toMatchObject({ status: 200, body: { upserted: 3, newMappings: 3 } });
  });
  afterAll(async () => {
    expect(h.errors).toEqual([]);
    await h.close();
  });

  describe('customers → companies', () => {
    it('lists platform customers with their status; filters by status and text', async () => {
      const all = await call('GET', `${base}/customers`);
      expect(all.body.total).toBe(5);
      expect(all.body.items[0]).toMatchObject({ platformId: 'c-acme', status: 'unmapped', linked: false, label: 'Acme Ltd.', platform: { name: 'Acme Ltd.', city: 'Leeds' } });
      expect((await call('GET', `${base}/customers?search=umbr`)).body.items.map((i: { platformId: string }) => i.platformId)).toEqual(['c-umbrella']);
      expect((await call('GET', `${base}/customers?status=mapped`)).body.total).toBe(0);
      expect(await call('GET', `${base}/customers?status=lost&limit=0`)).toMatchObject({
        status: 400,
        body: { problems: [{ path: 'status[0]', message: 'must be one of unmapped, mapped, failed' }, { path: 'limit', message: 'must be at least 1' }] },
      });
    });

    it('suggests the closest PSA companies, best first, with a score', async () => {
      const res = await call('GET', `${base}/customers/c-acme/suggestions`);
      expect(res.status).toBe(200);
      expect(res.body.query).toEqual({ search: 'Acme Ltd.' });
      expect(res.body.matches[0]).toMatchObject({ id: company('Acme Ltd'), name: 'Acme Ltd', score: 1 });
      const globex = await call('GET', `${base}/customers/c-globex/suggestions`);
      expect(globex.body.matches[0]).toMatchObject({ name: 'Globex Corporation' });
      expect(globex.body.matches[0].score).toBeGreaterThan(0.5);
      const searched = await call('GET', `${base}/customers/c-new/suggestions?search=initech`);
      expect(searched.body.matches[0]).toMatchObject({ name: 'Initech LLC', score: 1 });
    });

    it('maps with Map & Sync (allowed fields only) and Map only; one company per customer', async () => {
      const acme = company('Acme Ltd');
      const synced = await call('POST', `${base}/customers/c-acme/mapping`, { psaId: acme, mode: 'map-and-sync' });
      expect(synced.status).toBe(200);
      expect(synced.body).toMatchObject({ mode: 'map-and-sync', mapping: { status: 'mapped', linked: true, psaId: acme, psaName: 'Acme Ltd' } });
      // Map & Sync wrote the platform's values (those it has) into the PSA company.
      expect(synced.body.syncedFields).toEqual(['name', 'city']);
      expect(h.cw.state.companies.find((c) => c.id === acme)).toMatchObject({ name: 'Acme Ltd.', city: 'Leeds' });
      expect(synced.body.mapping.lastSyncAt).toEqual(expect.any(String));
      expect(synced.body.mapping.contentHash).toMatch(/^[0-9a-f]{64}$/);

      await call('PUT', `${base}/rules`, { fieldToggles: { company: { city: false } } });
      const refused = await call('POST', `${base}/customers/c-globex/mapping`, { psaId: company('Globex Corporation'), mode: 'map-and-sync', fields: ['name', 'city'] });
      expect(refused).toMatchObject({ status: 400, body: { problems: [{ path: 'fields[1]', message: `"city" is turned off in the connection's global sync rules; turn it on there to sync it` }] } });
      const globex = company('Globex Corporation');
      const some = await call('POST', `${base}/customers/c-globex/mapping`, { psaId: globex, mode: 'map-and-sync', fields: ['name'] });
      expect(some.body.syncedFields).toEqual(['name']);
      expect(h.cw.state.companies.find((c) => c.id === globex)).toMatchObject({ name: 'Globex Corp', city: 'Springfield' });

      const only = await call('POST', `${base}/customers/c-initech/mapping`, { psaId: company('Initech LLC') });
      expect(only.body).toMatchObject({ mode: 'map-only', syncedFields: [], mapping: { status: 'mapped' } });
      expect(only.body.mapping).not.toHaveProperty('lastSyncAt');

      const taken = await call('POST', `${base}/customers/c-umbrella/mapping`, { psaId: acme });
      expect(taken.status).toBe(409);
      expect(taken.body.error).toMatch(/already mapped to customer "c-acme"/);
      const suggest = await call('GET', `${base}/customers/c-acme/suggestions`);
      expect(suggest.body.matches[0].mappedTo).toBe('c-acme');
    });

    it('creates the company in ConnectWise and maps it; refuses a second create', async () => {
      const res = await call('POST', `${base}/customers/c-new/create`);
      expect(res.status).toBe(201);
      const made = h.cw.state.companies.find((c) => c.name === 'Brand New Customer Inc')!;
      expect(res.body).toMatchObject({ created: { id: made.id }, mapping: { status: 'mapped', psaId: made.id }, syncedFields: ['name'] });
      expect((await call('POST', `${base}/customers/c-new/create`)).status).toBe(409);
    });

    it('disconnects: back to unmapped, the PSA company untouched', async () => {
      const res = await call('DELETE', `${base}/customers/c-new/mapping`);
      expect(res.body).toMatchObject({ before: { status: 'mapped' }, mapping: { status: 'unmapped', linked: false } });
      expect(res.body.mapping).not.toHaveProperty('psaId');
      expect((await call('DELETE', `${base}/customers/c-nobody/mapping`)).status).toBe(404);
    });
  });

  describe('products → catalog items', () => {
    it('suggests by name and by manufacturer part number', async () => {
      const byOwn = await call('GET', `${base}/products/p-m365bp/suggestions`);
      expect(byOwn.body.matches[0]).toMatchObject({ name: 'Microsoft 365 Business Premium', partNumber: 'M365-BP', score: 1 });
      const byPart = await call('GET', `${base}/products/p-m365bp/suggestions?partNumber=M365-E3`);
      expect(byPart.body.query).toEqual({ partNumber: 'M365-E3' });
      expect(byPart.body.matches[0]).toMatchObject({ partNumber: 'M365-E3', score: 1 });
      expect((await call('GET', `${base}/products/p-m365bp/suggestions?colour=red`)).body.problems).toEqual([{ path: 'colour', message: 'is not a known field' }]);
    });

    it('maps an existing catalog item and creates another from the platform product', async () => {
      const bp = h.cw.state.catalog.find((i) => i.identifier === 'M365-BP')!.id as number;
      expect((await call('POST', `${base}/products/p-m365bp/mapping`, { psaId: bp, mode: 'map-and-sync' })).body.mapping).toMatchObject({ status: 'mapped', psaId: bp });
      const created = await call('POST', `${base}/products/p-backup/create`, {});
      expect(created.status).toBe(201);
      const item = h.cw.state.catalog.find((i) => i.identifier === 'BKP-Y-01')!;
      expect(item).toMatchObject({ description: 'Cloud Backup Yearly' });
      expect(created.body.mapping).toMatchObject({ status: 'mapped', psaId: item.id });
    });
  });

  describe('services (subscriptions)', () => {
    it('reports subscriptions: listed as unmapped at once, their workflows started', async () => {
      for (const r of [
        report('sub-acme-1', 'c-acme', 'p-m365bp'),
        report('sub-umb-1', 'c-umbrella', 'p-m365bp', { startDate: '2026-04-01' }),
        report('sub-init-y', 'c-initech', 'p-backup', { billingFrequency: 'yearly', startDate: '2026-05-10', endDate: '2027-05-09', unitPrice: '96.00', unitCost: '72.00' }),
        report('sub-e3', 'c-acme', 'p-e3'),
      ]) {
        expect(await call('POST', `${base}/subscriptions`, r)).toMatchObject({ status: 202, body: { workflowId: `subscription/${C}/${r.subscription.id}` } });
      }
      const list = await call('GET', `${base}/subscriptions?status=unmapped`);
      expect(list.body.total).toBe(4);
      expect(list.body.items.find((i: { platformId: string }) => i.platformId === 'sub-acme-1')).toMatchObject({
        customerId: 'c-acme',
        customerName: 'Acme Ltd.',
        label: 'Microsoft 365 Business Premium (sub-acme-1)',
        platform: { quantity: 10, startDate: '2026-03-01' },
      });
      expect(await messagesOf(h.temporal, `subscription/${C}/sub-acme-1`)).toEqual(['report']);
      const bad = await call('POST', `${base}/subscriptions`, { customerId: 'c-ghost', subscription: { id: 's', productId: 'p-m365bp', quantity: -1 } });
      expect(bad.status).toBe(400);
      expect(bad.body.problems).toEqual(expect.arrayContaining([{ path: 'subscription.quantity', message: 'must not be negative' }, { path: 'subscription.unitPrice', message: 'is required' }]));
    });

    it('chooses the agreement automatically when the company has exactly one, and signals the workflow', async () => {
      const suggest = await call('GET', `${base}/subscriptions/sub-acme-1/suggestions`);
      expect(suggest.body).toMatchObject({ customer: { companyId: company('Acme Ltd.') }, product: { mapped: true }, agreementId: expect.any(Number) });
      expect(suggest.body.agreements).toHaveLength(1);

      const res = await call('POST', `${base}/subscriptions/sub-acme-1/mapping`, { description: 'M365 for Acme', include: { licenseCount: true }, billCustomer: 'Billable' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        agreementChosen: true,
        agreement: { name: 'Acme - Cloud Licensing', startDate: '2026-03-01', periodType: 'monthly' },
        effectiveDate: '2026-03-01',
        description: 'sub sub-acme-1 | M365 for Acme | 10 licenses',
        warnings: [], // 43 characters: ConnectWise's model publishes no maximum, nothing is cut (docs/mapping.md "Line descriptions")
        mapping: { status: 'mapped', companyId: company('Acme Ltd.'), billCustomer: 'Billable' },
        workflowId: `subscription/${C}/sub-acme-1`,
      });
      expect(await messagesOf(h.temporal, `subscription/${C}/sub-acme-1`)).toEqual(['report', 'placement']);
    });

    it('requires an explicit agreement when the company has several, listing them', async () => {
      const umbrella = company('Umbrella Health GmbH');
      await fetch(`${h.cw.url}/__sandbox/seed`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ agreements: [{ name: 'Umbrella - Second', type: { id: 2 }, company: { id: umbrella }, startDate: '2026-04-01T00:00:00Z', billStartDate: '2026-04-01T00:00:00Z', billingCycle: { id: 1 } }] }),
      });
      // The company can be chosen on the service itself: that maps the customer too.
      const res = await call('POST', `${base}/subscriptions/sub-umb-1/mapping`, { companyId: umbrella, description: 'Umbrella M365' });
      expect(res.status).toBe(400);
      expect(res.body.problems).toHaveLength(1);
      expect(res.body.problems[0].path).toBe('agreementId');
      expect(res.body.problems[0].message).toMatch(/^is required: company \d+ has 2 agreements, choose one: \d+ "Umbrella - Cloud Licensing" \(monthly, from 2026-02-01\); \d+ "Umbrella - Second" \(monthly, from 2026-04-01\)$/);
      const second = h.cw.state.agreements.find((a) => a.name === 'Umbrella - Second')!.id as number;
      const ok = await call('POST', `${base}/subscriptions/sub-umb-1/mapping`, { companyId: umbrella, agreementId: second, description: 'Umbrella M365' });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ agreementChosen: false, agreement: { id: second }, effectiveDate: '2026-04-01' });
      expect((await call('GET', `${base}/customers?search=umbrella`)).body.items[0]).toMatchObject({ status: 'mapped', psaId: umbrella });
    });

    it('refuses a yearly subscription on an agreement that breaks §4 rule 9, naming both dates', async () => {
      const res = await call('POST', `${base}/subscriptions/sub-init-y/mapping`, { description: 'Backup' });
      expect(res.status).toBe(400);
      expect(res.body.problems).toEqual([
        { path: 'agreement.startDate', message: 'is 2026-04-01, but yearly subscription sub-init-y starts 2026-05-10, so its agreement must start on 2026-05-01 (§4 rule 9)' },
      ]);
      expect(await messagesOf(h.temporal, `subscription/${C}/sub-init-y`)).toEqual(['report']);
    });

    it('validates the service mapping body and its preconditions', async () => {
      const bad = await call('POST', `${base}/subscriptions/sub-e3/mapping`, { include: { product: 'yes', colour: true }, effectiveDate: '2026-02-30', billCustomer: 'Maybe' });
      expect(bad.status).toBe(400);
      expect(bad.body.problems).toEqual([
        { path: 'description', message: 'is required' },
        { path: 'include.product', message: 'must be true or false' },
        { path: 'include.colour', message: 'is not a known field' },
        { path: 'effectiveDate', message: 'must be a calendar date YYYY-MM-DD' },
        { path: 'billCustomer', message: 'must be one of Billable, DoNotBill, NoCharge' },
      ]);
      // p-e3 is not mapped yet.
      expect(await call('POST', `${base}/subscriptions/sub-e3/mapping`, { description: 'E3' })).toMatchObject({ status: 409, body: { error: expect.stringMatching(/product "p-e3" \(Microsoft 365 E3\) is not mapped/) } });
      const e3 = h.cw.state.catalog.find((i) => i.identifier === 'M365-E3')!.id as number;
      // Mapping the product releases sub-e3, waiting for it (Acme has one agreement): README "Events before mapping".
      expect((await call('POST', `${base}/products/p-e3/mapping`, { psaId: e3 })).body.released).toMatchObject({ total: 1, failedCount: 0, waitingCount: 0 });
      expect((await call('GET', `${base}/subscriptions/sub-e3/state`)).body.mapping).toMatchObject({ status: 'mapped', linked: true });
      expect((await call('POST', `${base}/subscriptions/sub-e3/mapping`, { description: 'E3', effectiveDate: '2026-02-01' })).body.problems).toEqual([
        { path: 'effectiveDate', message: expect.stringMatching(/^is 2026-02-01, before agreement \d+ starts \(2026-03-01\)$/) },
      ]);
      expect((await call('POST', `${base}/subscriptions/sub-ghost/mapping`, { description: 'x' })).status).toBe(404);
    });

    it('§7: with one agreement per company, a company\'s services share its agreement', async () => {
      await call('PUT', `${base}/rules`, { oneAgreementPerCompany: true });
      await call('POST', `${base}/subscriptions`, report('sub-umb-2', 'c-umbrella', 'p-m365bp', { startDate: '2026-04-01' }));
      const first = h.cw.state.agreements.find((a) => a.name === 'Umbrella - Cloud Licensing')!.id as number;
      const clash = await call('POST', `${base}/subscriptions/sub-umb-2/mapping`, { agreementId: first, description: 'Umbrella 2' });
      expect(clash.status).toBe(409);
      expect(clash.body.error).toMatch(/has mapped products on 2 agreements .* this connection requires one agreement per company/);
      // Without an agreement id, the one the company's services share is chosen.
      const shared = await call('POST', `${base}/subscriptions/sub-umb-2/mapping`, { description: 'Umbrella 2' });
      expect(shared).toMatchObject({ status: 200, body: { agreementChosen: true, agreement: { name: 'Umbrella - Second' } } });
      await call('PUT', `${base}/rules`, { oneAgreementPerCompany: false });
    });

    it('sends lifecycle events to the workflow (validated first)', async () => {
      // No worker runs in this file: the event is kept durably (`queued`) and checked when one does.
      expect(await call('POST', `${base}/subscriptions/sub-acme-1/events`, { id: 'evt-1', type: 'quantity-changed', date: '2026-03-15', quantity: 15 })).toMatchObject({
        status: 202,
        body: { eventId: 'evt-1', outcome: 'queued', type: 'quantity-changed' },
      });
      const bad = await call('POST', `${base}/subscriptions/sub-acme-1/events`, { type: 'quantity-changed', date: '15/03/2026', quantity: 1.5 });
      expect(bad.body.problems).toEqual([
        { path: 'id', message: 'is required' },
        { path: 'date', message: 'must be a calendar date YYYY-MM-DD' },
        { path: 'quantity', message: 'must be a whole number' },
      ]);
      for (const poison of [null, [], 'x', 42]) expect((await call('POST', `${base}/subscriptions/sub-acme-1/events`, poison)).status).toBe(400);
      expect((await call('POST', `${base}/subscriptions/sub-acme-1/events`, { id: 'evt-2', type: 'exploded', date: '2026-03-15' })).body.problems[0]).toMatchObject({ path: 'type' });
      expect(await messagesOf(h.temporal, `subscription/${C}/sub-acme-1`)).toEqual(['report', 'placement', 'event']);
    });

    it('shows a subscription: mapping document, and the workflow state when a worker answers', async () => {
      const res = await call('GET', `${base}/subscriptions/sub-acme-1/state`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ subscriptionId: 'sub-acme-1', mapping: { status: 'mapped' }, workflow: null, workflowError: expect.stringMatching(/no worker answered/) });
      expect((await call('GET', `${base}/subscriptions/never-seen/state`)).status).toBe(404);
    });

    it('counts per kind: total, mapped, unmapped, failed', async () => {
      const res = await call('GET', `${base}/summary`);
      expect(res.body).toEqual({
        customers: { total: 5, mapped: 4, unmapped: 1, failed: 0 },
        products: { total: 3, mapped: 3, unmapped: 0, failed: 0 },
        subscriptions: { total: 5, mapped: 4, unmapped: 1, failed: 0 }, // sub-e3 placed when p-e3 was mapped
      });
    });

    it('unmaps (the workflow is told), retries only failed services, and keeps a connection with mapped services', async () => {
      expect((await call('POST', `${base}/subscriptions/sub-acme-1/retry`)).status).toBe(409);
      const res = await call('DELETE', `${base}/subscriptions/sub-umb-2/mapping`);
      expect(res.body).toMatchObject({ workflowSignalled: true, mapping: { status: 'unmapped', linked: false } });
      expect(await messagesOf(h.temporal, `subscription/${C}/sub-umb-2`)).toEqual(['report', 'placement', 'unplacement']);
      const del = await call('DELETE', base);
      expect(del.status).toBe(409);
      expect(del.body.error).toMatch(/still has 3 mapped subscription\(s\) \(sub-acme-1, sub-umb-1, sub-e3\); unmap them first/);
    });
  });

  it('previews a plan (the plan command over HTTP)', async () => {
    const scenario = JSON.parse(readFileSync(join(__dirname, '../fixtures/examples/worked-example.scenario.json'), 'utf8')) as unknown;
    const res = await call('POST', '/api/plan', scenario);
    expect(res).toMatchObject({ status: 200, body: JSON.parse(JSON.stringify(planScenario(scenario))) as object });
    const bad = await call('POST', '/api/plan?asOf=soon', scenario);
    expect(bad.body.problems).toEqual([{ path: 'asOf', message: 'must be a calendar date YYYY-MM-DD (got soon)' }]);
    expect((await call('POST', '/api/plan', { psa: 'connectwise' })).status).toBe(400);
  });
});
