/**
 * Issue 11 gaps 6 and 9: the sandboxes behave like the real APIs where other clients (and ours)
 * would notice — strict where the vendor is strict, lenient where it is lenient — and share no
 * code with the connector's clients. Spoken to over HTTP, as a third-party client would.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS as AT, startAutotaskSandbox, type AutotaskSandbox } from '../../sandbox/autotask/server';
import { startConnectWiseSandbox, type ConnectWiseSandbox } from '../../sandbox/connectwise/server';

let at: AutotaskSandbox;
let cw: ConnectWiseSandbox;
let cwAuth: Record<string, string>;
beforeAll(async () => {
  at = await startAutotaskSandbox({ port: 0, seed: 'demo', today: () => '2026-03-10' });
  cw = await startConnectWiseSandbox({ seed: 'demo', rateLimit: { limit: 0, windowMs: 1 } });
  const c = cw.credentials;
  cwAuth = { authorization: `Basic ${Buffer.from(`${c.companyId}+${c.publicKey}:${c.privateKey}`).toString('base64')}`, clientid: c.clientId };
});
afterAll(async () => {
  await at?.close();
  await cw?.close();
});

const atHeaders = { ApiIntegrationCode: AT.integrationCode, UserName: AT.username, Secret: AT.secret, 'Content-Type': 'application/json' };
async function atCall(method: string, path: string, body?: unknown) {
  const res = await fetch(`${at.url}/ATServicesRest/V1.0${path}`, { method, headers: atHeaders, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { errors?: string[]; items?: { id: number }[] } };
}
async function cwCall(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${cw.apiUrl}${path}`, {
    method,
    headers: { ...cwAuth, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as any) : null };
}

describe('gap 6: the sandboxes read requests with their own code', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : f.endsWith('.ts') ? [join(dir, f)] : []));

  it.each(['sandbox/autotask', 'sandbox/connectwise', 'sandbox/shared'])('%s imports nothing from the connector\'s PSA clients', (dir) => {
    const offenders = files(dir).filter((f) => /from '(\.\.\/)+activities\//.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('Autotask: a filter on a field the entity lacks is a 500 in Autotask\'s words; an unknown operator is dropped', async () => {
    expect(await atCall('POST', '/Companies/query', { filter: [{ op: 'eq', field: 'customerName', value: 'x' }] })).toEqual({
      status: 500,
      body: { errors: ['Unable to find customerName in the Company Entity'] },
    });
    const count = (await atCall('POST', '/Companies/query/count', { filter: [{ op: 'gte', field: 'id', value: 0 }] })).body as unknown as { queryCount: number };
    const ignored = await atCall('POST', '/Companies/query', { filter: [{ op: 'ne', field: 'id', value: 1001 }] });
    expect(ignored.status).toBe(200);
    expect(ignored.body.items).toHaveLength(count.queryCount); // the condition was ignored: every company
  });

  it('ConnectWise: a condition or orderBy on a name the record lacks is a 400 "… is not a recognized name."', async () => {
    const unknown = await cwCall('GET', `/company/companies?conditions=${encodeURIComponent('typeids = 1')}`);
    expect([unknown.status, unknown.json]).toEqual([400, { code: 'ApiFindCondition', message: 'typeids is not a recognized name.' }]);
    expect((await cwCall('GET', `/company/companies?conditions=${encodeURIComponent('company/nope = 1')}`)).status).toBe(400);
    expect((await cwCall('GET', '/company/companies?orderBy=nope%20asc')).json).toMatchObject({ message: 'nope is not a recognized name.' });
    const agreements = await cwCall('GET', `/finance/agreements?conditions=${encodeURIComponent('company/identifier = "ACME"')}`);
    expect(agreements.status).toBe(200);
    expect(agreements.json).toHaveLength(1);
  });
});

describe('gap 9: ConnectWise sandbox behaviour that other clients rely on', () => {
  const acme = () => cw.state.agreements.find((a) => String(a.name).startsWith('Acme'))!.id;
  const newLine = async () =>
    (await cwCall('POST', `/finance/agreements/${acme()}/additions`, { product: { identifier: 'M365-BP' }, billCustomer: 'Billable', quantity: 2, effectiveDate: '2026-03-01T00:00:00Z' })).json as { id: number };

  it('PATCH accepts a reference sub-path (product/id, /product/id)', async () => {
    const line = await newLine();
    const e3 = cw.state.catalog.find((c) => c.identifier === 'M365-E3')!.id;
    const e5 = cw.state.catalog.find((c) => c.identifier === 'M365-E5')!.id;
    const first = await cwCall('PATCH', `/finance/agreements/${acme()}/additions/${line.id}`, [{ op: 'replace', path: 'product/id', value: e3 }]);
    expect([first.status, (first.json.product as { identifier: string }).identifier]).toEqual([200, 'M365-E3']);
    const second = await cwCall('PATCH', `/finance/agreements/${acme()}/additions/${line.id}`, [{ op: 'replace', path: '/product/id', value: e5 }]);
    expect((second.json.product as { identifier: string }).identifier).toBe('M365-E5');
  });

  it('DELETE with a JSON content type and no body is a 204', async () => {
    const line = await newLine();
    expect((await cwCall('DELETE', `/finance/agreements/${acme()}/additions/${line.id}`, undefined, { 'content-type': 'application/json' })).status).toBe(204);
  });

  it('the Link header ends in the page number, after the request\'s own parameters', async () => {
    const res = await cwCall('GET', `/company/companies?conditions=${encodeURIComponent('id > 0')}&pageSize=2&page=1`);
    const next = /<([^>]+)>; rel="next"/.exec(res.headers.get('link') ?? '')![1]!;
    expect(next).toMatch(/\?conditions=id\+%3E\+0&pageSize=2&page=2$/);
  });

  it('serves /login/companyinfo/{company} without credentials', async () => {
    const res = await fetch(`${cw.url}/login/companyinfo/${cw.credentials.companyId.toUpperCase()}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ Codebase: 'v4_6_release/', CompanyID: cw.credentials.companyId, IsCloud: true });
    expect((await fetch(`${cw.url}/login/companyinfo/nobody`)).status).toBe(404);
  });

  it('leaves empty properties out of its answers, as ConnectWise does', async () => {
    const line = await newLine();
    const got = await cwCall('GET', `/finance/agreements/${acme()}/additions/${line.id}`);
    expect(got.json).not.toHaveProperty('cancelledDate');
    expect(Object.values(got.json).includes(null)).toBe(false);
  });
});

describe('GET /__sandbox lists the control routes', () => {
  it.each([
    ['Autotask', () => at.url, ['/__sandbox/autotask/invoice', '/__sandbox/faults', '/__sandbox/reset']],
    ['ConnectWise', () => cw.url, ['/__sandbox/additions/invoiced', '/__sandbox/seed', '/__sandbox/state']],
  ])('%s', async (_name, url, expected) => {
    const res = await fetch(`${url()}/__sandbox`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { docs: string; routes: { method: string; path: string }[] };
    expect(body.docs).toBe('sandbox/README.md');
    expect(body.routes.map((r) => r.path)).toEqual(expect.arrayContaining(expected));
    expect(body.routes).toContainEqual({ method: 'GET', path: '/__sandbox' });
  });
});
