/**
 * The worker process started before its servers (as a fresh `npm start` or an orchestrator may
 * do): it waits for MongoDB and for Temporal, printing its progress, instead of exiting; once
 * both are up it polls. A PSA-style refusal in an activity is then logged in one line, without
 * a stack. MongoDB (FerretDB) and the Temporal dev server are this test's own, on free ports,
 * started only after the worker said it is waiting for them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { startFerretDb } from '../../sandbox/stack/ferretdb';
import { freePort } from '../../sandbox/stack/ports';
import { startTemporalDevServer } from '../../sandbox/stack/temporal-dev-server';
import type { ManagedProcess } from '../../sandbox/stack/child-process';

const root = path.resolve(__dirname, '../..');

describe('worker start-up while MongoDB and Temporal are still starting', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'psa-worker-start-'));
  const servers: ManagedProcess[] = [];
  let worker: ChildProcess | undefined;
  let output = '';

  afterAll(async () => {
    if (worker && worker.exitCode === null) worker.kill('SIGKILL');
    for (const s of servers) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const waitFor = async (pattern: RegExp, what: string): Promise<void> => {
    for (const deadline = Date.now() + 120_000; !pattern.test(output); ) {
      if (worker!.exitCode !== null || Date.now() > deadline) throw new Error(`the worker never logged ${what}:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('waits with visible progress, then polls; an expected refusal is one log line', async () => {
    const [temporalPort, mongoPort] = [await freePort(), await freePort()];
    const taskQueue = `worker-start-${Date.now()}`;
    worker = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
        TEMPORAL_TASK_QUEUE: taskQueue,
        MONGO_URL: `mongodb://127.0.0.1:${mongoPort}/worker_start?directConnection=true&serverSelectionTimeoutMS=1000`,
        SMTP_URL: 'smtp://127.0.0.1:2525',
        SECRETS_KEY: randomBytes(32).toString('base64'),
        SCHEDULE_ID_PREFIX: `${taskQueue}/`,
        LOG_LEVEL: 'info',
        ...(process.env.TEST_WORKFLOW_BUNDLE ? { WORKFLOW_BUNDLE: process.env.TEST_WORKFLOW_BUNDLE } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    worker.stderr!.on('data', (c: Buffer) => (output += c.toString()));

    await waitFor(new RegExp(`worker: MongoDB at mongodb://127\\.0\\.0\\.1:${mongoPort}/worker_start: attempt 1 failed \\(.+\\); retrying for up to \\d+ s more`), 'that it waits for MongoDB');
    servers.push(await startFerretDb({ port: mongoPort, dataDir: path.join(dir, 'ferretdb'), logFile: path.join(dir, 'ferretdb.log') }));

    await waitFor(new RegExp(`worker: Temporal at 127\\.0\\.0\\.1:${temporalPort} \\(namespace default\\): attempt 1 failed`), 'that it waits for Temporal');
    const temporal = await startTemporalDevServer({ port: temporalPort, logFile: path.join(dir, 'temporal.log') });
    servers.push(temporal);

    await waitFor(/worker: polling task queue/, 'that it polls');
    expect(output).toMatch(/worker: schedules 0 created, 0 updated, 0 unchanged, 0 deleted/);
    expect(output).not.toContain('worker failed');

    // An activity refused by the store (no such connection): one line, no stack.
    const connection = await Connection.connect({ address: temporal.address });
    try {
      const run = new Client({ connection }).workflow.execute('globalSyncWorkflow', { taskQueue, workflowId: `${taskQueue}/sync`, args: [{ connectionId: 'cw-nope' }] });
      await expect(run).rejects.toBeInstanceOf(WorkflowFailedError);
    } finally {
      await connection.close();
    }
    await waitFor(/Workflow failed: globalSyncWorkflow/, 'the failed activity and workflow');
    const lines = output.split('\n').filter((l) => / failed: /.test(l));
    expect(lines).toEqual([
      expect.stringMatching(/\[WARN\] Activity failed: planGlobalSync \(workflow .+\/sync, attempt 1\): connection "cw-nope" does not exist \[NotFoundError\]$/),
      expect.stringMatching(/\[WARN\] Workflow failed: globalSyncWorkflow \(workflow .+\/sync\): connection "cw-nope" does not exist \[NotFoundError\]$/),
    ]);
    expect(output).not.toMatch(/\n\s+at /); // no stack anywhere

    const exited = new Promise<number | null>((r) => worker!.once('exit', (code) => r(code)));
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 240_000);
});
