/**
 * The admin console in a real browser (Debian's chromium through playwright-core) against the
 * real admin API, a real worker, Temporal, FerretDB and the ConnectWise sandbox: a month's
 * review (accept one item and see its line in the sandbox; reject two with a note), mapping a
 * customer from a typo'd name, reading a subscription's timeline and next invoice, and a viewer
 * who cannot accept. Everything the browser does is checked through the API and the sandbox,
 * not only on the page.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { testServers } from '../setup/servers';
import { cwConnection, request, startHarness, type Harness } from '../api/harness';
import { signIn, startBrowser, type ConsoleBrowser, type Page } from './browser';
import { eventually, pastMonth } from '../support/eventually';

const C = 'cw-console';
const PROVIDER = 'Microsoft CSP';

describe('admin console in a browser', () => {
  let h: Harness;
  let native: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  let b: ConsoleBrowser;
  let operator: string;
  let viewer: string;
  const month = pastMonth();
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await request(h, method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  };
  const additions = () => h.cw.state.additions as Array<Record<string, unknown>>;

  beforeAll(async () => {
    h = await startHarness('console_e2e', { operations: true });
    operator = (await h.store.tokens.create({ name: 'billing-ops', role: 'operator' }, 'test')).token;
    viewer = (await h.store.tokens.create({ name: 'auditor', role: 'viewer' }, 'test')).token;
    native = await NativeConnection.connect({ address: testServers().temporalAddress });
    worker = await Worker.create({
      connection: native,
      taskQueue: h.taskQueue,
      workflowBundle: { codePath: testServers().workflowBundle },
      activities: h.rt.activities(),
    });
    running = worker.run();
    b = await startBrowser();

    // The MSP's set-up and the platform's records, over the API: three subscriptions of Acme.
    await api('POST', '/api/connections', cwConnection(h, C));
    await api('PUT', '/api/platform/customers', { customers: [{ id: 'c-acme', name: 'Acme Corporation' }, { id: 'c-typo', name: 'Inittech' }] });
    await api('PUT', '/api/platform/products', { products: [{ id: 'p-bp', name: 'Microsoft 365 Business Premium', partNumber: 'M365-BP', provider: PROVIDER, unitPrice: '22.00', unitCost: '18.70', billingFrequency: 'monthly' }] });
    const company = (await api('GET', `/api/connections/${C}/customers/c-acme/suggestions`)).matches[0].id as number;
    await api('POST', `/api/connections/${C}/customers/c-acme/mapping`, { psaId: company });
    const item = (await api('GET', `/api/connections/${C}/products/p-bp/suggestions`)).matches[0].id as number;
    await api('POST', `/api/connections/${C}/products/p-bp/mapping`, { psaId: item });
    for (const id of ['sub-a', 'sub-b', 'sub-c']) {
      await api('POST', `/api/connections/${C}/subscriptions`, {
        customerId: 'c-acme',
        provider: PROVIDER,
        subscription: { id, productId: 'p-bp', quantity: 10, unitPrice: '22.00', unitCost: '18.70', startDate: '2026-03-01', endDate: null, billingFrequency: 'monthly', autoRenew: true },
      });
      await eventually(async () => ((await request(h, 'GET', `/api/connections/${C}/subscriptions/${id}/suggestions`)).status === 200 ? true : undefined), `${id} reported`, 30_000);
      await api('POST', `/api/connections/${C}/subscriptions/${id}/mapping`, { description: `M365 for Acme ${id}` });
      await eventually(async () => {
        const s = await api('GET', `/api/connections/${C}/subscriptions/${id}/state`);
        return Object.keys(s.mapping?.lineIds ?? {}).length > 0 ? true : undefined;
      }, `${id}'s base line`, 30_000);
    }
    // The month's invoices: each customer invoice 10.00 above what the PSA bills (220.00).
    await api('POST', '/api/platform/invoices', {
      invoices: ['sub-a', 'sub-b', 'sub-c'].flatMap((s) => [
        { id: `R-${s}`, kind: 'reseller', subscriptionId: s, customerId: 'c-acme', provider: PROVIDER, month, quantity: 10, amount: '187.00' },
        { id: `C-${s}`, kind: 'customer', subscriptionId: s, customerId: 'c-acme', provider: PROVIDER, month, quantity: 10, amount: '230.00' },
      ]),
    });
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    worker?.shutdown();
    await running;
    await native?.close();
    expect(h.errors).toEqual([]);
    await h.close();
  });

  const review = (page: Page) => page.goto(`${h.url}/console/c/${C}/reconciliation?month=${month}&view=all`);
  const rowOf = (page: Page, sub: string) => page.locator('tr', { has: page.locator(`a:text-is("${sub}")`) });

  it('signs in with a token and refuses a wrong one; signing out ends the session', async () => {
    const page = await b.page();
    await page.goto(`${h.url}/console`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
    await page.getByLabel('API token').fill('psat_wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('not valid');
    await signIn(page, h.url, operator);
    await expect(page.locator('.who').textContent()).resolves.toContain('billing-ops');
    const cookies = await page.context().cookies(h.url);
    const session = cookies.find((c) => c.name === 'psa_console')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(session.value).not.toContain(operator);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto(`${h.url}/console`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
    await page.close();
  });

  it('reviews the month: accepts one item (its line appears in the sandbox) and rejects two with a note', async () => {
    await api('POST', `/api/connections/${C}/reconciliation/runs/${encodeURIComponent(PROVIDER)}/${month}`);
    await eventually(async () => {
      const rows = (await api('GET', `/api/connections/${C}/reconciliation/log?from=${month}&to=${month}&status=pending-review`)).rows as unknown[];
      return rows.length === 3 ? true : undefined;
    }, 'the pending reviews', 30_000);
    const page = await b.page();
    page.on('dialog', (d) => void d.accept());
    await signIn(page, h.url, operator, `/console/c/${C}/reconciliation?month=${month}`);
    // The to-do view: three items with platform vs PSA values and the reason.
    const a = rowOf(page, 'sub-a');
    await expect(a.textContent()).resolves.toMatch(/230\.00[\s\S]*220\.00[\s\S]*price: platform 230\.00, PSA 220\.00/);
    const before = additions().length;
    await a.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Accept selected' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain('Accepted 1 item(s)');
    // The accept posted the month's delta as a new quantity-1 line in the ConnectWise sandbox.
    const posted = additions().slice(before);
    expect(posted).toHaveLength(1);
    expect(posted[0]).toMatchObject({ quantity: 1, unitPrice: 10, unitCost: 0 });

    await rowOf(page, 'sub-b').getByRole('checkbox').check();
    await rowOf(page, 'sub-c').getByRole('checkbox').check();
    await page.getByLabel(/^Note/).fill('distributor credit note CN-118 covers it');
    await page.getByRole('button', { name: 'Reject selected' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain('Rejected 2 item(s) with your note');
    const rows = (await api('GET', `/api/connections/${C}/reconciliation/log?from=${month}&to=${month}`)).rows as Array<Record<string, unknown>>;
    expect(rows.map((r) => [r.subscriptionId, r.status, r.decidedBy, r.decisionNote ?? null]).sort()).toEqual([
      ['sub-a', 'reconciled', 'billing-ops', null],
      ['sub-b', 'rejected', 'billing-ops', 'distributor credit note CN-118 covers it'],
      ['sub-c', 'rejected', 'billing-ops', 'distributor credit note CN-118 covers it'],
    ]);
    expect(additions().length).toBe(before + 1); // a reject posts nothing
    // The note is on the page and in the CSV of the view; the audit log has each decision under the token's name.
    await review(page);
    await expect(rowOf(page, 'sub-b').textContent()).resolves.toContain('distributor credit note CN-118 covers it');
    const csv = await page.evaluate(async (u) => (await fetch(u)).text(), `/console/c/${C}/reconciliation.csv?month=${month}&view=all`);
    expect(csv.split('\n')[0]).toMatch(/,Decision note$/);
    expect(csv).toContain('distributor credit note CN-118 covers it');
    const audit = (await api('GET', '/api/audit?who=billing-ops&action=reconciliation')).items as Array<Record<string, unknown>>;
    expect(audit.map((e) => [e.action, e.outcome])).toEqual(
      expect.arrayContaining([
        ['POST /api/connections/:connectionId/reconciliation/runs/:provider/:month/accept', 'ok'],
        ['POST /api/connections/:connectionId/reconciliation/runs/:provider/:month/reject', 'ok'],
      ]),
    );
    await page.close();
  });

  it('maps a customer from a typo-tolerant suggestion ("Inittech" finds Initech LLC)', async () => {
    const page = await b.page();
    await signIn(page, h.url, operator, `/console/c/${C}/mapping?tab=customers`);
    const row = page.locator('tr', { has: page.locator('strong:text-is("Inittech")') });
    const first = row.locator('label.suggestion').first();
    await expect(first.textContent()).resolves.toContain('Initech LLC');
    await expect(first.getByRole('radio').isChecked()).resolves.toBe(true);
    // What Map & Sync would write, before anything is written.
    await row.getByText('What Map & Sync would write').click();
    await expect(row.locator('.preview').textContent()).resolves.toContain('name: Inittech');
    await row.getByRole('button', { name: 'Map', exact: true }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain('Mapped c-typo');
    const initech = h.cw.state.companies.find((c) => c.name === 'Initech LLC')!;
    const mapping = (await api('GET', `/api/connections/${C}/customers?status=mapped`)).items.find((m: { platformId: string }) => m.platformId === 'c-typo');
    expect(mapping).toMatchObject({ status: 'mapped', psaId: initech.id });
    await page.close();
  });

  it('shows a subscription: its timeline, its PSA lines with ids, its events and its next invoice', async () => {
    await api('POST', `/api/connections/${C}/subscriptions/sub-a/events`, { id: 'sub-a-e1', type: 'quantity-changed', date: '2026-04-10', quantity: 12 });
    const lineIds = await eventually(async () => {
      const s = await api('GET', `/api/connections/${C}/subscriptions/sub-a/state`);
      return Object.keys(s.workflow?.lineIds ?? {}).length >= 2 && !s.workflow.syncing ? (s.workflow.lineIds as Record<string, number>) : undefined;
    }, 'the delta line', 30_000);
    const page = await b.page();
    await signIn(page, h.url, viewer, `/console/c/${C}/subscriptions/sub-a`);
    await expect(page.locator('svg[role=img] desc').textContent()).resolves.toBe('p-bp 10 from 2026-03-01 to 2026-04-09; p-bp 12 from 2026-04-10');
    const lines = await page.locator('section', { has: page.getByRole('heading', { name: 'PSA lines' }) }).textContent();
    for (const id of Object.values(lineIds)) expect(lines).toContain(`#${id}`);
    await expect(page.locator('section', { has: page.getByRole('heading', { name: 'Events' }) }).textContent()).resolves.toMatch(/quantity-changed[\s\S]*quantity → 12[\s\S]*applied/);
    // Next month: 12 licenses × 22.00 for the whole month (the change was long ago: no proration).
    await expect(page.getByTestId('invoice-total').textContent()).resolves.toBe('264.00');
    await page.close();
  });

  it('a viewer cannot accept: the buttons are disabled and the server refuses anyway (403)', async () => {
    const page = await b.page();
    await signIn(page, h.url, viewer, `/console/c/${C}/reconciliation?month=${month}&view=all`);
    await expect(page.getByRole('button', { name: 'Accept selected' }).isDisabled()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Reject selected' }).isDisabled()).resolves.toBe(true);
    // A hand-made POST (same origin, valid session): the console refuses before calling the API.
    const status = await page.evaluate(
      async ([u, m]) => (await fetch(u!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `action=accept&item=${encodeURIComponent(`Microsoft CSP|${m}|sub-b`)}` })).status,
      [`/console/c/${C}/reconciliation/decide`, month],
    );
    expect(status).toBe(403);
    // The API behind it refuses the session too, and audits the refusal under the viewer's name.
    const direct = await page.evaluate(
      async (u) => (await fetch(u, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ all: true }) })).status,
      `/api/connections/${C}/reconciliation/runs/${encodeURIComponent(PROVIDER)}/${month}/accept`,
    );
    expect(direct).toBe(403);
    const audit = (await api('GET', '/api/audit?who=auditor')).items as Array<Record<string, unknown>>;
    expect(audit[0]).toMatchObject({ outcome: 'refused', status: 403, action: 'POST /api/connections/:connectionId/reconciliation/runs/:provider/:month/accept' });
    await page.close();
  });

  it('refuses a change or a sign-in from another site (CSRF)', async () => {
    const page = await b.page();
    await signIn(page, h.url, operator);
    const cookie = (await page.context().cookies(h.url)).find((c) => c.name === 'psa_console')!.value;
    const res = await fetch(`${h.url}/console/c/${C}/reconciliation/decide`, {
      method: 'POST',
      headers: { cookie: `psa_console=${cookie}`, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'action=reject&item=x',
      redirect: 'manual',
    });
    expect(res.status).toBe(403);
    // Nor may another site sign a browser in with a token of its choosing.
    const login = await fetch(`${h.url}/console/login`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${encodeURIComponent(operator)}`,
      redirect: 'manual',
    });
    expect(login.status).toBe(403);
    expect(login.headers.get('set-cookie')).toBeNull();
    await page.close();
  });
});
