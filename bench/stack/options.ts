/**
 * `npm run bench:stack -- [flags]`: what to measure and how big (bench/README.md lists them).
 * Every size also reads from the environment (BENCH_<NAME>), flags win. A bad value stops the
 * run before anything starts, naming the flag.
 */
export const METRICS = ['latency', 'burst', 'fold', 'sync', 'reconciliation'] as const;
export type Metric = (typeof METRICS)[number];

export interface BenchOptions {
  quick: boolean;
  only: Metric[];
  /** Timed samples per series of the event → PSA latency (after one warm-up per subscription). */
  latencySamples: number;
  /** Samples of the latency measured again with every workflow of the run still open. */
  openLatencySamples: number;
  /** Extra idle workflows opened on each side before those samples (0: none). */
  openWorkflows: number;
  /** Subscriptions and events of the sustained burst (each burst: client library, then admin API). */
  burstSubscriptions: number;
  burstEvents: number;
  /** Sizes of the month-start fold (each its own connection). */
  foldSizes: number[];
  /** Customers of the global sync. */
  syncRecords: number;
  /** Subscriptions per reconciliation month (the scaling is measured between them). */
  reconciliationSizes: number[];
  /** Longest wait for one phase to land before it is recorded as timed out. */
  phaseTimeoutMinutes: number;
  /** Where the raw figures go; the README table is written only for a named label. */
  out: string | null;
  label: string | null;
  keepData: boolean;
}

const QUICK = { openWorkflows: 0, latencySamples: 6, openLatencySamples: 4, burstSubscriptions: 20, burstEvents: 100, foldSizes: [40], syncRecords: 40 };
const FULL = { openWorkflows: 0, latencySamples: 40, openLatencySamples: 15, burstSubscriptions: 200, burstEvents: 1000, foldSizes: [1000], syncRecords: 1000 };

const KNOWN = ['quick', 'only', 'latency-samples', 'open-latency-samples', 'open', 'subscriptions', 'events', 'fold', 'sync', 'reconciliation', 'phase-timeout-minutes', 'out', 'label', 'keep-data'];

export class OptionError extends Error {}
/** `--help` (or `-h`): the caller prints USAGE and stops, measuring nothing. */
export class HelpRequested extends Error {}

export const USAGE = `npm run bench:stack -- [flags]   (bench/README.md: what each metric measures)

Starts the real stack on free ports, measures the connector and a bare Temporal baseline on the
same server, writes the raw figures (git-ignored) and prints the table of ratios.

  --quick                      small sizes (a smoke run): ${QUICK.burstSubscriptions} subscriptions / ${QUICK.burstEvents} events, fold ${QUICK.foldSizes.join(',')}, sync ${QUICK.syncRecords}
  --only a,b                   metrics: ${METRICS.join(', ')} (memory is always sampled)   [BENCH_ONLY]
  --latency-samples N          timed samples per side and PSA (default ${FULL.latencySamples})   [BENCH_LATENCY_SAMPLES]
  --open-latency-samples N     ConnectWise latency again with every workflow open, 0 skips (default ${FULL.openLatencySamples})   [BENCH_OPEN_LATENCY_SAMPLES]
  --open N                     open N idle workflows on each side before those samples (default 0)   [BENCH_OPEN]
  --subscriptions N            subscriptions of the sustained burst (default ${FULL.burstSubscriptions})   [BENCH_SUBSCRIPTIONS]
  --events N                   events of the burst, a multiple of --subscriptions (default ${FULL.burstEvents})   [BENCH_EVENTS]
  --fold N,M                   month-start sizes, each on its own connection (default ${FULL.foldSizes.join(',')})   [BENCH_FOLD]
  --sync N                     customers of the global sync (default ${FULL.syncRecords})   [BENCH_SYNC]
  --reconciliation N,M         subscriptions per reconciliation month (default: the burst's and folds' sizes)   [BENCH_RECONCILIATION]
  --phase-timeout-minutes N    longest wait for one phase to land (default 60)   [BENCH_PHASE_TIMEOUT_MINUTES]
  --label NAME                 raw figures to bench/results/stack-NAME.json and the table into bench/README.md   [BENCH_LABEL]
  --out FILE                   raw figures to FILE (default bench/results/stack-last-run.json)   [BENCH_OUT]
  --keep-data                  keep the servers' data folder and logs (.data/bench/run-<pid>/)
  --help, -h                   this text`;

