/**
 * The figures of a run: the raw JSON (bench/results/) and the markdown table of bench/README.md
 * (between `<!-- stack:<label>:begin -->` and `<!-- stack:<label>:end -->`, so a run replaces
 * only its own table). Times are ours ÷ baseline ("×", higher is slower); rates are ours as a
 * share of the baseline's ("%", higher is better).
 */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import type { LoadWindow } from './context';
import type { MemoryFigures } from './memory';
import type { BenchOptions } from './options';
import type { BurstFigures } from './metrics/burst';
import type { FoldFigures } from './metrics/fold';
import type { LatencySeries } from './metrics/latency';
import type { OpenFigures } from './metrics/open';
import type { ReconciliationFigures } from './metrics/reconciliation';
import type { SyncFigures } from './metrics/sync';
import type { Timed } from './onboarding';

type WithLoad<T> = T & { load: LoadWindow };

export interface StackResults {
  kind: 'psa-connector stack benchmark';
  label: string | null;
  startedAt: string;
  finishedAt: string | null;
  commit: { id: string; dirty: boolean };
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  options: BenchOptions;
  /** The processes the run started (all stopped when it ends). */
  pids?: Record<string, number>;
  metrics: {
    latency?: Partial<Record<'connectwise' | 'autotask', WithLoad<LatencySeries>>>;
    burst?: WithLoad<BurstFigures>;
    fold?: Array<WithLoad<FoldFigures>>;
    openLatency?: WithLoad<LatencySeries & { openWorkflows: number | null }>;
    open?: WithLoad<OpenFigures>;
    sync?: WithLoad<SyncFigures>;
    reconciliation?: WithLoad<ReconciliationFigures>;
    memory?: Record<string, MemoryFigures>;
  };
  /** Requests each sandbox answered during each phase (setup included), by route and by status. */
  psaRequests?: Record<string, Record<string, { byRoute: Record<string, number>; byStatus: Record<string, number> }>>;
  errors: Array<{ phase: string; message: string }>;
}

