/**
 * Live = plan, on the domain alone (property): whatever order a subscription's events arrive
 * in, however often, back-dated across month-start folds or dated in the future, the PSA ends up
 * billing what `plan` computes for the date-sorted, de-duplicated events — when every change is
 * written the way the subscription workflow writes it (replay the whole log as of today, diff
 * against what the PSA holds, apply; test/support/live-simulator.ts). The same check on a real
 * worker and the sandboxes is test/workflows/differential.test.ts.
 */
import fc from 'fast-check';
import { addDays, firstOfNextMonth, parseScenario, replayScenario, type IsoDate, type PsaKind } from '../../domain';
import { arbCase, build } from '../support/scenario-arbitrary';
import { atDisagreements, cwDisagreements } from '../support/plan-agreement';
import { memoryPsa, SimulatedSubscription } from '../support/live-simulator';

const arbDelivery = fc.record({
  c: arbCase,
  /** Sort keys giving each event its arrival position. */
  order: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 20, maxLength: 20 }),
  /** Days after the subscription start at which each event arrives (may precede or follow its date). */
  arrivalDay: fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 20, maxLength: 20 }),
  repeats: fc.array(fc.nat(19), { maxLength: 4 }),
  tail: fc.integer({ min: 0, max: 70 }),
  monthStarts: fc.boolean(),
});

type Delivery = typeof arbDelivery extends fc.Arbitrary<infer T> ? T : never;

function runLive(psaKind: PsaKind, d: Delivery) {
  const { init, events } = build(d.c);
  const start = init.subscription.startDate;
  const deliveries = events.map((event, i) => ({ id: `e${i}`, sequence: i, event, key: d.order[i % 20]!, day: addDays(start, d.arrivalDay[i % 20]!) }));
  for (const r of d.repeats) if (deliveries[r]) deliveries.push({ ...deliveries[r]!, key: (deliveries[r]!.key + 0.37) % 1, day: addDays(deliveries[r]!.day, 3) });
  deliveries.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : a.key - b.key));
  const lastDate = [start, ...events.map((e) => e.date), ...deliveries.map((x) => x.day)].sort().pop()!;
  const end = addDays(lastDate, d.tail);

  const psa = memoryPsa();
  // The connection's rule changes reach the subscriptions on their own day (pushed by the admin
  // service), not before: each sync knows only the changes made by then.
  const history = init.rulesHistory ?? [];
  const knownOn = (today: IsoDate) => {
    const known = history.filter((c) => c.from <= today);
    return known.length ? { rulesHistory: known } : {};
  };
  const { rulesHistory: _all, ...base } = init;
  const main = new SimulatedSubscription(psaKind, psa, { ...base, ...knownOn(start) });
  const s2 = new Map<string, SimulatedSubscription>();
  const syncOnce = (today: IsoDate) => {
    const spawned = main.sync(today);
    for (const [eventId, s2init] of spawned) {
      const sim = s2.get(eventId) ?? new SimulatedSubscription(psaKind, psa, s2init);
      sim.withdrawn = false;
      s2.set(eventId, sim);
    }
    for (const [eventId, sim] of s2) if (!spawned.has(eventId)) sim.withdrawn = true;
    for (const sim of s2.values()) sim.sync(today);
  };
  const syncAll = (today: IsoDate) => {
    syncOnce(today);
    // A change made today arrives after the day's first sync: what it changes is corrected.
    const known = knownOn(today);
    if ((known.rulesHistory?.length ?? 0) === (main.init.rulesHistory?.length ?? 0)) return;
    for (const sim of [main, ...s2.values()]) {
      const { rulesHistory: _old, ...rest } = sim.init;
      sim.init = { ...rest, ...known };
    }
    syncOnce(today);
  };
  let clock = start;
  for (const x of deliveries) {
    // Month starts passed while waiting (the workflow's timer wakes it for the fold), and rule
    // changes made meanwhile (pushed to the running subscriptions on their day), in date order.
    const wakes = new Set<IsoDate>(history.filter((c) => c.from > clock && c.from <= x.day).map((c) => c.from));
    for (let m = firstOfNextMonth(clock); d.monthStarts && m <= x.day; m = firstOfNextMonth(m)) wakes.add(m);
    for (const day of [...wakes].sort()) syncAll(day);
    clock = x.day;
    main.receive({ id: x.id, sequence: x.sequence, event: x.event });
    syncAll(clock);
  }
  syncAll(end);

  const parsed = parseScenario({ ...init, events, asOf: end });
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  const plan = replayScenario(parsed.value, end).ledgers;
  const live = [main, ...s2.values()].map((s) => s.live());
  return psaKind === 'connectwise' ? cwDisagreements(plan, live.flatMap((l) => l.cw)) : atDisagreements(plan, live.flatMap((l) => l.at));
}

describe('live = plan under any arrival order, repeats, late and future-dated events (property)', () => {
  it.each(['connectwise', 'autotask'] as const)('%s: the PSA bills what plan computes for the sorted, de-duplicated events', (psaKind) => {
    fc.assert(
      fc.property(arbDelivery, (d) => {
        expect(runLive(psaKind, d)).toEqual([]);
      }),
      { numRuns: Number(process.env.LIVE_PLAN_RUNS ?? 400) },
    );
  });

  it('a back-dated change after its month was folded is folded too (issue: base stayed 15, plan says 13)', () => {
    const init = {
      rules: { positiveChange: 'actual-date', negativeChange: 'actual-date', cancellation: 'cancellation-date' } as const,
      agreement: { startDate: '2026-09-01', periodType: 'monthly' as const },
      subscription: { id: 's1', productId: 'p1', quantity: 12, unitPrice: '22.00', unitCost: '18.70', startDate: '2026-09-01', endDate: '2027-08-31', billingFrequency: 'monthly' as const, autoRenew: true, kind: 'saas' as const },
    };
    const psa = memoryPsa();
    const live = new SimulatedSubscription('connectwise', psa, init);
    live.receive({ id: 'a', sequence: null, event: { type: 'quantity-changed', date: '2026-10-15', quantity: 15 } });
    live.sync('2026-10-15');
    live.sync('2026-11-01'); // the fold: base 15
    live.receive({ id: 'b', sequence: null, event: { type: 'quantity-changed', date: '2026-10-20', quantity: 13 } });
    live.sync('2026-11-05');
    live.receive({ id: 'c', sequence: null, event: { type: 'cancelled', date: '2026-11-20' } });
    live.sync('2026-11-20');
    const base = live.live().cw.find((l) => l.lineKey === 's1/p1/base/2026-09-01')!;
    expect(base.quantity).toBe(13);
    expect(live.live().cw.find((l) => l.lineKey === 's1/p1/reversal/2026-11-20')!.quantity).toBe(-13);
  });
});
