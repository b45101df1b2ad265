/**
 * Adoption at cutover and drift (domain/owned-lines.ts): which hand-made line a subscription takes
 * over, what differs, and that the diff then UPDATES that line instead of creating a second one;
 * drift of owned lines against the ledger, and the observation that makes the diff restore it.
 */
import { diffAutotask, diffConnectWise, emptyHeld, type HeldLines } from '../../domain/psa-diff';
import { findDrift, observedHeld, planAdoption, type PsaLineFound } from '../../domain/owned-lines';
import { replaySubscription } from '../../domain/replay';
import type { HeldAtService, HeldCwLine } from '../../domain/psa-diff';

const init = {
  rules: { positiveChange: 'actual-date' as const, negativeChange: 'actual-date' as const, cancellation: 'cancellation-date' as const },
  agreement: { startDate: '2026-03-01', periodType: 'monthly' as const },
  subscription: { id: 's1', productId: 'bp', quantity: 10, unitPrice: '22.00', unitCost: '18.70', startDate: '2026-03-01', endDate: '2027-02-28', billingFrequency: 'monthly' as const, autoRenew: true, kind: 'saas' as const },
};
const TODAY = '2026-03-10';
const ledger = replaySubscription({ init, log: [], asOf: TODAY }).ledger;
const productPsaIds = { bp: 501 };
const cwLine = (over: Partial<PsaLineFound>): PsaLineFound => ({
  psaId: 900, psaProductId: 501, quantity: 10, unitPrice: '22.00', unitCost: '18.70', effectiveDate: '2026-01-01', cancelledDate: null, description: 'Business Premium', ...over,
});
const withHeld = (key: string, line: HeldCwLine | HeldAtService, psa: 'connectwise' | 'autotask'): HeldLines => ({ ...emptyHeld(), [psa]: { [key]: line } });

describe('adoption at cutover (ConnectWise)', () => {
  const base = 's1/bp/base/2026-03-01';

  it('takes over the one hand-made line of the product and quantity; the first diff updates it, creates nothing', () => {
    const lines = [cwLine({ psaId: 900, quantity: 12, unitPrice: '20.00' }), cwLine({ psaId: 901, psaProductId: 777 })];
    const [t] = planAdoption({ psa: 'connectwise', ledger, held: emptyHeld(), productPsaIds, lines, owned: new Set(), today: TODAY });
    expect(t).toMatchObject({ lineKey: base, outcome: 'adopt', psaId: 900 });
    expect(t!.differences).toEqual(
      expect.arrayContaining([
        { lineKey: base, psaId: 900, field: 'quantity', expected: 10, found: 12 },
        { lineKey: base, psaId: 900, field: 'unitPrice', expected: '22.00', found: '20.00' },
        { lineKey: base, psaId: 900, field: 'cancelledDate', expected: '2027-02-28', found: null },
        { lineKey: base, psaId: 900, field: 'effectiveDate', expected: '2026-03-01', found: '2026-01-01' },
        { lineKey: base, psaId: 900, field: 'description', expected: 'contains s1', found: 'Business Premium' },
      ]),
    );
    const ops = diffConnectWise(withHeld(base, t!.held as HeldCwLine, 'connectwise'), ledger, TODAY);
    expect(ops).toEqual([{ type: 'cw.update-addition', lineKey: base, set: { quantity: 10, unitPrice: '22.00', cancelledDate: '2027-02-28' } }]);
  });

  it('prefers the line with the subscription quantity; several such lines are ambiguous until the admin chooses', () => {
    const lines = [cwLine({ psaId: 900, quantity: 7 }), cwLine({ psaId: 901, quantity: 10 })];
    expect(planAdoption({ psa: 'connectwise', ledger, held: emptyHeld(), productPsaIds, lines, owned: new Set(), today: TODAY })[0]).toMatchObject({ outcome: 'adopt', psaId: 901 });
    const twins = [cwLine({ psaId: 900 }), cwLine({ psaId: 901 })];
    expect(planAdoption({ psa: 'connectwise', ledger, held: emptyHeld(), productPsaIds, lines: twins, owned: new Set(), today: TODAY })[0]).toMatchObject({ outcome: 'ambiguous' });
    expect(planAdoption({ psa: 'connectwise', ledger, held: emptyHeld(), productPsaIds, lines: twins, owned: new Set(), today: TODAY, chosen: { [base]: 901 } })[0]).toMatchObject({ outcome: 'adopt', psaId: 901 });
  });

  it('never takes a line another subscription owns, nor one that has ended; none left: no-match', () => {
    const lines = [cwLine({ psaId: 900 }), cwLine({ psaId: 901, cancelledDate: '2026-02-28' })];
    expect(planAdoption({ psa: 'connectwise', ledger, held: emptyHeld(), productPsaIds, lines, owned: new Set([900]), today: TODAY })[0]).toMatchObject({ outcome: 'no-match', candidates: [] });
  });

  it('a key the connector already holds is reported with the hand-made look-alikes that double-bill', () => {
    const mine: HeldCwLine = { lineKey: base, subscriptionId: 's1', productId: 'bp', kind: 'base', quantity: 10, unitPrice: '22.00', unitCost: '18.70', effectiveDate: '2026-03-01', cancelledDate: '2027-02-28', psaId: 950 };
    const lines = [cwLine({ psaId: 950 }), cwLine({ psaId: 900 })];
    const [t] = planAdoption({ psa: 'connectwise', ledger, held: withHeld(base, mine, 'connectwise'), productPsaIds, lines, owned: new Set([950]), today: TODAY });
    expect(t).toMatchObject({ outcome: 'held', psaId: 950, lookAlikes: [900] });
  });
});

