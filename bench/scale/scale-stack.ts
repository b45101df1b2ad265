/**
 * The real stack for the scale measurements (bench/scale/*.ts): a Temporal dev server (in
 * memory) and FerretDB on free ports in a temp directory, the ConnectWise sandbox in process, the
 * connector's runtime and one worker with every activity. Everything stops with `close()`.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createRuntime, type Runtime } from '../../runtime/runtime';
import { startFerretDb } from '../../sandbox/stack/ferretdb';
import { freePort } from '../../sandbox/stack/ports';
import { startTemporalDevServer } from '../../sandbox/stack/temporal-dev-server';
import { DEFAULT_CW_SANDBOX_CREDENTIALS } from '../../sandbox/connectwise/auth';
import { startConnectWiseSandbox, type ConnectWiseSandbox } from '../../sandbox/connectwise/server';

export interface ScaleStack {
  rt: Runtime;
  cw: ConnectWiseSandbox;
  connectionId: string;
  taskQueue: string;
  /** Resident memory in MB of the worker (this process), Temporal and FerretDB. */
  memory(): { worker: number; temporal: number; ferretdb: number };
  close(): Promise<void>;
}

const rssMb = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
};

export async function startScaleStack(name: string): Promise<ScaleStack> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `psa-scale-${name}-`));
  const [temporal, ferret] = await Promise.all([
    freePort().then((port) => startTemporalDevServer({ port, logFile: path.join(dir, 'temporal.log') })),
    freePort().then((port) => startFerretDb({ port, dataDir: path.join(dir, 'ferretdb'), logFile: path.join(dir, 'ferretdb.log') })),
  ]);
  const taskQueue = `scale-${name}`;
  const url = new URL(ferret.url);
  url.pathname = `/scale_${name}`;
  const rt = await createRuntime({ mongoUrl: url.toString(), secretsKey: Buffer.alloc(32, 7).toString('base64'), temporal: { address: temporal.address, namespace: 'default', taskQueue } });
  const cw = await startConnectWiseSandbox({ port: 0, seed: 'demo', rateLimit: { limit: 0, windowMs: 10_000 } });
  const connectionId = 'cw-scale';
  const c = DEFAULT_CW_SANDBOX_CREDENTIALS;
  await rt.store.connections.create({
    id: connectionId, psa: 'connectwise', name: 'ConnectWise sandbox',
    settings: { baseUrl: cw.apiUrl, companyId: c.companyId, publicKey: c.publicKey, clientId: c.clientId },
    secret: c.privateKey,
  });
  const native = await NativeConnection.connect({ address: temporal.address });
  const worker = await Worker.create({ connection: native, taskQueue, workflowsPath: require.resolve('../../workflows'), activities: rt.activities() });
  const running = worker.run();
  return {
    rt, cw, connectionId, taskQueue,
    memory: () => ({ worker: Math.round(process.memoryUsage().rss / 1024 / 1024), temporal: rssMb(temporal.pid), ferretdb: rssMb(ferret.pid) }),
    async close() {
      // A worker drains its running activities before it stops (a sync page can run for
      // minutes): wait 10 s at most, and stop the servers whatever happened before.
      worker.shutdown();
      try {
        await Promise.race([running, new Promise((r) => setTimeout(r, 10_000).unref())]);
        await Promise.allSettled([native.close(), rt.close(), cw.close()]);
      } finally {
        await Promise.all([temporal.stop(), ferret.stop()]);
      }
    },
  };
}

/** Seconds since `t0` (ms), one decimal. */
export const secondsSince = (t0: number): number => Math.round((Date.now() - t0) / 100) / 10;

export const loadAverage = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' / ');

/**
 * Runs a measurement on a fresh stack: `measure` fills the report; the report is printed as JSON
 * (also when the measurement failed part-way, or was stopped with Ctrl-C / SIGTERM, e.g. by
 * `timeout`), then the stack stops.
 */
export function runScale(name: string, measure: (stack: ScaleStack, report: Record<string, unknown>) => Promise<void>): void {
  const main = async () => {
    const stack = await startScaleStack(name);
    const report: Record<string, unknown> = { loadAverageBefore: loadAverage() };
    const stop = (signal: NodeJS.Signals) => {
      report.stoppedBy = signal;
      report.stoppedAfterSeconds = Math.round(process.uptime());
      console.log(JSON.stringify(report, null, 1));
      void stack.close().finally(() => process.exit(130));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await measure(stack, report);
    } finally {
      console.log(JSON.stringify(report, null, 1));
      await stack.close();
    }
  };
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
