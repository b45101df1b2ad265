/**
 * The stack benchmark's smoke run: every metric at a handful of subscriptions (about a minute
 * and a half on the busy dev machine). It starts its own stack on free ports, measures ours and
 * the bare baseline in every phase, checks the landed lines against `plan`, writes a well-formed
 * result file and leaves no process or data folder behind. Its figures are not checked —
 * performance is what the benchmark reports, never what a test asserts.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
jest.setTimeout(480_000);

const SMOKE = ['--latency-samples', '2', '--open-latency-samples', '1', '--subscriptions', '3', '--events', '6', '--fold', '3', '--sync', '3', '--reconciliation', '2,3', '--phase-timeout-minutes', '5'];

it('measures every metric, ours and the baseline, writes the figures and stops everything it started', async () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
  const out = path.join(tmp, 'result.json');
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/stack/main.ts', ...SMOKE, '--out', out], {
      cwd: root,
      env: { ...process.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });

    const r = JSON.parse(readFileSync(out, 'utf8'));
    expect(r.kind).toBe('psa-connector stack benchmark');
    expect(r.errors).toEqual([]);
    expect(r.commit.id).toMatch(/^[0-9a-f]{40}$/);
    for (const psa of ['connectwise', 'autotask']) {
      const s = r.metrics.latency[psa];
      for (const side of ['oursMs', 'baselineMs']) {
        expect(s[side]).toHaveLength(2);
        for (const v of s[side]) expect(v).toBeGreaterThan(0);
      }
      expect(s.ours.n).toBe(2);
      expect(Number.isFinite(s.ratio.p50)).toBe(true);
      // Each sample was timed to a write of a PSA line, on both sides.
      for (const side of ['ours', 'baseline']) expect(Object.keys(s.timedWrites[side]).every((route) => /additions|serviceadjustments/i.test(route))).toBe(true);
      expect(s.load.start).toHaveLength(3);
    }
    expect(r.metrics.latency.connectwise.planMismatches).toEqual([]);
    expect(r.metrics.openLatency.oursMs).toHaveLength(1);

    // The burst: every event of both sides landed, the API burst too, and every line equals `plan`.
    const b = r.metrics.burst;
    expect([b.subscriptions, b.events]).toEqual([3, 6]);
    for (const t of [b.client.ours, b.client.baseline, b.api.ours, b.apiAsync!.ours, b.onboarding.ours, b.onboarding.baseline]) expect({ landed: t.landed, timedOut: t.timedOut }).toEqual({ landed: t.items, timedOut: false });
    expect(b.api.ours.outcomes).toEqual({ accepted: 6 });
    expect(b.apiAsync!.ours.outcomes).toEqual({ queued: 6 });
    expect(b.planCheck).toEqual({ checked: 3, mismatches: [] });

    // The month start: base lines and re-folds all landed, a delta line and a PATCH per re-fold, equal to `plan`.
    const [f] = r.metrics.fold;
    expect(f.n).toBe(3);
    for (const t of [f.onboarding.ours, f.onboarding.baseline, f.refold.ours, f.refold.baseline]) expect(t.landed).toBe(3);
    expect(f.refold.oursPsaWrites).toBeGreaterThanOrEqual(3);
    expect(f.planCheck.mismatches).toEqual([]);

    // The sync pushed every customer once, then nothing; the baseline patched the same companies.
    const sy = r.metrics.sync;
    expect([sy.first.psaWrites, sy.second.psaWrites, sy.baseline.psaWrites]).toEqual([3, 0, 3]);

    // Both reconciliation months checked every subscription, and the scaling compares them.
    const rec = r.metrics.reconciliation;
    expect(rec.runs.map((x: { n: number; ours: { outcome: string } }) => [x.n, x.ours.outcome])).toEqual([[2, 'completed'], [3, 'completed']]);
    expect(rec.scaling).toMatchObject({ from: 2, to: 3 });
    // The statuses count every item of the run (its counts), not a page of items.
    for (const x of rec.runs as Array<{ n: number; ours: { statuses: Record<string, number> } }>) {
      expect(Object.values(x.ours.statuses).reduce((a, b) => a + b, 0)).toBe(x.n);
    }
    for (const phase of ['idle', 'burst', 'fold', 'sync', 'reconciliation', 'open-idle'])
      for (const proc of ['worker', 'api', 'temporal', 'ferretdb', 'bareWorker']) expect(r.metrics.memory[phase].processes[proc].maxMiB).toBeGreaterThan(0);

    // Nothing of the run is left: none of its processes, no process using its data folder, not the folder.
    const runDir = path.join(root, '.data/bench', `run-${child.pid}`);
    const ps = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' })
      .split('\n')
      .map((l) => /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null && !m[2]!.startsWith('Z'));
    const started = new Set(Object.values(r.pids as Record<string, number>));
    expect(started.size).toBe(6);
    expect(ps.filter((m) => started.has(Number(m[1])) || m[3]!.includes(runDir)).map((m) => m[0])).toEqual([]);
    expect(existsSync(runDir)).toBe(false);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