describe('adoption at cutover (Autotask)', () => {
  const key = 's1/bp';
  it('the contract service units count as posted for the ledger start: only the difference is posted, no second +10', () => {
    const line: PsaLineFound = { psaId: 40, psaProductId: 501, quantity: 8, unitPrice: '22.00', unitCost: '18.70', effectiveDate: null, cancelledDate: null, description: '', adjustments: [{ date: '2026-01-01', unitChange: 8 }] };
    const [t] = planAdoption({ psa: 'autotask', ledger, held: emptyHeld(), productPsaIds, lines: [line], owned: new Set(), today: TODAY });
    expect(t).toMatchObject({ lineKey: key, outcome: 'adopt', psaId: 40 });
    expect(t!.differences).toContainEqual({ lineKey: key, psaId: 40, field: 'quantity', expected: 10, found: 8 });
    const ops = diffAutotask(withHeld(key, t!.held as HeldAtService, 'autotask'), ledger);
    expect(ops).toEqual([{ type: 'at.adjust-units', serviceKey: key, effectiveDate: '2026-03-01', unitChange: 2 }]);
  });
});

describe('drift of owned lines', () => {
  const base = 's1/bp/base/2026-03-01';
  const mine: HeldCwLine = { lineKey: base, subscriptionId: 's1', productId: 'bp', kind: 'base', quantity: 10, unitPrice: '22.00', unitCost: '18.70', effectiveDate: '2026-03-01', cancelledDate: '2027-02-28', psaId: 950 };
  const held = withHeld(base, mine, 'connectwise');

  it('none while the PSA holds what the ledger bills', () => {
    expect(findDrift('connectwise', ledger, held, [cwLine({ psaId: 950, effectiveDate: '2026-03-01', cancelledDate: '2027-02-28' })], productPsaIds, TODAY)).toEqual([]);
  });

  it('a hand edit of quantity and price is reported per field; restoring makes the diff write the ledger values back', () => {
    const edited = cwLine({ psaId: 950, quantity: 14, unitPrice: '19.99', effectiveDate: '2026-03-01', cancelledDate: '2027-02-28' });
    const drift = findDrift('connectwise', ledger, held, [edited], productPsaIds, TODAY);
    expect(drift).toEqual([
      { lineKey: base, psaId: 950, field: 'quantity', expected: 10, found: 14, productId: 'bp' },
      { lineKey: base, psaId: 950, field: 'unitPrice', expected: '22.00', found: '19.99', productId: 'bp' },
    ]);
    const observed = observedHeld('connectwise', held, base, edited) as HeldCwLine;
    expect(diffConnectWise(withHeld(base, observed, 'connectwise'), ledger, TODAY)).toEqual([{ type: 'cw.update-addition', lineKey: base, set: { quantity: 10, unitPrice: '22.00' } }]);
  });

  it('a line deleted by hand is drift; restoring creates it again', () => {
    expect(findDrift('connectwise', ledger, held, [], productPsaIds, TODAY)).toEqual([{ lineKey: base, psaId: 950, field: 'line', expected: 'present', found: null, productId: 'bp' }]);
    expect(observedHeld('connectwise', held, base, null)).toBeNull();
    expect(diffConnectWise(emptyHeld(), ledger, TODAY)).toEqual([{ type: 'cw.create-addition', addition: expect.objectContaining({ lineKey: base }) }]);
  });

  it('Autotask: units changed by a hand adjustment are drift; restoring posts the opposite change on the next free day', () => {
    const key = 's1/bp';
    const svc: HeldAtService = { serviceKey: key, subscriptionId: 's1', productId: 'bp', unitPrice: '22.00', unitCost: '18.70', psaId: 40, adjustments: [{ forDate: '2026-03-01', postedOn: '2026-03-01', unitChange: 10 }] };
    const atHeld = withHeld(key, svc, 'autotask');
    const line: PsaLineFound = { psaId: 40, psaProductId: 501, quantity: 13, unitPrice: '22.00', unitCost: '18.70', effectiveDate: null, cancelledDate: null, description: 's1', adjustments: [{ date: '2026-03-01', unitChange: 10 }, { date: '2026-03-09', unitChange: 3 }] };
    expect(findDrift('autotask', ledger, atHeld, [line], productPsaIds, TODAY)).toEqual([{ lineKey: key, psaId: 40, field: 'quantity', expected: 10, found: 13, productId: 'bp' }]);
    const observed = observedHeld('autotask', atHeld, key, line) as HeldAtService;
    expect(diffAutotask(withHeld(key, observed, 'autotask'), ledger)).toEqual([{ type: 'at.adjust-units', serviceKey: key, effectiveDate: '2026-03-10', unitChange: -3, forDate: '2026-03-09' }]);
  });
});
