/** docs/billing-rules.md §7 other billing modes. */
import {
  agreementMappingProblems,
  BillCustomerSchema,
  bundle,
  currentBillingPeriodStart,
  highWaterMark,
  mulMoney,
  seatCountUpdate,
  SubscriptionSchema,
} from '../../domain';
import { SUB } from './helpers';

describe('§7 seat count / high-water mark', () => {
  const counts = [
    { date: '2026-03-30', count: 40 },
    { date: '2026-04-01', count: 10 },
    { date: '2026-04-02', count: 14 },
    { date: '2026-04-03', count: 12 },
  ];
  const input = { counts, today: '2026-04-03', billedQuantity: 14, billedMonth: '2026-04', lastUpdatedOn: '2026-04-02', periodType: 'monthly' as const, periodAnchor: '2026-01-01' };
  it('the billed quantity of a month is the highest daily count seen in that month', () => {
    expect(highWaterMark(counts, '2026-04')).toBe(14);
    expect(highWaterMark(counts, '2026-03')).toBe(40);
    expect(highWaterMark([], '2026-05')).toBe(0);
  });
  it('updates the PSA when it rises, effective at the start of the current billing period', () => {
    const r = seatCountUpdate({ ...input, counts: [...counts, { date: '2026-04-03', count: 17 }] });
    expect(r).toMatchObject({ quantity: 17, update: true, effectiveDate: '2026-04-01' });
  });
  it('does not update when it did not rise', () => {
    expect(seatCountUpdate(input)).toMatchObject({ quantity: 14, update: false });
  });
  it('at most once a day', () => {
    expect(seatCountUpdate({ ...input, lastUpdatedOn: '2026-04-03', counts: [...counts, { date: '2026-04-03', count: 20 }] }).update).toBe(false);
  });
  it('a new month starts its own high-water mark', () => {
    expect(seatCountUpdate({ ...input, billedQuantity: 40, billedMonth: '2026-03', lastUpdatedOn: '2026-03-30' })).toMatchObject({ quantity: 14, update: true });
  });
  it('§5 seat-count mode writes at the start of the current billing period (monthly and yearly anchors)', () => {
    expect(currentBillingPeriodStart('monthly', '2026-01-31', '2026-02-15')).toBe('2026-01-31');
    expect(currentBillingPeriodStart('monthly', '2026-01-31', '2026-02-28')).toBe('2026-02-28');
    expect(currentBillingPeriodStart('monthly', '2026-01-15', '2026-04-14')).toBe('2026-03-15');
    expect(currentBillingPeriodStart('yearly', '2024-02-29', '2026-03-01')).toBe('2026-02-28');
    expect(currentBillingPeriodStart('yearly', '2025-07-01', '2026-06-30')).toBe('2025-07-01');
  });
});

describe('§7 one agreement per company', () => {
  const lines = [
    { companyId: 1, agreementId: 10, platformProductId: 'm365-bp', lineId: 100 },
    { companyId: 1, agreementId: 11, platformProductId: 'm365-e3', lineId: 101 },
    { companyId: 2, agreementId: 20, platformProductId: 'm365-bp', lineId: 200 },
    { companyId: 2, agreementId: 20, platformProductId: 'm365-bp', lineId: 201 },
  ];
  it('when configured, a company’s mapped products must live on one agreement', () => {
    const problems = agreementMappingProblems(lines, { oneAgreementPerCompany: true });
    expect(problems.map((p) => p.path)).toEqual(['companies[1]', 'agreements[20]']);
    expect(problems[0]!.message).toContain('2 agreements (10, 11)');
  });
  it('an agreement with more than one mapped line for the same platform product is reported, not guessed at', () => {
    const problems = agreementMappingProblems(lines, { oneAgreementPerCompany: false });
    expect(problems).toEqual([{ path: 'agreements[20]', message: expect.stringContaining('2 mapped lines (200, 201) for platform product m365-bp') }]);
  });
});

describe('§7 bill customer', () => {
  it('each mapping carries Billable | DoNotBill | NoCharge', () => {
    expect(BillCustomerSchema.options).toEqual(['Billable', 'DoNotBill', 'NoCharge']);
    expect(SubscriptionSchema.parse({ ...SUB, billCustomer: 'NoCharge' }).billCustomer).toBe('NoCharge');
    expect(SubscriptionSchema.safeParse({ ...SUB, billCustomer: 'Free' }).success).toBe(false);
  });
});

describe('§7 bundled billing', () => {
  const lines = [
    { quantity: 3, unitCost: '10.00', unitPrice: '12.00' },
    { quantity: 4, unitCost: '5.00', unitPrice: '7.00' },
  ];
  it('quantity only', () => {
    expect(bundle(lines, 'quantity-only')).toEqual({ quantity: 7 });
  });
  it('average unit cost/price with the summed quantity (half-even rounding)', () => {
    // cost 50.00 / 7 = 7.142857… → 7.1429; price 64.00 / 7 = 9.142857… → 9.1429
    expect(bundle(lines, 'average')).toEqual({ quantity: 7, unitCost: '7.1429', unitPrice: '9.1429' });
    // 0.0001 × 1 + 0.0002 × 1 = 0.0003 / 2 = 0.00015 → half-even 0.0002
    expect(bundle([{ quantity: 1, unitCost: '0.0001', unitPrice: '0' }, { quantity: 1, unitCost: '0.0002', unitPrice: '0' }], 'average').unitCost).toBe('0.0002');
    expect(bundle([{ quantity: 0, unitCost: '1', unitPrice: '1' }], 'average')).toEqual({ quantity: 0, unitCost: '0.00', unitPrice: '0.00' });
  });
  it('total cost/price with quantity 1', () => {
    expect(bundle(lines, 'total')).toEqual({ quantity: 1, unitCost: '50.00', unitPrice: '64.00' });
    expect(bundle(lines, 'total').unitCost).toBe(mulMoney('50', 1));
  });
});
