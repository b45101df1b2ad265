/** docs/billing-rules.md §6 monthly billing reconciliation: status table, cutover table, accept ops. */
import {
  AcceptedReconciliationSchema,
  cutoverCalendar,
  cutoverWindow,
  DEFAULT_CUTOVER_CALENDAR,
  planAcceptedReconciliation,
  reconciliationStatus,
  type ReconciliationInput,
} from '../../domain';

const same = { quantity: 10, cost: '187.00', price: '220.00' };
const ok: ReconciliationInput = { invoices: { reseller: true, customer: true }, psa: { ok: true, values: same }, platform: same };

describe('§6 status table', () => {
  it('pending: cutover passed, reseller and/or customer invoice missing (reason says which), retried daily', () => {
    expect(reconciliationStatus({ ...ok, invoices: { reseller: false, customer: true } })).toMatchObject({ status: 'pending', reason: 'reseller invoice missing', next: 'retry-tomorrow' });
    expect(reconciliationStatus({ ...ok, invoices: { reseller: true, customer: false } }).reason).toBe('customer invoice missing');
    expect(reconciliationStatus({ ...ok, invoices: { reseller: false, customer: false } }).reason).toBe('reseller and customer invoices missing');
    expect(reconciliationStatus({ ...ok, invoices: { reseller: false, customer: true }, withinWindow: false })).toMatchObject({ status: 'pending', next: 'window-closed' });
  });
  it('failed-review: invoices exist but the PSA values could not be read (retried; error shown)', () => {
    expect(reconciliationStatus({ ...ok, psa: { ok: false, error: 'HTTP 503' } })).toMatchObject({ status: 'failed-review', reason: 'PSA values could not be read: HTTP 503', next: 'retry-tomorrow' });
  });
  it('pending-review: PSA and platform disagree on price, cost or quantity (waits for accept or reject)', () => {
    const r = reconciliationStatus({ ...ok, psa: { ok: true, values: { quantity: 12, cost: '187.00', price: '210.00' } } });
    expect(r.status).toBe('pending-review');
    expect(r.next).toBe('await-decision');
    expect(r.reason).toBe('quantity: platform 10, PSA 12; price: platform 220.00, PSA 210.00');
  });
  it('reconciled: no discrepancy', () => {
    expect(reconciliationStatus({ ...ok, psa: { ok: true, values: { ...same, price: '220' } } })).toMatchObject({ status: 'reconciled', next: 'done' });
  });
  it('reconciled: a pending review was accepted (then posted)', () => {
    const review = { ...ok, psa: { ok: true as const, values: { ...same, cost: '180.00' } } };
    expect(reconciliationStatus({ ...review, decision: 'accept' })).toMatchObject({ status: 'reconciled', next: 'post' });
    expect(reconciliationStatus({ ...review, decision: 'accept', post: { ok: true } })).toMatchObject({ status: 'reconciled', next: 'done' });
  });
  it('rejected: a pending review was rejected', () => {
    expect(reconciliationStatus({ ...ok, psa: { ok: true, values: { ...same, cost: '180.00' } }, decision: 'reject' })).toMatchObject({ status: 'rejected', next: 'done' });
  });
  it('failed: posting to the PSA failed (e.g. already invoiced), with the PSA’s message; can be retried', () => {
    const r = reconciliationStatus({
      ...ok,
      psa: { ok: true, values: { ...same, cost: '180.00' } },
      decision: 'accept',
      post: { ok: false, error: 'Addition 42 is already invoiced' },
    });
    expect(r).toMatchObject({ status: 'failed', reason: 'Addition 42 is already invoiced', next: 'retry-post' });
  });
});

