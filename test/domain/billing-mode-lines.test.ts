/**
 * docs/billing-modes.md: the lines of the two billing modes as `plan` shows them — seat count
 * (only the high-water-mark lines, no base line) and bundles (one line carrying the members'
 * bundled values, changing as they change) — and the forced switch of standard billing.
 */
import {
  BillingSchema,
  LedgerInitSchema,
  memberValues,
  planScenario,
  replayScenario,
  replaySubscription,
  parseScenario,
  type PlanOutput,
} from '../../domain';
import { SUB } from './helpers';

const AGREEMENT = { startDate: '2026-03-01', periodType: 'monthly' as const };
const RULES = { positiveChange: 'actual-date', negativeChange: 'actual-date', cancellation: 'cancellation-date' } as const;
const problemsOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { problems?: unknown }).problems;
  }
  throw new Error('no problem raised');
};
const cw = (p: PlanOutput) => p.connectwise.additions.map(({ subscriptionId: _s, ...a }) => a);

describe('plan: seat-count mode (§7) bills only the high-water-mark lines', () => {
  const scenario = {
    agreement: AGREEMENT,
    subscription: { ...SUB, id: 'seat-1', productId: 'seats', quantity: 1, unitPrice: '4.00', unitCost: '3.00', endDate: null },
    billingMode: 'seat-count',
    usage: [
      { date: '2026-05-04', count: 14 },
      { date: '2026-05-03', count: 10 },
      { date: '2026-05-05', count: 9 },
      { date: '2026-06-01', count: 9 },
      { date: '2026-06-02', count: 17 },
    ],
  };

  it('one line per billing period at its high-water mark, from the period start; no base line for the subscription quantity', () => {
    const p = planScenario(scenario);
    expect(cw(p)).toEqual([
      { lineKey: undefined, productId: 'seats', kind: 'base', quantity: 14, unitPrice: '4.00', unitCost: '3.00', effectiveDate: '2026-05-01', cancelledDate: '2026-05-31' },
      { lineKey: undefined, productId: 'seats', kind: 'base', quantity: 17, unitPrice: '4.00', unitCost: '3.00', effectiveDate: '2026-06-01', cancelledDate: '2026-06-30' },
    ].map(({ lineKey: _k, ...a }) => a));
    // Autotask: one contract service whose units follow the high-water mark, dated the period start.
    expect(p.autotask.contractServices).toEqual([
      { subscriptionId: 'seat-1', productId: 'seats', unitPrice: '4.00', unitCost: '3.00', adjustments: [{ effectiveDate: '2026-05-01', unitChange: 14 }, { effectiveDate: '2026-06-01', unitChange: 3 }] },
    ]);
    expect(p.timeline.map((t) => [t.from, t.to, t.quantity])).toEqual([['2026-05-01', '2026-05-31', 14], ['2026-06-01', '2026-06-30', 17]]);
  });

  it('as of a day, only the counts up to it', () => {
    expect(cw(planScenario(scenario, '2026-05-03')).map((a) => a.quantity)).toEqual([10]);
  });

  it('refuses lifecycle events on a seat-count subscription and usage on a standard one, naming the field', () => {
    expect(problemsOf(() => planScenario({ ...scenario, events: [{ type: 'quantity-changed', date: '2026-05-02', quantity: 3 }] }))).toEqual([
      { path: 'events', message: 'must be empty for billingMode seat-count: its usage counts are billed, not lifecycle events' },
    ]);
    expect(problemsOf(() => planScenario({ ...scenario, billingMode: 'standard' }))).toEqual([{ path: 'usage', message: 'is only for billingMode seat-count' }]);
    expect(problemsOf(() => planScenario({ ...scenario, billingMode: 'bundled', usage: [{ date: '2026-05-40', count: -1 }] }))).toEqual([
      { path: 'billingMode', message: 'must be "standard" or "seat-count" (bundles: give "bundle" and "members")' },
      { path: 'usage[0].date', message: 'must be a calendar date YYYY-MM-DD' },
      { path: 'usage[0].count', message: 'must not be negative' },
    ]);
  });
});

