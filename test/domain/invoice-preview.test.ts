/** domain/invoice-preview.ts: the next invoice of a subscription, on both PSAs, before anything is written. */
import { billingPeriodOf, nextBillingPeriod, nextInvoicePreview, type InvoicePreview } from '../../domain/invoice-preview';
import type { LoggedEvent } from '../../domain/event-log';
import type { PsaKind } from '../../domain/psa-operations';
import type { Agreement, SubscriptionEvent } from '../../domain/schemas';
import { SUB } from './helpers';

const MONTHLY: Agreement = { startDate: '2026-03-01', periodType: 'monthly' };

function preview(psa: PsaKind, today: string, events: SubscriptionEvent[], opts: { subscription?: Partial<typeof SUB>; skipped?: string[]; agreement?: Agreement } = {}): InvoicePreview {
  const agreement = opts.agreement ?? MONTHLY;
  const log: LoggedEvent[] = events.map((event, i) => ({ id: `e${i}`, sequence: null, arrival: i, receivedAt: '', event }));
  return nextInvoicePreview({
    psa,
    agreement,
    today,
    init: { agreement, subscription: { ...SUB, ...opts.subscription }, rules: {}, parentSubscriptionId: null },
    log,
    ...(opts.skipped ? { skipped: new Set(opts.skipped) } : {}),
  });
}

const brief = (p: InvoicePreview) => p.lines.map((l) => [l.kind, l.from, l.to, l.quantity, l.amount]);

describe('billing periods', () => {
  it('monthly: the calendar month; the next one follows it', () => {
    expect(billingPeriodOf(MONTHLY, '2026-11-21')).toEqual({ from: '2026-11-01', to: '2026-11-30' });
    expect(nextBillingPeriod(MONTHLY, '2026-11-21')).toEqual({ from: '2026-12-01', to: '2026-12-31' });
    expect(nextBillingPeriod(MONTHLY, '2026-12-31')).toEqual({ from: '2027-01-01', to: '2027-01-31' });
  });
  it('yearly: agreement years from the start month and day (Feb 29 in a leap year only)', () => {
    const yearly: Agreement = { startDate: '2026-03-01', periodType: 'yearly' };
    expect(billingPeriodOf(yearly, '2026-11-21')).toEqual({ from: '2026-03-01', to: '2027-02-28' });
    expect(billingPeriodOf(yearly, '2027-02-28')).toEqual({ from: '2026-03-01', to: '2027-02-28' });
    expect(nextBillingPeriod(yearly, '2026-11-21')).toEqual({ from: '2027-03-01', to: '2028-02-29' });
    expect(billingPeriodOf({ startDate: '2024-02-29', periodType: 'yearly' }, '2025-06-01')).toEqual({ from: '2025-02-28', to: '2026-02-27' });
  });
});

describe.each(['connectwise', 'autotask'] as const)('next invoice on %s', (psa) => {
  it('no change: one line, the quantity × unit price of the next month', () => {
    const p = preview(psa, '2026-03-10', []);
    expect(p.period).toEqual({ from: '2026-04-01', to: '2026-04-30' });
    expect(brief(p)).toEqual([['recurring', '2026-04-01', '2026-04-30', 10, '220.00']]);
    expect(p.lines[0]).toMatchObject({ days: 30, periodDays: 30, unitPrice: '22.00', cost: '187.00', lineKey: expect.any(String) });
    expect([p.total, p.totalCost]).toEqual(['220.00', '187.00']);
  });

  it('a change this month: prorated for the rest of it, and the next month at the new quantity', () => {
    const p = preview(psa, '2026-03-20', [{ type: 'quantity-changed', date: '2026-03-15', quantity: 15 }]);
    // +5 from 03-15 to 03-31: 5 × 22.00 × 17/31 = 60.3225… → 60.32
    expect(brief(p)).toEqual([
      ['proration', '2026-03-15', '2026-03-31', 5, '60.32'],
      ['recurring', '2026-04-01', '2026-04-30', 15, '330.00'],
    ]);
    expect(p.total).toBe('390.32');
  });

  it('a scheduled cancellation inside the next month bills the days before it, whatever the lines look like', () => {
    const p = preview(psa, '2026-03-20', [{ type: 'cancelled', date: '2026-04-10' }]);
    expect(p.total).toBe('66.00'); // 10 × 22.00 × 9/30
    if (psa === 'connectwise') {
      expect(p.lines.map((l) => [l.additionKind, l.quantity, l.amount])).toEqual([['base', 10, '220.00'], ['reversal', -10, '-154.00']]);
    } else {
      expect(brief(p)).toEqual([['recurring', '2026-04-01', '2026-04-09', 10, '66.00']]);
    }
  });

  it('a subscription starting mid next month is prorated from its start (half-even to cents)', () => {
    const p = preview(psa, '2026-03-20', [], { subscription: { startDate: '2026-04-15' } });
    expect(brief(p)).toEqual([['recurring', '2026-04-15', '2026-04-30', 10, '117.33']]); // 10 × 22 × 16/30
  });

  it('a skipped event is left out; a decrease this month is a negative proration', () => {
    const events: SubscriptionEvent[] = [
      { type: 'quantity-changed', date: '2026-03-21', quantity: 4 },
      { type: 'quantity-changed', date: '2026-03-25', quantity: 40 },
    ];
    const p = preview(psa, '2026-03-26', events, { skipped: ['e1'] });
    // −6 from 03-21 to 03-31: −6 × 22 × 11/31 = −46.838… → −46.84
    expect(brief(p)).toEqual([
      ['proration', '2026-03-21', '2026-03-31', -6, '-46.84'],
      ['recurring', '2026-04-01', '2026-04-30', 4, '88.00'],
    ]);
  });

  it('an ended subscription has nothing on the next invoice', () => {
    const p = preview(psa, '2026-05-20', [{ type: 'cancelled', date: '2026-04-10' }]);
    expect(p.lines).toEqual([]);
    expect(p.total).toBe('0.00');
  });
});
