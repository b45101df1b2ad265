/**
 * The console's pure parts and its route table: every page and action has a role, an action's
 * role is the highest of the API routes it calls, every entry is served (and nothing else
 * under /console), values are escaped, sessions expire, decisions group per run, margins,
 * to-do and grouping, and the mapping clash warnings.
 */
import { createAdminApi, type AdminApiDeps } from '../../client/http/admin-api';
import { ROUTE_CATALOG } from '../../client/http/route-catalog';
import { CONSOLE_ROUTES, roleOfApi } from '../../client/console/console-routes';
import { html, raw, query } from '../../client/console/html';
import { mappingConflicts, productHolding, type SubscriptionLinkView } from '../../client/console/mapping-conflicts';
import { filterRows, groupRows, itemsByRun, itemValue, reviewRows } from '../../client/console/reconciliation-view';
import { cookieValue, createSessionStore, sessionCookie } from '../../client/console/sessions';
import { backTo } from '../../client/console/console-kit';
import type { ReconciliationLogEntry } from '../../app/admin/reconciliation-log';

/** The app over stubs: routes are registered, nothing is called. */
function app() {
  const stub = {} as never;
  const deps: AdminApiDeps = { service: stub, store: stub, access: { tokens: stub, audit: stub } };
  return createAdminApi(deps);
}

describe('console route table', () => {
  it('gives every action the highest role of the API routes it calls, each of them in the API catalog', () => {
    for (const [key, spec] of Object.entries(CONSOLE_ROUTES)) {
      if (!spec.api) continue;
      for (const k of spec.api) expect([key, ROUTE_CATALOG[k]?.role]).toEqual([key, expect.stringMatching(/^(viewer|operator|admin)$/)]);
      expect([key, spec.role]).toEqual([key, roleOfApi(spec.api)]);
    }
    expect(CONSOLE_ROUTES['POST /console/c/:id/reconciliation/decide']!.role).toBe('operator');
    expect(CONSOLE_ROUTES['POST /console/c/:id/rules']!.role).toBe('admin');
    expect(CONSOLE_ROUTES['GET /console/audit']!.role).toBe('admin'); // as GET /api/audit
    expect(() => roleOfApi(['POST /api/nope'])).toThrow(/not a non-public route/);
  });

  it('serves exactly the table under /console; a console route without an entry stops the app', async () => {
    const a = app();
    await a.ready();
    for (const key of Object.keys(CONSOLE_ROUTES)) {
      const [method, url] = key.split(' ') as [string, string];
      expect([key, a.hasRoute({ method: method as 'GET', url })]).toEqual([key, true]);
    }
    await a.close();
    const b = app();
    expect(() => b.get('/console/secret-page', async () => 'x')).toThrow(/no entry in client\/console\/console-routes\.ts/);
    await b.close().catch(() => undefined);
  });

  it('can be left out (console: false): no /console routes', async () => {
    const stub = {} as never;
    const a = createAdminApi({ service: stub, store: stub, access: { tokens: stub, audit: stub }, console: false });
    await a.ready();
    expect(a.hasRoute({ method: 'GET', url: '/console' })).toBe(false);
    await a.close();
  });
});

describe('html', () => {
  it('escapes every interpolated value; Html values and arrays go in as they are', () => {
    const name = `<script>alert("x")</script> & 'co'`;
    expect(html`<td title="${name}">${name}</td>`.value).toBe('<td title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;</td>');
    expect(html`<ul>${['a<', 'b'].map((x) => html`<li>${x}</li>`)}</ul>${null}${false}${raw('<br>')}`.value).toBe('<ul><li>a&lt;</li><li>b</li></ul><br>');
    expect(query({ a: '1 2', b: undefined, c: '' })).toBe('?a=1+2');
  });
  it('leads an action back only to a console page', () => {
    const f = (back: string) => backTo(new URLSearchParams({ back }), '/console');
    expect(f('/console/c/x/mapping?tab=products')).toBe('/console/c/x/mapping?tab=products');
    for (const bad of ['https://evil.example/', '//evil.example/console', '/api/tokens', '/console\\@evil']) expect(f(bad)).toBe('/console');
  });
});

