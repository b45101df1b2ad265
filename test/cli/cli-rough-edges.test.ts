/**
 * What a user of the CLI sees at its edges: `reconciliation export --out` reports what it wrote,
 * `reconciliation accept|retry` exit 3 when an item ends failed, and no help text pluralises with
 * a bare "s" ("companys"). The real bin runs as a child process against a small stand-in for the
 * admin API (answers of the documented shapes), so no server is needed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../../client/cli/main';
import { csvDataRows, EXIT_ITEMS_FAILED } from '../../client/cli/commands/reconciliation';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'client', 'bin', 'psa-connector.js');

function cli(args: string[], api: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--api', api, ...args], { cwd: ROOT, env: { ...process.env, PSA_CONNECTOR_API: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });
}

// A log with a quoted newline in one field: two data rows, not three.
const CSV = 'Billing month,Subscription,Reason\n2026-03,sub-a,"accepted\nand posted"\n2026-03,sub-b,reconciled\n';

describe('CLI rough edges', () => {
  let server: http.Server;
  let api: string;
  const requests: Array<{ method: string; url: string; body: string }> = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        requests.push({ method: req.method!, url: req.url!, body });
        const url = req.url ?? '';
        if (url.startsWith('/api/connections/cw-1/reconciliation/log.csv')) {
          res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' }).end(CSV);
        } else if (url.endsWith('/accept') || url.endsWith('/retry')) {
          const ids = (JSON.parse(body) as { subscriptionIds: string[] }).subscriptionIds;
          const items = ids.map((id) =>
            id === 'sub-invoiced'
              ? { subscriptionId: id, status: 'failed', reason: 'ConnectWise refused the post: the addition is already invoiced' }
              : { subscriptionId: id, status: 'reconciled', reason: 'accepted and posted' },
          );
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items }));
        } else {
          res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no route ${url}` }));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('reconciliation export --out writes the CSV and prints the file, its data rows and bytes', async () => {
    const file = join(mkdtempSync(join(os.tmpdir(), 'psa-cli-export-')), 'log.csv');
    const r = await cli(['reconciliation', 'export', '-c', 'cw-1', '--from', '2026-03', '--out', file], api);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toEqual({ file, rows: 2, bytes: Buffer.byteLength(CSV) });
    expect(readFileSync(file, 'utf8')).toBe(CSV);
    expect(requests.at(-1)!.url).toBe('/api/connections/cw-1/reconciliation/log.csv?from=2026-03');

    const toStdout = await cli(['reconciliation', 'export', '-c', 'cw-1'], api);
    expect(toStdout).toEqual({ code: 0, stdout: CSV, stderr: '' });
  });

  it('counts CSV data rows, not lines', () => {
    expect(csvDataRows('')).toBe(0);
    expect(csvDataRows('a,b\n')).toBe(0);
    expect(csvDataRows(CSV)).toBe(2);
    expect(csvDataRows('a\n"x ""quoted""\nline"\nlast')).toBe(2);
  });

  it(`reconciliation accept exits ${EXIT_ITEMS_FAILED} when an item ends failed, naming it; 0 when all went through`, async () => {
    const args = ['reconciliation', 'accept', '-c', 'cw-1', '-p', 'Microsoft CSP', '-m', '2026-03'];
    const mixed = await cli([...args, '--sub', 'sub-a,sub-invoiced'], api);
    expect(mixed.code).toBe(3);
    expect(mixed.stderr).toBe('sub-invoiced: failed: ConnectWise refused the post: the addition is already invoiced\n');
    expect(JSON.parse(mixed.stdout).items).toHaveLength(2); // the whole answer is still printed

    expect(await cli([...args, '--sub', 'sub-a'], api)).toMatchObject({ code: 0, stderr: '' });
    const retried = await cli(['reconciliation', 'retry', '-c', 'cw-1', '-p', 'Microsoft CSP', '-m', '2026-03', '--sub', 'sub-invoiced'], api);
    expect(retried.code).toBe(3);
  });

  it('help texts say "companies" and never pluralise a word ending in a consonant + y with a bare "s"', () => {
    const texts: string[] = [];
    const walk = (c: Command): void => {
      texts.push(c.helpInformation());
      c.commands.forEach(walk);
    };
    walk(buildProgram());
    const all = texts.join('\n');
    expect(all).toContain('Map platform customers to PSA companies.');
    expect(all).toContain('PSA catalog items / services closest to the platform record');
    expect(all.match(/\b\w*[^aeiou\W]ys\b/gi) ?? []).toEqual([]);
  });
});