describe('plan: a bundle (§7) bills its members through ONE line', () => {
  const member = (id: string, quantity: number, unitPrice: string, unitCost: string, events: unknown[] = []) => ({
    subscription: { ...SUB, id, productId: `p-${id}`, quantity, unitPrice, unitCost },
    events,
  });
  const input = (mode: string, events: unknown[] = [], extra: Record<string, unknown> = {}) => ({
    agreement: AGREEMENT,
    rules: RULES,
    bundle: { id: 'b1', mode, ...extra },
    members: [member('a', 3, '12.00', '10.00', events), member('b', 4, '7.00', '5.00')],
  });

  it('quantity only: the summed quantity at the bundle’s own price; a member’s change is a §4 delta and a §5 adjustment', () => {
    const p = planScenario(input('quantity-only', [{ type: 'quantity-changed', date: '2026-03-15', quantity: 5 }], { unitPrice: '9.00', unitCost: '6.00' }));
    expect(cw(p)).toEqual([
      { productId: 'bundle-b1', kind: 'base', quantity: 7, unitPrice: '9.00', unitCost: '6.00', effectiveDate: '2026-03-01', cancelledDate: null },
      { productId: 'bundle-b1', kind: 'delta', quantity: 2, unitPrice: '9.00', unitCost: '6.00', effectiveDate: '2026-03-15', cancelledDate: '2026-03-31' },
    ]);
    expect(p.autotask.contractServices).toEqual([
      { subscriptionId: 'bundle-b1', productId: 'bundle-b1', unitPrice: '9.00', unitCost: '6.00', adjustments: [{ effectiveDate: '2026-03-01', unitChange: 7 }, { effectiveDate: '2026-03-15', unitChange: 2 }] },
    ]);
    // Month start: the delta folds into the base line (§4 rule 4), as on a subscription's own line.
    expect(cw(planScenario(input('quantity-only', [{ type: 'quantity-changed', date: '2026-03-15', quantity: 5 }], { unitPrice: '9.00', unitCost: '6.00' }), '2026-04-01'))[0]).toMatchObject({ quantity: 9 });
  });

  it('average: the summed quantity at the quantity-weighted average price and cost, re-priced when a member changes', () => {
    expect(cw(planScenario(input('average')))).toEqual([
      { productId: 'bundle-b1', kind: 'base', quantity: 7, unitPrice: '9.1429', unitCost: '7.1429', effectiveDate: '2026-03-01', cancelledDate: null },
    ]);
    // A goes 3 → 5: (5×12 + 4×7) / 9 = 9.7778, (5×10 + 4×5) / 9 = 7.7778.
    const p = planScenario(input('average', [{ type: 'quantity-changed', date: '2026-03-15', quantity: 5 }]));
    expect(cw(p)).toEqual([
      { productId: 'bundle-b1', kind: 'base', quantity: 7, unitPrice: '9.7778', unitCost: '7.7778', effectiveDate: '2026-03-01', cancelledDate: null },
      { productId: 'bundle-b1', kind: 'delta', quantity: 2, unitPrice: '9.7778', unitCost: '7.7778', effectiveDate: '2026-03-15', cancelledDate: '2026-03-31' },
    ]);
    expect(p.autotask.contractServices[0]).toMatchObject({ unitPrice: '9.7778', unitCost: '7.7778', adjustments: [{ effectiveDate: '2026-03-01', unitChange: 7 }, { effectiveDate: '2026-03-15', unitChange: 2 }] });
  });

  it('total: quantity 1 at the summed totals; a member’s change re-prices it; nothing billing → quantity 0', () => {
    expect(cw(planScenario(input('total')))).toEqual([
      { productId: 'bundle-b1', kind: 'base', quantity: 1, unitPrice: '64.00', unitCost: '50.00', effectiveDate: '2026-03-01', cancelledDate: null },
    ]);
    const changed = planScenario(input('total', [{ type: 'quantity-changed', date: '2026-03-15', quantity: 5 }]));
    expect(cw(changed)).toEqual([{ productId: 'bundle-b1', kind: 'base', quantity: 1, unitPrice: '88.00', unitCost: '70.00', effectiveDate: '2026-03-01', cancelledDate: null }]);
    const both = { ...input('total'), members: [member('a', 3, '12.00', '10.00', [{ type: 'cancelled', date: '2026-03-10' }]), member('b', 4, '7.00', '5.00', [{ type: 'cancelled', date: '2026-03-10' }])] };
    const ended = planScenario(both);
    expect(cw(ended).map((a) => [a.kind, a.quantity, a.unitPrice, a.effectiveDate])).toEqual([['base', 1, '64.00', '2026-03-01'], ['delta', -1, '64.00', '2026-03-10']]);
  });

  it('no member writes a line of its own: every line and service is the bundle’s', () => {
    const p = planScenario(input('average', [{ type: 'quantity-changed', date: '2026-04-20', quantity: 1 }]), '2026-05-01');
    expect(new Set([...p.connectwise.additions, ...p.autotask.contractServices].map((l) => l.subscriptionId))).toEqual(new Set(['bundle-b1']));
  });

  it('validates the terms and every member with its path', () => {
    expect(problemsOf(() => planScenario({ ...input('average'), members: [member('a', 3, '12.00', '10.00', [{ type: 'quantity-changed', date: '2026-02-30', quantity: 1 }]), member('a', 1, '1.00001', '1')] }))).toEqual([
      { path: 'members[0].events[0].date', message: 'must be a calendar date YYYY-MM-DD' },
      { path: 'members[1].subscription.id', message: 'is a, already members[0]' },
      { path: 'members[1].subscription.unitPrice', message: 'must be a decimal string with at most 4 decimals, such as "22.00"' },
    ]);
    expect(problemsOf(() => planScenario({ ...input('quantity-only'), members: [] }))).toEqual([
      { path: 'bundle.unitPrice', message: 'is required in mode quantity-only (the bundle line bills the summed quantity at this price)' },
      { path: 'bundle.unitCost', message: 'is required in mode quantity-only (the bundle line bills the summed quantity at this price)' },
      { path: 'members', message: 'must hold at least one member subscription' },
    ]);
    expect(problemsOf(() => planScenario(input('total', [], { unitPrice: '1.00', id: 'Bad Id' })))).toEqual([
      { path: 'bundle.id', message: 'must be a slug: lowercase letters, digits and dashes' },
      { path: 'bundle.unitPrice', message: 'is not accepted in mode total: the members\' prices make it' },
    ]);
  });
});

