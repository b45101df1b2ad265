/**
 * Issue 15, "Reconciliation at any size": the database commands of the month's listing and of an
 * accept, on the real FerretDB (the driver's command monitoring on the activities' own client).
 * On FerretDB 1.24 only a lone `_id` equality is an index lookup; any other filter, `skip` and a
 * count are scans of the whole collection. So the listing reads the platform subscriptions in
 * ONE query (its cursor's batches; no skip, no count per page) and every other read it makes is
 * by `_id`; an accept reads its mapping and the one line it sets by `_id`, never the
 * subscription's lines by `subscriptionId` (docs/reconciliation.md "Scaling").
 */
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { CommandStartedEvent, MongoClient } from 'mongodb';
import { createGatewayRegistry } from '../../activities/psa/gateway-registry';
import { mapConcurrent } from '../../activities/parallel';
import { createReconciliationActivities, LISTING_PAGE, type ListingProgress, type SubjectListing } from '../../activities/reconciliation/reconciliation.activities';
import { connectMongo, createStore, ensureIndexes, parseEncryptionKey, PLATFORM_SUBSCRIPTIONS, SUBSCRIPTION_LINES, type Store } from '../../activities/store';
import { CHUNK_SIZE, type ReconciliationFacts, type ReconciliationSubject } from '../../contracts/reconciliation';
import { DEFAULT_CW_SANDBOX_CREDENTIALS } from '../../sandbox/connectwise/auth';
import { startConnectWiseSandbox, type ConnectWiseSandbox } from '../../sandbox/connectwise/server';
import { testDbUrl, testServers } from '../setup/servers';

jest.setTimeout(300_000);

/** Three listing pages (500, 500, 100); every fourth subscription is not mapped and is not listed. */
const N = 2 * LISTING_PAGE + 100;
const PROVIDER = 'Microsoft CSP';
const MONTH = '2026-03';
const id = (i: number) => `sub-${String(i).padStart(4, '0')}`;
const linked = (i: number) => i % 4 !== 3;

/** A command as the test compares it: name, collection, and the filter's fields (`skip` when sent). */
interface Sent { command: string; collection: string; filter?: string[]; skip?: boolean }

