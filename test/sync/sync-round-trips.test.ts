/**
 * Issue 15, "Global sync per-record cost": what one page of the global sync costs per record, on
 * the real FerretDB and the ConnectWise sandbox — the database commands `syncPage` sends (the
 * driver's command monitoring on the activities' own client) and the PSA requests it makes (the
 * sandbox's request log). Per page: the connection, the page of mappings and ONE query for the
 * page's platform records; per pushed record: one PATCH, one read and one update of its mapping,
 * each by `_id` alone (never a findAndModify or a filter with more than `_id`: FerretDB scans the
 * collection for those, O(N²) for a sync);
 * per unchanged record: nothing. The figures are stated in docs/operations.md "Global sync".
 */
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { CommandStartedEvent, MongoClient } from 'mongodb';
import { createGatewayRegistry } from '../../activities/psa/gateway-registry';
import { connectMongo, createStore, ensureIndexes, parseEncryptionKey, type Store } from '../../activities/store';
import { createGlobalSyncActivities, type SyncPageResult } from '../../activities/sync/global-sync.activities';
import { DEFAULT_CW_SANDBOX_CREDENTIALS } from '../../sandbox/connectwise/auth';
import { startConnectWiseSandbox, type ConnectWiseSandbox } from '../../sandbox/connectwise/server';
import { testDbUrl, testServers } from '../setup/servers';

jest.setTimeout(120_000);

const N = 6;

describe('one global sync page (real FerretDB, ConnectWise sandbox)', () => {
  let mongo: MongoClient;
  let store: Store;
  let cw: ConnectWiseSandbox;
  let activities: ReturnType<typeof createGlobalSyncActivities>;
  let commands: string[] = [];
  const connectionId = 'cw-sync-rt';
  const ids = Array.from({ length: N }, (_, i) => `cust-rt-${i}`);

  beforeAll(async () => {
    let db;
    ({ client: mongo, db } = await connectMongo(testDbUrl(testServers().mongoUrl, `sync_rt_${randomUUID().slice(0, 6)}`), { monitorCommands: true }));
    await ensureIndexes(db);
    // Each command with "by _id" when its filter is a lone `_id` equality (what FerretDB answers from an index).
    const byId = (filter: unknown) => (filter && typeof filter === 'object' && Object.keys(filter).join() === '_id' && typeof (filter as { _id: unknown })._id === 'string' ? ' by _id' : '');
    mongo.on('commandStarted', (e: CommandStartedEvent) => {
      const filter = e.commandName === 'update' ? (e.command.updates as Array<{ q: unknown }>)[0]?.q : e.command.filter;
      commands.push(`${e.commandName} ${String(e.command[e.commandName])}${byId(filter)}`);
    });
    store = createStore(db, { secretKeys: { current: parseEncryptionKey(Buffer.alloc(32, 5).toString('base64')) } });
    cw = await startConnectWiseSandbox({ port: 0, seed: 'demo', rateLimit: { limit: 0, windowMs: 10_000 } });
    const c = DEFAULT_CW_SANDBOX_CREDENTIALS;
    await store.connections.create({ id: connectionId, psa: 'connectwise', name: 'cw', settings: { baseUrl: cw.apiUrl, companyId: c.companyId, publicKey: c.publicKey, clientId: c.clientId }, secret: c.privateKey });
    const gateways = createGatewayRegistry({ connections: store.connections, journal: { get: async () => null, begin: async () => new Map(), complete: async () => undefined } });
    activities = createGlobalSyncActivities({ store, gateways });
    const gateway = await gateways.forConnection(connectionId);
    for (const [i, id] of ids.entries()) {
      await store.platform.upsertCustomer({ id, name: `Round Trip ${i}`, city: 'Leeds' });
      const { id: psaId } = await gateway.createCompany({ name: `Round Trip ${i}`, identifier: `RT${i}` });
      await store.mappings.customers.markMapped(connectionId, id, { psaId }, { display: { label: `Round Trip ${i}` } });
    }
  });
  afterAll(async () => {
    await mongo?.close();
    await cw?.close();
  });

  /** One page over the N customers, with the commands and PSA requests it made. */
  async function page() {
    // The connection is read (and its gateway built) once before counting: a warm worker.
    await activities.planGlobalSync({ connectionId });
    commands = [];
    cw.traffic.clear();
    const result: SyncPageResult = await new MockActivityEnvironment().run(activities.syncPage, { connectionId, kind: 'customer' as const, skip: 0, limit: N });
    const perCollection = (name: string) => commands.filter((c) => c.startsWith(`${name} `));
    return { result, commands: [...commands], updates: perCollection('update'), psa: cw.traffic.log().map((r) => `${r.method} ${r.route.replace(/^.*\/apis\/3\.0/, '')}`) };
  }

  it(`pushing ${N} records: one PATCH and one mapping update each, and a fixed few commands per page`, async () => {
    const first = await page();
    expect(first.result).toMatchObject({ pushed: N, failed: 0 });
    expect(first.psa).toEqual(Array(N).fill('PATCH /company/companies/:id'));
    expect(first.updates).toEqual(Array(N).fill('update customer_mappings by _id'));
    expect(first.commands.filter((c) => c === 'find customer_mappings by _id')).toHaveLength(N);
    expect(first.commands.filter((c) => c.startsWith('findAndModify'))).toEqual([]);
    const perRecord = (c: string) => c.startsWith('update ') || c === 'find customer_mappings by _id';
    const perPage = first.commands.filter((c) => !perRecord(c));
    // The connection, the mappings page (find + count) and the platform records (one find).
    expect(perPage).toEqual(['find connections by _id', 'find customer_mappings', 'aggregate customer_mappings', 'find platform_customers']);

    // Two changed: two PATCHes, two updates, the same per-page commands.
    for (const id of ids.slice(0, 2)) await store.platform.upsertCustomer({ id, name: `Round Trip ${id}`, city: 'York' });
    const second = await page();
    expect(second.result).toMatchObject({ pushed: 2, unchanged: N - 2 });
    expect(second.psa).toHaveLength(2);
    expect(second.updates).toHaveLength(2);
    expect(second.commands.filter((c) => !perRecord(c))).toEqual(perPage);

    // Nothing changed: no PSA request, no write.
    const third = await page();
    expect(third.result).toMatchObject({ pushed: 0, unchanged: N });
    expect(third.psa).toEqual([]);
    expect(third.commands.filter((c) => !perRecord(c))).toEqual(perPage);
    expect(third.updates).toEqual([]);
    expect(third.commands.filter((c) => c === 'find customer_mappings by _id')).toEqual([]);
    expect((await store.mappings.customers.get(connectionId, ids[0]!))).toMatchObject({ status: 'mapped', contentHash: expect.any(String) });
  });
});
