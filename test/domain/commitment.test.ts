/**
 * docs/billing-rules.md §3 "Commitment" (docs/renewals.md): a committed subscription's
 * decrease takes effect on its renewal date, on both projections and in `plan`; the commitment
 * view (term, end, next renewal, the decrease waiting for it); date edges at month ends and
 * leap days.
 */
import {
  addMonths,
  commitmentOf,
  parseScenario,
  periodContaining,
  SubscriptionSchema,
  SyncRulesSchema,
  type IsoDate,
  type ScenarioInput,
  type SubscriptionEventInput,
} from '../../domain';
import { replaySubscription } from '../../domain/replay';
import { adjustments, checkInvariants, lines, plan, replay, scenario, timeline } from './helpers';

/** SUB (2026-03-01 … 2027-02-28, 10 licences, auto-renew) with an annual commitment. */
const annual = (events: SubscriptionEventInput[], opts: Parameters<typeof scenario>[1] = {}): ScenarioInput =>
  scenario(events, { ...opts, subscription: { commitmentTerm: 'annual', ...opts.subscription } });
/** The same, open-ended: rolling annual terms from 2026-03-01. */
const rolling = (events: SubscriptionEventInput[], opts: Parameters<typeof scenario>[1] = {}): ScenarioInput =>
  annual(events, { ...opts, subscription: { endDate: null, ...opts.subscription } });

/** Outcome notes of the scenario's events, as the state query shows them. */
function notes(s: ScenarioInput, asOf: IsoDate): Array<string | undefined> {
  const parsed = parseScenario(s);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const log = parsed.value.events.map((event, i) => ({ id: `e${i}`, sequence: i, arrival: i, receivedAt: '', event }));
  return replaySubscription({ init: { rules: parsed.value.rules, agreement: parsed.value.agreement, subscription: parsed.value.subscription }, log, asOf }).outcomes.map((o) => o.note);
}

describe('dates: months and anniversaries', () => {
  it.each([
    ['2026-01-31', 1, '2026-02-28'],
    ['2028-01-31', 1, '2028-02-29'],
    ['2026-01-31', 2, '2026-03-31'],
    ['2026-03-31', 1, '2026-04-30'],
    ['2024-02-29', 12, '2025-02-28'],
    ['2024-02-29', 48, '2028-02-29'],
    ['2026-11-15', 3, '2027-02-15'],
    ['2026-03-31', -1, '2026-02-28'],
    ['2026-01-15', -13, '2024-12-15'],
    ['2026-12-31', 36, '2029-12-31'],
  ])('addMonths(%s, %i) = %s', (d, n, want) => {
    expect(addMonths(d, n)).toBe(want);
  });

  it('anniversaries are counted from the anchor, so a 31st comes back to the 31st', () => {
    const starts = [0, 1, 2, 3].map((k) => addMonths('2026-01-31', k));
    expect(starts).toEqual(['2026-01-31', '2026-02-28', '2026-03-31', '2026-04-30']);
    expect(periodContaining('2026-01-31', 1, '2026-02-27')).toEqual({ start: '2026-01-31', next: '2026-02-28' });
    expect(periodContaining('2026-01-31', 1, '2026-02-28')).toEqual({ start: '2026-02-28', next: '2026-03-31' });
    expect(periodContaining('2026-01-31', 1, '2026-03-30')).toEqual({ start: '2026-02-28', next: '2026-03-31' });
    expect(periodContaining('2026-01-31', 1, '2026-01-31')).toEqual({ start: '2026-01-31', next: '2026-02-28' });
  });

  it('a leap-day anchor renews on 02-28, and on 02-29 in leap years', () => {
    expect(periodContaining('2024-02-29', 12, '2025-02-27')).toEqual({ start: '2024-02-29', next: '2025-02-28' });
    expect(periodContaining('2024-02-29', 12, '2025-02-28')).toEqual({ start: '2025-02-28', next: '2026-02-28' });
    expect(periodContaining('2024-02-29', 12, '2028-02-28')).toEqual({ start: '2027-02-28', next: '2028-02-29' });
    expect(periodContaining('2024-02-29', 12, '2028-02-29')).toEqual({ start: '2028-02-29', next: '2029-02-28' });
    expect(periodContaining('2024-02-29', 36, '2030-01-01')).toEqual({ start: '2027-02-28', next: '2030-02-28' });
  });

  it('every day falls in exactly one period (exhaustive over four years of monthly and annual periods from each day of a month-end)', () => {
    for (const anchor of ['2024-01-28', '2024-01-29', '2024-01-30', '2024-01-31', '2024-02-29', '2023-12-31']) {
      for (const months of [1, 12, 36]) {
        let expected = { start: anchor, next: addMonths(anchor, months) };
        let k = 1;
        for (let day = anchor; day < '2028-06-01'; day = nextDay(day)) {
          if (day >= expected.next) expected = { start: expected.next, next: addMonths(anchor, ++k * months) };
          expect(periodContaining(anchor, months, day)).toEqual(expected);
        }
      }
    }
  });
});

