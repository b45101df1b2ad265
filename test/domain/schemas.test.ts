/** Validation: every problem named by field path and reason (scenario, events, ledger reducer). */
import { applyEvent, BillingInputError, checkEvent, openLedger, parseScenario, problemLine } from '../../domain';
import { scenario, SUB } from './helpers';

const lines = (input: unknown) => {
  const r = parseScenario(input);
  return r.ok ? [] : r.problems.map(problemLine);
};

describe('scenario validation', () => {
  it('accepts the docs/architecture.md scenario shape', () => {
    expect(lines(scenario([{ type: 'quantity-changed', date: '2026-03-15', quantity: 15 }]))).toEqual([]);
  });
  it('unsorted events', () => {
    expect(
      lines(
        scenario([
          { type: 'quantity-changed', date: '2026-04-15', quantity: 15 },
          { type: 'quantity-changed', date: '2026-04-01', quantity: 12 },
        ]),
      ),
    ).toEqual(['events[1].date: is before events[0].date (2026-04-15); events must be sorted by date']);
  });
  it('a negative quantity', () => {
    expect(lines(scenario([{ type: 'quantity-changed', date: '2026-04-15', quantity: -1 }]))).toEqual(['events[0].quantity: must not be negative']);
  });
  it('an upgrade to the same product', () => {
    expect(lines(scenario([{ type: 'full-upgrade', date: '2026-04-15', productId: 'm365-bp', unitPrice: '1.00', unitCost: '1.00' }]))).toEqual([
      "events[0].productId: is already the subscription's product (m365-bp); an upgrade must change the product",
    ]);
  });
  it('a yearly subscription on a monthly agreement, and one whose agreement start is not the first of its start month (names both dates)', () => {
    const out = lines(scenario([], { subscription: { billingFrequency: 'yearly', startDate: '2026-03-15' }, agreement: { startDate: '2026-02-01', periodType: 'monthly' } }));
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^agreement\.periodType: .*2026-03-15.*2026-02-01/);
    expect(out[1]).toMatch(/^agreement\.startDate: is 2026-02-01, .*starts 2026-03-15.*2026-03-01/);
  });
  it('money must be a decimal string, dates real calendar dates, fields known', () => {
    expect(
      lines({
        ...scenario([{ type: 'price-changed', date: '2026-02-30', unitPrice: 22, unitCost: '1.00001' } as never]),
        extra: true,
      }),
    ).toEqual([
      'events[0].date: must be a calendar date YYYY-MM-DD',
      'events[0].unitPrice: must be a decimal string such as "22.00"',
      'events[0].unitCost: must be a decimal string with at most 4 decimals, such as "22.00"',
      'extra: is not a known field',
    ]);
  });
  it('missing fields and unknown event types', () => {
    expect(lines({ agreement: { startDate: '2026-03-01', periodType: 'monthly' }, events: [{ type: 'paused', date: '2026-03-02' }] })).toEqual([
      'subscription: is required',
      'events[0].type: must be one of quantity-changed, full-upgrade, partial-upgrade, cancelled, renewed, price-changed',
    ]);
  });
  it('state-dependent rules: after cancellation, before start, moving more licenses than held, renewal with auto-renew off', () => {
    expect(
      lines(
        scenario(
          [
            { type: 'quantity-changed', date: '2026-02-20', quantity: 3 },
            {
              type: 'partial-upgrade',
              date: '2026-04-01',
              quantity: 11,
              newSubscription: { id: 'sub-2', productId: 'm365-e5', unitPrice: '1', unitCost: '1', endDate: '2027-01-01' },
            },
            { type: 'renewed', date: '2026-04-02', endDate: '2028-01-01' },
            { type: 'cancelled', date: '2026-04-03' },
            { type: 'quantity-changed', date: '2026-04-04', quantity: 3 },
            { type: 'quantity-changed', date: '2026-04-05', quantity: 3, subscriptionId: 'nope' },
          ],
          { subscription: { autoRenew: false } },
        ),
      ),
    ).toEqual([
      'events[0].date: is before the subscription\'s start date (2026-03-01)',
      'events[1].quantity: cannot move 11 licenses: subscription sub-1 holds 10',
      'events[2].type: subscription sub-1 has auto-renew off: it ends at its end date (2027-02-28)',
      'events[4].type: subscription sub-1 was cancelled on 2026-04-03; no event may follow a cancellation',
      'events[5].subscriptionId: is nope, not a subscription of this scenario at that point (known: sub-1)',
    ]);
  });
});

describe('reducer validation', () => {
  it('openLedger validates its init with field paths', () => {
    expect(() => openLedger({ agreement: { startDate: '2026-03-01', periodType: 'monthly' }, subscription: { ...SUB, quantity: -2 } })).toThrow(
      'subscription.quantity: must not be negative',
    );
  });
  it('applyEvent refuses a bad event with every problem; checkEvent reports them without applying', () => {
    const { ledger } = openLedger({ agreement: { startDate: '2026-03-01', periodType: 'monthly' }, subscription: SUB });
    const bad = { type: 'full-upgrade' as const, date: '2026-02-01', productId: 'm365-bp', unitPrice: '1', unitCost: '1' };
    expect(checkEvent(ledger, bad).map(problemLine)).toEqual([
      "date: is before the subscription's start date (2026-03-01)",
      "productId: is already the subscription's product (m365-bp); an upgrade must change the product",
    ]);
    expect(() => applyEvent(ledger, bad)).toThrow(BillingInputError);
    expect(checkEvent(ledger, { type: 'quantity-changed', date: '2026-03-05', quantity: 1, subscriptionId: 'other' }).map(problemLine)).toEqual([
      'subscriptionId: is other, but this ledger is subscription sub-1',
    ]);
  });
});