export function newResults(label: string | null, options: BenchOptions, root: string): StackResults {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  let commit = { id: 'unknown', dirty: false };
  try {
    commit = { id: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no').length > 0 };
  } catch {
    // not a git checkout
  }
  const cpu = cpus();
  return {
    kind: 'psa-connector stack benchmark',
    label,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    commit,
    machine: { cpus: cpu.length, cpuModel: cpu[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform} ${process.arch}` },
    options,
    metrics: {},
    errors: [],
  };
}

export function writeResults(file: string, r: StackResults): void {
  writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
}

const n = (x: number | null | undefined, digits = 0): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (x: number) => (x >= 10_000 ? `${n(x / 1000, 1)} s` : `${n(x)} ms`);
const times = (x: number) => (Number.isFinite(x) ? `${n(x, x >= 10 ? 0 : 1)}×` : '—');
const share = (x: number) => (Number.isFinite(x) ? `${n(x * 100, x < 0.1 ? 1 : 0)} %` : '—');
const loadText = (l: LoadWindow | undefined) => (l ? `${n(l.start[0], 1)} → ${n(l.end[0], 1)}` : '—');
const landedNote = (t: Timed) => (t.notLanded.length || t.timedOut ? ` — **${t.items - t.landed} not landed${t.timedOut ? ' (timed out)' : ''}**` : '');

/** The markdown table of a run (bench/README.md). */
export function markdownTable(r: StackResults): string {
  const rows: string[][] = [];
  const m = r.metrics;
  const latencyRow = (what: string, s: WithLoad<LatencySeries> | undefined) => {
    if (!s) return;
    rows.push([`${what}, p50 / p99 (n = ${s.ours.n})`, `${ms(s.ours.p50)} / ${ms(s.ours.p99)}`, `${ms(s.baseline.p50)} / ${ms(s.baseline.p99)}`, `${times(s.ratio.p50)} / ${times(s.ratio.p99)}`, loadText(s.load)]);
  };
  latencyRow('one event → line in the PSA, ConnectWise', m.latency?.connectwise);
  latencyRow('the same, Autotask', m.latency?.autotask);
  if (m.open) {
    const o = m.open;
    rows.push([
      `opening ${n(o.n)} idle workflows (ours: subscriptions reported, recorded, waiting unmapped; bare: started)`,
      `${n(o.ours.seconds)} s, ${n(o.ours.perSecond, 1)}/s${o.ours.timedOut ? ` (**${n(o.ours.recorded)} recorded when the phase timed out**)` : ''}`,
      `${n(o.baseline.seconds)} s, ${n(o.baseline.perSecond, 1)}/s`,
      times(o.ours.seconds / o.baseline.seconds),
      loadText(o.load),
    ]);
  }
  if (m.openLatency) latencyRow(`one event → line in the PSA, ConnectWise, with ${n(m.openLatency.openWorkflows)} workflows open`, m.openLatency);
  if (m.burst) {
    const b = m.burst;
    const c = b.client;
    rows.push([
      `${n(b.events)} events over ${n(b.subscriptions)} subscriptions, all landed (client library)`,
      `${n(c.ours.perSecond, 1)} events/s (${n(c.ours.seconds)} s)${landedNote(c.ours)}`,
      `${n(c.baseline.perSecond, 1)} events/s (${n(c.baseline.seconds)} s)${landedNote(c.baseline)}`,
      share(c.ratio.eventsPerSecond),
      loadText(b.load),
    ]);
    // The rate to the median landing: what a tail of a few stuck tasks (an overloaded dev server loses some) leaves out.
    const half = (t: Timed) => t.items / 2 / t.p50Seconds;
    rows.push([
      'the same, to the median subscription done (half the subscriptions had every event landed)',
      `${n(half(c.ours), 1)} events/s (${n(c.ours.p50Seconds)} s)`,
      `${n(half(c.baseline), 1)} events/s (${n(c.baseline.p50Seconds)} s)`,
      share(half(c.ours) / half(c.baseline)),
      '',
    ]);
    const a = b.api;
    rows.push([
      'events accepted by the admin API during a burst like it (ack p50 / p99) vs bare signal-with-start',
      `${n(a.ours.acceptedPerSecond, 1)} /s (${ms(a.ours.ack.p50)} / ${ms(a.ours.ack.p99)})`,
      `${n(a.baselineSignalWithStart.acceptedPerSecond, 1)} /s (${ms(a.baselineSignalWithStart.ack.p50)} / ${ms(a.baselineSignalWithStart.ack.p99)})`,
      share(a.ratio.acceptedPerSecond),
      loadText(b.load),
    ]);
    rows.push(['that API burst, all landed', `${n(a.ours.perSecond, 1)} events/s${landedNote(a.ours)}`, `${n(a.baselineSignalWithStart.perSecond, 1)} events/s`, share(a.ratio.eventsPerSecond), '']);
    const q = b.apiAsync;
    if (q) {
      rows.push([
        'the same with `Prefer: respond-async` (answered once Temporal holds the event) vs bare signal-with-start',
        `${n(q.ours.acceptedPerSecond, 1)} /s (${ms(q.ours.ack.p50)} / ${ms(q.ours.ack.p99)})`,
        `${n(a.baselineSignalWithStart.acceptedPerSecond, 1)} /s (${ms(a.baselineSignalWithStart.ack.p50)} / ${ms(a.baselineSignalWithStart.ack.p99)})`,
        share(q.ratio.acceptedPerSecond),
        '',
      ]);
      rows.push(['that respond-async burst, all landed', `${n(q.ours.perSecond, 1)} events/s${landedNote(q.ours)}`, `${n(a.baselineSignalWithStart.perSecond, 1)} events/s`, share(q.ratio.eventsPerSecond), '']);
    }
    rows.push([`onboarding the ${n(b.subscriptions)} subscriptions (report → base line landed)`, `${n(b.onboarding.ours.seconds)} s${landedNote(b.onboarding.ours)}`, `${n(b.onboarding.baseline.seconds)} s`, times(b.onboarding.ours.seconds / b.onboarding.baseline.seconds), '']);
    rows.push(['every burst subscription equal to `plan`', b.planCheck.mismatches.length ? `**${b.planCheck.mismatches.length} of ${b.planCheck.checked} differ**` : `yes (${b.planCheck.checked})`, '', '', '']);
  }
  for (const f of m.fold ?? []) {
    rows.push([
      `month start, ${n(f.n)} subscriptions: onboarding until every base line landed (month start folded)`,
      `${n(f.onboarding.ours.seconds)} s, ${n(f.onboarding.ours.perSecond, 1)}/s, ${n(f.onboarding.oursPsaWrites)} PSA writes${landedNote(f.onboarding.ours)}`,
      `${n(f.onboarding.baseline.seconds)} s (1 write each)`,
      times(f.onboarding.ratio),
      loadText(f.load),
    ]);
    rows.push([
      `month start, ${n(f.n)}: re-fold (an event dated ${f.refold.eventDate} each → delta line + base line re-folded)`,
      `${n(f.refold.ours.seconds)} s, ${n(f.refold.ours.perSecond, 1)}/s, ${n(f.refold.oursPsaWrites)} PSA writes${landedNote(f.refold.ours)}`,
      `${n(f.refold.baseline.seconds)} s (1 write each)`,
      times(f.refold.ratio),
      '',
    ]);
    rows.push([`every fold subscription equal to \`plan\``, f.planCheck.mismatches.length ? `**${f.planCheck.mismatches.length} of ${f.planCheck.checked} differ**` : `yes (${n(f.planCheck.checked)})`, '', '', '']);
  }
  if (m.sync) {
    const s = m.sync;
    rows.push([`global sync of ${n(s.n)} customers, first run (pushes each)`, `${n(s.first.seconds, 1)} s, ${n(s.first.psaWrites)} PSA writes`, `${n(s.baseline.seconds, 1)} s, ${n(s.baseline.psaWrites)} writes`, times(s.ratio), loadText(s.load)]);
    rows.push(['the same, second run (nothing changed)', `${n(s.second.seconds, 1)} s, ${n(s.second.psaWrites)} PSA writes`, '—', '', '']);
  }
  if (m.reconciliation) {
    for (const run of m.reconciliation.runs) {
      const o = run.ours;
      const statuses = Object.entries(o.statuses).map(([k, v]) => `${n(v)} ${k}`).join(', ');
      const what = o.outcome === 'completed' || o.outcome === 'checked' ? `${n(o.seconds, 1)} s, ${o.outcome} (${statuses || 'no items'})` : `**${o.outcome} after ${n(o.seconds)} s**${o.error ? `: ${o.error.slice(0, 160)}` : ''}${statuses ? ` (${statuses})` : ''}`;
      rows.push([`reconciliation month of ${n(run.n)} subscriptions`, what, `${n(run.baseline.seconds, 1)} s`, times(run.ratio), loadText(m.reconciliation.load)]);
    }
    const sc = m.reconciliation.scaling;
    if (sc) rows.push([`reconciliation time per subscription, ${n(sc.to)} vs ${n(sc.from)}`, `${times(sc.perSubscriptionRatio)} (1× = linear)`, '', '', '']);
  }
  if (m.memory) rows.push(...memoryRows(m.memory, m.openLatency?.openWorkflows ?? null));

  const head = ['metric', 'ours', 'bare Temporal', 'ratio', 'load avg (1 min)'];
  const c = r.commit;
  return [
    `Run of ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC, commit \`${c.id.slice(0, 12)}\`${c.dirty ? ' (with uncommitted changes)' : ''}; ${r.machine.cpus} cores (${r.machine.cpuModel}), ${r.machine.memoryGiB} GiB, Node ${r.machine.node}. Raw figures (git-ignored): \`bench/results/stack-${r.label ?? 'last-run'}.json\`.`,
    '',
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    ...(r.errors.length ? ['', ...r.errors.map((e) => `- **${e.phase} failed:** ${e.message.split('\n')[0]}`)] : []),
  ].join('\n');
}

