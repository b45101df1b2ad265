/**
 * The cost of one PSA step on the hot path (issue 15 "Fewer round trips per PSA write"), on the
 * real FerretDB and the PSA sandboxes: the database commands the `applyOperations` activity
 * sends (the driver's command monitoring on the activities' own client) and the PSA requests it
 * makes (the sandbox's request log). A warm one-operation step is ≤ 3 commands — the journal's
 * begin (an insert) and completion, and the line document — with no read, and exactly one PSA
 * request (Autotask: no read before an adjustment). Exactly-once holds: a retried step writes
 * nothing to the PSA again, and a crash between the PSA write and the journal leaves one line.
 * The figures are stated in docs/worker-tuning.md.
 */
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { CommandStartedEvent, Db, MongoClient } from 'mongodb';
import { createActivities } from '../../activities';
import { createGatewayRegistry } from '../../activities/psa/gateway-registry';
import type { KeyedOperation, OperationJournal } from '../../activities/psa/psa-gateway.port';
import { connectMongo, createStore, ensureIndexes, OPERATION_JOURNAL, parseEncryptionKey, SUBSCRIPTION_LINES, type Store } from '../../activities/store';
import type { StepOutcome } from '../../activities/subscription.activities';
import type { SubscriptionPlacement } from '../../contracts/subscription';
import type { PsaOperation } from '../../domain/psa-operations';
import { DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS, startAutotaskSandbox } from '../../sandbox/autotask/server';
import { DEFAULT_CW_SANDBOX_CREDENTIALS } from '../../sandbox/connectwise/auth';
import { startConnectWiseSandbox } from '../../sandbox/connectwise/server';
import { testDbUrl, testServers } from '../setup/servers';

interface Command { name: string; collection: string }
interface PsaRequest { method: string; url: string }

/** One PSA, a connection on its sandbox, the activities on a monitored client. */
async function setup(psa: 'connectwise' | 'autotask') {
  const { client: mongo, db } = await connectMongo(testDbUrl(testServers().mongoUrl, `hot_${psa}_${randomUUID().slice(0, 6)}`), { monitorCommands: true });
  await ensureIndexes(db);
  const store = createStore(db, { secretKeys: { current: parseEncryptionKey(Buffer.alloc(32, 7).toString('base64')) } });
  const connectionId = `${psa}-hot`;
  let root: string;
  let closeSandbox: () => Promise<void>;
  if (psa === 'connectwise') {
    const cw = await startConnectWiseSandbox({ port: 0, seed: 'demo', rateLimit: { limit: 0, windowMs: 10_000 } });
    const c = DEFAULT_CW_SANDBOX_CREDENTIALS;
    await store.connections.create({ id: connectionId, psa, name: 'cw', settings: { baseUrl: cw.apiUrl, companyId: c.companyId, publicKey: c.publicKey, clientId: c.clientId }, secret: c.privateKey });
    root = cw.url;
    closeSandbox = () => cw.close();
  } else {
    const at = await startAutotaskSandbox({ port: 0, seed: 'demo' });
    const c = DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS;
    await store.connections.create({ id: connectionId, psa, name: 'at', settings: { discoveryUrl: at.url, username: c.username, integrationCode: c.integrationCode }, secret: c.secret });
    root = at.url;
    closeSandbox = () => at.close();
  }
  return { mongo, db, store, connectionId, root, closeSandbox };
}

