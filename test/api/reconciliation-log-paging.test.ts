/**
 * The reconciliation log and the console's review at the size of a big month (issue 15): the
 * log's JSON answers a page with the total (`offset`, `limit`), the CSV export has every row,
 * each row carries its agreement and its invoices' amendments, and the console shows the month
 * a page at a time with links to the neighbouring pages.
 */
import { REVIEW_PAGE } from '../../client/console/pages/reconciliation';
import { cwConnection, request, startHarness, type Harness } from './harness';

const C = 'cw-log-pages';
const PROVIDER = 'Microsoft CSP';
const MONTH = '2026-05';
const N = 450;
const sub = (i: number) => `sub-${String(i).padStart(4, '0')}`;

describe('the reconciliation log and review at size', () => {
  let h: Harness;
  const api = async (path: string) => {
    const res = await request(h, 'GET', path);
    if (res.status >= 300) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
    return res;
  };

  beforeAll(async () => {
    h = await startHarness('recon_log_pages', { operations: true });
    expect((await request(h, 'POST', '/api/connections', cwConnection(h, C))).status).toBe(201);
    for (let i = 0; i < N; i++) {
      await h.store.reconciliations.record(
        { connectionId: C, provider: PROVIDER, month: MONTH, subscriptionId: sub(i) },
        { status: i % 9 === 0 ? 'pending-review' : 'reconciled', reason: 'checked', customerId: 'c-acme', customerName: 'Acme Corporation', plan: 'M365 BP', productId: 'p-bp', kind: 'saas', agreementId: 7 },
      );
    }
    // The customer invoice of the third row, sent and then amended by the platform.
    const invoice = (amount: string) => ({ invoices: [{ id: 'C-3', kind: 'customer', subscriptionId: sub(2), customerId: 'c-acme', provider: PROVIDER, month: MONTH, quantity: 10, amount }] });
    for (const amount of ['230.00', '240.00']) expect((await request(h, 'POST', '/api/platform/invoices', invoice(amount))).status).toBeLessThan(300);
  }, 120_000);
  afterAll(async () => {
    expect(h.errors).toEqual([]);
    await h.close();
  });

  it('answers a page of the log with the total; pages join up in the log order', async () => {
    const path = (q: string) => `/api/connections/${C}/reconciliation/log?from=${MONTH}&to=${MONTH}&${q}`;
    const first = (await api(path('limit=200'))).body as { rows: Array<Record<string, unknown>>; total: number; offset: number };
    expect(first).toMatchObject({ total: N, offset: 0 });
    expect(first.rows.map((r) => r.subscriptionId)).toEqual([...Array(200).keys()].map(sub));
    expect(first.rows[0]).toMatchObject({ agreementId: 7, customer: 'Acme Corporation' });
    expect(String(first.rows[2]!.invoiceAmendments)).toMatch(/customer invoice C-3 amended .*amount 230\.00 → 240\.00/);
    const last = (await api(path('limit=200&offset=400'))).body as typeof first;
    expect(last).toMatchObject({ total: N, offset: 400 });
    expect(last.rows.map((r) => r.subscriptionId)).toEqual([...Array(50).keys()].map((i) => sub(400 + i)));
    const todo = (await api(path('status=pending-review&limit=10'))).body as typeof first;
    expect(todo.total).toBe(Math.ceil(N / 9));
    expect((await request(h, 'GET', path('offset=-1'))).body).toMatchObject({ problems: [{ path: 'offset', message: 'must be at least 0' }] });
  });

  it('exports every row of the month as CSV', async () => {
    const res = await fetch(`${h.url}/api/connections/${C}/reconciliation/log.csv?from=${MONTH}&to=${MONTH}`, { headers: { authorization: `Bearer ${h.adminToken}` } });
    expect(res.status).toBe(200);
    const lines = (await res.text()).trim().split('\n');
    expect(lines).toHaveLength(N + 1);
    expect(lines[3]).toContain('amount 230.00 → 240.00');
  });

  it('shows the month in the console a page at a time', async () => {
    const login = await fetch(`${h.url}/console/login`, {
      method: 'POST',
      headers: { origin: h.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${encodeURIComponent(h.adminToken)}`,
      redirect: 'manual',
    });
    const cookie = /psa_console=[^;]+/.exec(login.headers.get('set-cookie') ?? '')?.[0];
    expect(cookie).toBeDefined();
    const page = async (offset?: number) => {
      const res = await fetch(`${h.url}/console/c/${C}/reconciliation?month=${MONTH}&view=all${offset === undefined ? '' : `&offset=${offset}`}`, { headers: { cookie: cookie! } });
      expect(res.status).toBe(200);
      const body = await res.text();
      return { body, subs: [...body.matchAll(/class="mono">(sub-\d+)</g)].map((m) => m[1]) };
    };
    const first = await page();
    expect(first.subs).toEqual([...Array(REVIEW_PAGE).keys()].map(sub));
    expect(first.body).toContain(`Items 1–${REVIEW_PAGE} of ${N}`);
    expect(first.body).toContain('Agreement #7');
    expect(first.body).toMatch(/rel="next"/);
    expect(first.body).not.toMatch(/rel="prev"/);
    const last = await page(2 * REVIEW_PAGE);
    expect(last.subs).toEqual([...Array(N - 2 * REVIEW_PAGE).keys()].map((i) => sub(2 * REVIEW_PAGE + i)));
    expect(last.body).toContain(`Items ${2 * REVIEW_PAGE + 1}–${N} of ${N}`);
    expect(last.body).toMatch(/rel="prev"/);
    expect(last.body).not.toMatch(/rel="next"/);
  });
});
