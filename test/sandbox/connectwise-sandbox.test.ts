import { startConnectWiseSandbox, type ConnectWiseSandbox } from '../../sandbox/connectwise/server';

let sandbox: ConnectWiseSandbox;
let auth: Record<string, string>;

const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = auth): Promise<{ status: number; headers: Headers; json: any }> => {
  const res = await fetch(`${sandbox.apiUrl}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
};
const control = async (method: string, path: string, body?: unknown): Promise<any> => {
  const res = await fetch(`${sandbox.url}/__sandbox${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.status === 204 ? null : res.json();
};

beforeAll(async () => {
  sandbox = await startConnectWiseSandbox({ seed: 'demo', rateLimit: { limit: 0, windowMs: 10_000 } });
  const c = sandbox.credentials;
  auth = {
    authorization: `Basic ${Buffer.from(`${c.companyId}+${c.publicKey}:${c.privateKey}`).toString('base64')}`,
    clientid: c.clientId,
  };
});
afterAll(() => sandbox.close());
beforeEach(() => control('POST', '/reset', { seed: 'demo' }));

const acmeAgreement = (): number => sandbox.state.agreements.find((a) => String(a.name).startsWith('Acme'))!.id;
const newAddition = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  product: { identifier: 'M365-BP' },
  quantity: 10,
  billCustomer: 'Billable',
  effectiveDate: '2026-03-01T00:00:00Z',
  ...over,
});

