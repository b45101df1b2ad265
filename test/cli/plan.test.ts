/** The real `psa-connector plan` CLI, run as a child process (the bin: compiled dist/ or the sources, no server). */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'client', 'bin', 'psa-connector.js');
const EXAMPLES = join(__dirname, '../fixtures/examples');

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const sortDeep = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(sortDeep).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))
    : v && typeof v === 'object'
      ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sortDeep(x)]))
      : v;

describe('psa-connector plan', () => {
  it('prints the plan JSON of a valid scenario (the shared worked example)', () => {
    const r = cli(['plan', '--scenario', join(EXAMPLES, 'worked-example.scenario.json')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(sortDeep(JSON.parse(r.stdout))).toEqual(sortDeep(JSON.parse(readFileSync(join(EXAMPLES, 'worked-example.plan.json'), 'utf8'))));
  });

  it('reads the scenario from stdin when FILE is -, and honours --as-of', () => {
    const r = cli(['plan', '--scenario', '-', '--as-of', '2026-03-16'], readFileSync(join(EXAMPLES, 'worked-example.scenario.json'), 'utf8'));
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { timeline: unknown[]; connectwise: { additions: Array<{ kind: string; quantity: number }> } };
    expect(out.timeline).toEqual([
      { subscriptionId: 'sub-1', productId: 'm365-bp', from: '2026-03-01', to: '2026-03-14', quantity: 12 },
      { subscriptionId: 'sub-1', productId: 'm365-bp', from: '2026-03-15', to: '2027-02-28', quantity: 16 },
    ]);
    expect(out.connectwise.additions.map((a) => [a.kind, a.quantity])).toEqual([
      ['base', 12],
      ['delta', 4],
    ]);
  });

  it('exits 2 with one line per problem (field path + reason) for an invalid scenario', () => {
    const bad = {
      agreement: { startDate: '2026-03-01', periodType: 'monthly' },
      subscription: { id: 's', productId: 'p', quantity: 5, unitPrice: '1.00', unitCost: '1.00', startDate: '2026-03-15', endDate: '2027-03-14', billingFrequency: 'yearly' },
      events: [
        { type: 'quantity-changed', date: '2026-05-01', quantity: 3 },
        { type: 'quantity-changed', date: '2026-04-01', quantity: 3 },
        { type: 'full-upgrade', date: '2026-05-02', productId: 'p', unitPrice: '1', unitCost: '1' },
      ],
    };
    const r = cli(['plan', '--scenario', '-'], JSON.stringify(bad));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      'agreement.periodType: is monthly, but yearly subscription s (start 2026-03-15) needs a yearly agreement starting 2026-03-01; this agreement starts 2026-03-01 (§4 rule 9)',
      'events[1].date: is before events[0].date (2026-05-01); events must be sorted by date',
      "events[2].productId: is already the subscription's product (p); an upgrade must change the product",
    ]);
  });

  it('exits 2 for a negative quantity, unreadable JSON and a bad --as-of', () => {
    const s = JSON.parse(readFileSync(join(EXAMPLES, 'worked-example.scenario.json'), 'utf8')) as { events: Array<{ quantity?: number }> };
    s.events[1]!.quantity = -4;
    const neg = cli(['plan', '--scenario', '-'], JSON.stringify(s));
    expect(neg.code).toBe(2);
    expect(neg.stderr.trim()).toBe('events[1].quantity: must not be negative');
    const junk = cli(['plan', '--scenario', '-'], '{"oops"');
    expect(junk.code).toBe(2);
    expect(junk.stderr).toMatch(/^scenario - is not valid JSON/);
    const asOf = cli(['plan', '--scenario', join(EXAMPLES, 'worked-example.scenario.json'), '--as-of', '2026-13-01']);
    expect(asOf.code).toBe(2);
    expect(asOf.stderr.trim()).toBe('--as-of: must be a calendar date YYYY-MM-DD (got 2026-13-01)');
  });
});