describe('§6 cutover table', () => {
  it.each([
    ['Google Cloud Platform', 6, 21],
    ['Amazon Web Services', 6, 21],
    ['Azure Legacy', 6, 21],
    ['Generic Web Service', 6, 21],
    ['Sophos', 6, 21],
    ['Microsoft Modern Workplace', 10, 25],
    ['Microsoft CSP', 10, 25],
  ])('%s: cutover start %i, end %i', (provider, start, end) => {
    expect(DEFAULT_CUTOVER_CALENDAR).toContainEqual({ provider, cutoverStartDay: start, cutoverEndDay: end });
    const w = cutoverWindow(provider, '2026-03')!;
    expect(w.start).toBe(`2026-04-${String(start).padStart(2, '0')}`);
    expect(w.end).toBe(`2026-04-${end}`);
    expect(w.checkDates).toHaveLength(15); // checks once a day, for up to 15 days
    expect(w.checkDates[0]).toBe(w.start);
  });
  it('is configuration: providers are added or overridden without code changes', () => {
    const cal = cutoverCalendar([
      { provider: 'Acme Cloud', cutoverStartDay: 3, cutoverEndDay: 5 },
      { provider: 'microsoft csp', cutoverStartDay: 12, cutoverEndDay: 31 },
    ]);
    expect(cutoverWindow('Acme Cloud', '2026-12', cal)).toMatchObject({ start: '2027-01-03', end: '2027-01-05', checkDates: ['2027-01-03', '2027-01-04', '2027-01-05'] });
    expect(cutoverWindow('Microsoft CSP', '2026-01', cal)).toMatchObject({ start: '2026-02-12', end: '2026-02-28' });
    expect(cutoverWindow('Unknown', '2026-01', cal)).toBeNull();
  });
});

describe('§6 accept posts cost and price, never quantity', () => {
  it('SaaS: a new addition carrying the delta cost and delta price for that month', () => {
    const ops = planAcceptedReconciliation(
      AcceptedReconciliationSchema.parse({
        kind: 'saas',
        subscriptionId: 'sub-1',
        productId: 'm365-bp',
        billingMonth: '2026-03',
        platform: { cost: '187.00', price: '220.00' },
        psa: { cost: '180.50', price: '220.00' },
      }),
    );
    expect(ops.connectwise).toEqual([
      {
        type: 'cw.create-addition',
        addition: {
          lineKey: 'sub-1/m365-bp/reconciliation/2026-03',
          subscriptionId: 'sub-1',
          productId: 'm365-bp',
          kind: 'reconciliation',
          quantity: 1,
          unitCost: '6.50',
          unitPrice: '0.00',
          effectiveDate: '2026-03-01',
          cancelledDate: '2026-03-31',
        },
      },
    ]);
    expect(ops.autotask[0]).toMatchObject({ type: 'at.create-contract-charge', charge: { quantity: 1, unitCost: '6.50', unitPrice: '0.00', date: '2026-03-31' } });
  });
  it('IaaS: the quantity-1 line is set to the invoiced totals', () => {
    const ops = planAcceptedReconciliation(
      AcceptedReconciliationSchema.parse({
        kind: 'iaas',
        subscriptionId: 'aws-1',
        productId: 'aws',
        billingMonth: '2026-03',
        platform: { cost: '1234.5678', price: '1500.00' },
        psa: { cost: '0', price: '0' },
        lineKey: 'aws-1/aws/base/2026-01-01',
        serviceKey: 'aws-1/aws',
      }),
    );
    expect(ops.connectwise).toEqual([{ type: 'cw.update-addition', lineKey: 'aws-1/aws/base/2026-01-01', set: { unitCost: '1234.5678', unitPrice: '1500.00' } }]);
    expect(ops.autotask).toEqual([{ type: 'at.update-contract-service', serviceKey: 'aws-1/aws', unitCost: '1234.5678', unitPrice: '1500.00' }]);
  });
  it('IaaS needs the line to set (validation names the fields)', () => {
    const r = AcceptedReconciliationSchema.safeParse({ kind: 'iaas', subscriptionId: 'a', productId: 'b', billingMonth: '2026-03', platform: { cost: '1', price: '1' }, psa: { cost: '0', price: '0' } });
    expect(!r.success && r.error.issues.map((i) => i.path.join('.'))).toEqual(['lineKey', 'serviceKey']);
  });
});
