/** The Autotask sandbox over HTTP, spoken to directly (no client), as a real tenant would answer. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS as C, startAutotaskSandbox, type AutotaskSandbox } from '../../sandbox/autotask/server';

let sandbox: AutotaskSandbox;
beforeAll(async () => {
  sandbox = await startAutotaskSandbox({ port: 0, seed: 'demo', today: () => '2026-03-10' });
});
afterAll(() => sandbox.close());
beforeEach(() => control('POST', '/reset', { seed: 'demo' }));

const headers = { ApiIntegrationCode: C.integrationCode, UserName: C.username, Secret: C.secret, 'Content-Type': 'application/json' };
const api = (path: string) => `${sandbox.url}/ATServicesRest/V1.0${path}`;
async function call(method: string, path: string, body?: unknown, h: Record<string, string> = headers) {
  const res = await fetch(path.startsWith('http') ? path : api(path), { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> & { errors?: string[] } };
}
async function control(method: string, path: string, body?: unknown) {
  await fetch(`${sandbox.url}/__sandbox${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
}
const search = (q: unknown) => `search=${encodeURIComponent(JSON.stringify(q))}`;
const contract = { contractID: 2001, serviceID: 3001 };

describe('Autotask sandbox: zone and credentials', () => {
  it('answers zone discovery without credentials, and 500 for an unknown user', async () => {
    const ok = await call('GET', `${sandbox.url}/atservicesrest/v1.0/zoneInformation?user=${encodeURIComponent(C.username)}`, undefined, {});
    expect(ok).toEqual({ status: 200, body: { zoneName: 'Sandbox Zone', url: `${sandbox.url}/ATServicesRest/`, webUrl: `${sandbox.url}/`, ci: 1 } });
    const unknown = await call('GET', `${sandbox.url}/atservicesrest/v1.0/zoneInformation?user=nobody`, undefined, {});
    expect(unknown.status).toBe(500);
    expect(unknown.body.errors?.[0]).toMatch(/zone/i);
  });

  it('refuses a wrong secret with 401 and a wrong integration code with 500', async () => {
    expect((await call('GET', '/Companies/1001', undefined, { ...headers, Secret: 'nope' })).status).toBe(401);
    const badCode = await call('GET', '/Companies/1001', undefined, { ...headers, ApiIntegrationCode: 'nope' });
    expect(badCode.status).toBe(500);
    expect(badCode.body.errors?.[0]).toMatch(/integration code/i);
  });

  it('takes header names and paths in any case', async () => {
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    expect((await call('GET', `${sandbox.url}/atservicesrest/v1.0/companies/1001`, undefined, lower)).body).toMatchObject({ item: { id: 1001 } });
  });
});

describe('Autotask sandbox: queries', () => {
  beforeEach(async () => {
    for (let i = 0; i < 7; i++) await call('POST', '/Companies', { companyName: `Paging Co ${i}`, companyType: 1, phone: '1', ownerResourceID: 29682885 });
  });
  const paged = { filter: [{ op: 'beginsWith', field: 'companyName', value: 'Paging' }], MaxRecords: 3, IncludeFields: ['companyName'] };

  it('pages a GET query through nextPageUrl', async () => {
    const names: unknown[] = [];
    let page = await call('GET', `/Companies/query?${search(paged)}`);
    for (;;) {
      const items = page.body.items as { companyName: string }[];
      names.push(...items.map((i) => i.companyName));
      const details = page.body.pageDetails as { count: number; requestCount: number; nextPageUrl: string | null };
      expect(details.requestCount).toBe(3);
      if (!details.nextPageUrl) break;
      page = await call('GET', details.nextPageUrl);
    }
    expect(names).toEqual(Array.from({ length: 7 }, (_, i) => `Paging Co ${i}`));
  });

  it('pages a POST query by POSTing the body again; a GET there is a 405', async () => {
    const first = await call('POST', '/Companies/query', paged);
    const next = (first.body.pageDetails as { nextPageUrl: string }).nextPageUrl;
    expect((await call('GET', next)).status).toBe(405);
    const second = await call('POST', next, paged);
    expect((second.body.items as unknown[]).length).toBe(3);
    expect((await call('POST', '/Companies/query/count', { filter: paged.filter })).body).toEqual({ queryCount: 7 });
  });

  it('rejects a bad query with 500 and verbs an entity does not support with 405', async () => {
    expect((await call('GET', `/Companies/query?${search({ filter: [] })}`)).status).toBe(500);
    expect((await call('GET', `/ContractServiceAdjustments/query?${search({ filter: [{ op: 'gte', field: 'id', value: 0 }] })}`)).status).toBe(405);
    expect((await call('POST', '/ContractServices', contract)).status).toBe(405);
    expect((await call('POST', '/BillingCodes', { name: 'x' })).status).toBe(405);
    expect((await call('GET', '/Nothing/1')).status).toBe(404);
  });

  it('serves picklists through entityInformation/fields', async () => {
    const { body } = await call('GET', '/Services/entityInformation/fields');
    const periodType = (body.fields as { name: string; picklistValues: { value: string; label: string }[] }[]).find((f) => f.name === 'periodType');
    expect(periodType?.picklistValues.map((v) => [v.value, v.label])).toContainEqual(['4', 'Yearly']);
  });
});

describe('Autotask sandbox: business rules as HTTP 500', () => {
  const expectRule = async (pending: Promise<{ status: number; body: { errors?: string[] } }>, text: RegExp) => {
    const res = await pending;
    expect(res.status).toBe(500);
    expect(res.body.errors?.join(' ')).toMatch(text);
  };

  it('refuses a duplicate service name and missing required fields', async () => {
    await expectRule(call('POST', '/Services', { name: 'microsoft 365 business basic (monthly)', billingCodeID: 29682803, periodType: 1, unitPrice: 1 }), /already exists/);
    await expectRule(call('POST', '/Services', { billingCodeID: 29682803, periodType: 1 }), /Missing Required Field: name.*Missing Required Field: unitPrice/);
    await expectRule(call('PATCH', '/Services', { name: 'x' }), /Missing Required Field: id/);
  });

  it('refuses adjustments outside the contract, twice on one date, and inside posted periods', async () => {
    await expectRule(call('POST', '/Contracts/2001/ServiceAdjustments', { ...contract, effectiveDate: '2028-01-01', unitChange: 1 }), /within the contract/);
    expect((await call('POST', '/Contracts/2001/ServiceAdjustments', { ...contract, effectiveDate: '2026-03-15', unitChange: 4 })).status).toBe(200);
    await expectRule(call('POST', '/ContractServiceAdjustments', { ...contract, effectiveDate: '2026-03-15T00:00:00Z', unitChange: 1 }), /duplicate data into contract_service_period/);
    await control('POST', '/autotask/invoice', { contractId: 2001, through: '2026-03-31' });
    await expectRule(call('POST', '/Contracts/2001/ServiceAdjustments', { ...contract, effectiveDate: '2026-03-20', unitChange: 1 }), /approved and posted/);
    const units = await call('GET', `/ContractServiceUnits/query?${search({ filter: [{ op: 'eq', field: 'contractID', value: 2001 }] })}`);
    const rows = units.body.items as { startDate: string; units: number; approveAndPostDate: string | null }[];
    expect(rows.find((r) => r.startDate.startsWith('2026-03-15'))).toMatchObject({ units: 4, approveAndPostDate: '2026-03-10T00:00:00Z' });
    expect(rows.find((r) => r.startDate.startsWith('2026-04-01'))).toMatchObject({ units: 4, approveAndPostDate: null });
  });

  it('adds the contract service when an adjustment names a service not yet on the contract, and only lets PATCH change the price', async () => {
    expect((await call('POST', '/Contracts/2002/ServiceAdjustments', { contractID: 2002, serviceID: 3002, effectiveDate: '2026-02-01', unitChange: 2 })).status).toBe(200);
    const cs = sandbox.state.contractServices.find((c) => c.contractID === 2002)!;
    expect((await call('PATCH', '/Contracts/2002/Services', { id: cs.id, adjustedPrice: 5.5, serviceID: 3001 })).body).toEqual({ itemId: cs.id });
    expect((await call('GET', `/ContractServices/${cs.id}`)).body.item).toMatchObject({ serviceID: 3002, internalCurrencyAdjustedPrice: 5.5 });
  });
});

describe('Autotask sandbox: limits', () => {
  it('refuses a 4th concurrent request to one endpoint with 429 (thread limit)', async () => {
    await control('PUT', '/latency', { ms: 150 });
    const q = `/Companies/query?${search({ filter: [{ op: 'gte', field: 'id', value: 0 }] })}`;
    const statuses = (await Promise.all(Array.from({ length: 4 }, () => call('GET', q)))).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 429]);
    // Another endpoint has its own three threads.
    const other = await Promise.all([call('GET', q), call('GET', '/Contracts/2001')]);
    expect(other.map((r) => r.status)).toEqual([200, 200]);
  });

  it('counts requests against the hourly threshold and answers 429 past it', async () => {
    await control('PUT', '/rate-limit', { limit: 3, windowMs: 3_600_000 });
    expect((await call('GET', '/ThresholdInformation')).body).toEqual({ externalRequestThreshold: 3, requestThresholdTimeframe: 60, currentTimeframeRequestCount: 1 });
    await call('GET', '/Companies/1001');
    await call('GET', '/Companies/1001');
    const refused = await call('GET', '/Companies/1001');
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]).toMatch(/threshold/);
  });
});

describe('Autotask sandbox: persistence', () => {
  it('keeps its state in a JSON file across restarts when asked', async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), 'at-sandbox-')), 'state.json');
    const first = await startAutotaskSandbox({ port: 0, seed: 'empty', stateFile });
    await fetch(`${first.url}/ATServicesRest/V1.0/Companies`, {
      method: 'POST', headers, body: JSON.stringify({ companyName: 'Persisted Co', companyType: 1, phone: '1', ownerResourceID: 29682885 }),
    });
    await first.close();
    const second = await startAutotaskSandbox({ port: 0, seed: 'empty', stateFile });
    expect(second.state.companies.map((c) => c.companyName)).toEqual(['Persisted Co']);
    await second.close();
  });
});
