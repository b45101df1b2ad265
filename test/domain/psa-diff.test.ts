/**
 * From desired billing to PSA writes (domain/psa-diff.ts): the operations a replay's ledger needs
 * against what the PSA holds, and how billed history is kept.
 */
import { diffAutotask, diffConnectWise, emptyHeld, heldAfter, lineIdsFor, type HeldLines } from '../../domain/psa-diff';
import { replaySubscription } from '../../domain/replay';
import type { LoggedEvent } from '../../domain/event-log';
import type { PsaOperation, SubscriptionEvent } from '../../domain';

const init = {
  rules: { positiveChange: 'actual-date' as const, negativeChange: 'actual-date' as const, cancellation: 'cancellation-date' as const },
  agreement: { startDate: '2026-03-01', periodType: 'monthly' as const },
  subscription: { id: 's1', productId: 'bp', quantity: 10, unitPrice: '22.00', unitCost: '18.70', startDate: '2026-03-01', endDate: '2027-02-28', billingFrequency: 'monthly' as const, autoRenew: true, kind: 'saas' as const },
};
const log = (...events: SubscriptionEvent[]): LoggedEvent[] => events.map((event, i) => ({ id: `e${i}`, sequence: null, arrival: i, receivedAt: '', event }));
const desired = (asOf: string, ...events: SubscriptionEvent[]) => replaySubscription({ init, log: log(...events), asOf }).ledger;
let nextId = 1;
const keyOf = (op: PsaOperation): string =>
  op.type === 'cw.create-addition' ? op.addition.lineKey : op.type === 'at.create-contract-service' ? op.service.serviceKey : op.type === 'at.create-contract-charge' ? op.charge.chargeKey : 'lineKey' in op ? op.lineKey : op.serviceKey;
const applyAll = (held: HeldLines, ops: PsaOperation[]) => heldAfter(held, ops, ops.map((op) => ({ lineKey: keyOf(op), psaId: op.type === 'cw.delete-addition' ? null : nextId++ })));

describe('ConnectWise diff', () => {
  it('creates every line of a new subscription, then nothing while nothing changes', () => {
    const ops = diffConnectWise(emptyHeld(), desired('2026-03-01'), '2026-03-01');
    expect(ops).toEqual([{ type: 'cw.create-addition', addition: expect.objectContaining({ lineKey: 's1/bp/base/2026-03-01', quantity: 10 }) }]);
    const held = applyAll(emptyHeld(), ops);
    expect(diffConnectWise(held, desired('2026-03-01'), '2026-03-01')).toEqual([]);
  });

  it('a back-dated change after the fold: a new delta line for the past period and the base line re-folded', () => {
    const e1: SubscriptionEvent = { type: 'quantity-changed', date: '2026-04-15', quantity: 15 };
    let held = applyAll(emptyHeld(), diffConnectWise(emptyHeld(), desired('2026-05-01', e1), '2026-05-01'));
    expect(held.connectwise['s1/bp/base/2026-03-01']!.quantity).toBe(15);
    const late: SubscriptionEvent = { type: 'quantity-changed', date: '2026-04-20', quantity: 13 };
    const ops = diffConnectWise(held, desired('2026-05-05', e1, late), '2026-05-05');
    expect(ops).toEqual([
      { type: 'cw.update-addition', lineKey: 's1/bp/base/2026-03-01', set: { quantity: 13 } },
      { type: 'cw.create-addition', addition: expect.objectContaining({ lineKey: 's1/bp/delta/2026-04-20', quantity: -2, effectiveDate: '2026-04-20', cancelledDate: '2026-04-30' }) },
    ]);
    held = applyAll(held, ops);
    expect(diffConnectWise(held, desired('2026-05-05', e1, late), '2026-05-05')).toEqual([]);
  });

  it('a line the ledger no longer has: deleted before it billed, kept at quantity 0 once it has', () => {
    const future: SubscriptionEvent = { type: 'quantity-changed', date: '2026-04-20', quantity: 12 };
    const held = applyAll(emptyHeld(), diffConnectWise(emptyHeld(), desired('2026-04-20', future), '2026-04-20'));
    expect(held.connectwise['s1/bp/delta/2026-04-20']).toBeDefined();
    // The event is skipped (or withdrawn) on its own effective date: the line never billed.
    expect(diffConnectWise(held, desired('2026-04-20'), '2026-04-20')).toEqual([{ type: 'cw.delete-addition', lineKey: 's1/bp/delta/2026-04-20' }]);
    // Noticed a day later: the line has billed a day, it stays as history with quantity 0.
    expect(diffConnectWise(held, desired('2026-04-21'), '2026-04-21')).toEqual([{ type: 'cw.update-addition', lineKey: 's1/bp/delta/2026-04-20', set: { quantity: 0 } }]);
  });

  it('nothing desired (a withdrawn partial upgrade) zeroes or deletes every line', () => {
    const held = applyAll(emptyHeld(), diffConnectWise(emptyHeld(), desired('2026-03-01'), '2026-03-01'));
    expect(diffConnectWise(held, null, '2026-03-10')).toEqual([{ type: 'cw.update-addition', lineKey: 's1/bp/base/2026-03-01', set: { quantity: 0 } }]);
  });

  it('lineIdsFor hands the gateway only the ids of the lines the operations touch', () => {
    const held = applyAll(emptyHeld(), diffConnectWise(emptyHeld(), desired('2026-04-20', { type: 'quantity-changed', date: '2026-04-20', quantity: 12 }), '2026-04-20'));
    const ops = diffConnectWise(held, desired('2026-04-20'), '2026-04-20');
    expect(Object.keys(lineIdsFor(held, ops))).toEqual(['s1/bp/delta/2026-04-20']);
  });
});

