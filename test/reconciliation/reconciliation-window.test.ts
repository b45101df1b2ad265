/**
 * §6 daily checks over the cutover window, on the time-skipping server: invoices that appear
 * on the third day, and a window that closes with invoices still missing.
 */
import { reconciliationStateQuery } from '../../workflows/reconciliation-messages';
import { PsaBillingMonth, PsaConnectionId, PsaProvider } from '../../workflows/search-attributes';
import { invoices, mappedSubscription, startReconciliationHarness, type ReconciliationHarness } from './reconciliation-harness';

jest.setTimeout(120_000);

describe('reconciliation window (§6)', () => {
  let r: ReconciliationHarness;
  beforeEach(async () => {
    r = await startReconciliationHarness('recon_window');
  });
  afterEach(async () => {
    await r?.close();
  });

  it('checks daily from the cutover start: pending until both invoices exist on day 3, then reconciled (no discrepancy)', async () => {
    await mappedSubscription(r, { subscriptionId: 'sub-day3', quantity: 10, unitPrice: '22.00', unitCost: '18.70' });
    let checks = 0;
    const { final, items } = await r.withWorker(
      async (taskQueue) => {
        const handle = await r.start(taskQueue);
        const final = await handle.result();
        return { final, items: await r.items(final) };
      },
      (a) => ({
        ...a,
        // The platform generates the invoices just before the third daily check.
        async gatherReconciliationFacts(input) {
          checks += 1;
          if (checks === 2) await invoices(r, 'sub-day3', { quantity: 10, cost: '187.00' });
          if (checks === 3) await invoices(r, 'sub-day3', { quantity: 10, price: '220.00' });
          return a.gatherReconciliationFacts(input);
        },
      }),
    );

    expect(final.checksDone).toBe(3);
    expect(final.remainingChecks.length).toBe(12); // ended early: everything reconciled
    expect(items).toMatchObject([{ subscriptionId: 'sub-day3', status: 'reconciled', reason: 'no discrepancy', checks: 3 }]);
    expect(final).toMatchObject({ total: 1, counts: { reconciled: 1 }, chunks: [{ chunk: 0, items: 1, finished: true, checksDone: 3 }] });
    const record = await r.h.store.reconciliations.get({ connectionId: r.h.connectionId, provider: 'Microsoft CSP', month: r.month, subscriptionId: 'sub-day3' });
    expect(record).toMatchObject({
      status: 'reconciled',
      customerName: 'Acme Ltd',
      plan: 'Microsoft 365 Business Premium',
      platform: { quantity: 10, cost: '187.00', price: '220.00' },
      psa: { quantity: 10, cost: '187.00', price: '220.00' },
      checks: 3,
    });
    // The history holds status changes; day 2 (still pending, reseller invoice in) changed none.
    expect(record!.history.map((e) => [e.status, e.reason])).toEqual([
      ['pending', 'reseller and customer invoices missing'],
      ['reconciled', 'no discrepancy'],
    ]);
    // the first check ran at the cutover start (Microsoft CSP: the 10th), one day apart
    expect(final.window.start).toBe(`${nextMonth(r.month)}-10`);
  });

  it('ends after the last daily check with invoices still missing: pending with the reason, nothing waits for a human', async () => {
    await mappedSubscription(r, { subscriptionId: 'sub-late', quantity: 3, unitPrice: '36.00', unitCost: '30.60', productId: 'm365-e3' });
    await invoices(r, 'sub-late', { quantity: 3, cost: '91.80' }); // reseller only
    const { final, description, items } = await r.withWorker(async (taskQueue) => {
      const handle = await r.start(taskQueue);
      const final = await handle.result();
      return { final, description: await handle.describe(), items: await r.items(final) };
    });

    expect(final.checksDone).toBe(15);
    expect(final.remainingChecks).toEqual([]);
    expect(final.finished).toBe(true);
    expect(items).toMatchObject([{ subscriptionId: 'sub-late', status: 'pending', reason: 'customer invoice missing; cutover window closed', checks: 15 }]);
    expect(description.status.name).toBe('COMPLETED');
    expect(description.typedSearchAttributes.get(PsaConnectionId)).toBe(r.h.connectionId);
    expect(description.typedSearchAttributes.get(PsaProvider)).toBe('Microsoft CSP');
    expect(description.typedSearchAttributes.get(PsaBillingMonth)).toBe(r.month);
    expect(description.memo?.summary).toBe(`${monthLabel(r.month)} Microsoft CSP on ${r.h.connectionId}: 1 pending.`);
    const record = await r.h.store.reconciliations.get({ connectionId: r.h.connectionId, provider: 'Microsoft CSP', month: r.month, subscriptionId: 'sub-late' });
    expect(record).toMatchObject({ status: 'pending', reason: 'customer invoice missing; cutover window closed', checks: 15 });
    expect(record!.platform).toBeUndefined(); // platform totals are shown once both invoices exist
  });

  it('answers the state query while it waits for the cutover start', async () => {
    await mappedSubscription(r, { subscriptionId: 'sub-early', quantity: 1, unitPrice: '22.00', unitCost: '18.70' });
    await r.withWorker(async (taskQueue) => {
      const handle = await r.start(taskQueue);
      const s = await handle.query(reconciliationStateQuery);
      expect(s).toMatchObject({ billingMonth: r.month, provider: 'Microsoft CSP', checksDone: 0, total: 0, chunks: [] });
      expect(s.remainingChecks[0]).toBe(s.window.start);
      expect(s.remainingChecks).toHaveLength(15);
      await handle.terminate('test over');
    });
  });
});

function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

function monthLabel(month: string): string {
  return new Date(`${month}-01T00:00:00Z`).toLocaleString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });
}
