/**
 * `npm run bench:stack`: starts the real stack on free ports (bench/stack/stack.ts), measures
 * our connector and a bare Temporal baseline side by side on the same server in one run
 * (bench/README.md: what each metric is and how it is measured), writes the raw figures to
 * bench/results/ and, for a labelled run, the table into bench/README.md. Every process it
 * started is stopped at the end — also on Ctrl-C, SIGTERM or a failure.
 *
 *   npm run bench:stack                                 # everything, full sizes (long: see bench/README.md)
 *   npm run bench:stack -- --quick                      # small sizes, a few minutes
 *   npm run bench:stack -- --only latency,burst --fold 1000,5000 --label latest
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../sandbox/stack/tools';
import { withLoad, type RunContext } from './context';
import { startMemorySampler, type MemorySampler } from './memory';
import { measureBurst } from './metrics/burst';
import { measureFold } from './metrics/fold';
import { measureLatency, measureOpenLatency } from './metrics/latency';
import { measureOpen } from './metrics/open';
import { measureReconciliationRun, reconciliationScaling } from './metrics/reconciliation';
import { measureSync } from './metrics/sync';
import { HelpRequested, OptionError, parseOptions, USAGE, type BenchOptions } from './options';
import { sandboxTraffic, type Traffic } from './http';
import { stopAll } from './processes';
import { markdownTable, newResults, updateReadme, writeResults, type StackResults } from './report';
import { startBenchStack } from './stack';
import { sleep } from './stats';
import { benchDates, World } from './world';

const started = Date.now();
const log = (line: string) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}`);

let stopping: Promise<void> | null = null;
/** Stops everything once, whoever asks first (the end of the run, a signal, a failure). */
function shutdown(): Promise<void> {
  stopping ??= stopAll();
  return stopping;
}
/** The run's data folder, removed when the run is interrupted (unless --keep-data). */
let dropData = (): void => {};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping every process of the run…`);
    void shutdown().then(() => {
      dropData();
      process.exit(130);
    });
  });
}
// Started by npm, which may die without forwarding a signal: then stop too, rather than run on unseen.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) void shutdown().then(() => process.exit(1));
}, 1_000).unref();

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (e) {
    if (e instanceof HelpRequested) {
      console.log(USAGE);
      process.exit(0);
    }
    if (!(e instanceof OptionError)) throw e;
    console.error(`${e.message}\n(npm run bench:stack -- --help lists the flags)`);
    process.exit(2);
  }
  const resultsFile = path.resolve(options.out ?? path.join(projectRoot, 'bench/results', `stack-${options.label ?? 'last-run'}.json`));
  mkdirSync(path.dirname(resultsFile), { recursive: true });
  // Servers' data and logs, one folder per run (two runs can go at once), removed at the end unless --keep-data.
  const dir = path.join(projectRoot, '.data/bench', `run-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (!options.keepData) dropData = () => rmSync(dir, { recursive: true, force: true });

  const results = newResults(options.label, options, projectRoot);
  let memory: MemorySampler | undefined;
  try {
    const stack = await startBenchStack(dir, log);
    log(`stack up (logs: ${path.relative(process.cwd(), path.join(dir, 'logs'))}/)`);
    results.pids = stack.pids;
    memory = startMemorySampler(stack.pids);
    const dates = benchDates();
    const ctx: RunContext = { stack, world: new World(stack, dates), dates, options, memory, connections: new Map(), timeoutMs: options.phaseTimeoutMinutes * 60_000, log };
    memory.phase('idle');
    await sleep(10_000);
    await runPhases(ctx, results, () => writeResults(resultsFile, results));
  } catch (e) {
    results.errors.push({ phase: 'stack', message: (e as Error).message });
    log(`failed: ${(e as Error).message}`);
    process.exitCode = 1;
  } finally {
    memory?.stop();
    if (memory) results.metrics.memory = memory.figures();
    results.finishedAt = new Date().toISOString();
    writeResults(resultsFile, results);
    log('stopping every process of the run…');
    await shutdown();
    if (options.keepData || results.errors.length) log(`servers' data and logs kept in ${path.relative(process.cwd(), dir)}/`);
    else rmSync(dir, { recursive: true, force: true });
  }
  const table = markdownTable(results);
  console.log(`\n${table}\n`);
  log(`raw figures: ${path.relative(process.cwd(), resultsFile)}`);
  if (options.label) {
    updateReadme(path.join(projectRoot, 'bench/README.md'), options.label, table);
    log(`table "${options.label}" written to bench/README.md`);
  }
  if (results.errors.length) process.exitCode = 1;
}