describe('reconciliation round trips (real FerretDB, ConnectWise sandbox)', () => {
  let mongo: MongoClient;
  let store: Store;
  let cw: ConnectWiseSandbox;
  let activities: ReturnType<typeof createReconciliationActivities>;
  let gateways: ReturnType<typeof createGatewayRegistry>;
  let sent: Sent[] = [];
  let agreementId: number;
  const connectionId = 'cw-recon-rt';

  beforeAll(async () => {
    let db;
    ({ client: mongo, db } = await connectMongo(testDbUrl(testServers().mongoUrl, `recon_rt_${randomUUID().slice(0, 6)}`), { monitorCommands: true }));
    await ensureIndexes(db);
    mongo.on('commandStarted', (e: CommandStartedEvent) => {
      const c = e.command;
      const filter = (c.filter ?? c.query ?? c.q) as Record<string, unknown> | undefined;
      const collection = e.commandName === 'getMore' ? String(c.collection) : String(c[e.commandName]);
      sent.push({ command: e.commandName, collection, ...(filter ? { filter: Object.keys(filter).sort() } : {}), ...(c.skip ? { skip: true } : {}) });
    });
    store = createStore(db, { secretKeys: { current: parseEncryptionKey(Buffer.alloc(32, 5).toString('base64')) } });
    cw = await startConnectWiseSandbox({ port: 0, seed: 'demo', rateLimit: { limit: 0, windowMs: 10_000 } });
    const c = DEFAULT_CW_SANDBOX_CREDENTIALS;
    await store.connections.create({ id: connectionId, psa: 'connectwise', name: 'cw', settings: { baseUrl: cw.apiUrl, companyId: c.companyId, publicKey: c.publicKey, clientId: c.clientId }, secret: c.privateKey });
    gateways = createGatewayRegistry({ connections: store.connections, journal: { get: async () => null, begin: async () => new Map(), complete: async () => undefined } });
    activities = createReconciliationActivities({ store, gateways });

    const gateway = await gateways.forConnection(connectionId);
    const [company] = await gateway.findCompanies('Acme Ltd');
    const [agreement] = (await gateway.listAgreements(company!.id)).filter((a) => a.name.startsWith('Acme'));
    const [item] = await gateway.findCatalogItems({ name: 'Microsoft 365 Business Premium' });
    agreementId = agreement!.id;
    await store.platform.upsertCustomer({ id: 'cust-acme', name: 'Acme Ltd' });
    await store.platform.upsertProduct({ id: 'm365-bp', name: 'Microsoft 365 Business Premium', partNumber: 'M365-BP', provider: PROVIDER, unitPrice: '22.00', unitCost: '18.70', billingFrequency: 'monthly' });
    await store.mappings.products.markMapped(connectionId, 'm365-bp', { psaId: item!.id, psaName: item!.name });
    await mapConcurrent([...Array(N).keys()], 8, async (i) => {
      await store.platform.upsertSubscription({
        connectionId, id: id(i), customerId: 'cust-acme', productId: 'm365-bp', provider: PROVIDER, quantity: 10, unitPrice: '22.00', unitCost: '18.70',
        startDate: `${MONTH}-01`, endDate: null, billingFrequency: 'monthly', status: 'active', kind: i === 0 ? 'iaas' : 'saas',
      });
      if (linked(i)) await store.mappings.subscriptions.markMapped(connectionId, id(i), { companyId: company!.id, agreementId, productIds: {}, description: `Subscription ${id(i)}` });
    });
    // Another provider's subscription on the connection, and lines of other subscriptions: neither is read.
    await store.platform.upsertSubscription({
      connectionId, id: 'aws-1', customerId: 'cust-acme', productId: 'm365-bp', provider: 'AWS', quantity: 1, unitPrice: '1.00', unitCost: '1.00',
      startDate: `${MONTH}-01`, endDate: null, billingFrequency: 'monthly', status: 'active', kind: 'saas',
    });
    for (let i = 1; i < 20; i++) if (linked(i)) await store.mappings.subscriptions.setLineIds(connectionId, id(i), { [`${id(i)}/m365-bp/base/${MONTH}-01`]: 90_000 + i });
  });
  afterAll(async () => {
    await mongo?.close();
    await cw?.close();
  });

  it('lists the month in one query of the platform subscriptions: no skip, no count, every other read by `_id`', async () => {
    const key = { connectionId, provider: PROVIDER, month: MONTH };
    const env = new MockActivityEnvironment();
    const beats: ListingProgress[] = [];
    env.on('heartbeat', (d: ListingProgress) => beats.push(d));
    sent = [];
    const listed: SubjectListing = await env.run(activities.listReconciliationSubjects, key);

    const mapped = [...Array(N).keys()].filter(linked).length;
    expect(listed).toEqual({ psa: 'connectwise', chunks: [{ chunk: 0, items: CHUNK_SIZE }, { chunk: 1, items: mapped - CHUNK_SIZE }], subjects: mapped, added: mapped });
    // A heartbeat after each page of platform subscriptions, naming its last one.
    expect(beats).toEqual([{ after: id(LISTING_PAGE - 1) }, { after: id(2 * LISTING_PAGE - 1) }, { after: id(N - 1) }]);

    // The platform subscriptions: one query, read on through its cursor (getMore: its next batches).
    expect(sent.filter((s) => s.collection === PLATFORM_SUBSCRIPTIONS && s.command !== 'getMore')).toEqual([{ command: 'find', collection: PLATFORM_SUBSCRIPTIONS, filter: ['connectionId', 'provider'] }]);
    // No count and no skip anywhere; every other find is a lone `_id` equality (an index lookup on FerretDB).
    expect(sent.filter((s) => s.command === 'count' || s.command === 'aggregate' || s.skip)).toEqual([]);
    const others = sent.filter((s) => s.command === 'find' && s.collection !== PLATFORM_SUBSCRIPTIONS);
    expect(others.length).toBeGreaterThan(0);
    expect(others.filter((s) => s.filter?.join() !== '_id')).toEqual([]);

    // Resumed after its second page (the heartbeat a killed attempt left): one query again, from there on.
    sent = [];
    const resumed: SubjectListing = await new MockActivityEnvironment({ heartbeatDetails: beats[1], attempt: 2 }).run(activities.listReconciliationSubjects, key);
    expect(resumed).toMatchObject({ chunks: listed.chunks, added: 0 });
    expect(sent.filter((s) => s.command === 'find' && s.collection === PLATFORM_SUBSCRIPTIONS)).toEqual([{ command: 'find', collection: PLATFORM_SUBSCRIPTIONS, filter: ['_id', 'connectionId', 'provider'] }]);
    expect(sent.filter((s) => s.command === 'find' && s.collection === 'subscription_mappings')).toHaveLength(N - 2 * LISTING_PAGE);

    // Heartbeat details of the former shape (`{ skip }`) carry no position: the listing starts over and adds nothing.
    const old: SubjectListing = await new MockActivityEnvironment({ heartbeatDetails: { skip: LISTING_PAGE }, attempt: 2 }).run(activities.listReconciliationSubjects, key);
    expect(old).toEqual({ ...listed, added: 0 });
  });

  it('an accept reads its mapping and the line it sets by `_id`, never the lines by subscription', async () => {
    const gateway = await gateways.forConnection(connectionId);
    const mapping = await store.mappings.subscriptions.get(connectionId, id(0));
    const lineKey = `${id(0)}/m365-bp/base/${MONTH}-01`;
    const product = await store.mappings.products.get(connectionId, 'm365-bp');
    const [base] = await gateway.apply({ companyId: mapping!.companyId!, agreementId, productIds: { 'm365-bp': product!.psaId! }, description: mapping!.description! }, [{
      idempotencyKey: 'setup/iaas',
      operation: { type: 'cw.create-addition', addition: { lineKey, subscriptionId: id(0), productId: 'm365-bp', kind: 'base', quantity: 1, unitPrice: '100.00', unitCost: '80.00', effectiveDate: `${MONTH}-01`, cancelledDate: null } },
    }], {});
    await store.mappings.subscriptions.setLineIds(connectionId, id(0), { [lineKey]: base!.psaId!, [`${id(0)}/m365-bp/delta/${MONTH}-10`]: 99_999 });
    const run = { connectionId, provider: PROVIDER, month: MONTH, psa: 'connectwise' as const };
    const subject: ReconciliationSubject = { subscriptionId: id(0), customerId: 'cust-acme', productId: 'm365-bp', kind: 'iaas', agreementId };
    const accept = (s: ReconciliationSubject, facts: ReconciliationFacts) => new MockActivityEnvironment().run(activities.postAcceptedReconciliation, { ...run, subject: s, facts });

    // IaaS: the base line set to the invoiced totals; the gateway needs that line's id only.
    sent = [];
    await accept(subject, { invoices: { reseller: true, customer: true }, platform: { quantity: 1, cost: '85.00', price: '110.00' }, psa: { ok: true, values: { quantity: 1, cost: '80.00', price: '100.00' } }, lineKey });
    expect(cw.state.additions.find((a) => a.id === base!.psaId)).toMatchObject({ unitCost: 85, unitPrice: 110 });
    expect(sent.filter((s) => s.collection === SUBSCRIPTION_LINES)).toEqual([{ command: 'find', collection: SUBSCRIPTION_LINES, filter: ['_id'] }]);
    expect(sent.filter((s) => s.collection === 'subscription_mappings')).toEqual([{ command: 'find', collection: 'subscription_mappings', filter: ['_id'] }]);

    // SaaS: a new line for the month; no existing line is touched, so none is read.
    sent = [];
    const before = cw.state.additions.length;
    await accept({ ...subject, subscriptionId: id(1), kind: 'saas' }, { invoices: { reseller: true, customer: true }, platform: { quantity: 10, cost: '187.00', price: '224.00' }, psa: { ok: true, values: { quantity: 10, cost: '187.00', price: '220.00' } } });
    expect(cw.state.additions.length).toBe(before + 1);
    expect(sent.filter((s) => s.collection === SUBSCRIPTION_LINES)).toEqual([]);
    expect(sent.filter((s) => s.collection === 'subscription_mappings')).toEqual([{ command: 'find', collection: 'subscription_mappings', filter: ['_id'] }]);
  });
});
