/** Admin API: connections (live credential test before saving, secrets sealed and never shown), rules, bad bodies. */
import { CONNECTIONS } from '../../activities/store';
import { atConnection, cwConnection, request, startHarness, type Harness } from './harness';

const WRONG = 'wrong-secret-7f3a9c';

describe('admin API: connections', () => {
  let h: Harness;
  const bodies: string[] = [];
  const call = async (method: string, url: string, payload?: unknown, raw?: string) => {
    const { status, body, text } = await request(h, method, url, payload, raw);
    bodies.push(text);
    return { status, body };
  };

  beforeAll(async () => {
    h = await startHarness('api_connections');
  });
  afterAll(async () => {
    // No response ever carried a secret, right or wrong.
    for (const b of bodies) {
      expect(b).not.toContain(h.cw.credentials.privateKey);
      expect(b).not.toContain('sandbox-secret-at');
      expect(b).not.toContain(WRONG);
    }
    expect(h.errors).toEqual([]);
    await h.close();
  });

  it('GET /api/health answers ok', async () => {
    expect(await call('GET', '/api/health')).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('saves ConnectWise credentials only after a live test passes; the stored document holds no plaintext secret', async () => {
    const res = await call('POST', '/api/connections', cwConnection(h, 'cw-conn'));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: 'cw-conn', psa: 'connectwise', rules: { positiveChange: 'actual-date', autoSync: false } });
    expect(res.body).not.toHaveProperty('secret');
    const raw = await h.db.collection(CONNECTIONS).findOne({ _id: 'cw-conn' as never });
    expect(JSON.stringify(raw)).not.toContain(h.cw.credentials.privateKey);
    expect(raw?.secret).toEqual(expect.objectContaining({ v: 1 }));
    expect((await call('GET', '/api/connections/cw-conn')).body).not.toHaveProperty('secret');
    expect(await call('POST', '/api/connections/cw-conn/test')).toMatchObject({ status: 200, body: { ok: true, psa: 'connectwise' } });
  });

  it('refuses ConnectWise credentials the PSA rejects: 502 with the PSA message, nothing saved', async () => {
    const res = await call('POST', '/api/connections', cwConnection(h, 'cw-bad', WRONG));
    expect(res.status).toBe(502);
    expect(res.body.psa).toMatchObject({ psa: 'connectwise', kind: 'auth', status: 401 });
    expect(res.body.error).toMatch(/connectwise GET .* failed with auth \(HTTP 401\)/);
    expect(res.body).not.toHaveProperty('stack');
    expect((await call('GET', '/api/connections/cw-bad')).status).toBe(404);
    expect(await h.db.collection(CONNECTIONS).countDocuments({ _id: 'cw-bad' as never })).toBe(0);
  });

  it('does the same for Autotask', async () => {
    const bad = await call('POST', '/api/connections', atConnection(h, 'at-bad', WRONG));
    expect(bad.status).toBe(502);
    expect(bad.body.psa).toMatchObject({ psa: 'autotask', kind: 'auth' });
    expect(bad.body.error).toMatch(/^autotask GET .* failed with auth \(HTTP 401\)/);
    expect(await h.db.collection(CONNECTIONS).countDocuments({ _id: 'at-bad' as never })).toBe(0);
    const good = await call('POST', '/api/connections', atConnection(h, 'at-conn'));
    expect(good.status).toBe(201);
    expect(good.body).toMatchObject({ id: 'at-conn', psa: 'autotask', settings: { username: 'sandbox.api@example.com' } });
  });

  it('lists connections (filter by PSA), 409 on a taken id, 404 on an unknown one', async () => {
    expect((await call('GET', '/api/connections')).body.items.map((c: { id: string }) => c.id)).toEqual(['at-conn', 'cw-conn']);
    expect((await call('GET', '/api/connections?psa=autotask')).body.items.map((c: { id: string }) => c.id)).toEqual(['at-conn']);
    expect(await call('GET', '/api/connections?psa=halo')).toMatchObject({ status: 400, body: { problems: [{ path: 'psa', message: 'must be "connectwise" or "autotask"' }] } });
    expect(await call('POST', '/api/connections', cwConnection(h, 'cw-conn'))).toMatchObject({ status: 409, body: { error: 'connection "cw-conn" already exists' } });
    expect(await call('POST', '/api/connections/nope/test')).toMatchObject({ status: 404, body: { error: 'connection "nope" does not exist' } });
  });

  it('new credentials are tested live before they replace the stored ones', async () => {
    const bad = await call('PUT', '/api/connections/cw-conn/credentials', { secret: WRONG });
    expect(bad.status).toBe(502);
    expect(await call('POST', '/api/connections/cw-conn/test')).toMatchObject({ status: 200 });
    const renamed = await call('PUT', '/api/connections/cw-conn/credentials', { name: 'Main CW', secret: h.cw.credentials.privateKey });
    expect(renamed).toMatchObject({ status: 200, body: { name: 'Main CW' } });
    expect(await call('PUT', '/api/connections/cw-conn/credentials', { settings: { baseUrl: 'not a url' } })).toMatchObject({
      status: 400,
      body: { problems: expect.arrayContaining([{ path: 'settings.baseUrl', message: 'must be a URL such as https://api-na.myconnectwise.net' }]) },
    });
  });

  it('rules: §2 defaults, partial updates, the §7 switch, validation', async () => {
    const rules = await call('GET', '/api/connections/cw-conn/rules');
    expect(rules.body).toEqual({
      positiveChange: 'actual-date',
      negativeChange: 'actual-date',
      cancellation: 'cancellation-date',
      committedDecrease: 'at-renewal',
      fieldToggles: {
        company: { name: true, address: true, city: true, state: true, zip: true, country: true },
        product: { provider: true, name: true, unitPrice: true, unitCost: true, partNumber: true, description: true },
        addition: { unitPrice: true, unitCost: true },
      },
      autoSync: false,
      oneAgreementPerCompany: false,
      timeZone: 'UTC', // the tenant's day a rules change applies from (docs/mapping.md "Rules change")
    });
    const set = await call('PUT', '/api/connections/cw-conn/rules', { positiveChange: 'first-of-month', fieldToggles: { company: { city: false } }, oneAgreementPerCompany: true });
    expect(set.body).toMatchObject({ positiveChange: 'first-of-month', negativeChange: 'actual-date', fieldToggles: { company: { city: false, name: true } }, oneAgreementPerCompany: true });
    const bad = await call('PUT', '/api/connections/cw-conn/rules', { positiveChange: 'tomorrow', fieldToggles: { company: { colour: true } }, autoSync: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.problems).toEqual([
      { path: 'positiveChange', message: 'must be "actual-date" or "first-of-month"' },
      { path: 'fieldToggles.company.colour', message: 'is not a known field' },
      { path: 'autoSync', message: 'must be true or false' },
    ]);
    expect((await call('PUT', '/api/connections/cw-conn/rules', {})).body.problems).toEqual([{ path: '', message: 'must change at least one rule' }]);
  });

  it('answers bad bodies with 400 and one problem per field, never echoing the body', async () => {
    const missing = await call('POST', '/api/connections', { id: 'x1', name: 'x' });
    expect(missing.status).toBe(400);
    expect(missing.body.problems).toEqual([{ path: 'psa', message: 'must be "connectwise" or "autotask"' }]);
    const fields = await call('POST', '/api/connections', { id: 'Bad Id', psa: 'connectwise', name: '', settings: { baseUrl: 'ftp://x', companyId: 'a' }, secret: '', extra: 1 });
    expect(fields.status).toBe(400);
    expect(fields.body.problems.map((p: { path: string }) => p.path)).toEqual(
      expect.arrayContaining(['id', 'name', 'settings.baseUrl', 'settings.publicKey', 'settings.clientId', 'secret', 'extra']),
    );
    const json = await call('POST', '/api/connections', undefined, `{"secret": "${WRONG}", oops`);
    expect(json.status).toBe(400);
    expect(json.body).toEqual({ error: 'invalid input', problems: [{ path: 'body', message: 'is not valid JSON' }] });
    expect((await call('GET', '/api/nothing-here')).status).toBe(404);
  });

  it('deletes a connection and its mapping records', async () => {
    expect(await call('DELETE', '/api/connections/at-conn')).toMatchObject({ status: 200, body: { deleted: true } });
    expect((await call('GET', '/api/connections/at-conn')).status).toBe(404);
  });
});
