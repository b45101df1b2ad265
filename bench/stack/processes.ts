/**
 * Every process a benchmark run starts, and the guarantee that none outlives it: each child is
 * registered here, `stopAll()` stops them in reverse order (SIGTERM, then SIGKILL), and the
 * run's signal and error handlers call it. A process that dies abruptly still kills its
 * registered children on `exit` (SIGKILL), so a crash of the driver leaves nothing behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface Running {
  name: string;
  pid: number;
  logFile: string;
  /** Resolves when the process exits (for whatever reason). */
  exited: Promise<number | string | null>;
  stop(): Promise<void>;
}

const stoppers: Array<{ name: string; stop: () => Promise<void> }> = [];
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Registers something to stop at the end of the run (stopped last-registered first). */
export function onStop(name: string, stop: () => Promise<void>): void {
  stoppers.push({ name, stop });
}

/** Stops everything registered, newest first; errors are printed, never thrown. */
export async function stopAll(): Promise<void> {
  while (stoppers.length > 0) {
    const { name, stop } = stoppers.pop()!;
    await stop().catch((e: unknown) => console.error(`[bench] stopping ${name} failed: ${(e as Error).message}`));
  }
}

/**
 * A Node entry point of this repository (`node --import tsx <entry>`) with its own environment,
 * output to `logFile`. Resolves once a line of its output contains `readyText` (or at once).
 */
export async function startNode(name: string, entry: string, opts: { cwd: string; env: NodeJS.ProcessEnv; logFile: string; readyText?: string; readyTimeoutMs?: number }): Promise<Running> {
  mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const out = openSync(opts.logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', out, out] });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${entry}`);
  children.add(child);
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve(signal ?? code);
    }),
  );
  const running: Running = {
    name,
    pid: child.pid,
    logFile: opts.logFile,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  onStop(name, () => running.stop());
  if (opts.readyText) await waitForLog(running, opts.readyText, opts.readyTimeoutMs ?? 120_000);
  return running;
}

/** Waits until the process's log contains `text`; fails with the log's tail if it exits or takes too long. */
export async function waitForLog(p: Running, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let gone: number | string | null | undefined;
  void p.exited.then((r) => (gone = r ?? 'exit'));
  for (;;) {
    if (readLog(p.logFile).includes(text)) return;
    if (gone !== undefined) throw new Error(`${p.name} exited (${gone}) before it was ready:\n${logTail(p.logFile)}`);
    if (Date.now() > deadline) throw new Error(`${p.name} was not ready within ${timeoutMs} ms:\n${logTail(p.logFile)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export function logTail(file: string, lines = 20): string {
  return readLog(file).trimEnd().split('\n').slice(-lines).join('\n');
}

/** Resident memory of a process in MiB (`VmRSS` of /proc/<pid>/status), or null when it is gone or the OS has no /proc. */
export function rssMiB(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}
