/** FerretDB 1.24 on SQLite: a MongoDB-protocol database (our embedding build, scripts/ferretdb, which adds the `_id` lookup index FerretDB lacks: scripts/ferretdb/idindex.go). */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { logTail, startProcess, type ManagedProcess } from './child-process';
import { waitForPort } from './ports';
import { requireTool } from './tools';

export interface FerretDbOptions {
  port: number;
  /** Directory of SQLite files (one per database). */
  dataDir: string;
  logFile: string;
}

export async function startFerretDb(opts: FerretDbOptions): Promise<ManagedProcess & { url: string }> {
  mkdirSync(opts.dataDir, { recursive: true });
  const dir = path.resolve(opts.dataDir);
  const proc = startProcess('ferretdb', requireTool('ferretdb'), [
    '--listen-addr', `127.0.0.1:${opts.port}`,
    '--sqlite-url', `file:${dir}/`,
    '--log-level', 'error',
  ], opts.logFile);
  try {
    await waitForPort(opts.port, 30_000, 'FerretDB');
  } catch (err) {
    await proc.stop();
    throw new Error(`${(err as Error).message}\n${logTail(opts.logFile)}`);
  }
  return { ...proc, url: `mongodb://127.0.0.1:${opts.port}/?directConnection=true&serverSelectionTimeoutMS=5000` };
}
