/**
 * Issue 9, "Reconciliation compares the billing month", on both PSAs. The demo's Acme Business
 * Premium subscription (10 licences from 09-01, 14 from 09-15, 12 from 10-05, 15 from 11-03) is
 * replayed through the domain reducer (the same operations the subscription workflow writes,
 * folds included) into a sandbox; then the reconciliation activity reads the PSA for September
 * and October on 11-29. The PSA must give each month's own quantity and totals — 14 and 12 —
 * not today's 15 (what reading "the unit period in force today" gave: a false pending-review).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createReconciliationActivities } from '../../activities/reconciliation/reconciliation.activities';
import type { AutotaskGateway } from '../../activities/psa/autotask/autotask-gateway';
import type { KeyedOperation, PsaTarget } from '../../activities/psa/psa-gateway.port';
import { replayScenario } from '../../domain/plan';
import { reconciliationStatus } from '../../domain/reconciliation';
import { parseScenario } from '../../domain/scenario';
import { startHarness, type Harness } from '../workflows/harness';

jest.setTimeout(120_000);

const PROVIDER = 'Microsoft CSP';
const SUB = 'acme-bp-month';
const TODAY = '2026-11-29';

describe.each(['connectwise', 'autotask'] as const)('reconciliation reads the billing month (%s)', (psa) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(psa, 'recon_month');
    const gateway = await h.gateways.forConnection(h.connectionId);

    // Where the lines go: Acme's agreement / a recurring-service contract of Acme's, and M365 BP.
    let target: PsaTarget;
    if (psa === 'connectwise') {
      const [company] = await gateway.findCompanies('Acme Ltd');
      const [agreement] = (await gateway.listAgreements(company!.id)).filter((a) => a.name.startsWith('Acme'));
      const [item] = await gateway.findCatalogItems({ name: 'Microsoft 365 Business Premium' });
      target = { companyId: company!.id, agreementId: agreement!.id, productIds: { 'm365-bp': item!.id }, description: `sub ${SUB}` };
    } else {
      const client = (gateway as AutotaskGateway).client;
      const contractId = await client.create('/Contracts', {
        contractName: 'Acme - reconciliation month', companyID: 1001, contractType: 7, status: 1, contractPeriodType: 1,
        startDate: '2026-01-01T12:00:00Z', endDate: '2027-12-31T12:00:00Z', timeReportingRequiresStartAndStopTimes: 0,
      });
      target = { companyId: 1001, agreementId: contractId, productIds: { 'm365-bp': 3001 }, description: `sub ${SUB}` };
    }

    await h.store.platform.upsertSubscription({
      connectionId: h.connectionId, id: SUB, customerId: 'cust-acme', productId: 'm365-bp', provider: PROVIDER, quantity: 15, unitPrice: '22.00', unitCost: '18.70',
      startDate: '2026-09-01', endDate: '2027-08-31', billingFrequency: 'monthly', status: 'active', kind: 'saas',
    });
    await h.store.mappings.subscriptions.markMapped(h.connectionId, SUB, target, { display: { customerId: 'cust-acme', customerName: 'Acme', productId: 'm365-bp' } });

    // What the subscription workflow would have written by today, in order.
    const scenario = parseScenario({
        psa,
        rules: { positiveChange: 'actual-date', negativeChange: 'actual-date', cancellation: 'cancellation-date' },
        agreement: { startDate: psa === 'connectwise' ? '2026-03-01' : '2026-01-01', periodType: 'monthly' },
        subscription: {
          id: SUB, productId: 'm365-bp', quantity: 10, unitPrice: '22.00', unitCost: '18.70', startDate: '2026-09-01', endDate: '2027-08-31',
          billingFrequency: 'monthly', autoRenew: true, kind: 'saas',
        },
        events: [
          { type: 'quantity-changed', date: '2026-09-15', quantity: 14 },
          { type: 'quantity-changed', date: '2026-10-05', quantity: 12 },
          { type: 'quantity-changed', date: '2026-11-03', quantity: 15 },
        ],
    });
    if (!scenario.ok) throw new Error(JSON.stringify(scenario.problems));
    const { ops } = replayScenario(scenario.value, TODAY);
    const keyed: KeyedOperation[] = ops[SUB]![psa].map((operation, i) => ({ idempotencyKey: `month-test/${psa}/${i}`, operation }));
    const applied = await gateway.apply(target, keyed, {});
    const lineIds: Record<string, number | null> = {};
    for (const a of applied) lineIds[a.lineKey] = a.psaId;
    await h.store.mappings.subscriptions.setLineIds(h.connectionId, SUB, lineIds);

    // The platform's final invoices: the month's final quantity at list price.
    for (const [month, quantity] of [['2026-09', 14], ['2026-10', 12]] as const) {
      const base = { subscriptionId: SUB, customerId: 'cust-acme', provider: PROVIDER, month, quantity, issuedOn: '2026-11-08' };
      await h.store.platform.receiveInvoice({ ...base, id: `R-${month}`, kind: 'reseller', amount: (quantity * 18.7).toFixed(2) }, 'test');
      await h.store.platform.receiveInvoice({ ...base, id: `C-${month}`, kind: 'customer', amount: (quantity * 22).toFixed(2) }, 'test');
    }
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each([
    ['2026-09', 14, '261.80', '308.00'],
    ['2026-10', 12, '224.40', '264.00'],
  ])('%s: the PSA gives the month\'s own quantity and totals, and the month reconciles', async (month, quantity, cost, price) => {
    const activities = createReconciliationActivities({ store: h.store, gateways: h.gateways, now: () => Date.parse(`${TODAY}T12:00:00Z`) });
    const facts: Awaited<ReturnType<typeof activities.gatherReconciliationFacts>> = await new MockActivityEnvironment().run(activities.gatherReconciliationFacts, {
      connectionId: h.connectionId, provider: PROVIDER, month, subscriptionIds: [SUB],
    });
    const fact = facts[SUB]!;
    expect(fact.psa).toEqual({ ok: true, values: { quantity, cost, price } });
    expect(reconciliationStatus({ invoices: fact.invoices, psa: fact.psa, platform: fact.platform })).toMatchObject({ status: 'reconciled', reason: 'no discrepancy' });
  });
});