const nextDay = (d: IsoDate): IsoDate => {
  const t = new Date(`${d}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + 1);
  return t.toISOString().slice(0, 10);
};

describe('the commitment view', () => {
  const state = (over: Record<string, unknown>) => {
    const s = SubscriptionSchema.parse({ id: 's', productId: 'p', quantity: 5, unitPrice: '1.00', unitCost: '1.00', startDate: '2026-03-01', endDate: '2027-02-28', billingFrequency: 'monthly', autoRenew: true, ...over });
    return replay(scenario([], { subscription: s })).ledgers[0]!.state;
  };

  it('a bounded term ends on its end date and renews the next day when auto-renew is on', () => {
    expect(commitmentOf(state({ commitmentTerm: 'annual' }), '2026-06-10')).toEqual({
      term: 'annual', termStart: '2026-03-01', commitmentEnd: '2027-02-28', nextRenewal: '2027-03-01', autoRenew: true, scheduledDecrease: null,
    });
    expect(commitmentOf(state({ commitmentTerm: 'annual', autoRenew: false }), '2026-06-10')).toMatchObject({ commitmentEnd: '2027-02-28', nextRenewal: null });
  });

  it('without a commitment term: the end date, and nothing for an open-ended subscription', () => {
    expect(commitmentOf(state({}), '2026-06-10')).toMatchObject({ term: 'none', termStart: null, commitmentEnd: '2027-02-28', nextRenewal: '2027-03-01' });
    expect(commitmentOf(state({ endDate: null }), '2026-06-10')).toMatchObject({ term: 'none', commitmentEnd: null, nextRenewal: null });
  });

  it('rolling terms of an open-ended commitment: monthly from a 31st, annual from a leap day, triennial', () => {
    expect(commitmentOf(state({ commitmentTerm: 'monthly', endDate: null, startDate: '2026-01-31' }), '2026-02-28')).toMatchObject({ termStart: '2026-02-28', commitmentEnd: '2026-03-30', nextRenewal: '2026-03-31' });
    expect(commitmentOf(state({ commitmentTerm: 'annual', endDate: null, startDate: '2024-02-29' }), '2027-06-01')).toMatchObject({ termStart: '2027-02-28', commitmentEnd: '2028-02-28', nextRenewal: '2028-02-29' });
    expect(commitmentOf(state({ commitmentTerm: 'triennial', endDate: null, startDate: '2026-03-01' }), '2029-02-28')).toMatchObject({ termStart: '2026-03-01', commitmentEnd: '2029-02-28', nextRenewal: '2029-03-01' });
    // Before the start: the first term.
    expect(commitmentOf(state({ commitmentTerm: 'monthly', endDate: null }), '2026-01-01')).toMatchObject({ termStart: '2026-03-01', commitmentEnd: '2026-03-31' });
  });

  it('after a renewal the new term starts the day after the old end; a renewal received early leaves the old term running', () => {
    const r = replay(annual([{ type: 'renewed', date: '2027-02-10', endDate: '2028-02-29' }]));
    const s = r.ledgers[0]!.state;
    expect(commitmentOf(s, '2027-02-10')).toMatchObject({ termStart: null, commitmentEnd: '2027-02-28', nextRenewal: '2027-03-01' });
    expect(commitmentOf(s, '2027-03-01')).toMatchObject({ termStart: '2027-03-01', commitmentEnd: '2028-02-29', nextRenewal: '2028-03-01' });
  });

  it('a cancelled subscription has no commitment end and no renewal', () => {
    const s = replay(annual([{ type: 'cancelled', date: '2026-05-10' }])).ledgers[0]!.state;
    expect(commitmentOf(s, '2026-05-10')).toMatchObject({ commitmentEnd: null, nextRenewal: null, scheduledDecrease: null });
  });
});

describe('§3 Commitment: a decrease before the renewal takes effect on the renewal date', () => {
  it('open-ended annual term: the decrease is written at once, dated the renewal, on both PSAs', () => {
    const s = rolling([{ type: 'quantity-changed', date: '2026-06-10', quantity: 7 }], { asOf: '2026-06-10' });
    const p = plan(s);
    expect(timeline(p)).toEqual([
      ['m365-bp', '2026-03-01', '2027-02-28', 10],
      ['m365-bp', '2027-03-01', null, 7],
    ]);
    expect(lines(p)).toEqual([
      { kind: 'base', productId: 'm365-bp', quantity: 10, effectiveDate: '2026-03-01', cancelledDate: null },
      { kind: 'delta', productId: 'm365-bp', quantity: -3, effectiveDate: '2027-03-01', cancelledDate: '2027-03-31' },
    ]);
    expect(adjustments(p, 'm365-bp')).toEqual([
      ['2026-03-01', 10],
      ['2027-03-01', -3],
    ]);
    expect(p.commitments).toEqual([
      { subscriptionId: 'sub-1', term: 'annual', termStart: '2026-03-01', commitmentEnd: '2027-02-28', nextRenewal: '2027-03-01', autoRenew: true, scheduledDecrease: { date: '2027-03-01', from: 10, to: 7 } },
    ]);
    expect(notes(s, '2026-06-10')).toEqual(['scheduled for 2027-03-01 (commitment)']);
  });

  it('bounded term: the decrease waits until the renewal is received, then bills from the renewal date', () => {
    const before = annual([{ type: 'quantity-changed', date: '2026-06-10', quantity: 7 }]);
    const p0 = plan(before, '2026-12-01');
    expect(timeline(p0)).toEqual([['m365-bp', '2026-03-01', '2027-02-28', 10]]);
    expect(p0.commitments![0]!.scheduledDecrease).toEqual({ date: '2027-03-01', from: 10, to: 7 });
    expect(notes(before, '2026-12-01')).toEqual(['scheduled for 2027-03-01 (commitment), once the subscription renews']);

    const p = plan(annual([
      { type: 'quantity-changed', date: '2026-06-10', quantity: 7 },
      { type: 'renewed', date: '2027-02-15', endDate: '2028-02-29' },
    ]), '2027-02-15');
    expect(timeline(p)).toEqual([
      ['m365-bp', '2026-03-01', '2027-02-28', 10],
      ['m365-bp', '2027-03-01', '2028-02-29', 7],
    ]);
    expect(lines(p)).toContainEqual({ kind: 'delta', productId: 'm365-bp', quantity: -3, effectiveDate: '2027-03-01', cancelledDate: '2027-03-31' });
    expect(adjustments(p, 'm365-bp')).toEqual([
      ['2026-03-01', 10],
      ['2027-03-01', -3],
    ]);
    expect(p.commitments![0]).toMatchObject({ commitmentEnd: '2027-02-28', nextRenewal: '2027-03-01', scheduledDecrease: { date: '2027-03-01', from: 10, to: 7 } });
  });

  it('not renewed (auto-renew off): billing ends at the end date with the committed quantity; nothing is scheduled', () => {
    const p = plan(annual([{ type: 'quantity-changed', date: '2026-06-10', quantity: 7 }], { subscription: { autoRenew: false } }), '2027-04-01');
    expect(timeline(p)).toEqual([['m365-bp', '2026-03-01', '2027-02-28', 10]]);
    expect(p.commitments![0]).toMatchObject({ nextRenewal: null, scheduledDecrease: null });
  });

  it('cancelled before the renewal: the scheduled decrease is void with the rest of the billing', () => {
    const p = plan(rolling([
      { type: 'quantity-changed', date: '2026-06-10', quantity: 7 },
      { type: 'cancelled', date: '2026-09-15' },
    ]));
    expect(timeline(p)).toEqual([['m365-bp', '2026-03-01', '2026-09-14', 10]]);
    expect(lines(p).filter((l) => l.effectiveDate === '2027-03-01')).toEqual([]);
    expect(adjustments(p, 'm365-bp')).toEqual([
      ['2026-03-01', 10],
      ['2026-09-15', -10],
    ]);
  });

  it('an increase before the renewal first takes back the scheduled decrease, and only the rest bills at once', () => {
    const partly = rolling([
      { type: 'quantity-changed', date: '2026-06-10', quantity: 7 },
      { type: 'quantity-changed', date: '2026-08-01', quantity: 9 },
    ]);
    expect(timeline(plan(partly))).toEqual([
      ['m365-bp', '2026-03-01', '2027-02-28', 10],
      ['m365-bp', '2027-03-01', null, 9],
    ]);
    expect(notes(partly, '2026-08-01')).toEqual(['scheduled for 2027-03-01 (commitment)', 'takes back 2 of the decrease scheduled for 2027-03-01 (commitment)']);

    const beyond = plan(rolling([
      { type: 'quantity-changed', date: '2026-06-10', quantity: 7 },
      { type: 'quantity-changed', date: '2026-08-01', quantity: 12 },
    ]));
    expect(timeline(beyond)).toEqual([
      ['m365-bp', '2026-03-01', '2026-07-31', 10],
      ['m365-bp', '2026-08-01', null, 12],
    ]);
    // The delta dated the renewal netted to 0 before it ever billed: deleted (§4).
    expect(lines(beyond).map((l) => [l.kind, l.quantity, l.effectiveDate])).toEqual([
      ['base', 10, '2026-03-01'],
      ['delta', 2, '2026-08-01'],
    ]);
    expect(adjustments(beyond, 'm365-bp')).toEqual([
      ['2026-03-01', 10],
      ['2026-08-01', 2],
    ]);

    const bounded = plan(annual([
      { type: 'quantity-changed', date: '2026-06-10', quantity: 7 },
      { type: 'quantity-changed', date: '2026-08-01', quantity: 8 },
      { type: 'renewed', date: '2027-02-15', endDate: '2028-02-29' },
    ]), '2027-02-15');
    expect(timeline(bounded)).toEqual([
      ['m365-bp', '2026-03-01', '2027-02-28', 10],
      ['m365-bp', '2027-03-01', '2028-02-29', 8],
    ]);
  });

  it('later decreases in the same term add to the scheduled one; increases before them stay billed until the renewal', () => {
    const p = plan(rolling([
      { type: 'quantity-changed', date: '2026-05-01', quantity: 12 },
      { type: 'quantity-changed', date: '2026-06-10', quantity: 11 },
      { type: 'quantity-changed', date: '2026-10-10', quantity: 6 },
    ]));
    expect(timeline(p)).toEqual([
      ['m365-bp', '2026-03-01', '2026-04-30', 10],
      ['m365-bp', '2026-05-01', '2027-02-28', 12],
      ['m365-bp', '2027-03-01', null, 6],
    ]);
    expect(lines(p).filter((l) => l.effectiveDate === '2027-03-01')).toEqual([
      { kind: 'delta', productId: 'm365-bp', quantity: -6, effectiveDate: '2027-03-01', cancelledDate: '2027-03-31' },
    ]);
  });

  it('renewal window: a decrease dated on the renewal day or the day after counts from the renewal; later it waits for the next one', () => {
    const at = (date: string) => timeline(plan(rolling([{ type: 'quantity-changed', date, quantity: 7 }])));
    expect(at('2027-03-01')).toEqual([
      ['m365-bp', '2026-03-01', '2027-02-28', 10],
      ['m365-bp', '2027-03-01', null, 7],
    ]);
    expect(at('2027-03-02')).toEqual(at('2027-03-01'));
    expect(at('2027-03-03')).toEqual([
      ['m365-bp', '2026-03-01', '2028-02-29', 10],
      ['m365-bp', '2028-03-01', null, 7],
    ]);
    expect(notes(rolling([{ type: 'quantity-changed', date: '2027-03-02', quantity: 7 }]), '2027-03-02')).toEqual(['counted from 2027-03-01 (renewal window)']);
    // Bounded: a decrease sent the day after the end, before the renewal arrived, is billed from the renewal date once it does.
    expect(timeline(plan(annual([
      { type: 'quantity-changed', date: '2027-03-01', quantity: 7 },
      { type: 'renewed', date: '2027-03-02', endDate: '2028-02-29' },
    ])))).toEqual([
      ['m365-bp', '2026-03-01', '2027-02-28', 10],
      ['m365-bp', '2027-03-01', '2028-02-29', 7],
    ]);
    // Bounded, after the renewal: the window follows the new term's first day.
    expect(timeline(plan(annual([
      { type: 'renewed', date: '2027-02-20', endDate: '2028-02-29' },
      { type: 'quantity-changed', date: '2027-03-02', quantity: 7 },
    ])))).toEqual([
      ['m365-bp', '2026-03-01', '2027-02-28', 10],
      ['m365-bp', '2027-03-01', '2028-02-29', 7],
    ]);
  });

  it('a decrease between an early renewal and the old end waits for the new term', () => {
    const p = plan(annual([
      { type: 'renewed', date: '2027-02-10', endDate: '2028-02-29' },
      { type: 'quantity-changed', date: '2027-02-20', quantity: 7 },
    ]));
    expect(timeline(p)).toEqual([
      ['m365-bp', '2026-03-01', '2027-02-28', 10],
      ['m365-bp', '2027-03-01', '2028-02-29', 7],
    ]);
  });

  it('monthly rolling term from the 31st: the decrease waits for the monthly anniversary', () => {
    const p = plan(rolling([{ type: 'quantity-changed', date: '2026-02-10', quantity: 7 }], { subscription: { startDate: '2026-01-31', commitmentTerm: 'monthly' }, agreement: { startDate: '2026-01-01' } }));
    expect(timeline(p)).toEqual([
      ['m365-bp', '2026-01-31', '2026-02-27', 10],
      ['m365-bp', '2026-02-28', null, 7],
    ]);
  });

  it('monthly term from the 31st: a decrease on 03-01, in the renewal window of the term that started 02-28, counts from 02-28 on both PSAs, February already folded (property counterexample, seed -639751412)', () => {
    // Open-ended monthly terms from 2027-01-31 renew on 02-28, 03-31, …; +1 on 02-28, −1 on 03-01.
    const s = rolling(
      [
        { type: 'quantity-changed', date: '2027-02-28', quantity: 1 },
        { type: 'quantity-changed', date: '2027-03-01', quantity: 0 },
      ],
      { subscription: { startDate: '2027-01-31', quantity: 0, commitmentTerm: 'monthly' }, agreement: { startDate: '2026-12-17' }, asOf: '2027-03-31' },
    );
    expect(timeline(plan(s))).toEqual([['m365-bp', '2027-01-31', null, 0]]);
    expect(notes(s, '2027-03-01')).toEqual([undefined, 'counted from 2027-02-28 (renewal window)']);
    // The 03-01 fold took the +1 delta into the base; the −1 dated back into February is folded at once (§4 rule 4 owed).
    const ledger = replay(s).ledgers[0]!;
    expect(checkInvariants(ledger, '2027-03-01')).toEqual([]);
    expect(lines(plan(s))).toEqual([
      { kind: 'base', productId: 'm365-bp', quantity: 0, effectiveDate: '2027-01-31', cancelledDate: null },
      { kind: 'delta', productId: 'm365-bp', quantity: 1, effectiveDate: '2027-02-28', cancelledDate: '2027-02-28' },
      { kind: 'delta', productId: 'm365-bp', quantity: -1, effectiveDate: '2027-02-28', cancelledDate: '2027-02-28' },
    ]);
    // Autotask: both adjustments dated 02-28, so its running sum is 0 on every day (checked above).
    expect(ledger.services[0]!.adjustments).toEqual([
      { effectiveDate: '2027-02-28', unitChange: 1 },
      { effectiveDate: '2027-02-28', unitChange: -1 },
    ]);
  });

  it('the purchase window still counts a decrease from the start date', () => {
    expect(timeline(plan(annual([{ type: 'quantity-changed', date: '2026-03-02', quantity: 7 }])))).toEqual([['m365-bp', '2026-03-01', '2027-02-28', 7]]);
  });

  it('a partial upgrade moves its licences at once (§3 negative-change rule), not at the renewal', () => {
    const p = plan(rolling([{ type: 'partial-upgrade', date: '2026-06-10', quantity: 3, newSubscription: { id: 'sub-2', productId: 'm365-e3', unitPrice: '36.00', unitCost: '30.60', endDate: null } }]));
    expect(timeline(p).filter((t) => t[0] === 'm365-bp')).toEqual([
      ['m365-bp', '2026-03-01', '2026-06-09', 10],
      ['m365-bp', '2026-06-10', null, 7],
    ]);
    // S2 inherits the commitment term.
    expect(p.commitments!.map((c) => [c.subscriptionId, c.term, c.commitmentEnd])).toEqual([
      ['sub-1', 'annual', '2027-02-28'],
      ['sub-2', 'annual', '2027-06-09'],
    ]);
  });

  it('a full upgrade ends the old product with its scheduled decrease; the new product bills the platform quantity', () => {
    const p = plan(rolling([
      { type: 'quantity-changed', date: '2026-06-10', quantity: 7 },
      { type: 'full-upgrade', date: '2026-08-01', productId: 'm365-e3', unitPrice: '36.00', unitCost: '30.60' },
    ]));
    expect(timeline(p)).toEqual([
      ['m365-bp', '2026-03-01', '2026-07-31', 10],
      ['m365-e3', '2026-08-01', null, 7],
    ]);
  });

  it('the connection rule negative-change keeps the old behaviour', () => {
    const p = plan(rolling([{ type: 'quantity-changed', date: '2026-06-10', quantity: 7 }], { rules: { negativeChange: 'first-of-next-month', committedDecrease: 'negative-change' } }));
    expect(timeline(p)).toEqual([
      ['m365-bp', '2026-03-01', '2026-06-30', 10],
      ['m365-bp', '2026-07-01', null, 7],
    ]);
  });

  it('no commitment term (none or absent): decreases follow §3 as before', () => {
    for (const subscription of [{ commitmentTerm: 'none' }, {}]) {
      expect(timeline(plan(scenario([{ type: 'quantity-changed', date: '2026-06-10', quantity: 7 }], { subscription })))).toEqual([
        ['m365-bp', '2026-03-01', '2026-06-09', 10],
        ['m365-bp', '2026-06-10', '2027-02-28', 7],
      ]);
    }
    expect(plan(scenario([])).commitments).toBeUndefined();
  });
});

describe('input checks', () => {
  it('name the field and the allowed values', () => {
    const r = parseScenario(annual([], { subscription: { commitmentTerm: 'yearly' }, rules: { committedDecrease: 'later' } as never }));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems).toEqual(
      expect.arrayContaining([
        { path: 'subscription.commitmentTerm', message: 'must be "none", "monthly", "annual" or "triennial"' },
        { path: 'rules.committedDecrease', message: 'must be "at-renewal" or "negative-change"' },
      ]),
    );
    expect(SyncRulesSchema.parse({})).toEqual({ positiveChange: 'actual-date', negativeChange: 'actual-date', cancellation: 'cancellation-date' });
  });
});
