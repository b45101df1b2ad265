/**
 * The ConnectWise gateway, written once and run against every available target: the
 * in-process sandbox always, and a real ConnectWise when CW_URL, CW_COMPANY_ID, CW_PUBLIC_KEY,
 * CW_PRIVATE_KEY and CW_CLIENT_ID are set (writes there also need CW_AGREEMENT_ID and
 * CW_CATALOG_ITEM_ID: an agreement and a catalog item the suite may add lines to).
 * Fault-injection tests need the sandbox's control routes and run against it only.
 */
import { createConnectWiseClient, type ConnectWiseCredentials } from '../../activities/psa/connectwise/connectwise-client';
import { createConnectWiseGateway, type ConnectWiseGatewayDeps } from '../../activities/psa/connectwise/connectwise-gateway';
import { operationTag } from '../../activities/psa/connectwise/operation-tag';
import { PsaError } from '../../activities/psa/http/psa-error';
import { applyLikeTheActivity } from '../support/apply-like-the-activity';
import { createMemoryJournal, type MemoryJournal } from '../support/memory-journal';
import type { KeyedOperation, PsaGateway, PsaTarget } from '../../activities/psa/psa-gateway.port';
import type { CwAddition, CwOperation } from '../../domain/psa-operations';
import { seededRandom } from '../../sandbox/shared/faults';
import { startConnectWiseSandbox, type ConnectWiseSandbox } from '../../sandbox/connectwise/server';

interface Target {
  name: string;
  baseUrl: string;
  credentials: ConnectWiseCredentials;
  /** An agreement and catalog item lines may be written to, or null when writes are off. */
  writable: { agreementId: number; catalogItemId: number; startDate: string } | null;
  sandbox?: ConnectWiseSandbox;
  close(): Promise<void>;
}

async function sandboxTarget(): Promise<Target> {
  const sandbox = await startConnectWiseSandbox({ seed: 'demo', rateLimit: { limit: 0, windowMs: 1 } });
  const acme = sandbox.state.agreements.find((a) => String(a.name).startsWith('Acme'))!;
  const bp = sandbox.state.catalog.find((c) => c.identifier === 'M365-BP')!;
  return {
    name: 'sandbox',
    baseUrl: sandbox.apiUrl,
    credentials: sandbox.credentials,
    writable: { agreementId: acme.id, catalogItemId: bp.id, startDate: String(acme.billStartDate).slice(0, 10) },
    sandbox,
    close: () => sandbox.close(),
  };
}

function realTarget(): Target | null {
  const e = process.env;
  if (!e.CW_URL || !e.CW_COMPANY_ID || !e.CW_PUBLIC_KEY || !e.CW_PRIVATE_KEY || !e.CW_CLIENT_ID) {
    console.info('ConnectWise contract tests: real target skipped (set CW_URL, CW_COMPANY_ID, CW_PUBLIC_KEY, CW_PRIVATE_KEY, CW_CLIENT_ID)');
    return null;
  }
  const writable = e.CW_AGREEMENT_ID && e.CW_CATALOG_ITEM_ID
    ? { agreementId: Number(e.CW_AGREEMENT_ID), catalogItemId: Number(e.CW_CATALOG_ITEM_ID), startDate: e.CW_LINE_START_DATE ?? new Date().toISOString().slice(0, 10) }
    : null;
  if (!writable) console.info('ConnectWise contract tests: writes on the real target skipped (set CW_AGREEMENT_ID and CW_CATALOG_ITEM_ID)');
  return {
    name: 'real ConnectWise',
    baseUrl: e.CW_URL,
    credentials: { companyId: e.CW_COMPANY_ID, publicKey: e.CW_PUBLIC_KEY, privateKey: e.CW_PRIVATE_KEY, clientId: e.CW_CLIENT_ID },
    writable,
    close: async () => {},
  };
}

const targets: { name: string; make: () => Promise<Target> }[] = [{ name: 'sandbox', make: sandboxTarget }];
const real = realTarget();
if (real) targets.push({ name: real.name, make: async () => real });

