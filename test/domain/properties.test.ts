/**
 * Property tests (fast-check) over random scenarios, driven through the public reducer API:
 * for every day, the sum of active ConnectWise additions equals the §3 timeline and the running
 * sum of Autotask adjustments equals it; the ops rebuild exactly the ledger's lines; the ledger
 * stays plain JSON; money totals are exact.
 */
import fc from 'fast-check';
import {
  addDays,
  applyEvent,
  billedQuantityOn,
  endOfMonth,
  firstOfMonth,
  firstOfNextMonth,
  foldAt,
  mulMoney,
  nextFoldDate,
  openLedger,
  planScenario,
  sumMoney,
  toMinor,
  fromMinor,
  type IsoDate,
  type Ledger,
  type PsaOps,
} from '../../domain';
import { applyAtOps, applyCwOps, checkInvariants, type MemService } from './helpers';
import { arbCase, arbMonthEndCommitmentCase, build, type Case } from '../support/scenario-arbitrary';

interface Tracked {
  ledger: Ledger;
  ops: PsaOps;
}
const push = (t: Tracked, ops: PsaOps) => {
  t.ops.connectwise.push(...ops.connectwise);
  t.ops.autotask.push(...ops.autotask);
};

function assertClean(t: Tracked, T: IsoDate, autotask = true) {
  const errors = checkInvariants(t.ledger, T, { autotask });
  if (errors.length > 0) throw new Error(errors.slice(0, 5).join('\n'));
}

function foldThrough(t: Tracked, through: IsoDate) {
  let m = firstOfNextMonth(t.ledger.foldedThrough);
  while (m <= through) {
    const r = foldAt(t.ledger, m);
    t.ledger = r.ledger;
    push(t, r.ops);
    assertClean(t, m, false); // a fold touches ConnectWise only
    m = firstOfNextMonth(m);
  }
}

/** Replays through the public API, checking the invariants after every step. */
function run(c: Case): Tracked[] {
  const { init, events } = build(c);
  const opened = openLedger(init);
  const all: Tracked[] = [{ ledger: opened.ledger, ops: opened.ops }];
  assertClean(all[0]!, init.subscription.startDate);
  for (const e of events) {
    for (const t of all) foldThrough(t, firstOfMonth(e.date));
    const main = all[0]!;
    const before = JSON.stringify(main.ledger);
    const r = applyEvent(main.ledger, e);
    expect(JSON.stringify(main.ledger)).toBe(before); // the input ledger is never modified
    main.ledger = r.ledger;
    push(main, r.ops);
    assertClean(main, e.date);
    if (r.spawned) {
      const s2 = openLedger(r.spawned);
      const t2 = { ledger: s2.ledger, ops: s2.ops };
      all.push(t2);
      assertClean(t2, e.date);
    }
  }
  // Let time run on: every later month, after its fold, still bills the timeline.
  const horizon = addDays(events[events.length - 1]?.date ?? init.subscription.startDate, 200);
  for (const t of all) foldThrough(t, firstOfMonth(horizon));
  for (const t of all) assertClean(t, t.ledger.foldedThrough);
  return all;
}

describe('§3 invariant (property): both projections bill exactly the timeline', () => {
  it('for every day, active ConnectWise additions and the Autotask running sum equal the timeline', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        run(c);
      }),
      { numRuns: 1000 },
    );
  });

  it('the same for committed subscriptions bought on the 28th–31st, decreasing in a renewal window across a month start', () => {
    fc.assert(
      fc.property(arbMonthEndCommitmentCase, (c) => {
        run(c);
      }),
      { numRuns: 300 },
    );
  });

  it('ops applied in order to empty PSAs rebuild exactly the ledger (and the plan)', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        for (const t of run(c)) {
          const cw = applyCwOps(t.ops.connectwise);
          const want = new Map(t.ledger.additions.map(({ folded: _f, baseLineKey: _b, ...a }) => [a.lineKey, a]));
          expect(Object.fromEntries(cw)).toEqual(Object.fromEntries(want));
          const at = applyAtOps(t.ops.autotask);
          const wantAt = new Map<string, MemService>(
            t.ledger.services.map((s) => [s.serviceKey, { productId: s.productId, unitPrice: s.unitPrice, unitCost: s.unitCost, adjustments: s.adjustments }]),
          );
          expect(Object.fromEntries(at)).toEqual(Object.fromEntries(wantAt));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the ledger is plain JSON (round-trips unchanged) and the plan replay agrees with the reducer', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const { init, events } = build(c);
        const tracked = run(c);
        for (const t of tracked) expect(JSON.parse(JSON.stringify(t.ledger))).toEqual(t.ledger);
        const plan = planScenario({ ...init, events, asOf: addDays(events[events.length - 1]?.date ?? init.subscription.startDate, 200) });
        const timelineTotal = (day: IsoDate) => tracked.reduce((s, t) => s + ['p1', 'p2', 'p3', 'p9'].reduce((x, p) => x + billedQuantityOn(t.ledger, p, day), 0), 0);
        const planTotal = (day: IsoDate) =>
          plan.timeline.filter((g) => g.from <= day && (g.to === null || day <= g.to)).reduce((s, g) => s + g.quantity, 0);
        for (const day of [init.subscription.startDate, ...events.map((e) => e.date)]) expect(planTotal(day)).toBe(timelineTotal(day));
      }),
      { numRuns: 200 },
    );
  });

  it('nextFoldDate names the month start at which the next fold changes something', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const [main] = run(c);
        const next = nextFoldDate(main!.ledger);
        if (next !== null) expect(next).toBe(firstOfMonth(next));
        expect(next === null || next > main!.ledger.foldedThrough).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});

describe('money totals are exact (property)', () => {
  it('extended price of the lines active on a day equals timeline × unit price, to the ten-thousandth', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        for (const t of run(c)) {
          const day = endOfMonth(t.ledger.foldedThrough);
          for (const p of new Set(t.ledger.additions.map((a) => a.productId))) {
            const active = t.ledger.additions.filter(
              (a) => a.productId === p && a.effectiveDate <= day && (a.cancelledDate === null || day <= a.cancelledDate),
            );
            const prices = new Set(active.map((a) => a.unitPrice));
            if (prices.size !== 1) continue; // a price change leaves history lines at the old price
            const price = [...prices][0]!;
            const extended = sumMoney(active.map((a) => mulMoney(a.unitPrice, a.quantity)));
            expect(extended).toBe(mulMoney(price, billedQuantityOn(t.ledger, p, day)));
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('sums of decimal amounts never drift (no binary floating point)', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), { maxLength: 50 }), (xs) => {
        const total = sumMoney(xs.map(fromMinor));
        expect(toMinor(total)).toBe(xs.reduce((s, x) => s + x, 0n));
      }),
      { numRuns: 1000 },
    );
  });
});