async function runPhases(ctx: RunContext, results: StackResults, save: () => void): Promise<void> {
  const wants = (m: BenchOptions['only'][number]) => ctx.options.only.includes(m);
  const m = results.metrics;
  const phase = async (name: string, fn: () => Promise<void>) => {
    ctx.memory.phase(name);
    ctx.log(`— ${name} —`);
    const before = await psaRequests(ctx);
    try {
      await fn();
    } catch (e) {
      results.errors.push({ phase: name, message: (e as Error).message });
      ctx.log(`${name} failed: ${(e as Error).stack ?? (e as Error).message}`);
    }
    const after = await psaRequests(ctx);
    (results.psaRequests ??= {})[name] = countersSince(before, after);
    save();
  };

  if (wants('latency')) {
    await phase('latency', async () => {
      m.latency = {};
      for (const psa of ['connectwise', 'autotask'] as const) m.latency[psa] = await withLoad(() => measureLatency(ctx, psa));
    });
  }
  if (wants('burst')) await phase('burst', async () => void (m.burst = await withLoad(() => measureBurst(ctx))));
  if (wants('fold')) {
    for (const n of ctx.options.foldSizes) await phase('fold', async () => void (m.fold = [...(m.fold ?? []), await withLoad(() => measureFold(ctx, n))]));
  }
  if (ctx.options.openWorkflows > 0) await phase('open', async () => void (m.open = await withLoad(() => measureOpen(ctx, ctx.options.openWorkflows))));
  if ((wants('burst') || wants('fold') || ctx.options.openWorkflows > 0) && ctx.options.openLatencySamples > 0) {
    ctx.memory.phase('open-idle');
    await sleep(15_000);
    await phase('open-latency', async () => {
      const openWorkflows = await ctx.stack.client.workflow.count('ExecutionStatus = "Running"').then((c) => c.count, () => null);
      m.openLatency = { ...(await withLoad(() => measureOpenLatency(ctx))), openWorkflows };
    });
  }
  if (wants('sync')) await phase('sync', async () => void (m.sync = await withLoad(() => measureSync(ctx))));
  if (wants('reconciliation')) {
    await phase('reconciliation', async () => {
      m.reconciliation = await withLoad(async () => {
        const runs = [];
        for (const n of ctx.options.reconciliationSizes) {
          try {
            runs.push(await measureReconciliationRun(ctx, n));
          } catch (e) {
            results.errors.push({ phase: `reconciliation ${n}`, message: (e as Error).message });
            ctx.log(`reconciliation ${n} failed: ${(e as Error).stack ?? (e as Error).message}`);
          }
          save();
        }
        return { runs, scaling: reconciliationScaling(runs) };
      });
    });
  }
}

/** Both sandboxes' request counters (every request of ours, the baseline's and the driver's setup). */
async function psaRequests(ctx: RunContext): Promise<Record<string, Traffic['counters']>> {
  const [cw, at] = await Promise.all([sandboxTraffic(ctx.stack.cw.url, 1), sandboxTraffic(ctx.stack.at.url, 1)]);
  return { connectwise: cw.counters, autotask: at.counters };
}

function countersSince(before: Record<string, Traffic['counters']>, after: Record<string, Traffic['counters']>): Record<string, { byRoute: Record<string, number>; byStatus: Record<string, number> }> {
  const diff = (a: Record<string, number>, b: Record<string, number>) =>
    Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v - (a[k] ?? 0)]).filter(([, v]) => v !== 0));
  return Object.fromEntries(Object.keys(after).map((psa) => [psa, { byRoute: diff(before[psa]!.byRoute, after[psa]!.byRoute), byStatus: diff(before[psa]!.byStatus, after[psa]!.byStatus) }]));
}

main().catch(async (e: unknown) => {
  console.error(e);
  await shutdown();
  process.exit(1);
});
