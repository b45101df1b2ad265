/** docs/billing-rules.md §2 and §3: sync rules and the billed-quantity timeline, rule by rule. */
import { changeEffectiveDate, DEFAULT_SYNC_RULES, inPurchaseWindow, SyncRulesSchema } from '../../domain';
import { plan, scenario, timeline } from './helpers';

const R = DEFAULT_SYNC_RULES;

describe('§2 global sync rules', () => {
  it('defaults to actual-date / actual-date / cancellation-date', () => {
    expect(SyncRulesSchema.parse({})).toEqual({ positiveChange: 'actual-date', negativeChange: 'actual-date', cancellation: 'cancellation-date' });
  });
  it('rejects unknown values with the field path', () => {
    const r = SyncRulesSchema.safeParse({ positiveChange: 'next-week' });
    expect(r.success).toBe(false);
    expect(!r.success && r.error.issues[0]!.path).toEqual(['positiveChange']);
  });
});

describe('§3 purchase window', () => {
  it('is the start date and the day after it', () => {
    expect(inPurchaseWindow('2026-03-31', '2026-03-31')).toBe(true);
    expect(inPurchaseWindow('2026-03-31', '2026-04-01')).toBe(true);
    expect(inPurchaseWindow('2026-03-31', '2026-04-02')).toBe(false);
  });
  it('a change dated inside the window applies from the start date, as if bought that way', () => {
    const p = plan(scenario([{ type: 'quantity-changed', date: '2026-03-02', quantity: 12 }]));
    expect(timeline(p)).toEqual([['m365-bp', '2026-03-01', '2027-02-28', 12]]);
  });
  it('a change the day after the window is a later change', () => {
    const p = plan(scenario([{ type: 'quantity-changed', date: '2026-03-03', quantity: 12 }]));
    expect(timeline(p)).toEqual([
      ['m365-bp', '2026-03-01', '2026-03-02', 10],
      ['m365-bp', '2026-03-03', '2027-02-28', 12],
    ]);
  });
});

describe('§3 effective date of a later change', () => {
  it('Δ > 0 actual-date → the change date', () => {
    expect(changeEffectiveDate(R, '2026-04-17', 2, '2026-03-01')).toBe('2026-04-17');
  });
  it('Δ > 0 first-of-month → FOM(date)', () => {
    expect(changeEffectiveDate({ ...R, positiveChange: 'first-of-month' }, '2026-04-17', 2, '2026-03-01')).toBe('2026-04-01');
    const p = plan(scenario([{ type: 'quantity-changed', date: '2026-04-17', quantity: 12 }], { rules: { positiveChange: 'first-of-month' } }));
    expect(timeline(p)).toEqual([
      ['m365-bp', '2026-03-01', '2026-03-31', 10],
      ['m365-bp', '2026-04-01', '2027-02-28', 12],
    ]);
  });
  it('Δ < 0 actual-date → the change date', () => {
    expect(changeEffectiveDate(R, '2026-04-17', -2, '2026-03-01')).toBe('2026-04-17');
  });
  it('Δ < 0 first-of-next-month → FONM(date)', () => {
    expect(changeEffectiveDate({ ...R, negativeChange: 'first-of-next-month' }, '2026-12-17', -2, '2026-03-01')).toBe('2027-01-01');
    const p = plan(scenario([{ type: 'quantity-changed', date: '2026-04-17', quantity: 8 }], { rules: { negativeChange: 'first-of-next-month' } }));
    expect(timeline(p)).toEqual([
      ['m365-bp', '2026-03-01', '2026-04-30', 10],
      ['m365-bp', '2026-05-01', '2027-02-28', 8],
    ]);
  });
  it('clamp: never before the agreement start nor the subscription start (first-of-month in the agreement’s first month gives the agreement start)', () => {
    expect(changeEffectiveDate({ ...R, positiveChange: 'first-of-month' }, '2026-03-20', 2, '2026-03-10')).toBe('2026-03-10');
    const p = plan(
      scenario([{ type: 'quantity-changed', date: '2026-03-20', quantity: 12 }], {
        rules: { positiveChange: 'first-of-month' },
        agreement: { startDate: '2026-03-10' },
        subscription: { startDate: '2026-03-05' },
      }),
    );
    expect(timeline(p)).toEqual([['m365-bp', '2026-03-10', '2027-02-28', 12]]);
  });
  it('an effective date after the subscription end date has no billing effect', () => {
    const p = plan(
      scenario([{ type: 'quantity-changed', date: '2027-02-20', quantity: 4 }], {
        rules: { negativeChange: 'first-of-next-month' },
      }),
    );
    expect(timeline(p)).toEqual([['m365-bp', '2026-03-01', '2027-02-28', 10]]);
    expect(p.connectwise.additions).toHaveLength(1);
    expect(p.autotask.contractServices[0]!.adjustments).toEqual([{ effectiveDate: '2026-03-01', unitChange: 10 }]);
  });
});

describe('§3 full upgrade', () => {
  it('after the window: P is billed 0 from d, P′ the current quantity from d', () => {
    const p = plan(
      scenario([
        { type: 'quantity-changed', date: '2026-04-05', quantity: 12 },
        { type: 'full-upgrade', date: '2026-05-04', productId: 'm365-e3', unitPrice: '36.00', unitCost: '30.60' },
      ]),
    );
    expect(timeline(p)).toEqual([
      ['m365-bp', '2026-03-01', '2026-04-04', 10],
      ['m365-bp', '2026-04-05', '2026-05-03', 12],
      ['m365-e3', '2026-05-04', '2027-02-28', 12],
    ]);
  });
  it('inside the purchase window the product is simply replaced from the start date', () => {
    const p = plan(scenario([{ type: 'full-upgrade', date: '2026-03-02', productId: 'm365-e3', unitPrice: '36.00', unitCost: '30.60' }]));
    expect(timeline(p)).toEqual([['m365-e3', '2026-03-01', '2027-02-28', 10]]);
  });
});

