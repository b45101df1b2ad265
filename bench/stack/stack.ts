/**
 * The real stack of a benchmark run, on free ports, in a data folder of its own: the Temporal
 * dev server (our search attributes), FerretDB, both PSA sandboxes (a process of their own), our
 * worker (worker/main.ts) and admin API (client/http/main.ts) as `npm start` runs them, and the
 * bare baseline's worker on its own task queue of the same server. Everything started is
 * registered with processes.ts, so `stopAll()` — on success, failure or Ctrl-C — stops it.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { createPlatformClient } from '../../client/platform-client';
import type { SubscriptionMessenger } from '../../contracts/subscription';
import { DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS } from '../../sandbox/autotask/server';
import { DEFAULT_CW_SANDBOX_CREDENTIALS } from '../../sandbox/connectwise/auth';
import { startFerretDb } from '../../sandbox/stack/ferretdb';
import { freePort, waitForPort } from '../../sandbox/stack/ports';
import { startTemporalDevServer } from '../../sandbox/stack/temporal-dev-server';
import { projectRoot } from '../../sandbox/stack/tools';
import type { BareTargets } from '../baseline/activities';
import { logTail, onStop, startNode, waitForLog } from './processes';

export interface BenchStack {
  dir: string;
  temporalAddress: string;
  taskQueue: string;
  /** Driver-side Temporal client: the baseline's signals and the platform client library. */
  client: Client;
  /** Our client library (client/platform-client.ts) on `client`. */
  platform: SubscriptionMessenger;
  api: { url: string; token: string };
  cw: { url: string; apiUrl: string };
  at: { url: string; apiUrl: string };
  bare: BareTargets;
  /** Processes whose memory the run reports. */
  pids: Record<'worker' | 'api' | 'temporal' | 'ferretdb' | 'sandboxes' | 'bareWorker', number>;
}

export async function startBenchStack(dir: string, log: (line: string) => void): Promise<BenchStack> {
  const logs = path.join(dir, 'logs');
  const [temporalPort, mongoPort, cwPort, atPort, apiPort] = (await distinctFreePorts(5)) as [number, number, number, number, number];

  log('starting the Temporal dev server, FerretDB and the PSA sandboxes…');
  const [temporal, ferret, sandboxes] = await Promise.all([
    startTemporalDevServer({ port: temporalPort, dbFile: path.join(dir, 'temporal.db'), logFile: path.join(logs, 'temporal.log') }).then(registered),
    startFerretDb({ port: mongoPort, dataDir: path.join(dir, 'ferretdb'), logFile: path.join(logs, 'ferretdb.log') }).then(registered),
    startNode('sandboxes', 'bench/stack/sandboxes.main.ts', {
      cwd: projectRoot,
      env: { ...process.env, BENCH_CW_PORT: String(cwPort), BENCH_AT_PORT: String(atPort) },
      logFile: path.join(logs, 'sandboxes.log'),
      readyText: 'sandboxes ready',
    }),
  ]);

  log('bundling the workflows (ours and the baseline worker its own)…');
  const bundle = path.join(dir, 'workflow-bundle.js');
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: new DefaultLogger('WARN') });
  writeFileSync(bundle, code);

  const cwUrl = `http://127.0.0.1:${cwPort}`;
  const atUrl = `http://127.0.0.1:${atPort}`;
  const token = `psat_${randomBytes(32).toString('base64url')}`;
  const taskQueue = 'psa-connector-bench';
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: taskQueue,
    MONGO_URL: `mongodb://127.0.0.1:${mongoPort}/psa_connector_bench?directConnection=true&serverSelectionTimeoutMS=5000`,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    API_HOST: '127.0.0.1',
    API_PORT: String(apiPort),
    LOG_LEVEL: 'warn',
    WORKFLOW_BUNDLE: bundle,
    // Schedules fire at 00:00 UTC; a run must not have one start work in the middle of a measurement.
    APPLY_SCHEDULES_ON_START: 'false',
    ADMIN_BOOTSTRAP_TOKEN: token,
    OUTBOUND_ALLOWLIST: '127.0.0.1',
  };
  const cw = DEFAULT_CW_SANDBOX_CREDENTIALS;
  const at = DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS;
  const bare: BareTargets = {
    connectwise: {
      apiUrl: `${cwUrl}/v4_6_release/apis/3.0`,
      authorization: `Basic ${Buffer.from(`${cw.companyId}+${cw.publicKey}:${cw.privateKey}`).toString('base64')}`,
      clientId: cw.clientId,
    },
    autotask: { apiUrl: `${atUrl}/ATServicesRest/V1.0`, username: at.username, secret: at.secret, integrationCode: at.integrationCode },
  };

  log('starting our worker and admin API, and the bare baseline worker…');
  const [worker, api, bareWorker] = await Promise.all([
    startNode('worker', 'worker/main.ts', { cwd: projectRoot, env, logFile: path.join(logs, 'worker.log'), readyText: 'worker: polling' }),
    startNode('api', 'client/http/main.ts', { cwd: projectRoot, env, logFile: path.join(logs, 'api.log'), readyText: 'api: listening' }),
    startNode('bare-worker', 'bench/baseline/worker.main.ts', {
      cwd: projectRoot,
      env: { ...process.env, BENCH_TEMPORAL_ADDRESS: temporal.address, BENCH_BARE_TARGETS: JSON.stringify(bare) },
      logFile: path.join(logs, 'bare-worker.log'),
      readyText: 'bare worker: polling',
    }),
  ]);
  await waitForPort(apiPort, 10_000, 'admin API');
  await waitForLog(sandboxes, 'sandboxes ready', 1_000).catch((e: Error) => {
    throw new Error(`${e.message}\n${logTail(sandboxes.logFile)}`);
  });

  const connection = await Connection.connect({ address: temporal.address });
  onStop('driver Temporal connection', () => connection.close());
  const client = new Client({ connection, namespace: 'default' });
  return {
    dir,
    temporalAddress: temporal.address,
    taskQueue,
    client,
    platform: createPlatformClient(client, { taskQueue, acceptTimeoutMs: 10_000 }),
    api: { url: `http://127.0.0.1:${apiPort}`, token },
    cw: { url: cwUrl, apiUrl: bare.connectwise.apiUrl },
    at: { url: atUrl, apiUrl: bare.autotask.apiUrl },
    bare,
    pids: { worker: worker.pid, api: api.pid, temporal: temporal.pid, ferretdb: ferret.pid, sandboxes: sandboxes.pid, bareWorker: bareWorker.pid },
  };
}

/** A server of the shared stack helpers, stopped with the run's other processes. */
function registered<T extends { name: string; stop(): Promise<void> }>(p: T): T {
  onStop(p.name, () => p.stop());
  return p;
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}
