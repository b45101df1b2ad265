/**
 * Every route the admin API serves, as a table: anonymous and wrong-token calls get 401, a
 * token whose role is too low 403, a token limited to another connection 403, the role the
 * catalog names gets through — and every change it makes lands in the audit log under the
 * token's name. The table is the API's own route list (GET /api), so a new route is covered
 * the moment it exists; a route missing from the catalog (no role) stops the API at start-up.
 */
import type { Role } from '../../activities/store';
import { createAdminApi } from '../../client/http/admin-api';
import { ROUTE_CATALOG, routeKey, type Access } from '../../client/http/route-catalog';
import { request, startHarness, type Harness } from '../api/harness';

const LOWER: Record<Access, Role | null> = { public: null, viewer: null, operator: 'viewer', admin: 'operator' };

/** Concrete values for path parameters (records that do not exist: the answer may be 404, never 401/403). */
const fill = (url: string) =>
  url.replace(/:([A-Za-z]+)/g, (_m, p: string) => ({ id: 'cw-table', connectionId: 'cw-table', provider: 'Microsoft%20CSP', month: '2026-10', name: 'nobody' })[p] ?? `x-${p}`);

describe('route access table', () => {
  let h: Harness;
  let routes: Array<{ method: string; path: string; role: Access }>;
  const tokens = {} as Record<Role, string>;
  let otherConnection: string;

  beforeAll(async () => {
    h = await startHarness('route_access', { operations: true });
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      tokens[role] = (await h.store.tokens.create({ name: `table-${role}`, role }, 'test')).token;
    }
    otherConnection = (await h.store.tokens.create({ name: 'table-limited', role: 'admin', connections: ['cw-elsewhere'] }, 'test')).token;
    routes = (await request(h, 'GET', '/api', undefined, undefined, null)).body.routes;
  }, 60_000);
  afterAll(async () => {
    expect(h.errors).toEqual([]);
    await h.close();
  });

  it('serves only catalogued routes, and the operations routes are among them', () => {
    expect(routes.length).toBeGreaterThan(50);
    for (const r of routes) expect(ROUTE_CATALOG[routeKey(r.method, r.path)]?.role).toBe(r.role);
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(['POST /api/sync', 'POST /api/platform/invoices', 'GET /api/audit']));
  });

  it('refuses anonymous, wrong-token, under-privileged and other-connection calls on every non-public route; the right role gets through and is audited', async () => {
    const seen: string[] = [];
    for (const r of routes) {
      const path = fill(r.path);
      // A body that fails validation wherever there is a schema: the access check must come first.
      const body = r.method === 'GET' || r.method === 'DELETE' ? undefined : { notAField: true };
      const call = (token: string | null) => request(h, r.method, path, body, undefined, token);
      const label = `${r.method} ${r.path}`;
      if (r.role === 'public') {
        expect([label, (await fetch(`${h.url}${path}`)).status]).toEqual([label, 200]);
        continue;
      }
      const anonymous = await call(null);
      expect([label, anonymous.status, anonymous.body.error]).toEqual([label, 401, expect.stringMatching(/^authentication required/)]);
      expect([label, (await call('psat_not-a-token')).status]).toEqual([label, 401]);
      const lower = LOWER[r.role];
      if (lower) {
        const refused = await call(tokens[lower]);
        expect([label, refused.status, refused.body.error]).toEqual([label, 403, `token "table-${lower}" has role ${lower}; ${r.method} ${r.path} needs ${r.role}`]);
      }
      const limited = await call(otherConnection);
      if (ROUTE_CATALOG[routeKey(r.method, r.path)]!.selfService) expect([label, limited.status]).toEqual([label, 200]);
      else expect([label, limited.status, limited.body.error]).toEqual([label, 403, expect.stringMatching(/^token "table-limited" is limited to connections cw-elsewhere/)]);

      const allowed = await call(tokens[r.role]);
      expect([label, allowed.status, [401, 403, 429, 500].includes(allowed.status)]).toEqual([label, allowed.status, false]);
      if (r.method !== 'GET' && !ROUTE_CATALOG[routeKey(r.method, r.path)]!.readOnly) {
        const [entry] = await h.store.audit.list({ who: `table-${r.role}`, action: label, limit: 1 });
        expect([label, entry]).toEqual([label, expect.objectContaining({ who: `table-${r.role}`, action: label, status: allowed.status, outcome: allowed.status < 400 ? 'ok' : 'failed' })]);
        seen.push(label);
      }
    }
    // Refusals of a known token are audited too (the under-privileged calls above).
    expect(await h.store.audit.list({ who: 'table-viewer', outcome: 'refused', limit: 1 })).toHaveLength(1);
    expect(seen.length).toBeGreaterThan(30);
  }, 120_000);

  it('will not start with a route that has no entry in the route catalog', async () => {
    const app = createAdminApi({ service: h.service, store: h.store, access: h.access });
    const start = async () => {
      await app.register(async (scope) => {
        scope.get('/api/unlisted', async () => ({ secret: true }));
      });
      await app.ready();
    };
    await expect(start()).rejects.toThrow('route GET /api/unlisted has no entry in client/http/route-catalog.ts');
    await app.close().catch(() => undefined);
  });
});
