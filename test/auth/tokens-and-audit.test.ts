/**
 * API tokens and the audit log through the public surfaces: the operator's `tokens` commands
 * on the database (the first token), the admin API's /api/tokens and /api/audit, the CLI's
 * token from the environment or its config file, throttling of wrong tokens, and that no token
 * is ever stored, listed or audited in clear.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { API_TOKENS } from '../../activities/store';
import { testDbUrl, testServers } from '../setup/servers';
import { request, runCli, startHarness, type Harness } from '../api/harness';


describe('API tokens and the audit log', () => {
  let h: Harness;
  let dir: string;
  const cli = (args: string[], env: Record<string, string> = {}) =>
    runCli(args, { PSA_CONNECTOR_API: h.url, PSA_CONNECTOR_TOKEN: '', PSA_CONNECTOR_CONFIG: join(dir, 'none.json'), MONGO_URL: testDbUrl(testServers().mongoUrl, 'tokens_audit'), ...env });

  beforeAll(async () => {
    h = await startHarness('tokens_audit');
    dir = mkdtempSync(join(os.tmpdir(), 'psa-tokens-'));
  }, 60_000);
  afterAll(async () => {
    expect(h.errors).toEqual([]);
    await h.close();
  });

  it('tokens create on the database; the CLI uses it from PSA_CONNECTOR_TOKEN or the config file; revoke ends it', async () => {
    const created = await cli(['tokens', 'create', '--name', 'ops@msp.example', '--role', 'operator']);
    expect(created.code).toBe(0);
    expect(created.stderr).toBe('psa-connector: the token is shown only now; store it safely\n');
    const { token, ...view } = JSON.parse(created.stdout) as { token: string; name: string; role: string; createdBy: string };
    expect(token).toMatch(/^psat_[A-Za-z0-9_-]{43}$/);
    expect(view).toMatchObject({ name: 'ops@msp.example', role: 'operator', createdBy: expect.stringMatching(/^cli:/) });
    // Stored hashed: the token is nowhere in the database.
    expect(JSON.stringify(await h.db.collection(API_TOKENS).find().toArray())).not.toContain(token.slice(5));

    expect((await cli(['tokens', 'create', '--name', 'ops@msp.example', '--role', 'viewer'])).stderr).toBe('psa-connector: a token named "ops@msp.example" exists already (revoked ones keep their name); choose another name\n');
    expect((await cli(['tokens', 'create', '--name', 'x', '--role', 'root'])).stderr).toBe('role: must be one of viewer, operator, admin\n');

    const anonymous = await cli(['connections', 'list']);
    expect([anonymous.code, anonymous.stderr]).toEqual([1, 'psa-connector: authentication required: send "Authorization: Bearer <token>" (docs/security.md) — set PSA_CONNECTOR_TOKEN, or "token" in the config file (client/cli/README.md)\n']);
    const fromEnv = await cli(['connections', 'list'], { PSA_CONNECTOR_TOKEN: token });
    expect([fromEnv.code, JSON.parse(fromEnv.stdout)]).toEqual([0, { items: [] }]);

    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ api: h.url, token }));
    chmodSync(config, 0o600);
    const fromFile = await cli(['connections', 'list'], { PSA_CONNECTOR_CONFIG: config, PSA_CONNECTOR_API: '' });
    expect({ code: fromFile.code, stderr: fromFile.stderr }).toEqual({ code: 0, stderr: '' });
    chmodSync(config, 0o644);
    expect((await cli(['connections', 'list'], { PSA_CONNECTOR_CONFIG: config, PSA_CONNECTOR_API: '' })).stderr).toBe(`psa-connector: warning: ${config} holds a token and others can read it; chmod 600 ${config}\n`);

    expect((await cli(['tokens', 'revoke', 'ops@msp.example'])).code).toBe(0);
    const revoked = await cli(['connections', 'list'], { PSA_CONNECTOR_TOKEN: token });
    expect(revoked.stderr).toBe('psa-connector: the API token is not valid (unknown or revoked) — the token from PSA_CONNECTOR_TOKEN was refused; ask an admin for a new one (psa-connector tokens create)\n');
    const listed = JSON.parse((await cli(['tokens', 'list', '--revoked'])).stdout) as { items: Array<Record<string, unknown>> };
    expect(listed.items).toEqual([expect.objectContaining({ name: 'ops@msp.example', revokedBy: expect.stringMatching(/^cli:/) })]);
    expect(JSON.stringify(listed)).not.toContain(token);
  });

  it('admins manage tokens over the API; a token limited to a connection; whoami', async () => {
    const made = await request(h, 'POST', '/api/tokens', { name: 'platform', role: 'operator', connections: ['cw-a'] });
    expect(made).toMatchObject({ status: 201, body: { name: 'platform', role: 'operator', connections: ['cw-a'], createdBy: 'bootstrap', token: expect.stringMatching(/^psat_/) } });
    const token = made.body.token as string;
    expect((await request(h, 'GET', '/api/whoami', undefined, undefined, token)).body).toEqual({ name: 'platform', role: 'operator', connections: ['cw-a'] });
    expect((await request(h, 'GET', '/api/connections/cw-a/summary', undefined, undefined, token)).status).toBe(404); // allowed, just unknown
    expect((await request(h, 'GET', '/api/connections/cw-b/summary', undefined, undefined, token)).body).toEqual({ error: 'token "platform" is limited to connections cw-a, not "cw-b"' });
    expect((await request(h, 'POST', '/api/tokens', { name: 'nope', role: 'admin' }, undefined, token)).status).toBe(403);
    expect((await request(h, 'POST', '/api/tokens', { name: 'bad name!', role: 'admin' })).body.problems).toEqual([
      { path: 'name', message: 'must be 1–100 letters, digits, @ . _ - (e.g. "ops@msp.example" or "platform-billing")' },
    ]);
    const list = await request(h, 'GET', '/api/tokens');
    expect(list.text).not.toContain(token);
    expect(list.body.items.map((t: { name: string }) => t.name)).toContain('platform');
    expect((await request(h, 'DELETE', '/api/tokens/platform')).body).toMatchObject({ name: 'platform', revokedBy: 'bootstrap' });
    expect((await request(h, 'GET', '/api/whoami', undefined, undefined, token)).status).toBe(401);
  });

  it('decisions carry the token name; a typed-in "by" is refused', async () => {
    // The reconciliation routes are operations routes: a second harness serves them.
    const ops = await startHarness('tokens_audit_ops', { operations: true });
    try {
      const path = '/api/connections/cw-x/reconciliation/runs/Microsoft%20CSP/2026-10/accept';
      const typed = await request(ops, 'POST', path, { all: true, by: 'someone else' });
      expect(typed).toMatchObject({ status: 400, body: { problems: [{ path: 'by', message: "is not accepted: decisions are recorded under the API token's name" }] } });
    } finally {
      await ops.close();
    }
  });

  it('the audit log: who, what, when, outcome — filterable over the API and the CLI; refusals included', async () => {
    const admin = await h.tokenFor('admin');
    const auditor = (await request(h, 'GET', '/api/whoami', undefined, undefined, admin)).body.name as string;
    await request(h, 'PUT', '/api/platform/customers', { customers: [{ id: 'c-1', name: 'Acme' }] }, undefined, admin);
    await request(h, 'PUT', '/api/platform/customers', { customers: [{ id: '' }] }, undefined, admin);
    const viewer = await h.tokenFor('viewer');
    await request(h, 'DELETE', '/api/connections/cw-z', undefined, undefined, viewer);

    const mine = (await request(h, 'GET', `/api/audit?who=${encodeURIComponent(auditor)}`)).body.items as Array<Record<string, unknown>>;
    expect(mine.map((e) => [e.action, e.outcome, e.status])).toEqual([
      ['PUT /api/platform/customers', 'failed', 400],
      ['PUT /api/platform/customers', 'ok', 200],
    ]);
    expect(mine[0]).toMatchObject({ role: 'admin', error: 'invalid input: customers[0].id: must not be empty; customers[0].name: is required', at: expect.any(String) });
    const refused = (await request(h, 'GET', '/api/audit?outcome=refused')).body.items as Array<Record<string, unknown>>;
    expect(refused[0]).toMatchObject({ action: 'DELETE /api/connections/:id', connectionId: 'cw-z', target: { id: 'cw-z' }, status: 403 });
    expect((await request(h, 'GET', '/api/audit?outcome=maybe')).body.problems).toEqual([{ path: 'outcome', message: 'must be ok, refused or failed' }]);
    expect((await request(h, 'GET', '/api/audit', undefined, undefined, viewer)).status).toBe(403);

    const viaCli = await cli(['audit', '--action', 'tokens', '--limit', '2'], { PSA_CONNECTOR_TOKEN: admin });
    expect(viaCli.code).toBe(0);
    expect((JSON.parse(viaCli.stdout) as { items: Array<{ action: string }> }).items.map((e) => e.action)).toEqual(['DELETE /api/tokens/:name', 'POST /api/tokens']);
    // No token, in clear, anywhere in the log.
    expect((await request(h, 'GET', '/api/audit?limit=1000')).text).not.toMatch(/psat_[A-Za-z0-9_-]{20}/);
  });

  it('throttles wrong tokens per address: 429 with Retry-After once the limit is reached, even for a good token', async () => {
    const t = await startHarness('tokens_throttle', { failureLimit: 3 });
    try {
      // Calls without a token are not guesses: they do not count.
      for (let i = 0; i < 5; i++) expect((await request(t, 'GET', '/api/whoami', undefined, undefined, null)).status).toBe(401);
      for (let i = 0; i < 3; i++) expect((await request(t, 'GET', '/api/whoami', undefined, undefined, `psat_guess-${i}`)).status).toBe(401);
      const res = await fetch(`${t.url}/api/whoami`, { headers: { authorization: `Bearer ${t.adminToken}` } });
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await res.json()) as { error: string }).error).toMatch(/^too many failed authentication attempts from this address; try again in \d+ s$/);
    } finally {
      await t.close();
    }
  });
});
