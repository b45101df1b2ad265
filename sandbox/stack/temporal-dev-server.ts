/** The Temporal CLI dev server (real Temporal server 1.29 with SQLite), with our search attributes. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { allSearchAttributes } from '../../workflows/search-attributes';
import { logTail, startProcess, type ManagedProcess } from './child-process';
import { requireTool } from './tools';

const run = promisify(execFile);

export interface TemporalDevServerOptions {
  port: number;
  /** Web UI port; omitted = headless. */
  uiPort?: number;
  /** SQLite file; omitted = in memory. */
  dbFile?: string;
  logFile: string;
  extraArgs?: string[];
}

export async function startTemporalDevServer(opts: TemporalDevServerOptions): Promise<ManagedProcess & { address: string }> {
  const temporal = requireTool('temporal');
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1', '--port', String(opts.port),
    '--namespace', 'default',
    '--log-level', 'warn', '--log-format', 'json',
    ...(opts.uiPort ? ['--ui-port', String(opts.uiPort)] : ['--headless']),
    ...(opts.dbFile ? ['--db-filename', opts.dbFile] : []),
    ...allSearchAttributes.flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]),
    '--dynamic-config-value', 'frontend.enableServerVersionCheck=false',
    '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
    '--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true',
    ...(opts.extraArgs ?? []),
  ];
  const proc = startProcess('temporal', temporal, args, opts.logFile);
  const address = `127.0.0.1:${opts.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await run(temporal, ['operator', 'cluster', 'health', '--address', address], { timeout: 5_000, killSignal: 'SIGKILL' });
      break;
    } catch {
      if (Date.now() > deadline) {
        await proc.stop();
        throw new Error(`Temporal dev server did not become healthy on ${address}:\n${logTail(opts.logFile)}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  return { ...proc, address };
}
