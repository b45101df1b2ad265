/**
 * `npm start`'s launcher (sandbox/stack.ts) as a user runs it: on free ports and a temp data
 * folder it prints the URLs, loads the demo (subscription workflows appear in Temporal), keeps
 * the data across a restart, and Ctrl-C (SIGINT) stops every child process.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../sandbox/stack/ports';

const root = path.resolve(__dirname, '../..');

async function launch(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'sandbox/stack.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 90_000;
  while (!out.includes('psa-connector is up')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the stack did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return { child, output: () => out };
}

async function interrupt(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  await exited;
}

/** The launcher's child processes (Temporal, FerretDB, worker, admin API). */
const childrenOf = (pid: number): Array<{ pid: number; args: string }> =>
  execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && Number(m[2]) === pid)
    .map((m) => ({ pid: Number(m[1]), args: m[3]!.slice(0, 120) }));

/** Children of `pid` still running, with their command lines (zombies don't count). */
const survivors = (children: Array<{ pid: number; args: string }>): string[] => {
  const running = new Set(
    execFileSync('ps', ['-eo', 'pid=,stat='], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter(([, stat]) => stat && !stat.startsWith('Z'))
      .map(([pid]) => Number(pid)),
  );
  return children.filter((c) => running.has(c.pid)).map((c) => `${c.pid} ${c.args}`);
};

describe('npm start (the local stack launcher)', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'psa-stack-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints every URL, loads the demo, keeps data across a restart, and stops every child on Ctrl-C', async () => {
    const names = ['TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'MONGO_PORT', 'SMTP_PORT', 'SMTP_SINK_PORT', 'CW_SANDBOX_PORT', 'AT_SANDBOX_PORT', 'API_PORT'];
    const ports = Object.fromEntries(await Promise.all(names.map(async (n) => [n, String(await freePort())] as const)));
    const env = { ...process.env, ...ports, DATA_DIR: dataDir, SECRETS_KEY: '' };

    const first = await launch(env);
    for (const url of [
      `http://127.0.0.1:${ports.TEMPORAL_UI_PORT}/namespaces/default/workflows`,
      `http://127.0.0.1:${ports.API_PORT}/api`,
      `http://127.0.0.1:${ports.SMTP_SINK_PORT}/messages`,
      `http://127.0.0.1:${ports.CW_SANDBOX_PORT}`,
      `http://127.0.0.1:${ports.AT_SANDBOX_PORT}`,
    ]) {
      expect(first.output()).toContain(url);
    }
    expect(first.output()).toContain('demo data: 8 subscription workflows started');
    expect((await fetch(`http://127.0.0.1:${ports.API_PORT}/api/health`)).status).toBe(200);
    // The local admin token: printed how to use, and the demo's invoices came in with it through the intake route.
    expect(first.output()).toContain(`export PSA_CONNECTOR_TOKEN=$(cat `);
    const token = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
    const authed = (p: string) => fetch(`http://127.0.0.1:${ports.API_PORT}${p}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json() as Promise<Record<string, any>>);
    expect(await authed('/api/whoami')).toEqual({ name: 'bootstrap', role: 'admin' });
    expect((await authed('/api/audit?action=invoices')).items).toEqual(expect.arrayContaining([expect.objectContaining({ who: 'bootstrap', action: 'POST /api/platform/invoices', outcome: 'ok' })]));

    const connection = await Connection.connect({ address: `127.0.0.1:${ports.TEMPORAL_PORT}` });
    try {
      const described = await new Client({ connection }).workflow.getHandle('subscription/cw-demo/cw-acme-bp').describe();
      expect(described.type).toBe('subscriptionWorkflow');
    } finally {
      await connection.close();
    }

    const children = childrenOf(first.child.pid!);
    expect(children.length).toBeGreaterThanOrEqual(4);
    await interrupt(first.child);
    expect(survivors(children)).toEqual([]);

    const second = await launch(env);
    expect(second.output()).toContain('demo data: already loaded');
    const again = childrenOf(second.child.pid!);
    await interrupt(second.child);
    expect(survivors(again)).toEqual([]);
  }, 240_000);

  it('names a port that is taken, in one line, and starts nothing', async () => {
    const blocker = await new Promise<net.Server>((resolve) => {
      const srv = net.createServer();
      srv.listen(0, '127.0.0.1', () => resolve(srv));
    });
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const out = execFileSync(process.execPath, ['--import', 'tsx', 'sandbox/stack.ts'], {
        cwd: root,
        env: { ...process.env, API_PORT: String(taken), DATA_DIR: dataDir },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }).toString();
      throw new Error(`expected a failure, got: ${out}`);
    } catch (err) {
      const e = err as { status?: number; stderr?: string };
      expect(e.status).toBe(1);
      expect(e.stderr).toContain(`port ${taken} (API_PORT) is already in use`);
    } finally {
      blocker.close();
    }
  });
});