function memoryRows(phases: Record<string, MemoryFigures>, open: number | null): string[][] {
  const procs = ['worker', 'temporal', 'ferretdb', 'api'] as const;
  const max = (names: string[], proc: string) => Math.max(...names.map((p) => phases[p]?.processes[proc]?.maxMiB ?? -Infinity));
  const row = (what: string, names: string[]) => {
    const present = names.filter((p) => phases[p]);
    if (!present.length) return null;
    return [
      `resident memory (max MiB) worker / Temporal / FerretDB / API, ${what}`,
      procs.map((p) => n(max(present, p))).join(' / '),
      `bare worker ${n(max(present, 'bareWorker'))}`,
      '',
      '',
    ];
  };
  return [
    row('idle after start-up', ['idle']),
    row('under load (burst, fold, sync, reconciliation)', ['burst', 'fold', 'sync', 'reconciliation']),
    row(`idle with ${open === null ? 'every workflow of the run' : n(open)} open`, ['open-idle']),
  ].filter((x): x is string[] => x !== null);
}

/** Replaces (or appends) the run's table in the README between its label's markers. */
export function updateReadme(readme: string, label: string, table: string): void {
  const begin = `<!-- stack:${label}:begin -->`;
  const end = `<!-- stack:${label}:end -->`;
  const text = readFileSync(readme, 'utf8');
  const block = `${begin}\n${table}\n${end}`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  const next = i >= 0 && j > i ? `${text.slice(0, i)}${block}${text.slice(j + end.length)}` : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(readme, next);
}
