/**
 * A connection's §2 rules over time (docs/mapping.md "Rules change", our decision):
 * an event is billed under the rules in force on its own date, so a change applies to events
 * dated on or after its day, events before keep the rules they were billed under, and nothing
 * already written is rewritten by the change itself.
 */
import { parseScenario, replayScenario, rulesOn, withRulesChange, type SyncRules } from '../../domain';
import { diffLines, emptyHeld, heldAfter } from '../../domain/psa-diff';
import { replaySubscription } from '../../domain/replay';
import type { LoggedEvent } from '../../domain/event-log';
import { applyToMemory, memoryPsa } from '../support/live-simulator';
import { lines, plan, scenario, SUB } from './helpers';

const ACTUAL: SyncRules = { positiveChange: 'actual-date', negativeChange: 'actual-date', cancellation: 'cancellation-date' };
const MONTHLY: SyncRules = { positiveChange: 'first-of-month', negativeChange: 'first-of-next-month', cancellation: 'end-of-month' };

describe('rulesOn / withRulesChange', () => {
  const history = [
    { from: '2026-05-10', rules: MONTHLY },
    { from: '2026-08-01', rules: ACTUAL },
  ];

  it('gives the initial rules before the first change, and each change from its own day on', () => {
    expect(rulesOn(ACTUAL, history, '2026-05-09')).toEqual(ACTUAL);
    expect(rulesOn(ACTUAL, history, '2026-05-10')).toEqual(MONTHLY);
    expect(rulesOn(ACTUAL, history, '2026-07-31')).toEqual(MONTHLY);
    expect(rulesOn(ACTUAL, history, '2026-08-01')).toEqual(ACTUAL);
    expect(rulesOn(MONTHLY, [], '2030-01-01')).toEqual(MONTHLY);
  });

  it('appends a change, replaces one made the same day, and leaves nothing for a change back or no change', () => {
    expect(withRulesChange(ACTUAL, [], '2026-05-10', MONTHLY)).toEqual([{ from: '2026-05-10', rules: MONTHLY }]);
    expect(withRulesChange(ACTUAL, [], '2026-05-10', ACTUAL)).toEqual([]);
    const later = { ...MONTHLY, cancellation: 'cancellation-date' as const };
    expect(withRulesChange(ACTUAL, [{ from: '2026-05-10', rules: MONTHLY }], '2026-05-10', later)).toEqual([{ from: '2026-05-10', rules: later }]);
    // Changed and changed back on one day: as if nothing happened.
    expect(withRulesChange(ACTUAL, [{ from: '2026-05-10', rules: MONTHLY }], '2026-05-10', ACTUAL)).toEqual([]);
    // Never back-dated past an earlier change (a clock or time-zone difference).
    expect(withRulesChange(ACTUAL, [{ from: '2026-05-10', rules: MONTHLY }], '2026-05-09', ACTUAL)).toEqual([]);
  });

  it('refuses a history out of order, naming the entry', () => {
    const r = parseScenario({ ...scenario([]), rulesHistory: [{ from: '2026-05-10', rules: MONTHLY }, { from: '2026-05-10', rules: ACTUAL }] });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems).toEqual([{ path: 'rulesHistory[1].from', message: 'is 2026-05-10, not after the change before it (2026-05-10); changes are listed oldest first, one per day' }]);
  });
});

describe('the replay bills each event under the rules of its date', () => {
  const events = [
    { type: 'quantity-changed' as const, date: '2026-04-15', quantity: 12 },
    { type: 'quantity-changed' as const, date: '2026-05-20', quantity: 15 },
    { type: 'quantity-changed' as const, date: '2026-06-18', quantity: 11 },
  ];
  const change = [{ from: '2026-05-10', rules: MONTHLY }];

  it('events before the change keep actual-date; the increase and decrease after it follow first-of-month / first-of-next-month', () => {
    const withChange = plan({ ...scenario(events, { asOf: '2026-06-30' }), rulesHistory: change });
    expect(lines(withChange).filter((l) => l.kind === 'delta')).toEqual([
      { kind: 'delta', productId: SUB.productId, quantity: 2, effectiveDate: '2026-04-15', cancelledDate: '2026-04-30' },
      { kind: 'delta', productId: SUB.productId, quantity: 3, effectiveDate: '2026-05-01', cancelledDate: '2026-05-31' },
      { kind: 'delta', productId: SUB.productId, quantity: -4, effectiveDate: '2026-07-01', cancelledDate: '2026-07-31' },
    ]);
    // Without the change, all three are billed on their own dates.
    expect(lines(plan(scenario(events, { asOf: '2026-06-30' }))).filter((l) => l.kind === 'delta').map((l) => l.effectiveDate)).toEqual(['2026-04-15', '2026-05-20', '2026-06-18']);
  });

  it('a cancellation after a change to end-of-month bills to the end of the month', () => {
    const p = plan({ ...scenario([{ type: 'cancelled', date: '2026-06-10' }], { asOf: '2026-06-30' }), rulesHistory: [{ from: '2026-06-01', rules: MONTHLY }] });
    expect(lines(p).filter((l) => l.kind === 'reversal')).toEqual([]);
    expect(lines(p).find((l) => l.kind === 'base')!.cancelledDate).toBe('2026-06-30');
  });

  it('a partial upgrade hands the history to the new subscription', () => {
    const parsed = parseScenario({
      ...scenario(
        [
          { type: 'partial-upgrade', date: '2026-04-20', quantity: 2, newSubscription: { id: 'sub-2', productId: 'm365-e5', unitPrice: '57.00', unitCost: '48.45', endDate: null } },
          { type: 'quantity-changed', date: '2026-06-15', quantity: 4, subscriptionId: 'sub-2' },
        ],
        { asOf: '2026-06-30' },
      ),
      rulesHistory: change,
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const s2 = replayScenario(parsed.value).ledgers[1]!;
    expect(s2.rulesHistory).toEqual(change);
    expect(s2.additions.filter((a) => a.kind === 'delta').map((a) => a.effectiveDate)).toEqual(['2026-06-01']);
  });

  it('a change dated after every event writes nothing: what was billed stays as it was', () => {
    const log: LoggedEvent[] = events.map((event, i) => ({ id: `e${i}`, sequence: i, arrival: i, receivedAt: '', event }));
    const init = { rules: ACTUAL, agreement: { startDate: '2026-03-01', periodType: 'monthly' as const }, subscription: SUB };
    for (const psa of ['connectwise', 'autotask'] as const) {
      const before = replaySubscription({ init, log, asOf: '2026-07-05' });
      const memory = memoryPsa();
      const ops = diffLines(psa, emptyHeld(), before.ledger, '2026-07-05');
      const held = heldAfter(emptyHeld(), ops, applyToMemory(memory, ops, {}));
      const after = replaySubscription({ init: { ...init, rulesHistory: [{ from: '2026-07-05', rules: MONTHLY }] }, log, asOf: '2026-07-05' });
      expect(diffLines(psa, held, after.ledger, '2026-07-05')).toEqual([]);
    }
  });
});
