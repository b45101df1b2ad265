/**
 * Renewals over the admin API and the real `psa-connector` CLI (docs/renewals.md): which
 * commitments end within the next N days (the connection's renewal days by default), paging,
 * per-field validation (HTTP 400 problem JSON, CLI exit 2 with `path: reason` lines), and each
 * subscription's commitment in the subscription view and the subscriptions list. FerretDB and
 * Temporal from the jest global setup; no worker runs, so the commitments are recorded the way
 * the subscription workflow records them (store.commitments.record — the workflow's own write
 * is covered by test/workflows/commitment-renewal.test.ts).
 */
import { addDays, isoDateOf } from '../../domain/dates';
import type { CommitmentRecord } from '../../activities/store';
import { cwConnection, demoCustomers, demoProducts, report, request, runCli, startHarness, type Harness } from './harness';

const C = 'cw-renewals';
const base = `/api/connections/${C}`;

describe('renewals due: API and CLI', () => {
  let h: Harness;
  const call = (method: string, path: string, payload?: unknown) => request(h, method, path, payload);
  const cli = (args: string[]) => runCli(args, { PSA_CONNECTOR_API: h.url, PSA_CONNECTOR_TOKEN: h.adminToken });
  /** The API's day: the renewals window starts today (UTC). */
  const today = isoDateOf(Date.now());
  const commitment = (subscriptionId: string, endsIn: number | null, over: Partial<Omit<CommitmentRecord, 'updatedAt'>> = {}) =>
    h.store.commitments.record({
      connectionId: C, subscriptionId, customerId: 'c-acme', customerName: 'Acme Ltd.', productId: 'p-m365bp', productName: 'Microsoft 365 Business Premium',
      quantity: 10, asOf: today, term: 'annual', termStart: addDays(today, -200),
      commitmentEnd: endsIn === null ? null : addDays(today, endsIn), nextRenewal: endsIn === null ? null : addDays(today, endsIn + 1),
      autoRenew: true, scheduledDecrease: null, ...over,
    });

  beforeAll(async () => {
    h = await startHarness('api_renewals', { operations: true });
    expect((await call('POST', '/api/connections', cwConnection(h, C))).status).toBe(201);
    expect((await call('PUT', '/api/platform/customers', { customers: demoCustomers })).status).toBe(200);
    expect((await call('PUT', '/api/platform/products', { products: demoProducts })).status).toBe(200);
    expect((await call('POST', `${base}/subscriptions`, report('sub-annual', 'c-acme', 'p-m365bp', { endDate: null, commitmentTerm: 'annual' }))).status).toBe(202);
    await commitment('sub-annual', 10, { quantity: 7, scheduledDecrease: { date: addDays(today, 11), from: 10, to: 7 } });
    await commitment('sub-today', 0, { customerId: 'c-globex', customerName: 'Globex Corp' });
    await commitment('sub-day-30', 30, { autoRenew: false, nextRenewal: null });
    await commitment('sub-day-31', 31);
    await commitment('sub-ended', -1);
    await commitment('sub-cancelled', null);
    await h.store.commitments.record({ ...(await h.store.commitments.get(C, 'sub-today'))!, connectionId: 'cw-elsewhere', subscriptionId: 'sub-other-connection' });
  });
  afterAll(async () => {
    expect(h.errors).toEqual([]);
    await h.close();
  });

  it('GET /renewals: the commitments ending from today to today + 30 days (the default), soonest first, with the decrease waiting for the renewal', async () => {
    const res = await call('GET', `${base}/renewals`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ connectionId: C, from: today, through: addDays(today, 30), days: 30, total: 3 });
    expect(res.body.items.map((r: CommitmentRecord) => [r.subscriptionId, r.commitmentEnd])).toEqual([
      ['sub-today', today],
      ['sub-annual', addDays(today, 10)],
      ['sub-day-30', addDays(today, 30)],
    ]);
    expect(res.body.items[1]).toEqual({
      subscriptionId: 'sub-annual', customerId: 'c-acme', customerName: 'Acme Ltd.', productId: 'p-m365bp', productName: 'Microsoft 365 Business Premium',
      quantity: 7, term: 'annual', commitmentEnd: addDays(today, 10), nextRenewal: addDays(today, 11), autoRenew: true,
      scheduledDecrease: { date: addDays(today, 11), from: 10, to: 7 },
    });
  });

  it("?days=N looks N days ahead; without it, the connection's renewal days (notifications --renewal-days)", async () => {
    expect((await call('GET', `${base}/renewals?days=31`)).body).toMatchObject({ days: 31, total: 4 });
    expect((await call('GET', `${base}/renewals?days=5`)).body.items.map((r: CommitmentRecord) => r.subscriptionId)).toEqual(['sub-today']);
    expect((await call('PUT', `${base}/notifications`, { renewalDays: 10 })).status).toBe(200);
    expect((await call('GET', `${base}/renewals`)).body).toMatchObject({ days: 10, through: addDays(today, 10), total: 2 });
    expect((await call('PUT', `${base}/notifications`, { renewalDays: 30 })).status).toBe(200);
  });

  it('pages with limit and skip', async () => {
    const page = await call('GET', `${base}/renewals?days=60&limit=2&skip=2`);
    expect(page.body.total).toBe(4);
    expect(page.body.items.map((r: CommitmentRecord) => r.subscriptionId)).toEqual(['sub-day-30', 'sub-day-31']);
  });

  it('bad input: 400 with one problem per field; an unknown connection: 404', async () => {
    expect(await call('GET', `${base}/renewals?days=0&limit=many`)).toMatchObject({
      status: 400,
      body: { problems: [{ path: 'days', message: 'must be at least 1 day' }, { path: 'limit', message: 'must be a number' }] },
    });
    expect((await call('GET', `${base}/renewals?days=367`)).body.problems).toEqual([{ path: 'days', message: 'must be at most 366 days' }]);
    expect((await call('GET', `${base}/renewals?days=soon`)).body.problems).toEqual([{ path: 'days', message: 'must be a number of days' }]);
    expect((await call('GET', '/api/connections/cw-nope/renewals')).status).toBe(404);
  });

  it("each subscription's commitment end: in the subscription view and in the subscriptions list", async () => {
    const view = await call('GET', `${base}/subscriptions/sub-annual/state`);
    expect(view.status).toBe(200);
    expect(view.body.commitment).toMatchObject({ term: 'annual', commitmentEnd: addDays(today, 10), nextRenewal: addDays(today, 11), scheduledDecrease: { to: 7 } });
    const list = await call('GET', `${base}/subscriptions`);
    expect(list.body.items.find((i: { platformId: string }) => i.platformId === 'sub-annual')).toMatchObject({
      platform: { commitmentTerm: 'annual' },
      commitment: { term: 'annual', commitmentEnd: addDays(today, 10), nextRenewal: addDays(today, 11), autoRenew: true, scheduledDecrease: { date: addDays(today, 11), from: 10, to: 7 }, asOf: today },
    });
  });

  it('CLI: `renewals due` prints what the API answers; bad flags exit 2 with `path: reason` lines', async () => {
    const ok = await cli(['renewals', 'due', '-c', C, '--days', '31']);
    expect({ code: ok.code, stderr: ok.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(ok.stdout)).toEqual((await call('GET', `${base}/renewals?days=31`)).body);

    const bad = await cli(['renewals', 'due', '-c', C, '--days', '400', '--limit', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toEqual(['days: must be at most 366 days', 'limit: must be at least 1']);

    const set = await cli(['notifications', 'set', '-c', C, '--renewals', 'on', '--renewal-days', 'ninety']);
    expect(set.code).toBe(2);
    expect(set.stderr.trim()).toBe('renewalDays: must be a number of days');
    const good = await cli(['notifications', 'set', '-c', C, '--renewals', 'on', '--renewal-days', '45']);
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ templates: { renewals: true }, renewalDays: 45 });
    expect(JSON.parse((await cli(['renewals', 'due', '-c', C])).stdout)).toMatchObject({ days: 45, total: 4 });
  });
});