describe('§3 partial upgrade', () => {
  it('the old subscription takes a negative change of k; S2 starts on d with k licenses until its own end date', () => {
    const p = plan(
      scenario([
        {
          type: 'partial-upgrade',
          date: '2026-06-09',
          quantity: 3,
          newSubscription: { id: 'sub-2', productId: 'm365-e5', unitPrice: '57.00', unitCost: '48.45', endDate: '2027-06-30' },
        },
      ]),
    );
    expect(p.timeline).toEqual([
      { subscriptionId: 'sub-1', productId: 'm365-bp', from: '2026-03-01', to: '2026-06-08', quantity: 10 },
      { subscriptionId: 'sub-1', productId: 'm365-bp', from: '2026-06-09', to: '2027-02-28', quantity: 7 },
      { subscriptionId: 'sub-2', productId: 'm365-e5', from: '2026-06-09', to: '2027-06-30', quantity: 3 },
    ]);
  });
  it('the negative change follows the normal negative rule (first-of-next-month)', () => {
    const p = plan(
      scenario(
        [
          {
            type: 'partial-upgrade',
            date: '2026-06-09',
            quantity: 3,
            newSubscription: { id: 'sub-2', productId: 'm365-e5', unitPrice: '57.00', unitCost: '48.45', endDate: '2027-06-30' },
          },
        ],
        { rules: { negativeChange: 'first-of-next-month' } },
      ),
    );
    expect(timeline(p).slice(0, 2)).toEqual([
      ['m365-bp', '2026-03-01', '2026-06-30', 10],
      ['m365-bp', '2026-07-01', '2027-02-28', 7],
    ]);
  });
});

describe('§3 cancellation', () => {
  it('cancellation-date → billed 0 from d', () => {
    const p = plan(scenario([{ type: 'cancelled', date: '2026-04-10' }]));
    expect(timeline(p)).toEqual([['m365-bp', '2026-03-01', '2026-04-09', 10]]);
  });
  it('end-of-month → billed 0 from FONM(d)', () => {
    const p = plan(scenario([{ type: 'cancelled', date: '2026-04-10' }], { rules: { cancellation: 'end-of-month' } }));
    expect(timeline(p)).toEqual([['m365-bp', '2026-03-01', '2026-04-30', 10]]);
  });
  it('pending future changes after that point are void', () => {
    const p = plan(
      scenario(
        [
          { type: 'quantity-changed', date: '2026-04-05', quantity: 6 },
          { type: 'cancelled', date: '2026-04-10' },
        ],
        { rules: { negativeChange: 'first-of-next-month' } },
      ),
    );
    expect(timeline(p)).toEqual([['m365-bp', '2026-03-01', '2026-04-09', 10]]);
  });
});

describe('§3 renewal', () => {
  it('auto-renew on: billing continues to the new end date E′', () => {
    const p = plan(scenario([{ type: 'renewed', date: '2027-02-28', endDate: '2028-02-29' }]));
    expect(timeline(p)).toEqual([['m365-bp', '2026-03-01', '2028-02-29', 10]]);
  });
  it('auto-renew off: the subscription simply ends at its end date (a renewal event is refused)', () => {
    expect(timeline(plan(scenario([], { subscription: { autoRenew: false } })))).toEqual([['m365-bp', '2026-03-01', '2027-02-28', 10]]);
    expect(() => plan(scenario([{ type: 'renewed', date: '2027-02-28', endDate: '2028-02-29' }], { subscription: { autoRenew: false } }))).toThrow(
      /auto-renew is off|auto-renew off/,
    );
  });
  it('a decrease that fell after the old end is billed once a renewal covers its date', () => {
    const p = plan(
      scenario(
        [
          { type: 'quantity-changed', date: '2027-02-10', quantity: 8 },
          { type: 'renewed', date: '2027-02-28', endDate: '2028-02-29' },
        ],
        { rules: { negativeChange: 'first-of-next-month' } },
      ),
    );
    expect(timeline(p)).toEqual([
      ['m365-bp', '2026-03-01', '2027-02-28', 10],
      ['m365-bp', '2027-03-01', '2028-02-29', 8],
    ]);
  });
});

describe('§3 several events on one date apply in the order given', () => {
  it('the last quantity of the day wins, through each step', () => {
    const p = plan(
      scenario([
        { type: 'quantity-changed', date: '2026-04-10', quantity: 15 },
        { type: 'quantity-changed', date: '2026-04-10', quantity: 9 },
        { type: 'quantity-changed', date: '2026-04-10', quantity: 11 },
      ]),
    );
    expect(timeline(p)).toEqual([
      ['m365-bp', '2026-03-01', '2026-04-09', 10],
      ['m365-bp', '2026-04-10', '2027-02-28', 11],
    ]);
  });
});

describe('§3 timeline segments', () => {
  it('are maximal runs, with `to` null while open-ended (no end date)', () => {
    const p = plan(
      scenario(
        [
          { type: 'quantity-changed', date: '2026-04-10', quantity: 12 },
          { type: 'quantity-changed', date: '2026-04-20', quantity: 12 },
        ],
        { subscription: { endDate: null } },
      ),
    );
    expect(timeline(p)).toEqual([
      ['m365-bp', '2026-03-01', '2026-04-09', 10],
      ['m365-bp', '2026-04-10', null, 12],
    ]);
  });
});