describe('a member’s billed values (what it sends to its bundle)', () => {
  it('the §3 quantity of each day with the price in force: price changes and full upgrades from their dates', () => {
    const parsed = parseScenario({
      agreement: AGREEMENT, rules: { ...RULES, negativeChange: 'first-of-next-month' },
      subscription: SUB,
      events: [
        { type: 'quantity-changed', date: '2026-03-10', quantity: 8 },
        { type: 'price-changed', date: '2026-03-20', unitPrice: '24.00', unitCost: '19.00' },
        { type: 'full-upgrade', date: '2026-05-05', productId: 'm365-e3', unitPrice: '36.00', unitCost: '30.60' },
      ],
    });
    if (!parsed.ok) throw new Error('bad scenario');
    const [r] = replayScenario(parsed.value, '2026-06-01').replays;
    expect(memberValues(r!.subscription, r!.log, r!.replay)).toEqual([
      { from: '2026-03-01', quantity: 10, unitPrice: '22.00', unitCost: '18.70' },
      { from: '2026-03-20', quantity: 10, unitPrice: '24.00', unitCost: '19.00' },
      { from: '2026-04-01', quantity: 8, unitPrice: '24.00', unitCost: '19.00' }, // the decrease of 03-10 bills from FONM
      { from: '2026-05-05', quantity: 8, unitPrice: '36.00', unitCost: '30.60' },
      { from: '2027-03-01', quantity: 0, unitPrice: '36.00', unitCost: '30.60' }, // the term ends 2027-02-28
    ]);
  });
});

describe('switching a billed subscription away from standard billing (docs/billing-modes.md)', () => {
  const init = LedgerInitSchema.parse({ rules: RULES, agreement: AGREEMENT, subscription: SUB });
  const log = [
    { id: 'e1', sequence: null, arrival: 0, receivedAt: '', event: { type: 'quantity-changed' as const, date: '2026-04-10', quantity: 12 } },
    { id: 'e2', sequence: null, arrival: 1, receivedAt: '', event: { type: 'quantity-changed' as const, date: '2026-05-03', quantity: 15 } },
  ];

  it('standard lines end on the switch day: base cancelled the day before, −billed units on it; later events are not theirs', () => {
    const r = replaySubscription({ init, log, asOf: '2026-04-20', billedUntil: '2026-05-01' });
    expect(r.ledger.additions.map((a) => [a.kind, a.quantity, a.effectiveDate, a.cancelledDate])).toEqual([
      ['base', 10, '2026-03-01', '2026-04-30'],
      ['delta', 2, '2026-04-10', '2026-04-30'],
    ]);
    expect(r.ledger.services[0]!.adjustments).toEqual([{ effectiveDate: '2026-03-01', unitChange: 10 }, { effectiveDate: '2026-04-10', unitChange: 2 }, { effectiveDate: '2026-05-01', unitChange: -12 }]);
    expect(r.outcomes).toEqual([
      { id: 'e1', status: 'applied' },
      { id: 'e2', status: 'rejected', reason: "dated on or after 2026-05-01, when this subscription's own (standard) lines stopped billing: its billing mode changed" },
    ]);
  });

  it('standard billing that starts at a switch bills nothing before it', () => {
    const r = replaySubscription({ init: { ...init, billedFrom: '2026-05-01' }, log, asOf: '2026-05-10' });
    expect(r.ledger.additions.map((a) => [a.kind, a.quantity, a.effectiveDate])).toEqual([
      ['base', 10, '2026-05-01'],
      ['delta', 2, '2026-05-01'],
      ['delta', 3, '2026-05-03'],
    ]);
  });

  it('the mode’s dates are firsts of months; a bundled mode names its bundle', () => {
    expect(BillingSchema.safeParse({ mode: 'seat-count', from: '2026-05-02' }).error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['from', 'must be the first day of a month']]);
    expect(BillingSchema.safeParse({ mode: 'bundled' }).error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['bundleId', 'is required for a bundled subscription']]);
  });
});