/** Lets a test run fast against the sandbox: retries wait 1 ms whatever Retry-After says. */
const fastSleep = async (): Promise<void> => new Promise((r) => setTimeout(r, 1));

let run = 0;
const uniqueKey = (label: string): string => `subscription/test/${label}/${process.pid}/${Date.now()}/${run++}`;

describe.each(targets)('ConnectWise gateway against $name', ({ make }) => {
  let target: Target;
  let journal: MemoryJournal;
  let gateway: PsaGateway;
  const gatewayDeps = (over: Partial<ConnectWiseGatewayDeps> = {}): ConnectWiseGatewayDeps => ({
    baseUrl: target.baseUrl,
    credentials: target.credentials,
    journal,
    ...(target.sandbox ? { sleep: fastSleep } : {}),
    ...over,
  });

  beforeAll(async () => {
    target = await make();
  });
  afterAll(async () => target.close());
  beforeEach(() => {
    journal = createMemoryJournal();
    gateway = createConnectWiseGateway(gatewayDeps());
  });

  const psaTarget = (): PsaTarget => ({
    companyId: 0,
    agreementId: target.writable!.agreementId,
    productIds: { 'm365-bp': target.writable!.catalogItemId },
    description: 'psa-connector test sub-123',
  });
  const addition = (lineKey: string, over: Partial<CwAddition> = {}): CwAddition => ({
    lineKey,
    subscriptionId: 'sub-123',
    productId: 'm365-bp',
    kind: 'base',
    quantity: 10,
    unitPrice: '22.00',
    unitCost: '18.70',
    effectiveDate: target.writable!.startDate,
    cancelledDate: null,
    ...over,
  });
  const keyed = (operation: CwOperation, key = uniqueKey('op')): KeyedOperation => ({ idempotencyKey: key, operation });
  const linesWithTag = async (key: string): Promise<number> => {
    const client = createConnectWiseClient({ baseUrl: target.baseUrl, credentials: target.credentials });
    const { items } = await client.additions.list(target.writable!.agreementId, { conditions: `description like "*${operationTag(key)}*"` });
    return items.length;
  };
  const itWrites = (name: string, fn: () => Promise<void>, timeout?: number): void =>
    (target?.writable === null ? test.skip : test)(name, async () => {
      if (!target.writable) return;
      await fn();
    }, timeout);

  test('testCredentials passes with good credentials', async () => {
    await expect(gateway.testCredentials()).resolves.toBeUndefined();
  });

  test('bad credentials → PsaError kind auth, message free of the secret', async () => {
    const wrong = { ...target.credentials, privateKey: `${target.credentials.privateKey}-WRONG` };
    const error = (await createConnectWiseGateway(gatewayDeps({ credentials: wrong })).testCredentials().catch((e: unknown) => e)) as PsaError;
    expect(error).toBeInstanceOf(PsaError);
    expect(error.kind).toBe('auth');
    expect(error.retryable).toBe(false);
    expect(`${error.message} ${JSON.stringify(error)}`).not.toContain(wrong.privateKey);
  });

  test('findCompanies ranks by closeness to the name', async () => {
    const all = await createConnectWiseClient({ baseUrl: target.baseUrl, credentials: target.credentials }).companies.list({ pageSize: 1 });
    const name = all.items[0]!.name;
    const matches = await gateway.findCompanies(name, 5);
    expect(matches[0]).toMatchObject({ name, score: 1 });
    expect(matches.map((m) => m.score)).toEqual([...matches.map((m) => m.score)].sort((a, b) => b - a));
  });

  test('findCompanies finds the right company first despite typos (server-side filter on word fragments)', async () => {
    if (!target.sandbox) return; // the demo seed's companies
    expect((await gateway.findCompanies('Inittech', 5))[0]).toMatchObject({ name: 'Initech LLC' });
    expect((await gateway.findCompanies('Umbrela Helth', 5))[0]).toMatchObject({ name: 'Umbrella Health GmbH' });
  });

  test('listAgreements of a company maps start date, end date and period', async () => {
    const agreement = await createConnectWiseClient({ baseUrl: target.baseUrl, credentials: target.credentials }).agreements.list({ pageSize: 1 });
    const companyId = agreement.items[0]!.company.id;
    const summaries = await gateway.listAgreements(companyId);
    expect(summaries.length).toBeGreaterThan(0);
    for (const s of summaries) {
      expect(s.companyId).toBe(companyId);
      expect(s.startDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(['monthly', 'yearly']).toContain(s.periodType);
    }
  });

  itWrites('create, update and delete additions; readLine reads quantity, prices, invoiced', async () => {
    const t = psaTarget();
    const [created] = await gateway.apply(t, [keyed({ type: 'cw.create-addition', addition: addition('base-1') })], {});
    expect(created).toMatchObject({ lineKey: 'base-1', replayed: false, psaId: expect.any(Number) });
    const id = created!.psaId!;
    expect(await gateway.readLine(t, id)).toEqual({
      psaId: id, quantity: 10, unitPrice: '22.00', unitCost: '18.70', invoiced: false, effectiveDate: target.writable!.startDate, cancelledDate: null,
    });

    await gateway.apply(t, [keyed({ type: 'cw.update-addition', lineKey: 'base-1', set: { quantity: 14, unitPrice: '21.50', cancelledDate: '2027-02-28' } })], { 'base-1': id });
    expect(await gateway.readLine(t, id)).toMatchObject({ quantity: 14, unitPrice: '21.50' });

    const [deleted] = await gateway.apply(t, [keyed({ type: 'cw.delete-addition', lineKey: 'base-1' })], { 'base-1': id });
    expect(deleted).toMatchObject({ psaId: null, replayed: false });
    await expect(gateway.readLine(t, id)).rejects.toMatchObject({ kind: 'not-found' });
  });

  itWrites('listLines reads every addition of the agreement, hand-made ones too (adoption, drift)', async () => {
    const t = psaTarget();
    const client = createConnectWiseClient({ baseUrl: target.baseUrl, credentials: target.credentials });
    // As an MSP billing by hand makes it: no tag, its own description and price, no end.
    const hand = await client.additions.create(t.agreementId, {
      product: { id: target.writable!.catalogItemId }, billCustomer: 'Billable', quantity: 7, unitPrice: 19.99, unitCost: 18.7,
      effectiveDate: `${target.writable!.startDate}T12:00:00Z`, description: 'Microsoft 365 BP (by hand)',
    });
    const [ours] = await gateway.apply(t, [keyed({ type: 'cw.create-addition', addition: addition('base-list', { cancelledDate: '2027-02-28' }) })], {});
    const lines = await gateway.listLines(t.agreementId);
    expect(lines.find((l) => l.psaId === hand.id)).toEqual({
      psaId: hand.id, psaProductId: target.writable!.catalogItemId, quantity: 7, unitPrice: '19.99', unitCost: '18.70',
      effectiveDate: target.writable!.startDate, cancelledDate: null, description: 'Microsoft 365 BP (by hand)',
    });
    expect(lines.find((l) => l.psaId === ours!.psaId)).toMatchObject({ quantity: 10, unitPrice: '22.00', cancelledDate: '2027-02-28', description: expect.stringContaining('sub-123') });
    await gateway.apply(t, [keyed({ type: 'cw.delete-addition', lineKey: 'base-list' })], { 'base-list': ours!.psaId! });
    await client.additions.delete(t.agreementId, hand.id);
  });

  itWrites('the same key applied twice creates one line', async () => {
    const op = keyed({ type: 'cw.create-addition', addition: addition('base-2') });
    const [first] = await gateway.apply(psaTarget(), [op], {});
    const [second] = await gateway.apply(psaTarget(), [op], {});
    expect(second).toEqual({ ...first, replayed: true });
    expect(await linesWithTag(op.idempotencyKey)).toBe(1);
  });

  itWrites('a crash after the PSA write and before the journal records it, then a retry → still one line', async () => {
    const op = keyed({ type: 'cw.create-addition', addition: addition('base-3') });
    journal.failNextComplete();
    await expect(gateway.apply(psaTarget(), [op], {})).rejects.toThrow(/simulated crash/);
    expect(await linesWithTag(op.idempotencyKey)).toBe(1);
    const [retried] = await gateway.apply(psaTarget(), [op], {});
    expect(retried).toMatchObject({ replayed: false, psaId: expect.any(Number) });
    expect(await linesWithTag(op.idempotencyKey)).toBe(1);
    expect((await journal.get(op.idempotencyKey))?.state).toBe('done');
  });

  itWrites('a validation refusal surfaces the PSA message and is not retried', async () => {
    const early = keyed({ type: 'cw.create-addition', addition: addition('base-4', { effectiveDate: '1990-01-01' }) });
    const error = (await gateway.apply(psaTarget(), [early], {}).catch((e: unknown) => e)) as PsaError;
    expect(error).toMatchObject({ kind: 'validation', retryable: false });
    expect(error.message).toMatch(/effectiveDate/);
  });
});

describe('ConnectWise gateway under injected faults (sandbox)', () => {
  let sandbox: ConnectWiseSandbox;
  let target: PsaTarget;
  beforeAll(async () => {
    sandbox = await startConnectWiseSandbox({ seed: 'demo', rateLimit: { limit: 0, windowMs: 1 }, faultSeed: 42 });
    const acme = sandbox.state.agreements.find((a) => String(a.name).startsWith('Acme'))!;
    const bp = sandbox.state.catalog.find((c) => c.identifier === 'M365-BP')!;
    target = { companyId: 0, agreementId: acme.id, productIds: { 'm365-bp': bp.id }, description: 'fault test sub-9' };
  });
  afterAll(() => sandbox.close());
  afterEach(() => sandbox.faults.clear());

  const gatewayWith = (journal: MemoryJournal): PsaGateway =>
    createConnectWiseGateway({
      baseUrl: sandbox.apiUrl,
      credentials: sandbox.credentials,
      journal,
      sleep: fastSleep,
      random: seededRandom(7),
      retry: { maxAttempts: 10 },
    });
  const create = (i: number): KeyedOperation => ({
    idempotencyKey: `subscription/conn-1/sub-9/${i}/0`,
    operation: {
      type: 'cw.create-addition',
      addition: {
        lineKey: `line-${i}`,
        subscriptionId: 'sub-9',
        productId: 'm365-bp',
        kind: 'delta',
        quantity: i,
        unitPrice: '22.00',
        unitCost: '18.70',
        effectiveDate: '2026-03-15',
        cancelledDate: '2026-03-31',
      },
    },
  });

  test('with 20% injected 429/500 (some after the write) a batch of 200 operations, retried like the activity does, completes with no duplicate line', async () => {
    sandbox.faults.add({ fault: { type: 'status', status: 429, retryAfterSeconds: 1 }, probability: 0.08 });
    sandbox.faults.add({ fault: { type: 'status', status: 500 }, probability: 0.06 });
    sandbox.faults.add({ fault: { type: 'status', status: 500, afterWrite: true }, probability: 0.07 });
    const journal = createMemoryJournal();
    const before = sandbox.state.additions.length;
    // 150 creates, then 50 updates of lines created in the batch.
    const ops: KeyedOperation[] = [...Array(150)].map((_, i) => create(i));
    for (let i = 0; i < 50; i++) {
      ops.push({ idempotencyKey: `subscription/conn-1/sub-9/u${i}/0`, operation: { type: 'cw.update-addition', lineKey: `line-${i}`, set: { quantity: 1000 + i } } });
    }
    // The core absorbs 429s that say when to come back; every other fault reaches the
    // activity, which calls apply again with the same keys.
    const run = await applyLikeTheActivity(gatewayWith(journal), target, ops, {}, { attempts: 200 });
    const results = run.applied;

    expect(run.attempts).toBeGreaterThan(1);
    expect(results).toHaveLength(200);
    const mine = sandbox.state.additions.slice(before);
    expect(mine).toHaveLength(150);
    const tags = mine.map((a) => String(a.description).split(' ')[0]);
    expect(new Set(tags).size).toBe(150);
    expect(new Set(results.slice(0, 150).map((r) => r.psaId)).size).toBe(150);
    expect(mine.filter((a) => Number(a.quantity) >= 1000)).toHaveLength(50);
    const counters = sandbox.traffic.snapshot().byStatus;
    expect((counters['429'] ?? 0) + (counters['500'] ?? 0)).toBeGreaterThan(20); // faults really struck
  }, 60_000);

  test('replaying the whole batch after a crash mid-way writes nothing twice', async () => {
    const journal = createMemoryJournal();
    const ops = [...Array(20)].map((_, i) => create(1000 + i));
    const before = sandbox.state.additions.length;
    journal.failNextComplete();
    sandbox.faults.add({ fault: { type: 'status', status: 500, afterWrite: true }, times: 3, method: 'POST' });
    await expect(gatewayWith(journal).apply(target, ops, {})).rejects.toThrow(/simulated crash/);
    const again = await gatewayWith(journal).apply(target, ops, {});
    expect(again.filter((r) => r.replayed)).toHaveLength(0); // the crash struck the first op's journal entry
    const third = await gatewayWith(journal).apply(target, ops, {});
    expect(third.every((r) => r.replayed)).toBe(true);
    expect(sandbox.state.additions.length - before).toBe(20);
  });

  test('a create that may have landed is looked up once: not found, the error goes to the activity, whose retry writes it once', async () => {
    const journal = createMemoryJournal();
    const gateway = gatewayWith(journal);
    const additionRequests = () => sandbox.traffic.log().filter((r) => r.url.includes(`/agreements/${target.agreementId}/additions`)).map((r) => r.method);
    const before = sandbox.state.additions.length;
    sandbox.traffic.clear();
    sandbox.faults.add({ fault: { type: 'status', status: 500 }, times: 1, method: 'POST', pathIncludes: '/additions' });
    const error = await gateway.apply(target, [create(6000)], {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'PsaError', status: 500, retryable: true, maybeApplied: true });
    expect(additionRequests()).toEqual(['POST', 'GET']); // one write, one look, no loop
    expect((await journal.get(create(6000).idempotencyKey))?.state).toBe('started');

    const [applied] = await gateway.apply(target, [create(6000)], {}); // the activity's retry: same key
    expect(additionRequests()).toEqual(['POST', 'GET', 'GET', 'POST']); // resumed: looks before writing
    expect(sandbox.state.additions.length - before).toBe(1);
    expect(applied).toMatchObject({ replayed: false, psaId: sandbox.state.additions.at(-1)!.id });
  });

  test('a create whose answer was lost after the write is adopted by the one look, in the same call', async () => {
    const journal = createMemoryJournal();
    const before = sandbox.state.additions.length;
    sandbox.traffic.clear();
    sandbox.faults.add({ fault: { type: 'status', status: 500, afterWrite: true }, times: 1, method: 'POST', pathIncludes: '/additions' });
    const [applied] = await gatewayWith(journal).apply(target, [create(6001)], {});
    expect(sandbox.state.additions.length - before).toBe(1);
    expect(applied).toMatchObject({ replayed: false, psaId: sandbox.state.additions.at(-1)!.id });
    expect(sandbox.traffic.log().filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  test('an invoiced line refuses changes with the PSA message (no retry)', async () => {
    const journal = createMemoryJournal();
    const gateway = gatewayWith(journal);
    const [line] = await gateway.apply(target, [create(5000)], {});
    await fetch(`${sandbox.url}/__sandbox/additions/invoiced`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ids: [line!.psaId] }),
    });
    expect((await gateway.readLine(target, line!.psaId!)).invoiced).toBe(true);
    const update: KeyedOperation = { idempotencyKey: 'k-invoiced', operation: { type: 'cw.update-addition', lineKey: 'line-5000', set: { quantity: 1 } } };
    await expect(gateway.apply(target, [update], { 'line-5000': line!.psaId! })).rejects.toMatchObject({
      kind: 'validation',
      details: [expect.stringMatching(/already been invoiced/)],
    });
  });
});
