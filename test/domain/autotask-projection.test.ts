/** docs/billing-rules.md §5 Autotask projection: contract service + unit adjustments. */
import { planOutput, type ReplayResult } from '../../domain';
import { adjustments, plan, replay, scenario } from './helpers';

const E3 = { productId: 'm365-e3', unitPrice: '36.00', unitCost: '30.60' };
const replayPlan = (r: ReplayResult) => planOutput(r.ledgers);

describe('§5 mapped', () => {
  it('contract service for P, adjustment +Q0 effective max(start, contract start)', () => {
    const p = plan(scenario([], { agreement: { startDate: '2026-03-10' }, subscription: { startDate: '2026-03-05' } }));
    expect(p.autotask.contractServices).toEqual([
      { subscriptionId: 'sub-1', productId: 'm365-bp', unitPrice: '22.00', unitCost: '18.70', adjustments: [{ effectiveDate: '2026-03-10', unitChange: 10 }] },
    ]);
  });
});

describe('§5 quantity change', () => {
  it('one adjustment of Δ at the effective date of §3', () => {
    const p = plan(scenario([{ type: 'quantity-changed', date: '2026-04-17', quantity: 8 }], { rules: { negativeChange: 'first-of-next-month' } }));
    expect(adjustments(p, 'm365-bp')).toEqual([
      ['2026-03-01', 10],
      ['2026-05-01', -2],
    ]);
  });
  it('inside the purchase window: at the start date', () => {
    const p = plan(scenario([{ type: 'quantity-changed', date: '2026-03-02', quantity: 12 }]));
    expect(adjustments(p, 'm365-bp')).toEqual([['2026-03-01', 12]]);
  });
});

describe('§5 full upgrade / cancellation', () => {
  it('adjustment of −billed at the date billing stops, plus an equal and opposite one for every pending later adjustment', () => {
    const r = replay(
      scenario(
        [
          { type: 'quantity-changed', date: '2026-04-05', quantity: 12 },
          { type: 'quantity-changed', date: '2026-04-08', quantity: 11 }, // −1 at 05-01, pending
          { type: 'cancelled', date: '2026-04-10' },
        ],
        { rules: { negativeChange: 'first-of-next-month' } },
      ),
    );
    expect(r.ops['sub-1']!.autotask.filter((o) => o.type === 'at.adjust-units').map((o) => o.type === 'at.adjust-units' && [o.effectiveDate, o.unitChange])).toEqual([
      ['2026-03-01', 10],
      ['2026-04-05', 2],
      ['2026-05-01', -1],
      ['2026-04-10', -12],
      ['2026-05-01', 1],
    ]);
    expect(adjustments(replayPlan(r), 'm365-bp')).toEqual([
      ['2026-03-01', 10],
      ['2026-04-05', 2],
      ['2026-04-10', -12],
    ]);
  });
  it('end-of-month cancellation stops at FONM(d)', () => {
    const p = plan(scenario([{ type: 'cancelled', date: '2026-04-10' }], { rules: { cancellation: 'end-of-month' } }));
    expect(adjustments(p, 'm365-bp')).toEqual([
      ['2026-03-01', 10],
      ['2026-05-01', -10],
    ]);
  });
  it('the new product gets its own contract service with +quantity at d', () => {
    const p = plan(scenario([{ type: 'full-upgrade', date: '2026-05-04', ...E3 }]));
    expect(adjustments(p, 'm365-bp')).toEqual([
      ['2026-03-01', 10],
      ['2026-05-04', -10],
    ]);
    expect(p.autotask.contractServices[1]).toEqual({
      subscriptionId: 'sub-1',
      productId: 'm365-e3',
      unitPrice: '36.00',
      unitCost: '30.60',
      adjustments: [{ effectiveDate: '2026-05-04', unitChange: 10 }],
    });
  });
  it('a full upgrade inside the purchase window does the same at the start date (the old service nets to zero units)', () => {
    const r = replay(scenario([{ type: 'full-upgrade', date: '2026-03-02', ...E3 }]));
    const p = replayPlan(r);
    expect(adjustments(p, 'm365-bp')).toEqual([]);
    expect(adjustments(p, 'm365-e3')).toEqual([['2026-03-01', 10]]);
    expect(r.ledgers[0]!.services[0]!.adjustments).toEqual([
      { effectiveDate: '2026-03-01', unitChange: 10 },
      { effectiveDate: '2026-03-01', unitChange: -10 },
    ]);
  });
});

describe('§5 partial upgrade', () => {
  it('the old contract service takes the negative change of k; S2 gets its own contract service with +k at d', () => {
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
    expect(adjustments(p, 'm365-bp')).toEqual([
      ['2026-03-01', 10],
      ['2026-06-09', -3],
    ]);
    expect(adjustments(p, 'm365-e5', 'sub-2')).toEqual([['2026-06-09', 3]]);
  });
});

describe('§5 renewal changes nothing on the contract service', () => {
  it('no Autotask operation', () => {
    const r = replay(scenario([{ type: 'renewed', date: '2027-02-28', endDate: '2028-02-29' }]));
    expect(r.ops['sub-1']!.autotask.map((o) => o.type)).toEqual(['at.create-contract-service', 'at.adjust-units']);
  });
});

describe('§5 one unit period per date: the plan shows the net units per effective date', () => {
  it('several changes mapping to one date are netted in the plan; ops keep one adjustment per change', () => {
    const r = replay(
      scenario([
        { type: 'quantity-changed', date: '2026-03-02', quantity: 12 },
        { type: 'quantity-changed', date: '2026-03-15', quantity: 15 },
        { type: 'quantity-changed', date: '2026-03-15', quantity: 16 },
      ]),
    );
    expect(adjustments(replayPlan(r), 'm365-bp')).toEqual([
      ['2026-03-01', 12],
      ['2026-03-15', 4],
    ]);
    expect(r.ops['sub-1']!.autotask.filter((o) => o.type === 'at.adjust-units')).toHaveLength(4);
  });
});

describe('price-changed (our decision)', () => {
  it('Autotask: at.update-contract-service; ConnectWise: base line price updated, later deltas at the new price', () => {
    const r = replay(
      scenario([
        { type: 'price-changed', date: '2026-04-01', unitPrice: '24.00', unitCost: '20.00' },
        { type: 'quantity-changed', date: '2026-04-10', quantity: 12 },
      ]),
    );
    expect(r.ops['sub-1']!.autotask).toContainEqual({ type: 'at.update-contract-service', serviceKey: 'sub-1/m365-bp', unitPrice: '24.00', unitCost: '20.00' });
    const p = replayPlan(r);
    expect(p.connectwise.additions.map((a) => [a.kind, a.unitPrice, a.unitCost])).toEqual([
      ['base', '24.00', '20.00'],
      ['delta', '24.00', '20.00'],
    ]);
    expect(p.timeline.map((t) => t.quantity)).toEqual([10, 12]);
  });
});
