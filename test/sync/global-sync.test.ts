/**
 * Global sync (§2) on the real connector: Temporal dev server, FerretDB, the ConnectWise
 * sandbox. Writes are counted with the sandbox's traffic log: nothing changed → zero writes,
 * one field changed → exactly one PATCH.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import type { GlobalSyncResult } from '../../workflows/global-sync.workflow';
import { createGlobalSyncActivities, type SyncPageResult } from '../../activities/sync/global-sync.activities';
import type { GatewayRegistry } from '../../activities/psa/gateway-registry';
import type { CompanyUpdate, PsaGateway } from '../../activities/psa/psa-gateway.port';
import { eventually, startHarness, type Harness } from '../workflows/harness';

const WRITES = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

describe('global sync (ConnectWise sandbox)', () => {
  let h: Harness;
  let companyId: number;
  let run = 0;

  const writes = () => h.cw!.traffic.log().filter((r) => WRITES.has(r.method));
  const sync = async (input: Record<string, unknown> = {}): Promise<GlobalSyncResult> => {
    h.cw!.traffic.clear();
    return h.client.workflow.execute('globalSyncWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: `global-sync/${h.connectionId}/test-${++run}`,
      args: [{ connectionId: h.connectionId, ...input }],
    });
  };
  const company = () => h.cw!.state.companies.find((c) => c.id === companyId)!;

  beforeAll(async () => {
    h = await startHarness('connectwise', 'global_sync');
    await h.startWorker();
    const gateway = await h.gateways.forConnection(h.connectionId);
    companyId = (await gateway.findCompanies('Acme Ltd'))[0]!.id;
    await h.store.platform.upsertCustomer({ id: 'cust-1', name: 'Acme Ltd', address: '1 Park Row', city: 'Leeds', zip: 'LS1 5AB' });
    await h.store.mappings.customers.markMapped(h.connectionId, 'cust-1', { psaId: companyId }, { display: { label: 'Acme Ltd' } });
    // Linked but never synced: the first sync pushes its values once.
    await h.store.platform.upsertCustomer({ id: 'cust-2', name: 'Unmapped Co' });
    await h.store.mappings.customers.track(h.connectionId, [{ platformId: 'cust-2', label: 'Unmapped Co' }]);
  }, 60_000);
  afterAll(async () => h?.close());

  it('pushes a newly mapped customer once, then writes nothing while nothing changes', async () => {
    const first = await sync();
    expect(first).toMatchObject({ status: 'completed', pushed: 1, unchanged: 0, failed: 0 });
    expect(writes().map((w) => w.route)).toEqual(['PATCH /v4_6_release/apis/3.0/company/companies/:id']);
    expect(company()).toMatchObject({ name: 'Acme Ltd', addressLine1: '1 Park Row', city: 'Leeds', zip: 'LS1 5AB' });

    const second = await sync();
    expect(second).toMatchObject({ pushed: 0, unchanged: 1, failed: 0 });
    expect(writes()).toHaveLength(0);
    expect((await h.store.mappings.customers.get(h.connectionId, 'cust-1'))!.status).toBe('mapped');
  });

  it('one changed field → exactly one PSA write', async () => {
    await h.store.platform.upsertCustomer({ id: 'cust-1', name: 'Acme Ltd', address: '1 Park Row', city: 'York', zip: 'LS1 5AB' });
    const r = await sync();
    expect(r).toMatchObject({ pushed: 1, unchanged: 0 });
    expect(writes()).toHaveLength(1);
    expect(company().city).toBe('York');
    expect(await sync()).toMatchObject({ pushed: 0, unchanged: 1 });
    expect(writes()).toHaveLength(0);
  });

  it('a PSA refusal marks the mapping failed with the PSA message and the run goes on', async () => {
    // A company that is not there: ConnectWise answers 404, a refusal (not retried).
    await h.store.platform.upsertCustomer({ id: 'cust-3', name: 'Ghost Inc' });
    await h.store.mappings.customers.markMapped(h.connectionId, 'cust-3', { psaId: 999_999 }, { display: { label: 'Ghost Inc' } });
    const r = await sync();
    expect(r).toMatchObject({ pushed: 0, unchanged: 1, failed: 1 });
    expect(r.problems).toEqual([expect.objectContaining({ kind: 'customer', platformId: 'cust-3', outcome: 'failed' })]);
    const m = await h.store.mappings.customers.get(h.connectionId, 'cust-3');
    expect(m).toMatchObject({ status: 'failed', linked: true });
    expect(m!.error!.message).toMatch(/global sync failed/);
    await h.store.mappings.customers.disconnect(h.connectionId, 'cust-3');
  });

  it('syncs one entity on demand', async () => {
    await h.store.platform.upsertCustomer({ id: 'cust-1', name: 'Acme Ltd', address: '2 Park Row', city: 'York', zip: 'LS1 5AB' });
    const r = await sync({ entity: { kind: 'customer', platformId: 'cust-1' } });
    expect(r).toMatchObject({ pushed: 1, byKind: { customer: { pushed: 1 } } });
    expect(writes()).toHaveLength(1);
    expect(company().addressLine1).toBe('2 Park Row');
  });

  it('pushes only the toggled fields of a product, and a scheduled run does nothing while autoSync is off', async () => {
    const gateway = await h.gateways.forConnection(h.connectionId);
    const [item] = await gateway.findCatalogItems({ name: 'Microsoft 365 Business Premium' });
    await h.store.platform.upsertProduct({ id: 'prod-1', name: 'M365 Premium', partNumber: 'MPN-1', provider: 'Microsoft CSP', unitPrice: '23.00', unitCost: '19.00', billingFrequency: 'monthly' });
    await h.store.mappings.products.markMapped(h.connectionId, 'prod-1', { psaId: item!.id });
    await h.store.connections.updateRules(h.connectionId, { fieldToggles: { product: { name: false, description: false, provider: false, partNumber: false } } });

    expect(await sync({ scheduled: true })).toMatchObject({ status: 'skipped-auto-sync-off', pushed: 0 });
    expect(writes()).toHaveLength(0);

    const r = await sync();
    expect(r.byKind.product).toMatchObject({ pushed: 1 });
    const after = h.cw!.state.catalog.find((c) => c.id === item!.id)!;
    expect(after).toMatchObject({ price: 23, cost: 19, description: item!.name });
  });

  it('never writes a subscription: after a full upgrade, a sync leaves the new product price on the lines', async () => {
    await h.store.platform.upsertProduct({ id: 'm365-bp', name: 'Microsoft 365 Business Premium', partNumber: 'M365-BP', provider: 'Microsoft CSP', unitPrice: '22.00', unitCost: '18.70', billingFrequency: 'monthly' });
    await h.store.platform.upsertProduct({ id: 'm365-e3', name: 'Microsoft 365 E3', partNumber: 'M365-E3', provider: 'Microsoft CSP', unitPrice: '36.00', unitCost: '30.60', billingFrequency: 'monthly' });
    const gateway = await h.gateways.forConnection(h.connectionId);
    for (const [id, name] of [['m365-bp', 'Microsoft 365 Business Premium'], ['m365-e3', 'Microsoft 365 E3']] as const) {
      const [item] = await gateway.findCatalogItems({ name });
      await h.store.mappings.products.markMapped(h.connectionId, id, { psaId: item!.id });
    }
    const [agreement] = (await gateway.listAgreements(companyId)).filter((a) => a.name.startsWith('Acme'));
    const sub = 'sub-owned';
    await h.platform.reportSubscription(h.connectionId, {
      customerId: 'cust-1',
      subscription: { id: sub, productId: 'm365-bp', quantity: 10, unitPrice: '22.00', unitCost: '18.70', startDate: '2026-03-01', endDate: '2027-02-28', billingFrequency: 'monthly', autoRenew: true, kind: 'saas' },
    });
    await h.platform.place(h.connectionId, sub, {
      psa: 'connectwise', companyId, agreementId: agreement!.id, agreement: { startDate: agreement!.startDate, periodType: 'monthly' },
      rules: { positiveChange: 'actual-date', negativeChange: 'actual-date', cancellation: 'cancellation-date' }, description: `${sub} M365`,
    });
    await h.platform.sendEvent(h.connectionId, sub, { id: 'up', type: 'full-upgrade', date: '2026-05-04', productId: 'm365-e3', unitPrice: '36.00', unitCost: '30.60' });
    await eventually(async () => {
      const s = await h.platform.state(h.connectionId, sub);
      return s.counts.applied === 1 && !s.syncing ? true : undefined;
    }, 'the upgrade to be billed');
    const linesBefore = JSON.stringify(h.cw!.state.additions.filter((a) => String(a.description).includes(` ${sub} `)));

    const r = await sync();
    expect(r.byKind.subscription).toMatchObject({ pushed: 0, failed: 0 });
    expect(writes().filter((w) => w.route.includes('additions'))).toHaveLength(0);
    expect(JSON.stringify(h.cw!.state.additions.filter((a) => String(a.description).includes(` ${sub} `)))).toBe(linesBefore);
    const e3 = h.cw!.state.additions.filter((a) => String(a.description).includes(` ${sub} `) && a.quantity === 10 && String(a.effectiveDate).startsWith('2026-05-04'));
    expect(e3).toEqual([expect.objectContaining({ unitPrice: 36, unitCost: 30.6 })]);
    // Asked for by name, a subscription is skipped with the reason.
    const one = await sync({ entity: { kind: 'subscription', platformId: sub } });
    expect(one.problems).toEqual([expect.objectContaining({ outcome: 'skipped', reason: expect.stringMatching(/owned by its lifecycle events/) })]);
  });

  it('a page reads its platform records first (one query), then writes, with a heartbeat after each record', async () => {
    const ids = ['cust-p1', 'cust-p2', 'cust-p3'];
    for (const [i, pid] of ids.entries()) {
      await h.store.platform.upsertCustomer({ id: pid, name: `Paged ${i}`, city: 'Leeds' });
      await h.store.mappings.customers.markMapped(h.connectionId, pid, { psaId: companyId + 1000 + i }, { display: { label: `zz paged ${i}` } });
    }
    const steps: string[] = [];
    const store = { ...h.store, platform: { ...h.store.platform, getCustomers: async (pids: readonly string[]) => { steps.push(`read ${pids.join(',')}`); return h.store.platform.getCustomers(pids); } } };
    const gateways = {
      ...h.gateways,
      async forConnection(connectionId: string) {
        const g = await h.gateways.forConnection(connectionId);
        return { ...g, updateCompany: async (psaId: number, v: CompanyUpdate) => { steps.push(`write ${psaId - companyId - 1000}`); return { written: Object.keys(v), unsupported: [] }; } } as PsaGateway;
      },
    } as GatewayRegistry;
    const activities = createGlobalSyncActivities({ store, gateways });
    const linked = (await h.store.mappings.customers.list(h.connectionId, { linked: true, limit: 1 })).total;
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    // The last page holds the three (their labels sort last).
    const page: SyncPageResult = await env.run(activities.syncPage, { connectionId: h.connectionId, kind: 'customer' as const, skip: linked - 3, limit: 3 });
    expect(page).toMatchObject({ pushed: 3, failed: 0 });
    expect(steps).toEqual(['read cust-p1,cust-p2,cust-p3', 'write 0', 'write 1', 'write 2']);
    expect(beats).toEqual([1, 2, 3]);
    for (const pid of ids) await h.store.mappings.customers.disconnect(h.connectionId, pid);
  });
});
