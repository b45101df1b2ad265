/**
 * Random subscription histories for property tests: fast-check intents turned into a valid
 * scenario (state-aware repair: no upgrade to the same product, no event after a cancellation,
 * partial upgrades never move more licences than held). Shared by the domain properties, the
 * pure live-equals-plan simulation and the differential test on a real worker.
 */
import fc from 'fast-check';
import { addDays, addMonths, fromMinor, toDayNumber, type LedgerInitInput, type SubscriptionEventInput } from '../../domain';

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

const arbRules = fc.record({
  positiveChange: fc.constantFrom('actual-date' as const, 'first-of-month' as const),
  negativeChange: fc.constantFrom('actual-date' as const, 'first-of-next-month' as const),
  cancellation: fc.constantFrom('cancellation-date' as const, 'end-of-month' as const),
  /** docs/billing-rules.md §3 "Commitment": absent means at-renewal. */
  committedDecrease: fc.constantFrom(undefined, 'at-renewal' as const, 'negative-change' as const),
});

/** The rules as a connection stores them: `committedDecrease` absent rather than undefined. */
function rulesOf(r: Case['rules']): NonNullable<LedgerInitInput['rules']> {
  const { committedDecrease, ...rest } = r;
  return committedDecrease === undefined ? rest : { ...rest, committedDecrease };
}

export const arbCase = fc.record({
  rules: arbRules,
  /** The connection's rules changed on these days after the start (docs/mapping.md "Rules change"). */
  ruleChanges: fc.array(fc.record({ day: fc.integer({ min: 0, max: 450 }), rules: arbRules }), { maxLength: 3 }),
  /** Commitment term (absent: none), so decreases waiting for a renewal and increases taking them back are generated too. */
  term: fc.constantFrom(undefined, undefined, 'none' as const, 'monthly' as const, 'annual' as const, 'triennial' as const),
  startOffset: fc.integer({ min: 0, max: 400 }),
  agreementShift: fc.constantFrom(-45, -3, 0, 0, 0, 1, 9, 30),
  q0: fc.nat(20),
  termDays: fc.option(fc.integer({ min: 40, max: 420 }), { freq: 4 }),
  autoRenew: fc.boolean(),
  steps: fc.array(arbStep, { maxLength: 14 }),
});
export type Case = typeof arbCase extends fc.Arbitrary<infer T> ? T : never;

/** Start offsets (from 2026-01-01) that fall on the 28th–31st: terms anchored there renew on a month's last days. */
const MONTH_END_OFFSETS = Array.from({ length: 401 }, (_, o) => o).filter((o) => Number(addDays('2026-01-01', o).slice(8)) >= 28);

/**
 * docs/billing-rules.md §3 "Commitment" edges that arbCase meets about once in 10,000 cases: a
 * committed subscription bought on the 28th–31st takes a decrease inside the renewal window of
 * one of its first terms (on the term's first day or the day after, which can be the 1st of the
 * next month, so the decrease counts from a month already folded), optionally after an increase
 * on that first day; the random steps follow.
 */
export const arbMonthEndCommitmentCase = fc
  .record({
    c: arbCase,
    startOffset: fc.constantFrom(...MONTH_END_OFFSETS),
    term: fc.constantFrom('monthly' as const, 'monthly' as const, 'annual' as const),
    renewal: fc.integer({ min: 1, max: 3 }),
    dayAfter: fc.boolean(),
    increase: fc.option(fc.integer({ min: 1, max: 5 })),
    decrease: fc.integer({ min: 1, max: 5 }),
  })
  .map(({ c, startOffset, term, renewal, dayAfter, increase, decrease }): Case => {
    const start = addDays('2026-01-01', startOffset);
    const termStart = addMonths(start, renewal * (term === 'monthly' ? 1 : 12));
    const toTermStart = toDayNumber(termStart) - toDayNumber(start);
    const q0 = Math.max(c.q0, decrease);
    const step = { k: 1, product: 'p1', cents: 1 };
    const pinned =
      increase === null
        ? [{ ...step, gap: toTermStart + (dayAfter ? 1 : 0), kind: 'qty' as const, qty: q0 - decrease }]
        : [
            { ...step, gap: toTermStart, kind: 'qty' as const, qty: q0 + increase },
            { ...step, gap: dayAfter ? 1 : 0, kind: 'qty' as const, qty: q0 + increase - decrease },
          ];
    return { ...c, startOffset, term, q0, termDays: null, steps: [...pinned, ...c.steps] };
  });

const money = (cents: number) => fromMinor(BigInt(cents) * 100n);

/** Turns random intents into a valid scenario (state-aware repair). */
export function build(c: Case): { init: LedgerInitInput; events: SubscriptionEventInput[] } {
  const start = addDays('2026-01-01', c.startOffset);
  const endDate = c.termDays === null ? null : addDays(start, c.termDays);
  const changes = [...new Map(c.ruleChanges.map((x) => [addDays(start, x.day), x.rules])).entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const init: LedgerInitInput = {
    rules: rulesOf(c.rules),
    ...(changes.length ? { rulesHistory: changes.map(([from, rules]) => ({ from, rules: rulesOf(rules) })) } : {}),
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
      ...(c.term === undefined ? {} : { commitmentTerm: c.term }),
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