describe('sessions', () => {
  it('keep the token server-side behind a random id; end on sign-out, after 8 h idle and after 12 h', () => {
    let t = 0;
    const s = createSessionStore(() => t);
    const id = s.create('psat_secret');
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(id).not.toContain('psat_secret');
    expect(s.tokenOf(id)).toBe('psat_secret');
    expect(s.tokenOf(`${id.slice(0, -1)}x`)).toBeNull();
    t += 7 * 3_600_000;
    expect(s.tokenOf(id)).toBe('psat_secret'); // active: the idle clock restarts
    t += 6 * 3_600_000;
    expect(s.tokenOf(id)).toBeNull(); // 13 h after sign-in
    const idle = s.create('psat_other');
    t += 8 * 3_600_000 + 1;
    expect(s.tokenOf(idle)).toBeNull();
    const out = s.create('psat_third');
    s.setFlash(out, { kind: 'ok', text: 'done' });
    expect(s.takeFlash(out)).toEqual({ kind: 'ok', text: 'done' });
    expect(s.takeFlash(out)).toBeUndefined();
    s.destroy(out);
    expect(s.tokenOf(out)).toBeNull();
  });
  it('cookie: HttpOnly, SameSite=Strict, Secure when asked; parsed back from a Cookie header', () => {
    expect(sessionCookie('abc', { secure: false })).toBe('psa_console=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200');
    expect(sessionCookie('abc', { secure: true, clear: true })).toBe('psa_console=; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=0');
    expect(cookieValue('a=1; psa_console=xyz; b=2')).toBe('xyz');
    expect(cookieValue('psa_consolex=1')).toBeNull();
  });
});

describe('reconciliation review view', () => {
  const row = (sub: string, over: Partial<ReconciliationLogEntry>): ReconciliationLogEntry => ({ month: '2026-10', provider: 'Microsoft CSP', subscriptionId: sub, status: 'pending-review', updatedAt: 'x', ...over });
  const rows = reviewRows(
    [
      row('s1', { customer: 'Acme', platformCost: '190.50', platformPrice: '224.00', psaCost: '187.00', psaPrice: '220.00' }),
      row('s2', { customer: 'Globex', status: 'reconciled' }),
      row('s3', { customer: 'Acme', status: 'failed', provider: 'AWS' }),
    ],
    new Map([['s1', 'Agreement #7']]),
  );
  it('computes margins and what can be decided', () => {
    expect(rows[0]).toMatchObject({ platformMargin: '33.50', psaMargin: '33.00', agreement: 'Agreement #7', canDecide: true, canRetry: false });
    expect(rows[2]).toMatchObject({ canDecide: false, canRetry: true });
    expect(rows[1]).not.toHaveProperty('platformMargin');
  });
  it('keeps the to-do, filters by status and groups with the most to do first', () => {
    expect(filterRows(rows, { todo: true }).map((r) => r.subscriptionId)).toEqual(['s1', 's3']);
    expect(filterRows(rows, { todo: false, statuses: ['reconciled'] }).map((r) => r.subscriptionId)).toEqual(['s2']);
    expect(groupRows(rows, 'customer').map((g) => [g.label, g.rows.length, g.todo])).toEqual([['Acme', 2, 2], ['Globex', 1, 0]]);
    expect(groupRows(rows, 'agreement').map((g) => g.label)).toEqual(['Agreement #7', 'Not mapped to an agreement']); // one to do each: by name
    expect(groupRows(rows, 'provider').map((g) => g.label)).toEqual(['AWS', 'Microsoft CSP']);
  });
  it('groups selected items per run, ignoring malformed values and repeats', () => {
    expect(itemsByRun([itemValue(rows[0]!), itemValue(rows[2]!), itemValue(rows[0]!), 'x|y', 'a||c'])).toEqual([
      { provider: 'Microsoft CSP', month: '2026-10', subscriptionIds: ['s1'] },
      { provider: 'AWS', month: '2026-10', subscriptionIds: ['s3'] },
    ]);
  });
});

describe('mapping clashes', () => {
  it('warns when two products share a PSA item, or two subscriptions bill one item on one agreement', () => {
    const products = [
      { platformId: 'p-e3', label: 'M365 E3', psaId: 5, psaName: 'Microsoft 365 E3', linked: true },
      { platformId: 'p-e3-old', label: 'Office E3', psaId: 5, linked: true },
      { platformId: 'p-bp', psaId: 6, linked: true },
      { platformId: 'p-free', psaId: 5, linked: false },
    ];
    const subs: SubscriptionLinkView[] = [
      { platformId: 's1', agreementId: 70, productIds: { 'p-e3': 5 }, linked: true },
      { platformId: 's2', agreementId: 70, productIds: { 'p-e3-old': 5 }, linked: true },
      { platformId: 's3', agreementId: 71, productIds: { 'p-e3': 5 }, linked: true },
      { platformId: 's4', agreementId: 70, productIds: { 'p-bp': 6 }, linked: true },
    ];
    const c = mappingConflicts(products, subs, 'catalog item');
    expect(c.map((x) => [x.kind, x.psaId, x.agreementId ?? null, x.platformIds])).toEqual([
      ['product', 5, null, ['p-e3', 'p-e3-old']],
      ['subscription', 5, 70, ['s1', 's2']],
    ]);
    expect(c[0]!.message).toBe('Products M365 E3 (p-e3) and Office E3 (p-e3-old) are all mapped to catalog item #5 (Microsoft 365 E3): their lines could not be told apart');
    expect(mappingConflicts(products.slice(2), subs.slice(2))).toEqual([]);
    expect(productHolding(products, 'p-new', 6)?.platformId).toBe('p-bp');
    expect(productHolding(products, 'p-bp', 6)).toBeNull();
  });
});
