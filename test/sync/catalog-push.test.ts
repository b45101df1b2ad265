/**
 * §7 service catalog push (Autotask sandbox) through the activity the admin command uses, and
 * the gateways' new record updates: statuses synced / error, the duplicate-name failure.
 */
import { randomUUID } from 'node:crypto';
import { connectMongo, createStore, ensureIndexes, parseEncryptionKey, type Store } from '../../activities/store';
import { createGatewayRegistry } from '../../activities/psa/gateway-registry';
import { createServiceCatalogActivities } from '../../activities/sync/service-catalog.activities';
import { DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS, startAutotaskSandbox, type AutotaskSandbox } from '../../sandbox/autotask/server';
import { testDbUrl, testServers } from '../setup/servers';

describe('service catalog push (Autotask sandbox)', () => {
  let at: AutotaskSandbox;
  let store: Store;
  let close: () => Promise<void>;
  let catalog: ReturnType<typeof createServiceCatalogActivities>;
  const conn = 'at-catalog';

  beforeAll(async () => {
    at = await startAutotaskSandbox({ port: 0, seed: 'demo' });
    const { client, db } = await connectMongo(testDbUrl(testServers().mongoUrl, `catalog_${randomUUID().slice(0, 6)}`));
    close = () => client.close();
    await ensureIndexes(db);
    store = createStore(db, { secretKeys: { current: parseEncryptionKey(Buffer.alloc(32, 7).toString('base64')) } });
    const c = DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS;
    await store.connections.create({ id: conn, psa: 'autotask', name: 'Autotask sandbox', settings: { discoveryUrl: at.url, username: c.username, integrationCode: c.integrationCode }, secret: c.secret });
    catalog = createServiceCatalogActivities({ store, gateways: createGatewayRegistry({ connections: store.connections, journal: store.journal }), db });
  });
  afterAll(async () => {
    await close?.();
    await at?.close();
  });

  const plan = (key: string, name: string) => ({ key, name, unitCost: '5.00', unitPrice: '8.50', periodType: 'monthly' as const, billingCodeId: 29682803 });

  it('pushes every plan; each ends synced; pushing again updates the same services', async () => {
    const results = await catalog.pushServiceCatalog({ connectionId: conn, plans: [plan('wp-lic-m', 'Workplace License (Monthly)'), plan('wp-sto-m', 'Workplace Storage (Monthly)')] });
    expect(results.map((r) => r.status)).toEqual(['synced', 'synced']);
    const created = at.state.services.filter((s) => s.externalID?.startsWith('wp-'));
    expect(created.map((s) => [s.name, s.unitPrice, s.unitCost])).toEqual([
      ['Workplace License (Monthly)', 8.5, 5],
      ['Workplace Storage (Monthly)', 8.5, 5],
    ]);
    await catalog.pushServiceCatalog({ connectionId: conn, plans: [{ ...plan('wp-lic-m', 'Workplace License (Monthly)'), unitPrice: '9.00' }, plan('wp-sto-m', 'Workplace Storage (Monthly)')] });
    expect(at.state.services.filter((s) => s.externalID?.startsWith('wp-'))).toHaveLength(2);
    expect(at.state.services.find((s) => s.externalID === 'wp-lic-m')!.unitPrice).toBe(9);
    expect((await catalog.serviceCatalogStatus({ connectionId: conn })).map((s) => [s.key, s.status])).toEqual([
      ['wp-lic-m', 'synced'],
      ['wp-sto-m', 'synced'],
    ]);
  });

  it('a name clash with an MSP service fails the push, naming the name, and writes nothing', async () => {
    const before = at.state.services.length;
    await expect(
      catalog.pushServiceCatalog({ connectionId: conn, plans: [plan('wp-new', 'Brand New Service'), plan('clash', 'Microsoft 365 Business Basic (Monthly)')] }),
    ).rejects.toThrow(/Microsoft 365 Business Basic \(Monthly\)" already exists/);
    expect(at.state.services.length).toBe(before);
    const rows = await catalog.serviceCatalogStatus({ connectionId: conn });
    expect(rows.find((r) => r.key === 'clash')).toMatchObject({ status: 'error', error: expect.stringMatching(/names must be unique/) });
    expect(rows.find((r) => r.key === 'wp-new')).toMatchObject({ status: 'error' });
  });

  it('two plans with one name fail before Autotask is asked', async () => {
    await expect(catalog.pushServiceCatalog({ connectionId: conn, plans: [plan('a', 'Same Name'), plan('b', 'same name')] })).rejects.toThrow(/used by plans a and b/);
  });

  it('plans default to the platform products with the given billing code; bad input is a 400-style problem list', async () => {
    await store.platform.upsertProduct({ id: 'prod-x', name: 'Backup 1 TB', partNumber: 'BK-1TB', provider: 'Generic Web Service', unitPrice: '30.00', unitCost: '20.00', billingFrequency: 'yearly' });
    const results = await catalog.pushServiceCatalog({ connectionId: conn, billingCodeId: 29682803 });
    expect(results).toEqual([expect.objectContaining({ key: 'prod-x', status: 'synced' })]);
    expect(at.state.services.find((s) => s.externalID === 'prod-x')).toMatchObject({ name: 'Backup 1 TB', periodType: 4, unitPrice: 30 });
    await expect(catalog.pushServiceCatalog({ connectionId: conn })).rejects.toThrow(/billingCodeId/);
  });

  it('the Autotask gateway updates a service and a company, reporting what it cannot write', async () => {
    const gateway = await createGatewayRegistry({ connections: store.connections, journal: store.journal }).forConnection(conn);
    expect(await gateway.updateCatalogItem(3002, { name: 'M365 Basic', unitPrice: '6.50', partNumber: 'SKU-2', provider: 'Microsoft' })).toEqual({
      written: ['name', 'partNumber', 'unitPrice'],
      unsupported: ['provider'],
    });
    expect(at.state.services.find((s) => s.id === 3002)).toMatchObject({ name: 'M365 Basic', unitPrice: 6.5, sku: 'SKU-2' });
    expect(await gateway.updateCompany(1001, { name: 'Acme Corp.', country: 'UK' })).toEqual({ written: ['name'], unsupported: ['country'] });
    expect(at.state.companies.find((c) => c.id === 1001)!.companyName).toBe('Acme Corp.');
  });
});
