/**
 * The connector on the time-skipping test server: real activities against FerretDB and a PSA
 * sandbox (from the workflow harness), workflows whose timers jump when the test sleeps, and a
 * worker the test can stop and start again (events sent meanwhile are queued, then checked).
 */
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createPlatformClient, type PlatformClient } from '../../client/platform-client';
import { isoDateOf, type IsoDate } from '../../domain/dates';
import { testServers } from '../setup/servers';
import { startHarness, type Harness } from '../workflows/harness';
import { startTimeSkippingEnv } from './time-skipping-env';

export interface TimeSkippingConnector {
  h: Harness;
  env: TestWorkflowEnvironment;
  taskQueue: string;
  platform: PlatformClient;
  today(): Promise<IsoDate>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

export async function startTimeSkippingConnector(psa: 'connectwise' | 'autotask', name: string): Promise<TimeSkippingConnector> {
  const h = await startHarness(psa, name);
  const env = await startTimeSkippingEnv(testServers().temporalTestServerPath);
  const taskQueue = `${name}-${randomUUID().slice(0, 8)}`;
  // A short accept timeout: with the worker stopped, events are queued quickly.
  const platform = createPlatformClient(env.client, { taskQueue, acceptTimeoutMs: 1_000 });
  let running: { worker: Worker; done: Promise<void> } | undefined;
  const c: TimeSkippingConnector = {
    h,
    env,
    taskQueue,
    platform,
    today: async () => isoDateOf(await env.currentTimeMs()),
    async startWorker() {
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: { codePath: testServers().workflowBundle },
        activities: createActivities({ store: h.store, gateways: h.gateways, subscriptions: platform, taskQueue }),
        maxConcurrentActivityTaskExecutions: 20,
        // No sticky queues: the test server does not hand a stopped worker's workflows back to
        // the normal queue, so after a restart queries and tasks would wait on the old one.
        maxCachedWorkflows: 0,
      });
      running = { worker, done: worker.run() };
    },
    async stopWorker() {
      if (!running) return;
      running.worker.shutdown();
      await running.done;
      running = undefined;
    },
    async close() {
      await c.stopWorker();
      await env.teardown();
      await h.close();
    },
  };
  return c;
}
