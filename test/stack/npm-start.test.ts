/**
 * `npm start` as a user runs it: on free ports and a temp data folder it prints the URLs, loads
 * the demo (subscription workflows appear in Temporal), keeps the data across a restart, and
 * stops every process it started however it is told to: SIGTERM or SIGINT sent to the npm
 * process alone (a process manager, `kill PID`), or Ctrl-C (SIGINT to the whole process group).
 * Every port comes from the test, so anything else running (another `npm start`) is no matter.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../sandbox/stack/ports';

const root = path.resolve(__dirname, '../..');

const STACK_PORTS = ['TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'MONGO_PORT', 'SMTP_PORT', 'SMTP_SINK_PORT', 'CW_SANDBOX_PORT', 'AT_SANDBOX_PORT', 'API_PORT'];

/** A free port for every port setting of the stack (none of its defaults is assumed free). */
const freeStackPorts = async (): Promise<Record<string, string>> =>
  Object.fromEntries(await Promise.all(STACK_PORTS.map(async (n) => [n, String(await freePort())] as const)));

/** Process groups launched, killed after the tests should one outlive a failed assertion. */
const launched: ChildProcess[] = [];
afterAll(() => {
  for (const child of launched) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
});

/** `npm start`, in its own process group (as a terminal runs it), until it prints its URLs. */
async function launch(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn('npm', ['start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  launched.push(child);
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

/** Sends `signal` to npm alone, or (`group`) to its whole process group as Ctrl-C does; waits for npm to exit. */
async function stop(child: ChildProcess, signal: NodeJS.Signals, to: 'npm' | 'group'): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(to === 'group' ? -child.pid! : child.pid!, signal);
  await exited;
}

/** Every process below `pid` (the launcher, Temporal, FerretDB, worker, admin API). */
const descendantsOf = (pid: number): Array<{ pid: number; args: string }> => {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]!.slice(0, 120) }));
  const found: Array<{ pid: number; args: string }> = [];
  const visit = (parent: number): void => {
    for (const r of rows.filter((x) => x.ppid === parent)) {
      found.push({ pid: r.pid, args: r.args });
      visit(r.pid);
    }
  };
  visit(pid);
  return found;
};

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

  it('prints every URL, loads the demo, keeps data across a restart; SIGTERM or SIGINT to npm alone stops every process', async () => {
    const ports = await freeStackPorts();
    const env = { ...process.env, ...ports, DATA_DIR: dataDir, SECRETS_KEY: '' };

    const first = await launch(env);
    for (const url of [
      `http://127.0.0.1:${ports.TEMPORAL_UI_PORT}/namespaces/default/workflows`,
      `http://127.0.0.1:${ports.API_PORT}/api`,
      `http://127.0.0.1:${ports.API_PORT}/console`,
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

    const processes = descendantsOf(first.child.pid!);
    expect(processes.length).toBeGreaterThanOrEqual(5); // the launcher + Temporal, FerretDB, worker, admin API
    await stop(first.child, 'SIGTERM', 'npm');
    expect(survivors(processes)).toEqual([]);

    const second = await launch(env);
    expect(second.output()).toContain('demo data: already loaded');
    const again = descendantsOf(second.child.pid!);
    await stop(second.child, 'SIGINT', 'npm');
    expect(survivors(again)).toEqual([]);
  }, 300_000);

  it('Ctrl-C (SIGINT to the process group) stops every process; so does npm killed outright (the launcher sees it is orphaned)', async () => {
    const env = { ...process.env, ...(await freeStackPorts()), DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'psa-stack-')), DEMO_DATA: 'off', SECRETS_KEY: '' };
    try {
      const run = await launch(env);
      const processes = descendantsOf(run.child.pid!);
      expect(processes.length).toBeGreaterThanOrEqual(5);
      await stop(run.child, 'SIGINT', 'group');
      expect(survivors(processes)).toEqual([]);

      const killed = await launch(env);
      const orphans = descendantsOf(killed.child.pid!);
      await stop(killed.child, 'SIGKILL', 'npm'); // nothing is forwarded
      // The launcher polls its parent; wait (generously) for it to finish stopping everything.
      for (const deadline = Date.now() + 60_000; survivors(orphans).length > 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 250));
      expect(survivors(orphans)).toEqual([]);
      expect(killed.output()).toContain('the parent process');
    } finally {
      rmSync(env.DATA_DIR, { recursive: true, force: true });
    }
  }, 240_000);

  it('names a port that is taken, in one line, and starts nothing (whatever holds the default ports)', async () => {
    const blocker = await new Promise<net.Server>((resolve) => {
      const srv = net.createServer();
      srv.listen(0, '127.0.0.1', () => resolve(srv));
    });
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const out = execFileSync(process.execPath, ['--import', 'tsx', 'sandbox/stack.ts'], {
        cwd: root,
        env: { ...process.env, ...(await freeStackPorts()), API_PORT: String(taken), DATA_DIR: dataDir },
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
