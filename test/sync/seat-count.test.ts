/**
 * §7 seat count / high-water mark on the ConnectWise sandbox: a rising count updates the PSA
 * once a day, effective the start of the current billing period; a falling count does not;
 * a day is never applied twice.
 */
import { randomUUID } from 'node:crypto';
import { connectMongo } from '../../activities/store';
import { createSeatCountActivities } from '../../activities/seat-count/seat-count.activities';
import { createUsageCountRepository, type UsageCountRepository } from '../../activities/seat-count/usage-counts';
import type { SeatCountRunResult } from '../../workflows/seat-count.workflow';
import { testDbUrl, testServers } from '../setup/servers';
import { startHarness, type Harness } from '../workflows/harness';

describe('seat-count mode (ConnectWise sandbox)', () => {
  let h: Harness;
  let usage: UsageCountRepository;
  let closeMongo: () => Promise<void>;
  let agreementId: number;
  let n = 0;

  const runFor = (day: string): Promise<SeatCountRunResult> =>
    h.client.workflow.execute('seatCountWorkflow', { taskQueue: h.taskQueue, workflowId: `seat-count/${h.connectionId}/${day}/${++n}`, args: [{ connectionId: h.connectionId, day }] });
  const seatLines = () => h.cw!.state.additions.filter((a) => a.agreementId === agreementId && String(a.description ?? '').includes('seat-1'));
  const writes = () => h.cw!.traffic.log().filter((r) => r.method !== 'GET');

  beforeAll(async () => {
    h = await startHarness('connectwise', 'seat_count');
    const { client, db } = await connectMongo(testDbUrl(testServers().mongoUrl, `seat_usage_${randomUUID().slice(0, 6)}`));
    closeMongo = () => client.close();
    usage = createUsageCountRepository(db);
    await h.startWorker((a) => ({ ...a, ...createSeatCountActivities({ store: h.store, gateways: h.gateways, usage }) }));

    const gateway = await h.gateways.forConnection(h.connectionId);
    const companyId = (await gateway.findCompanies('Acme Ltd'))[0]!.id;
    agreementId = (await gateway.listAgreements(companyId)).find((a) => a.name === 'Acme - Cloud Licensing')!.id; // monthly, from 2026-03-01
    const [item] = await gateway.findCatalogItems({ name: 'Microsoft 365 Business Premium' });
    await h.store.platform.upsertSubscription({ connectionId: h.connectionId,
      id: 'seat-1', customerId: 'cust-1', productId: 'prod-seat', provider: 'Generic Web Service', quantity: 0,
      unitPrice: '4.00', unitCost: '3.00', startDate: '2026-03-01', endDate: null, billingFrequency: 'monthly', status: 'active',
    });
    await h.store.mappings.products.markMapped(h.connectionId, 'prod-seat', { psaId: item!.id });
    await h.store.mappings.subscriptions.markMapped(h.connectionId, 'seat-1', {
      companyId, agreementId, productIds: { 'prod-seat': item!.id }, description: 'Seat licences seat-1', billing: { mode: 'seat-count' },
    }, { display: { productId: 'prod-seat' } });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await closeMongo?.();
  });

  it('bills the month high-water mark from the period start, rising only, once a day', async () => {
    await usage.report(h.connectionId, { subscriptionId: 'seat-1', counts: [{ date: '2026-05-03', count: 10 }] });
    h.cw!.traffic.clear();
    expect(await runFor('2026-05-03')).toMatchObject({ updated: 1 });
    expect(seatLines()).toEqual([expect.objectContaining({ quantity: 10, effectiveDate: '2026-05-01T00:00:00Z', cancelledDate: '2026-05-31T00:00:00Z' })]);
    expect(writes()).toHaveLength(1);

    // The same day again: at most once a day.
    await usage.report(h.connectionId, { subscriptionId: 'seat-1', counts: [{ date: '2026-05-03', count: 12 }] });
    h.cw!.traffic.clear();
    expect(await runFor('2026-05-03')).toMatchObject({ updated: 0, unchanged: 1 });
    expect(writes()).toHaveLength(0);

    // Next day: rose to 14 → one update of the same line, still effective 05-01.
    await usage.report(h.connectionId, { subscriptionId: 'seat-1', counts: [{ date: '2026-05-04', count: 14 }] });
    h.cw!.traffic.clear();
    expect(await runFor('2026-05-04')).toMatchObject({ updated: 1, details: [expect.objectContaining({ quantity: 14, effectiveDate: '2026-05-01' })] });
    expect(writes()).toHaveLength(1);
    expect(seatLines()).toEqual([expect.objectContaining({ quantity: 14, effectiveDate: '2026-05-01T00:00:00Z' })]);

    // Falls to 9: the month still bills 14, nothing written.
    await usage.report(h.connectionId, { subscriptionId: 'seat-1', counts: [{ date: '2026-05-05', count: 9 }] });
    h.cw!.traffic.clear();
    expect(await runFor('2026-05-05')).toMatchObject({ updated: 0, unchanged: 1 });
    expect(writes()).toHaveLength(0);

    // A new month starts its own high-water mark on its own line.
    await usage.report(h.connectionId, { subscriptionId: 'seat-1', counts: [{ date: '2026-06-01', count: 9 }] });
    expect(await runFor('2026-06-01')).toMatchObject({ updated: 1 });
    expect(seatLines().map((l) => [l.quantity, l.effectiveDate])).toEqual([
      [14, '2026-05-01T00:00:00Z'],
      [9, '2026-06-01T00:00:00Z'],
    ]);
  });
});
