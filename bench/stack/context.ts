/** What every phase of a stack benchmark run works with, and the figures it leaves. */
import type { MemorySampler } from './memory';
import type { BenchOptions } from './options';
import type { BenchStack } from './stack';
import { loadAverage } from './stats';
import type { BenchConnection, BenchDates, World } from './world';

export interface RunContext {
  stack: BenchStack;
  world: World;
  dates: BenchDates;
  options: BenchOptions;
  memory: MemorySampler;
  /** Connections built so far, by name (phases reuse each other's subscriptions). */
  connections: Map<string, BenchConnection>;
  timeoutMs: number;
  log(line: string): void;
}

/** The load averages (1, 5, 15 min) when a measurement started and ended. */
export interface LoadWindow {
  start: [number, number, number];
  end: [number, number, number];
}

/** Runs `fn` and returns its figures with the load averages around it. */
export async function withLoad<T extends object>(fn: () => Promise<T>): Promise<T & { load: LoadWindow }> {
  const start = loadAverage();
  const figures = await fn();
  return { ...figures, load: { start, end: loadAverage() } };
}
