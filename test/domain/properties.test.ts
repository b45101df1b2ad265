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
  type LedgerInitInput,
  type PsaOps,
  type SubscriptionEventInput,
} from '../../domain';
import { applyAtOps, applyCwOps, checkInvariants, type MemService } from './helpers';

const PRODUCTS = ['p1', 'p2', 'p3'];
const KINDS = ['qty', 'qty', 'qty', 'qty', 'qty', 'full', 'partial', 'cancel', 'renew', 'price'] as const;

const arbStep = fc.record({
  gap: fc.oneof(fc.constant(0), fc.constant(1), fc.integer({ min: 0, max: 40 })),
  kind: fc.constantFrom(...KINDS),
  qty: fc.nat(25),
  k: fc.integer({ min: 1, max: 6 }),
  product: fc.constantFrom(...PRODUCTS),
  cents: fc.integer({ min: 1, max: 999_999 }),
});

const arbCase = fc.record({
  rules: fc.record({
    positiveChange: fc.constantFrom('actual-date' as const, 'first-of-month' as const),
    negativeChange: fc.constantFrom('actual-date' as const, 'first-of-next-month' as const),
    cancellation: fc.constantFrom('cancellation-date' as const, 'end-of-month' as const),
  }),
  startOffset: fc.integer({ min: 0, max: 400 }),
  agreementShift: fc.constantFrom(-45, -3, 0, 0, 0, 1, 9, 30),
  q0: fc.nat(20),
  termDays: fc.option(fc.integer({ min: 40, max: 420 }), { freq: 4 }),
  autoRenew: fc.boolean(),
  steps: fc.array(arbStep, { maxLength: 14 }),
});
type Case = typeof arbCase extends fc.Arbitrary<infer T> ? T : never;

const money = (cents: number) => fromMinor(BigInt(cents) * 100n);

/** Turns random intents into a valid scenario (state-aware repair). */
function build(c: Case): { init: LedgerInitInput; events: SubscriptionEventInput[] } {
  const start = addDays('2026-01-01', c.startOffset);
  const endDate = c.termDays === null ? null : addDays(start, c.termDays);
  const init: LedgerInitInput = {
    rules: c.rules,
    agreement: { startDate: addDays(start, c.agreementShift), periodType: 'monthly' },
    subscription: {
      id: 's1',
      productId: 'p1',
      quantity: c.q0,
      unitPrice: '22.00',
      unitCost: '18.70',
      startDate: start,
      endDate,
      billingFrequency: 'monthly',
      autoRenew: c.autoRenew,
      kind: 'saas',
    },
  };
  const events: SubscriptionEventInput[] = [];
  let date = start;
  let product = 'p1';
  let qty = c.q0;
  let end = endDate;
  c.steps.forEach((s, i) => {
    date = addDays(date, s.gap);
    switch (s.kind) {
      case 'qty':
        events.push({ type: 'quantity-changed', date, quantity: s.qty });
        qty = s.qty;
        break;
      case 'full': {
        if (end !== null && date > end) return;
        const p = s.product === product ? PRODUCTS[(PRODUCTS.indexOf(product) + 1) % PRODUCTS.length]! : s.product;
        events.push({ type: 'full-upgrade', date, productId: p, unitPrice: money(s.cents), unitCost: money(Math.floor(s.cents / 2)) });
        product = p;
        break;
      }
      case 'partial': {
        if (qty === 0) return;
        const k = Math.min(s.k, qty);
        events.push({
          type: 'partial-upgrade',
          date,
          quantity: k,
          newSubscription: { id: `s2-${i}`, productId: 'p9', unitPrice: '57.00', unitCost: '48.45', endDate: addDays(date, 200) },
        });
        qty -= k;
        break;
      }
      case 'cancel':
        events.push({ type: 'cancelled', date });
        break;
      case 'renew':
        if (!c.autoRenew || end === null) return;
        end = addDays(end > date ? end : date, 365);
        events.push({ type: 'renewed', date, endDate: end });
        break;
      case 'price':
        events.push({ type: 'price-changed', date, unitPrice: money(s.cents), unitCost: money(Math.floor(s.cents / 3)) });
        break;
    }
  });
  const cancelAt = events.findIndex((e) => e.type === 'cancelled');
  return { init, events: cancelAt >= 0 ? events.slice(0, cancelAt + 1) : events };
}

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
