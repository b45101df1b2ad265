/**
 * Issue 15, "Reconciliation reads": the daily check reads each agreement / contract of a batch
 * ONCE — ConnectWise one agreement GET and one list of its additions by `id in (...)`, Autotask
 * one ContractServices query and one ContractServiceUnits query — whatever the number of
 * subscriptions and lines on it (it used to be two GETs per line: 16 per subscription on the
 * bench). Counted in the sandbox's request log; the values stay each subscription's own, and a
 * line the agreement no longer holds is still reported as unreadable for that subscription only.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createReconciliationActivities } from '../../activities/reconciliation/reconciliation.activities';
import type { AutotaskGateway } from '../../activities/psa/autotask/autotask-gateway';
import type { KeyedOperation, PsaTarget } from '../../activities/psa/psa-gateway.port';
import type { PsaOperation } from '../../domain/psa-operations';
import { startHarness, type Harness } from '../workflows/harness';

jest.setTimeout(120_000);

const PROVIDER = 'Microsoft CSP';
const MONTH = '2026-09';
const TODAY = '2026-09-30';

interface PsaRequest { method: string; url: string }

describe.each(['connectwise', 'autotask'] as const)('reconciliation reads the PSA once per agreement (%s)', (psa) => {
  let h: Harness;
  let root: string;
  let agreementId: number;
  // ConnectWise: three subscriptions of one product on the agreement; Autotask: one contract service per service per contract.
  const products = psa === 'connectwise' ? ['m365-bp', 'm365-bp', 'm365-bp'] : ['m365-bp', 'm365-basic'];
  const subs = products.map((_, i) => `recon-reads-${i}`);
  const GONE = 'recon-reads-gone';

  beforeAll(async () => {
    h = await startHarness(psa, 'recon_reads');
    root = psa === 'connectwise' ? h.cw!.url : h.at!.url;
    const gateway = await h.gateways.forConnection(h.connectionId);
    let companyId: number;
    let productIds: Record<string, number>;
    if (psa === 'connectwise') {
      const [company] = await gateway.findCompanies('Acme Ltd');
      const [agreement] = (await gateway.listAgreements(company!.id)).filter((a) => a.name.startsWith('Acme'));
      const [item] = await gateway.findCatalogItems({ name: 'Microsoft 365 Business Premium' });
      companyId = company!.id;
      agreementId = agreement!.id;
      productIds = { 'm365-bp': item!.id };
    } else {
      companyId = 1001;
      agreementId = await (gateway as AutotaskGateway).client.create('/Contracts', {
        contractName: 'Acme - reconciliation reads', companyID: 1001, contractType: 7, status: 1, contractPeriodType: 1,
        startDate: '2026-01-01T12:00:00Z', endDate: '2027-12-31T12:00:00Z', timeReportingRequiresStartAndStopTimes: 0,
      });
      productIds = { 'm365-bp': 3001, 'm365-basic': 3002 };
    }

    // Each subscription: 5 licences from 09-01 and 2 more from 09-10, so two lines (a base and a delta / a contract service with two adjustments).
    for (const [i, sub] of subs.entries()) {
      const productId = products[i]!;
      const target: PsaTarget = { companyId, agreementId, productIds: { [productId]: productIds[productId]! }, description: `sub ${sub}` };
      const line = (kind: 'base' | 'delta', quantity: number, effectiveDate: string): PsaOperation => ({
        type: 'cw.create-addition',
        addition: { lineKey: `${sub}/${productId}/${kind}/${effectiveDate}`, subscriptionId: sub, productId, kind, quantity, unitPrice: '22.00', unitCost: '18.70', effectiveDate, cancelledDate: null },
      });
      const ops: PsaOperation[] =
        psa === 'connectwise'
          ? [line('base', 5, '2026-09-01'), line('delta', 2, '2026-09-10')]
          : [
              { type: 'at.create-contract-service', service: { serviceKey: `${sub}/${productId}`, subscriptionId: sub, productId, unitPrice: '22.00', unitCost: '18.70' } },
              { type: 'at.adjust-units', serviceKey: `${sub}/${productId}`, effectiveDate: '2026-09-01', unitChange: 5 },
              { type: 'at.adjust-units', serviceKey: `${sub}/${productId}`, effectiveDate: '2026-09-10', unitChange: 2 },
            ];
      const keyed: KeyedOperation[] = ops.map((operation, n) => ({ idempotencyKey: `recon-reads/${sub}/${n}`, operation }));
      const lineIds: Record<string, number> = {};
      for (const a of await gateway.apply(target, keyed, {})) if (a.psaId !== null) lineIds[a.lineKey] = a.psaId;
      await mapped(sub, productId, target, lineIds);
    }
    // A subscription whose line is no longer on the agreement (deleted in the PSA by someone).
    const goneKey = psa === 'connectwise' ? `${GONE}/m365-bp/base/2026-09-01` : `${GONE}/m365-bp`;
    await mapped(GONE, 'm365-bp', { companyId, agreementId, productIds: {}, description: `sub ${GONE}` }, { [goneKey]: 987_654 });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function mapped(sub: string, productId: string, target: PsaTarget, lineIds: Record<string, number>): Promise<void> {
    await h.store.platform.upsertSubscription({
      connectionId: h.connectionId, id: sub, customerId: 'cust-acme', productId, provider: PROVIDER, quantity: 7, unitPrice: '22.00', unitCost: '18.70',
      startDate: '2026-09-01', endDate: '2027-08-31', billingFrequency: 'monthly', status: 'active', kind: 'saas',
    });
    await h.store.mappings.subscriptions.markMapped(h.connectionId, sub, target, { display: { customerId: 'cust-acme', customerName: 'Acme', productId } });
    await h.store.mappings.subscriptions.setLineIds(h.connectionId, sub, lineIds);
    const base = { subscriptionId: sub, customerId: 'cust-acme', provider: PROVIDER, month: MONTH, quantity: 7, issuedOn: '2026-10-08' };
    await h.store.platform.receiveInvoice({ ...base, id: `R-${sub}`, kind: 'reseller', amount: '130.90' }, 'test');
    await h.store.platform.receiveInvoice({ ...base, id: `C-${sub}`, kind: 'customer', amount: '154.00' }, 'test');
  }

  const psaRequests = async (): Promise<PsaRequest[]> =>
    ((await (await fetch(`${root}/__sandbox/requests`)).json()) as { log: PsaRequest[] }).log.filter((r) => !r.url.includes('/__sandbox'));

  it('one batch of subscriptions on one agreement: two PSA requests in all, each subscription its own values, the missing line reported', async () => {
    const activities = createReconciliationActivities({ store: h.store, gateways: h.gateways, now: () => Date.parse(`${TODAY}T12:00:00Z`) });
    await fetch(`${root}/__sandbox/requests`, { method: 'DELETE' });
    const facts: Awaited<ReturnType<typeof activities.gatherReconciliationFacts>> = await new MockActivityEnvironment().run(activities.gatherReconciliationFacts, {
      connectionId: h.connectionId, provider: PROVIDER, month: MONTH, subscriptionIds: [...subs, GONE],
    });

    for (const sub of subs) expect(facts[sub]!.psa).toEqual({ ok: true, values: { quantity: 7, cost: '130.90', price: '154.00' } });
    const missing = psa === 'connectwise' ? 'ConnectWise addition 987654' : 'Autotask contract service 987654';
    expect(facts[GONE]!.psa).toEqual({ ok: false, error: expect.stringContaining(`${missing} (line ${GONE}/m365-bp`) });

    const requests = await psaRequests();
    // Never a read of one line by id (the per-line reads this replaced).
    expect(requests.filter((r) => /\/additions\/\d+|\/ContractServices\/\d+|\/ContractServiceUnits\/\d+/i.test(r.url.split('?')[0]!))).toEqual([]);
    // Path after the API root, ids as {id}.
    const routes = requests.map((r) => `${r.method} ${r.url.split('?')[0]!.replace(/^.*\/apis\/3\.0|^.*\/v1\.0/i, '').replace(/\/\d+(?=\/|$)/g, '/{id}')}`).sort();
    expect(routes).toEqual(psa === 'connectwise' ? ['GET /finance/agreements/{id}', 'GET /finance/agreements/{id}/additions'] : ['GET /ContractServiceUnits/query', 'GET /ContractServices/query']);
  });
});