describe.each(['connectwise', 'autotask'] as const)('one PSA step on %s (real FerretDB, sandbox)', (psa) => {
  let mongo: MongoClient;
  let db: Db;
  let store: Store;
  let connectionId: string;
  let root: string;
  let closeSandbox: () => Promise<void>;
  let placement: SubscriptionPlacement;
  let commands: Command[] = [];
  /** Set to make the journal's next completion fail (a crash after the PSA write, before the journal). */
  let crashBeforeCompletion = false;
  let activities: ReturnType<typeof createActivities>;
  const sub = 'sub-hot';
  const productId = 'm365-bp';

  beforeAll(async () => {
    ({ mongo, db, store, connectionId, root, closeSandbox } = await setup(psa));
    mongo.on('commandStarted', (e: CommandStartedEvent) => commands.push({ name: e.commandName, collection: String(e.command[e.commandName]) }));
    const journal: OperationJournal = {
      get: (k) => store.journal.get(k),
      begin: (ops) => store.journal.begin(ops),
      async complete(results) {
        if (crashBeforeCompletion) {
          crashBeforeCompletion = false;
          throw new Error('worker crashed after the PSA write, before the journal recorded it');
        }
        await store.journal.complete(results);
      },
    };
    const gateways = createGatewayRegistry({ connections: store.connections, journal });
    activities = createActivities({ store, gateways, subscriptions: { handOver: async () => undefined, state: async () => { throw new Error("not used by a step"); }, reportDrift: async () => undefined }, taskQueue: 'unused', db });
    // The demo customer's company and agreement, the product mapped to its catalog item / service.
    const gateway = await gateways.forConnection(connectionId);
    const [company] = await gateway.findCompanies('Acme Ltd');
    const [agreement] = await gateway.listAgreements(company!.id);
    const [item] = await gateway.findCatalogItems({ name: 'Microsoft 365 Business Premium' });
    await store.mappings.products.markMapped(connectionId, productId, { psaId: item!.id });
    placement = {
      psa, companyId: company!.id, agreementId: agreement!.id, agreement: { startDate: agreement!.startDate, periodType: 'monthly' },
      rules: { positiveChange: 'actual-date', negativeChange: 'actual-date', cancellation: 'cancellation-date' }, description: `${sub} M365 BP`,
    };
  });
  afterAll(async () => {
    await mongo.close();
    await closeSandbox();
  });

  const psaRequests = async (): Promise<PsaRequest[]> => ((await (await fetch(`${root}/__sandbox/requests`)).json()) as { log: PsaRequest[] }).log;
  const clearPsaRequests = () => fetch(`${root}/__sandbox/requests`, { method: 'DELETE' });
  const isRead = (r: PsaRequest) => r.method === 'GET' || /\/query\b/i.test(r.url);

  /** Runs one step as the activity, counting the database commands and PSA requests it makes. */
  async function step(operations: KeyedOperation[], lineIds: Record<string, number>, linkRecorded: boolean) {
    await clearPsaRequests();
    commands = [];
    const input = { connectionId, subscriptionId: sub, placement, operations, lineIds, ...(linkRecorded ? { linkRecorded } : {}) };
    const outcome: StepOutcome = await new MockActivityEnvironment().run(activities.applyOperations, input);
    return { outcome, commands: [...commands], requests: (await psaRequests()).filter((r) => !r.url.includes('/__sandbox')) };
  }
  const keyed = (step: number, operation: PsaOperation, i = 0): KeyedOperation => ({ idempotencyKey: `subscription/${connectionId}/${sub}/lin/${step}/${i}`, operation });
  const firstOp = (): PsaOperation =>
    psa === 'connectwise'
      ? { type: 'cw.create-addition', addition: { lineKey: `${sub}/base/1`, subscriptionId: sub, productId, kind: 'base', quantity: 10, unitPrice: '22.00', unitCost: '18.70', effectiveDate: '2026-03-01', cancelledDate: '2026-03-31' } }
      : { type: 'at.create-contract-service', service: { serviceKey: `${sub}/${productId}`, subscriptionId: sub, productId, unitPrice: '22.00', unitCost: '18.70' } };
  const laterOp = (n: number, lineKey: string): PsaOperation =>
    psa === 'connectwise'
      ? { type: 'cw.create-addition', addition: { lineKey: `${sub}/delta/${n}`, subscriptionId: sub, productId, kind: 'delta', quantity: n, unitPrice: '22.00', unitCost: '18.70', effectiveDate: `2026-03-1${n}`, cancelledDate: '2026-03-31' } }
      : { type: 'at.adjust-units', serviceKey: lineKey, effectiveDate: `2026-03-1${n}`, unitChange: n };
  const lineCount = () => db.collection(SUBSCRIPTION_LINES).countDocuments({ subscriptionId: sub });

  let lineKey: string;
  let lineIds: Record<string, number>;

  it('the first step (cold process, mapping document not yet linked) writes the line and links the mapping', async () => {
    const first = await step([keyed(0, firstOp())], {}, false);
    expect(first.outcome.refused).toBeNull();
    const applied = first.outcome.applied[0]!;
    lineKey = applied.lineKey;
    lineIds = { [lineKey]: applied.psaId! };
    const mapping = await store.mappings.subscriptions.get(connectionId, sub);
    expect(mapping).toMatchObject({ status: 'mapped', linked: true, agreementId: placement.agreementId, lineIds });
    // Cold: the product mappings are read once (then cached per process, like the connection,
    // which the set-up's look-ups already read); the writes are the journal's two, the line and — this once — the mapping document.
    const reads = ['find', 'aggregate', 'count'];
    expect(new Set(first.commands.filter((c) => reads.includes(c.name)).map((c) => c.collection))).toEqual(new Set(['product_mappings']));
    expect(first.commands.filter((c) => !reads.includes(c.name))).toEqual([
      { name: 'insert', collection: OPERATION_JOURNAL },
      { name: 'update', collection: OPERATION_JOURNAL },
      { name: 'update', collection: SUBSCRIPTION_LINES },
      { name: 'update', collection: 'subscription_mappings' },
    ]);
  });

  it('a warm one-operation step is at most 3 database commands, none a read, and one PSA request (no read first)', async () => {
    const { outcome, commands: cmds, requests } = await step([keyed(1, laterOp(1, lineKey))], lineIds, true);
    expect(outcome).toEqual({ refused: null, applied: [{ lineKey: expect.any(String), psaId: expect.any(Number), ...(psa === 'autotask' ? { effectiveDate: '2026-03-11' } : {}) }] });
    expect(cmds).toEqual([
      { name: 'insert', collection: OPERATION_JOURNAL },
      { name: 'update', collection: OPERATION_JOURNAL },
      { name: 'update', collection: SUBSCRIPTION_LINES },
    ]);
    expect(cmds.length).toBeLessThanOrEqual(3);
    expect(requests.map((r) => r.method)).toEqual(['POST']);
    expect(requests.filter(isRead)).toEqual([]);
    // The mapping still shows the step's time as its last sync (kept on the line document).
    const mapping = await store.mappings.subscriptions.get(connectionId, sub);
    expect(Date.parse(mapping!.lastSyncAt!)).toBeGreaterThanOrEqual(Date.parse(mapping!.updatedAt));
  });

  it('a step retried after it succeeded writes nothing to the PSA again and begins nothing twice', async () => {
    const op = keyed(2, laterOp(2, lineKey));
    const first = await step([op], lineIds, true);
    const journalBefore = await db.collection(OPERATION_JOURNAL).findOne({ _id: op.idempotencyKey as never });
    const again = await step([op], lineIds, true);
    expect(again.outcome.applied).toEqual([{ ...first.outcome.applied[0], replayed: true }]);
    expect(again.requests).toEqual([]);
    expect(await db.collection(OPERATION_JOURNAL).findOne({ _id: op.idempotencyKey as never })).toEqual(journalBefore);
    // The insert meets the key (the duplicate is the news), one read by id tells it is done, the line is re-recorded.
    expect(again.commands).toEqual([
      { name: 'insert', collection: OPERATION_JOURNAL },
      { name: 'find', collection: OPERATION_JOURNAL },
      { name: 'update', collection: SUBSCRIPTION_LINES },
    ]);
    expect(await lineCount()).toBe(psa === 'connectwise' ? 3 : 1);
  });

  it('a crash between the PSA write and the journal: the retry looks once and adopts, writing nothing twice', async () => {
    const op = keyed(3, laterOp(3, lineKey));
    crashBeforeCompletion = true;
    await expect(step([op], lineIds, true)).rejects.toThrow('before the journal recorded it');
    const writesBefore = (await psaRequests()).filter((r) => r.method === 'POST').length;
    expect(writesBefore).toBe(1);
    const retry = await step([op], lineIds, true);
    expect(retry.outcome.refused).toBeNull();
    expect(retry.outcome.applied[0]).not.toHaveProperty('replayed');
    // Only after a crash is the PSA read: the look finds the write, and nothing is posted again.
    expect(retry.requests.filter((r) => r.method === 'POST')).toEqual([]);
    expect(retry.requests.filter(isRead).length).toBeGreaterThan(0);
    expect((await store.journal.get(op.idempotencyKey))?.state).toBe('done');
    expect(await lineCount()).toBe(psa === 'connectwise' ? 4 : 1);
  });
});