describe('ConnectWise sandbox', () => {
  test('demo seed: companies, catalog items, one agreement per company with a billing start date', async () => {
    expect((await api('GET', '/company/companies')).json.length).toBeGreaterThanOrEqual(3);
    expect((await api('GET', '/procurement/catalog')).json.length).toBeGreaterThanOrEqual(3);
    const agreements = (await api('GET', '/finance/agreements')).json as { company: { id: number }; billStartDate: string }[];
    expect(agreements.length).toBeGreaterThanOrEqual(3);
    expect(agreements.every((a) => /^\d{4}-\d{2}-\d{2}T00:00:00Z$/.test(a.billStartDate))).toBe(true);
  });

  test('wrong credentials → 401 vendor body; missing clientId → 401 naming it; cloud mode → 404', async () => {
    const wrong = await api('GET', '/company/companies', undefined, { ...auth, authorization: `Basic ${Buffer.from('sandbox+x:y').toString('base64')}` });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual({ code: 'Unauthorized', message: expect.any(String) });
    const noClient = await api('GET', '/company/companies', undefined, { authorization: auth.authorization! });
    expect(noClient.status).toBe(401);
    expect(noClient.json.message).toMatch(/clientId/);
    const cloud = await startConnectWiseSandbox({ authFailureStatus: 404 });
    try {
      const res = await fetch(`${cloud.apiUrl}/company/companies`, { headers: { clientid: auth.clientid! } });
      expect(res.status).toBe(404);
    } finally {
      await cloud.close();
    }
  });

  test('paging: pageSize, page, Link header, 1000 cap, orderBy, fields, count', async () => {
    const first = await api('GET', '/company/companies?pageSize=2&orderBy=name%20desc&fields=id,name');
    expect(first.json).toHaveLength(2);
    expect(Object.keys(first.json[0]).sort()).toEqual(['id', 'name']);
    expect(first.json[0].name).toBe('Umbrella Health GmbH');
    expect(first.headers.get('link')).toMatch(/[?&]page=2>; rel="next"/);
    const second = await api('GET', '/company/companies?pageSize=2&page=2&orderBy=name%20desc');
    expect(second.json).toHaveLength(2);
    expect(second.headers.get('link')).not.toMatch(/rel="next"/);
    expect((await api('GET', '/company/companies?pageSize=5000')).headers.get('link')).toMatch(/pageSize=1000/);
    const count = await api('GET', `/company/companies/count?conditions=${encodeURIComponent('name like "*a*"')}`);
    expect(count.json).toEqual({ count: 3 }); // all but Initech LLC
    const bad = await api('GET', `/company/companies?conditions=${encodeURIComponent('name = Acme')}`);
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/double quotes/);
  });

  test('forward-only paging follows pageId', async () => {
    const h = { ...auth, 'pagination-type': 'forward-only' };
    const page1 = await api('GET', '/company/companies?pageSize=3', undefined, h);
    expect(page1.json).toHaveLength(3);
    const next = /pageId=(\d+)/.exec(page1.headers.get('link') ?? '')![1];
    const page2 = await api('GET', `/company/companies?pageSize=3&pageId=${next}`, undefined, h);
    expect(page2.json.map((c: { id: number }) => c.id)).toEqual([sandbox.state.companies[3]!.id]);
    expect(page2.headers.get('link')).toBe('');
  });

  test('addition create → 201 with computed fields; PATCH; DELETE → 204', async () => {
    const agreementId = acmeAgreement();
    const created = await api('POST', `/finance/agreements/${agreementId}/additions`, newAddition({ unitPrice: 22, unitCost: 18.7 }));
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ agreementId, quantity: 10, billedQuantity: 10, extPrice: 220, product: { identifier: 'M365-BP' } });
    expect(created.json).not.toHaveProperty('cancelledDate'); // ConnectWise leaves empty properties out
    const patched = await api('PATCH', `/finance/agreements/${agreementId}/additions/${created.json.id}`, [
      { op: 'replace', path: 'quantity', value: 14 },
      { op: 'replace', path: '/cancelledDate', value: '2026-03-31T00:00:00Z' },
    ]);
    expect(patched.json).toMatchObject({ quantity: 14, extPrice: 308, cancelledDate: '2026-03-31T00:00:00Z' });
    expect((await api('PATCH', `/finance/agreements/${agreementId}/additions/${created.json.id}`, [{ op: 'replace', path: 'extPrice', value: 1 }])).status).toBe(400);
    expect((await api('DELETE', `/finance/agreements/${agreementId}/additions/${created.json.id}`)).status).toBe(204);
    const gone = await api('GET', `/finance/agreements/${agreementId}/additions/${created.json.id}`);
    expect(gone.status).toBe(404);
    expect(gone.json.code).toBe('NotFound');
  });

  test('validation errors in ConnectWise shape', async () => {
    const agreementId = acmeAgreement();
    const path = `/finance/agreements/${agreementId}/additions`;
    const early = await api('POST', path, newAddition({ effectiveDate: '2026-02-01T00:00:00Z' }));
    expect(early.status).toBe(400);
    expect(early.json).toEqual({
      code: 'InvalidObject',
      message: 'addition object is invalid',
      errors: [{ code: 'InvalidField', message: 'effectiveDate cannot be less than the agreement billing start date', resource: 'addition', field: 'effectiveDate' }],
    });
    const missing = await api('POST', path, { quantity: 1 });
    expect(missing.json.errors.map((e: { field: string; code: string }) => `${e.field}:${e.code}`)).toEqual(['product:MissingRequiredField', 'billCustomer:MissingRequiredField']);
    const unknown = await api('POST', path, newAddition({ product: { id: 999_999 } }));
    expect(unknown.json.errors[0]).toMatchObject({ field: 'product', message: expect.stringMatching(/could not be found/) });
    const enumError = await api('POST', path, newAddition({ billCustomer: 'NoDefault' }));
    expect(enumError.json.errors[0].field).toBe('billCustomer');
  });

  test('invoiced additions cannot be edited or deleted until un-invoiced; next invoice date moves', async () => {
    const agreementId = acmeAgreement();
    const created = (await api('POST', `/finance/agreements/${agreementId}/additions`, newAddition())).json;
    await control('POST', '/additions/invoiced', { ids: [created.id] });
    const patch = await api('PATCH', `/finance/agreements/${agreementId}/additions/${created.id}`, [{ op: 'replace', path: 'quantity', value: 1 }]);
    expect(patch.status).toBe(400);
    expect(patch.json.errors[0].message).toMatch(/already been invoiced/);
    expect((await api('DELETE', `/finance/agreements/${agreementId}/additions/${created.id}`)).status).toBe(400);
    expect((await api('GET', `/finance/agreements/${agreementId}`)).json.nextInvoiceDate).toBe('2026-04-01');
    await control('POST', '/additions/invoiced', { ids: [created.id], invoiced: false });
    expect((await api('DELETE', `/finance/agreements/${agreementId}/additions/${created.id}`)).status).toBe(204);
  });

  test('back-dating into an invoiced period is refused on a non-prorated agreement', async () => {
    const globex = sandbox.state.agreements.find((a) => String(a.name).startsWith('Globex'))!;
    const first = (await api('POST', `/finance/agreements/${globex.id}/additions`, newAddition({ effectiveDate: '2026-01-01T00:00:00Z' }))).json;
    await control('POST', '/additions/invoiced', { ids: [first.id] });
    const late = await api('POST', `/finance/agreements/${globex.id}/additions`, newAddition({ effectiveDate: '2026-01-15T00:00:00Z' }));
    expect(late.status).toBe(400);
    expect(late.json.errors[0].message).toMatch(/already been invoiced/);
  });

  test('per-credential rate limit → 429 with Retry-After', async () => {
    await control('PUT', '/rate-limit', { limit: 3, windowMs: 10_000 });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await api('GET', '/system/info')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await api('GET', '/system/info');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.json.code).toBe('TooManyRequests');
  });

  test('faults: N× 429 with Retry-After, 500 after the write, counters and log', async () => {
    await control('POST', '/faults', { fault: { type: 'status', status: 429, retryAfterSeconds: 2 }, times: 2, method: 'GET' });
    expect((await api('GET', '/system/info')).status).toBe(429);
    const second = await api('GET', '/system/info');
    expect([second.status, second.headers.get('retry-after')]).toEqual([429, '2']);
    expect((await api('GET', '/system/info')).status).toBe(200);

    const agreementId = acmeAgreement();
    await control('POST', '/faults', { fault: { type: 'status', status: 500, afterWrite: true }, times: 1, method: 'POST' });
    const failed = await api('POST', `/finance/agreements/${agreementId}/additions`, newAddition());
    expect(failed.status).toBe(500);
    expect(failed.json.message).toMatch(/timeout/);
    expect(sandbox.state.additions).toHaveLength(1); // written anyway

    const requests = await control('GET', '/requests');
    expect(requests.counters.byStatus).toMatchObject({ '429': 2, '200': 1, '500': 1 });
    expect(requests.log.map((r: { fault?: string }) => r.fault).filter(Boolean)).toEqual(['429', '429', '500 after write']);
    expect(JSON.stringify(requests)).not.toContain(sandbox.credentials.privateKey);
  });

  test('hang: no answer until the client gives up', async () => {
    await control('POST', '/faults', { fault: { type: 'hang' }, times: 1 });
    await expect(fetch(`${sandbox.apiUrl}/system/info`, { headers: auth, signal: AbortSignal.timeout(300) })).rejects.toThrow();
    expect((await api('GET', '/system/info')).status).toBe(200);
  });

  test('state persists to a JSON file across restarts', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const file = `${mkdtempSync(`${tmpdir()}/cw-sandbox-`)}/state.json`;
    const first = await startConnectWiseSandbox({ seed: 'demo', stateFile: file });
    const companies = first.state.companies.length;
    await first.close();
    const second = await startConnectWiseSandbox({ seed: 'empty', stateFile: file });
    try {
      expect(second.state.companies).toHaveLength(companies);
    } finally {
      await second.close();
    }
  });
});