export function parseOptions(argv: readonly string[], env: Record<string, string | undefined> = process.env): BenchOptions {
  const flags = new Map<string, string | true>();
  if (argv.includes('--help') || argv.includes('-h')) throw new HelpRequested();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new OptionError(`${a}: unexpected argument (flags start with --)`);
    const [name, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    if (!KNOWN.includes(name)) throw new OptionError(`--${name}: unknown flag (known: ${KNOWN.map((k) => `--${k}`).join(' ')})`);
    if (['quick', 'keep-data'].includes(name)) flags.set(name, true);
    else if (inline !== undefined) flags.set(name, inline);
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) flags.set(name, argv[++i]!);
    else throw new OptionError(`--${name}: needs a value`);
  }

  const quick = flags.get('quick') === true || env.BENCH_QUICK === '1';
  const d = quick ? QUICK : FULL;
  const value = (flag: string, envName: string): string | undefined => {
    const f = flags.get(flag);
    return typeof f === 'string' ? f : env[envName] || undefined;
  };
  const count = (flag: string, envName: string, dflt: number, min = 1): number => {
    const v = value(flag, envName);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new OptionError(`--${flag} (${envName}): must be a whole number ≥ ${min} (got "${v}")`);
    return n;
  };
  const counts = (flag: string, envName: string, dflt: number[]): number[] => {
    const v = value(flag, envName);
    if (v === undefined) return dflt;
    return v.split(',').map((x) => {
      const n = Number(x.trim());
      if (!Number.isInteger(n) || n < 1) throw new OptionError(`--${flag} (${envName}): must be whole numbers ≥ 1, comma-separated (got "${v}")`);
      return n;
    });
  };

  const onlyText = value('only', 'BENCH_ONLY');
  const only = onlyText ? onlyText.split(',').map((m) => m.trim()) : [...METRICS];
  for (const m of only) if (!(METRICS as readonly string[]).includes(m)) throw new OptionError(`--only: "${m}" is not a metric (one or more of ${METRICS.join(', ')})`);

  const burstSubscriptions = count('subscriptions', 'BENCH_SUBSCRIPTIONS', d.burstSubscriptions);
  const burstEvents = count('events', 'BENCH_EVENTS', d.burstEvents);
  if (burstEvents % burstSubscriptions !== 0) throw new OptionError(`--events (${burstEvents}) must be a multiple of --subscriptions (${burstSubscriptions}): each subscription gets the same number of events`);
  const foldSizes = counts('fold', 'BENCH_FOLD', d.foldSizes);
  const label = value('label', 'BENCH_LABEL') ?? null;
  if (label !== null && !/^[a-z0-9-]{1,40}$/.test(label)) throw new OptionError(`--label: lower-case letters, digits and - only (got "${label}")`);
  return {
    quick,
    only: only as Metric[],
    latencySamples: count('latency-samples', 'BENCH_LATENCY_SAMPLES', d.latencySamples),
    openLatencySamples: count('open-latency-samples', 'BENCH_OPEN_LATENCY_SAMPLES', d.openLatencySamples, 0),
    openWorkflows: count('open', 'BENCH_OPEN', d.openWorkflows, 0),
    burstSubscriptions,
    burstEvents,
    foldSizes,
    syncRecords: count('sync', 'BENCH_SYNC', d.syncRecords),
    // By default the burst's and the folds' subscriptions are reconciled: no extra subscriptions to create.
    reconciliationSizes: counts('reconciliation', 'BENCH_RECONCILIATION', [...new Set([burstSubscriptions, ...foldSizes])]),
    phaseTimeoutMinutes: count('phase-timeout-minutes', 'BENCH_PHASE_TIMEOUT_MINUTES', 60),
    out: value('out', 'BENCH_OUT') ?? null,
    label,
    keepData: flags.get('keep-data') === true,
  };
}