describe('Autotask diff', () => {
  it('mapping: the contract service, then +Q0 on the billing start', () => {
    expect(diffAutotask(emptyHeld(), desired('2026-03-01'))).toEqual([
      { type: 'at.create-contract-service', service: { serviceKey: 's1/bp', subscriptionId: 's1', productId: 'bp', unitPrice: '22.00', unitCost: '18.70' } },
      { type: 'at.adjust-units', serviceKey: 's1/bp', effectiveDate: '2026-03-01', unitChange: 10 },
    ]);
  });

  it('§5 shift: a change for a day that already holds an adjustment goes to the next free day, and counts for its own date', () => {
    let held = applyAll(emptyHeld(), diffAutotask(emptyHeld(), desired('2026-03-01')));
    const inWindow: SubscriptionEvent = { type: 'quantity-changed', date: '2026-03-02', quantity: 12 };
    const ops = diffAutotask(held, desired('2026-03-02', inWindow));
    expect(ops).toEqual([{ type: 'at.adjust-units', serviceKey: 's1/bp', effectiveDate: '2026-03-02', unitChange: 2, forDate: '2026-03-01' }]);
    held = heldAfter(held, ops, [{ lineKey: 's1/bp', psaId: 1, effectiveDate: '2026-03-02' }]);
    expect(held.autotask['s1/bp']!.adjustments).toEqual([
      { forDate: '2026-03-01', postedOn: '2026-03-01', unitChange: 10 },
      { forDate: '2026-03-01', postedOn: '2026-03-02', unitChange: 2 },
    ]);
    expect(diffAutotask(held, desired('2026-03-02', inWindow))).toEqual([]);
  });

  it('a correction of a shifted posting never leaves the contract service below zero units', () => {
    // Held: +10 on 03-01, −10 on 04-10 (cancelled), +2 meant for 03-01 posted 03-02.
    const held: HeldLines = {
      connectwise: {},
      autotask: {
        's1/bp': {
          serviceKey: 's1/bp', subscriptionId: 's1', productId: 'bp', unitPrice: '22.00', unitCost: '18.70', psaId: 7,
          adjustments: [
            { forDate: '2026-03-01', postedOn: '2026-03-01', unitChange: 10 },
            { forDate: '2026-03-01', postedOn: '2026-03-02', unitChange: 2 },
            { forDate: '2026-04-10', postedOn: '2026-04-10', unitChange: -12 },
          ],
        },
      },
    };
    // A late event says the licences went to 0 on 03-01 itself (window): everything nets to zero.
    const ops = diffAutotask(held, desired('2026-04-11', { type: 'quantity-changed', date: '2026-03-01', quantity: 0 }, { type: 'cancelled', date: '2026-04-10' }));
    let units = 0;
    const postings = [...held.autotask['s1/bp']!.adjustments.map((a) => [a.postedOn, a.unitChange] as const), ...ops.flatMap((o) => (o.type === 'at.adjust-units' ? [[o.effectiveDate, o.unitChange] as const] : []))];
    const byDay = new Map<string, number>();
    for (const [d, n] of postings) byDay.set(d, (byDay.get(d) ?? 0) + n);
    for (const [, n] of [...byDay].sort(([a], [b]) => (a < b ? -1 : 1))) {
      units += n;
      expect(units).toBeGreaterThanOrEqual(0);
    }
    expect(units).toBe(0);
  });
});
