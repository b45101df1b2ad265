/**
 * `npm start`: the whole connector on this machine, no Docker needed. Starts the Temporal dev
 * server (Web UI), FerretDB, the SMTP sink, both PSA sandboxes, the worker and the admin API,
 * loads the demo data, and prints every URL. Data persists under DATA_DIR (.data/), so a
 * restart keeps it. Ctrl-C, or SIGINT/SIGTERM/SIGHUP sent to npm or to this process alone,
 * stops every child process.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { startConnectWiseSandbox } from './connectwise/server';
import { startAutotaskSandbox } from './autotask/server';
import { startSmtpSink } from './smtp-sink/smtp-sink';
import { startFerretDb } from './stack/ferretdb';
import { assertPortFree, waitForPort } from './stack/ports';
import { parseStackConfig, type StackConfig } from './stack/stack-config';
import { startTemporalDevServer } from './stack/temporal-dev-server';
import { projectRoot } from './stack/tools';
import { loadDemoData } from './demo/load-demo';

const stoppers: Array<() => Promise<void>> = [];
const t0 = Date.now();
const log = (msg: string) => console.log(`[stack] ${msg}`);

async function main(): Promise<void> {
  let cfg: StackConfig;
  try {
    cfg = parseStackConfig(process.env);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
  const data = path.resolve(projectRoot, cfg.DATA_DIR);
  mkdirSync(path.join(data, 'logs'), { recursive: true });

  const ports: Array<[number, string]> = [
    [cfg.TEMPORAL_PORT, 'TEMPORAL_PORT'], [cfg.TEMPORAL_UI_PORT, 'TEMPORAL_UI_PORT'], [cfg.MONGO_PORT, 'MONGO_PORT'],
    [cfg.SMTP_PORT, 'SMTP_PORT'], [cfg.SMTP_SINK_PORT, 'SMTP_SINK_PORT'], [cfg.CW_SANDBOX_PORT, 'CW_SANDBOX_PORT'],
    [cfg.AT_SANDBOX_PORT, 'AT_SANDBOX_PORT'], [cfg.API_PORT, 'API_PORT'],
  ];
  for (const [port, name] of ports) await assertPortFree(port, name);

  const secretsKey = process.env.SECRETS_KEY || localSecretsKey(data);
  const adminToken = process.env.ADMIN_BOOTSTRAP_TOKEN || localAdminToken(data);

  log('starting Temporal dev server, FerretDB, SMTP sink and PSA sandboxes…');
  const [temporal, ferret, sink, cw, at] = await Promise.all([
    startTemporalDevServer({ port: cfg.TEMPORAL_PORT, uiPort: cfg.TEMPORAL_UI_PORT, dbFile: path.join(data, 'temporal.db'), logFile: path.join(data, 'logs/temporal.log') }),
    startFerretDb({ port: cfg.MONGO_PORT, dataDir: path.join(data, 'ferretdb'), logFile: path.join(data, 'logs/ferretdb.log') }),
    startSmtpSink({ smtpPort: cfg.SMTP_PORT, httpPort: cfg.SMTP_SINK_PORT, storeFile: path.join(data, 'mail.jsonl') }),
    startConnectWiseSandbox({ port: cfg.CW_SANDBOX_PORT, seed: 'demo', stateFile: path.join(data, 'connectwise-sandbox.json') }),
    startAutotaskSandbox({ port: cfg.AT_SANDBOX_PORT, seed: 'demo', stateFile: path.join(data, 'autotask-sandbox.json') }),
  ]);
  stoppers.push(() => temporal.stop(), () => ferret.stop(), () => sink.close(), () => cw.close(), () => at.close());

  const mongoUrl = `mongodb://127.0.0.1:${cfg.MONGO_PORT}/psa_connector?directConnection=true&serverSelectionTimeoutMS=5000`;
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: temporal.address,
    MONGO_URL: mongoUrl,
    SMTP_URL: sink.smtpUrl,
    SECRETS_KEY: secretsKey,
    API_PORT: String(cfg.API_PORT),
    API_HOST: '127.0.0.1',
    // The local admin token, and the sandboxes as the only internal addresses connections may reach.
    ADMIN_BOOTSTRAP_TOKEN: adminToken,
    TEMPORAL_UI_URL: `http://127.0.0.1:${cfg.TEMPORAL_UI_PORT}`,
    OUTBOUND_ALLOWLIST: [process.env.OUTBOUND_ALLOWLIST, `127.0.0.1:${cfg.CW_SANDBOX_PORT}`, `127.0.0.1:${cfg.AT_SANDBOX_PORT}`].filter(Boolean).join(','),
  };
  log('starting the worker and the admin API…');
  startNodeChild('worker', 'worker/main.ts', env);
  startNodeChild('api', 'client/http/main.ts', env);
  await waitForPort(cfg.API_PORT, 60_000, 'admin API');

  if (cfg.DEMO_DATA === 'on') {
    log('loading demo data…');
    const summary = await loadDemoData({ env, connectWiseUrl: cw.url, autotaskUrl: at.url, apiUrl: `http://127.0.0.1:${cfg.API_PORT}`, apiToken: adminToken });
    log(summary);
  }

  const url = (p: number) => `http://127.0.0.1:${p}`;
  console.log(`
psa-connector is up (${((Date.now() - t0) / 1000).toFixed(1)} s). Data: ${path.relative(process.cwd(), data) || '.'}/ — Ctrl-C stops everything.

  Admin console         ${url(cfg.API_PORT)}/console  (sign in with the admin token below)
  Temporal Web UI       ${url(cfg.TEMPORAL_UI_PORT)}/namespaces/default/workflows
  Temporal gRPC         ${temporal.address}
  Admin HTTP API        ${url(cfg.API_PORT)}/api  (CLI: npx psa-connector --help)
  MongoDB (FerretDB)    ${mongoUrl}
  Mail inbox (sink)     ${sink.apiUrl}/  (SMTP ${sink.smtpUrl}; JSON: ${sink.apiUrl}/messages)
  ConnectWise sandbox   ${cw.url}  (control: ${cw.url}/__sandbox)
  Autotask sandbox      ${at.url}  (control: ${at.url}/__sandbox)
  Logs                  ${path.join(path.relative(process.cwd(), data) || '.', 'logs')}/

  Admin API token (role admin) for the CLI and curl — in another terminal:
    export PSA_CONNECTOR_TOKEN=$(cat ${path.join(path.relative(process.cwd(), data) || '.', 'admin-token')})
    curl -H "Authorization: Bearer $PSA_CONNECTOR_TOKEN" ${url(cfg.API_PORT)}/api/whoami
  API reference: ${url(cfg.API_PORT)}/api/docs
`);
}

function startNodeChild(name: string, entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (chunk: Buffer) => chunk.toString().trimEnd().split('\n').map((l) => `[${name}] ${l}`).join('\n');
  child.stdout?.on('data', (c: Buffer) => console.log(prefix(c)));
  child.stderr?.on('data', (c: Buffer) => console.error(prefix(c)));
  let stopping = false;
  child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[stack] ${name} exited (${signal ?? code}); stopping the stack`);
      void shutdown(1);
    }
  });
  stoppers.unshift(async () => {
    stopping = true;
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  });
  return child;
}

/** A local-only key, generated once, so `npm start` works without configuration. */
function localSecretsKey(dataDir: string): string {
  const file = path.join(dataDir, 'secrets.key');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/** The local admin token (ADMIN_BOOTSTRAP_TOKEN of the API), generated once and kept beside the data. */
function localAdminToken(dataDir: string): string {
  const file = path.join(dataDir, 'admin-token');
  if (!existsSync(file)) writeFileSync(file, `psat_${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

let shuttingDown = false;
async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  log('stopping…');
  for (const stop of stoppers) await stop().catch((e: unknown) => console.error(e));
  process.exit(code);
}

// Ctrl-C signals the whole process group; a process manager or `kill PID` signals npm alone,
// which forwards SIGINT/SIGTERM to its script — this process, since `npm start` execs node.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));
// A parent that dies without forwarding anything (npm killed with SIGKILL, a closed terminal's
// shell) leaves us orphaned: that also means stop, rather than run on unseen.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid === parentPid) return;
  log(`the parent process (${parentPid}) is gone`);
  void shutdown(0);
}, 1_000).unref();
main().catch((err: unknown) => {
  console.error(`[stack] ${(err as Error).message}`);
  void shutdown(1);
});
