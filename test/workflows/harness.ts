/**
 * A real connector in-process for workflow tests: the Temporal dev server and FerretDB from the
 * jest global setup, a PSA sandbox on a free port, the real activities and gateways, and a
 * worker on its own task queue. Only time is real: tests wait for the workflow to catch up.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { MongoClient } from 'mongodb';
import type { Activities } from '../../activities';
import type { GatewayRegistry } from '../../activities/psa/gateway-registry';
import type { Store } from '../../activities/store';
import type { PlatformClient } from '../../client/platform-client';
import { createRuntime, type Runtime } from '../../runtime/runtime';
import { DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS, startAutotaskSandbox, type AutotaskSandbox } from '../../sandbox/autotask/server';
import { DEFAULT_CW_SANDBOX_CREDENTIALS } from '../../sandbox/connectwise/auth';
import { startConnectWiseSandbox, type ConnectWiseSandbox } from '../../sandbox/connectwise/server';
import { testDbUrl, testServers } from '../setup/servers';

export interface Harness {
  psa: 'connectwise' | 'autotask';
  /** The composition root the test's connector is built from (runtime/runtime.ts). */
  rt: Runtime;
  connectionId: string;
  taskQueue: string;
  store: Store;
  gateways: GatewayRegistry;
  client: Client;
  platform: PlatformClient;
  cw?: ConnectWiseSandbox;
  at?: AutotaskSandbox;
  /** What a worker in another process needs to join (see worker-process.ts). */
  workerEnv: NodeJS.ProcessEnv;
  /** Starts (or restarts) the worker, optionally with some activities wrapped. */
  startWorker(wrap?: (a: Activities) => Activities): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(psa: 'connectwise' | 'autotask', name: string): Promise<Harness> {
  const servers = testServers();
  const taskQueue = `${name}-${randomUUID().slice(0, 8)}`;
  const connectionId = `${psa === 'connectwise' ? 'cw' : 'at'}-${randomUUID().slice(0, 6)}`;
  const dbUrl = testDbUrl(servers.mongoUrl, `${name}_${randomUUID().slice(0, 6)}`);
  const secretsKey = Buffer.alloc(32, 9).toString('base64');
  const rt = await createRuntime({ mongoUrl: dbUrl, secretsKey, temporal: { address: servers.temporalAddress, namespace: 'default', taskQueue } });
  const { store, gateways } = rt;

  let cw: ConnectWiseSandbox | undefined;
  let at: AutotaskSandbox | undefined;
  if (psa === 'connectwise') {
    cw = await startConnectWiseSandbox({ port: 0, seed: 'demo', rateLimit: { limit: 0, windowMs: 10_000 } });
    const c = DEFAULT_CW_SANDBOX_CREDENTIALS;
    await store.connections.create({
      id: connectionId, psa, name: 'ConnectWise sandbox',
      settings: { baseUrl: cw.apiUrl, companyId: c.companyId, publicKey: c.publicKey, clientId: c.clientId },
      secret: c.privateKey,
    });
  } else {
    at = await startAutotaskSandbox({ port: 0, seed: 'demo' });
    const c = DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS;
    await store.connections.create({
      id: connectionId, psa, name: 'Autotask sandbox',
      settings: { discoveryUrl: at.url, username: c.username, integrationCode: c.integrationCode },
      secret: c.secret,
    });
  }
  const client = rt.temporal;
  const platform = rt.subscriptions;

  let worker: { instance: Worker; running: Promise<void>; native: NativeConnection } | undefined;
  const h: Harness = {
    psa, rt, connectionId, taskQueue, store, gateways, client, platform, cw, at,
    workerEnv: {
      ...process.env,
      TEMPORAL_ADDRESS: servers.temporalAddress,
      TEMPORAL_TASK_QUEUE: taskQueue,
      MONGO_URL: dbUrl,
      SECRETS_KEY: secretsKey,
      WORKFLOW_BUNDLE: servers.workflowBundle,
      LOG_LEVEL: 'warn',
    },
    async startWorker(wrap = (a) => a) {
      const native = await NativeConnection.connect({ address: servers.temporalAddress });
      const instance = await Worker.create({
        connection: native,
        taskQueue,
        workflowBundle: { codePath: servers.workflowBundle },
        activities: wrap(rt.activities()),
      });
      worker = { instance, native, running: instance.run() };
    },
    async stopWorker() {
      if (!worker) return;
      worker.instance.shutdown();
      await worker.running;
      await worker.native.close();
      worker = undefined;
    },
    async close() {
      await h.stopWorker();
      await rt.close();
      await cw?.close();
      await at?.close();
    },
  };
  return h;
}

export { eventually } from '../support/eventually';

export type { MongoClient };
