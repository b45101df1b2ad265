/**
 * The admin CLI end to end: the real `psa-connector` bin as a child process against the admin
 * API running in this process (FerretDB, Temporal dev server, ConnectWise sandbox).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../sandbox/stack/ports';
import { cwConnection, demoCustomers, demoProducts, report, messagesOf, startHarness, type Harness } from '../api/harness';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'client', 'bin', 'psa-connector.js');
const C = 'cw-cli';

/** Runs the CLI without blocking this process (the API it calls lives here). */
function cli(args: string[], opts: { input?: string; env?: Record<string, string>; api?: string; token?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, PSA_CONNECTOR_API: opts.api ?? '', PSA_CONNECTOR_SECRET: '', PSA_CONNECTOR_TOKEN: opts.token ?? '', PSA_CONNECTOR_CONFIG: '/nonexistent', ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

describe('psa-connector admin commands', () => {
  let h: Harness;
  let dir: string;
  const run = (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) => cli(args, { ...opts, api: h.url, token: h.adminToken });
  const outputs: string[] = [];
  const ok = async (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) => {
    const r = await run(args, opts);
    outputs.push(r.stdout, r.stderr);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(r.stdout) as Record<string, any>;
  };

  beforeAll(async () => {
    h = await startHarness('cli_admin');
    dir = mkdtempSync(join(os.tmpdir(), 'psa-cli-'));
  });
  afterAll(async () => {
    for (const o of outputs) expect(o).not.toContain(h.cw.credentials.privateKey);
    expect(h.errors).toEqual([]);
    await h.close();
  });

  it('connections add: the private key comes from stdin; bad credentials exit 1 with the PSA message, nothing saved', async () => {
    const s = cwConnection(h, C).settings;
    const args = ['connections', 'add', '--psa', 'connectwise', '--id', C, '--url', s.baseUrl, '--company-id', s.companyId, '--public-key', s.publicKey, '--client-id', s.clientId];
    const bad = await run([...args, '--private-key-stdin'], { input: 'not-the-key\n' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^psa-connector: connectwise GET \S+ failed with auth \(HTTP 401\)/);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).not.toContain('not-the-key');
    const added = await ok([...args, '--private-key-stdin'], { input: `${h.cw.credentials.privateKey}\n` });
    expect(added).toMatchObject({ id: C, psa: 'connectwise' });
    expect(added).not.toHaveProperty('secret');
    expect((await ok(['connections', 'test', C])).ok).toBe(true);
    expect((await ok(['connections', 'list'])).items).toHaveLength(1);
  });

  it('connections add without a secret, or with bad fields: exit 2, one line per problem', async () => {
    const none = await run(['connections', 'add', '--psa', 'autotask', '--id', 'at-x']);
    expect(none).toMatchObject({ code: 2, stderr: '--secret-stdin: is required: pipe the secret in with --secret-stdin, or set PSA_CONNECTOR_SECRET\n' });
    const bad = await run(['connections', 'add', '--psa', 'connectwise', '--id', 'Bad Id', '--url', 'nope'], { env: { PSA_CONNECTOR_SECRET: 'x' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(
      expect.arrayContaining([
        'id: must be a slug: lowercase letters, digits and dashes, starting with a letter or digit, at most 63 characters',
        'settings.baseUrl: must be a URL such as https://api-na.myconnectwise.net',
        'settings.companyId: is required',
      ]),
    );
  });

  it('rules get|set', async () => {
    const set = await ok(['connections', 'rules', 'set', C, '--positive-change', 'first-of-month', '--field', 'company.city=off', '--auto-sync', 'on']);
    expect(set).toMatchObject({ positiveChange: 'first-of-month', autoSync: true, fieldToggles: { company: { city: false } } });
    expect((await ok(['connections', 'rules', 'get', C])).autoSync).toBe(true);
    expect(await run(['connections', 'rules', 'set', C, '--auto-sync', 'maybe'])).toMatchObject({ code: 2, stderr: '--auto-sync: must be on or off (got maybe)\n' });
  });

  it('platform import: customers, products and subscriptions from one file; problems name the record', async () => {
    const file = join(dir, 'platform.json');
    writeFileSync(file, JSON.stringify({ customers: demoCustomers, products: demoProducts, subscriptions: [report('cli-sub-1', 'c-acme', 'p-m365bp'), report('cli-sub-2', 'c-umbrella', 'p-m365bp')] }));
    expect(await ok(['platform', 'import', file, '-c', C])).toEqual({ customers: { upserted: 5, newMappings: 5 }, products: { upserted: 3, newMappings: 3 }, subscriptions: { reported: 2 } });
    const badFile = join(dir, 'bad.json');
    writeFileSync(badFile, JSON.stringify({ customers: [{ id: 'c-x' }], subscriptions: [] }));
    expect(await run(['platform', 'import', badFile])).toMatchObject({ code: 2, stderr: 'customers[0].name: is required\n' });
    writeFileSync(badFile, JSON.stringify({ subscriptions: [report('cli-sub-3', 'c-acme', 'p-m365bp', { quantity: 'ten' })] }));
    expect(await run(['platform', 'import', badFile, '-c', C])).toMatchObject({ code: 2, stderr: 'subscriptions[0].subscription.quantity: must be a number\n' });
  });

  it('customers suggest|map, products map --create, services map, summary', async () => {
    const suggested = await ok(['customers', 'suggest', 'c-acme', '-c', C]);
    expect(suggested.matches[0]).toMatchObject({ name: 'Acme Ltd', score: 1 });
    expect((await ok(['customers', 'map', 'c-acme', '-c', C, '--company', String(suggested.matches[0].id), '--map-only'])).mapping).toMatchObject({ status: 'mapped' });
    const bp = h.cw.state.catalog.find((i) => i.identifier === 'M365-BP')!.id as number;
    const productMapped = await ok(['products', 'map', 'p-m365bp', '-c', C, '--catalog-item', String(bp), '--sync']);
    expect(productMapped.mode).toBe('map-and-sync');
    // cli-sub-1 waited for its product; Acme has one agreement: placed automatically (README "Events before mapping").
    expect(productMapped.released).toMatchObject({ total: 2, failedCount: 0 });
    const created = await ok(['products', 'map', 'p-backup', '-c', C, '--create']);
    expect(created.created.id).toEqual(h.cw.state.catalog.find((i) => i.identifier === 'BKP-Y-01')!.id);

    const mapped = await ok(['services', 'map', 'cli-sub-1', '-c', C, '--description', 'Acme M365', '--include', 'licenses']);
    expect(mapped).toMatchObject({ agreementChosen: true, description: 'sub cli-sub-1 | Acme M365 | 10 licenses' });
    expect(await messagesOf(h.temporal, `subscription/${C}/cli-sub-1`)).toEqual(['report', 'placement', 'placement']); // automatic, then the admin's
    expect((await ok(['services', 'list', '-c', C, '--status', 'mapped'])).total).toBe(1);
    expect(await ok(['summary', '-c', C])).toEqual({
      customers: { total: 5, mapped: 1, unmapped: 4, failed: 0 },
      products: { total: 3, mapped: 2, unmapped: 1, failed: 0 },
      subscriptions: { total: 2, mapped: 1, unmapped: 1, failed: 0 },
    });
  });

  it('services map errors: a customer without a company (exit 2), a missing agreement flag value (exit 2), an unknown service (exit 1)', async () => {
    expect(await run(['services', 'map', 'cli-sub-2', '-c', C, '--description', 'x'])).toMatchObject({
      code: 2,
      stderr: 'companyId: is required: customer "c-umbrella" is not mapped to a PSA company; map the customer first or give companyId\n',
    });
    expect(await run(['services', 'map', 'cli-sub-2', '-c', C, '--description', 'x', '--agreement', 'abc'])).toMatchObject({
      code: 2,
      stderr: '--agreement: must be a positive whole number (got abc)\n',
    });
    expect(await run(['services', 'map', 'nobody', '-c', C, '--description', 'x'])).toMatchObject({ code: 1, stderr: 'psa-connector: platform subscription "nobody" does not exist\n' });
  });

  it('events send and subscriptions state', async () => {
    const sent = await ok(['events', 'send', 'cli-sub-1', '-c', C, '--id', 'evt-cli-1', '--event', '{"type":"quantity-changed","date":"2026-03-20","quantity":12}']);
    expect(sent).toMatchObject({ eventId: 'evt-cli-1', outcome: 'queued', type: 'quantity-changed', workflowId: `subscription/${C}/cli-sub-1` });
    expect(await run(['events', 'send', 'cli-sub-1', '-c', C, '--event', '{"id":"evt-cli-2","type":"cancelled"}'])).toMatchObject({ code: 2, stderr: 'date: is required\n' });
    expect(await run(['events', 'send', 'cli-sub-1', '-c', C, '--event', '{"type":"cancelled","date":"2026-04-01"}'])).toMatchObject({ code: 2, stderr: 'id: is required\n' });
    expect(await run(['events', 'send', 'cli-sub-1', '-c', C, '--id', 'e9', '--sequence', 'x', '--event', '{"type":"cancelled","date":"2026-04-01"}'])).toMatchObject({ code: 2, stderr: '--sequence: must be a whole number (got x)\n' });
    const state = await ok(['subscriptions', 'state', 'cli-sub-1', '-c', C]);
    expect(state).toMatchObject({ subscriptionId: 'cli-sub-1', mapping: { status: 'mapped' } });
  });

  it('an unreachable API is one clear line, exit 1', async () => {
    const port = await freePort(); // free, so nothing listens there
    const r = await cli(['summary', '-c', C], { api: `http://127.0.0.1:${port}` });
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `psa-connector: cannot reach the admin API at http://127.0.0.1:${port} (ECONNREFUSED); start it with \`npm run api\`, or point --api / PSA_CONNECTOR_API at it\n`,
    });
  });
});
