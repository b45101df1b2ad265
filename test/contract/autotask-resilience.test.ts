/**
 * The Autotask client and gateway under the sandbox's faults and limits: injected 429/500s,
 * lost answers, hangs, crashes between a write and the journal, the thread limit, the hourly
 * threshold, and secrets that must never reach a log line or an error. Transient errors the
 * HTTP core does not absorb reach the caller; the tests retry like the activity does
 * (test/support/apply-like-the-activity.ts, docs/retries.md).
 */
import type { KeyedOperation, PsaTarget } from '../../activities/psa/psa-gateway.port';
import type { AtOperation } from '../../domain/psa-operations';
import { addDays } from '../../domain/dates';
import { createAutotaskGateway, type AutotaskGatewayDeps } from '../../activities/psa/autotask/autotask-gateway';
import { applyLikeTheActivity } from '../support/apply-like-the-activity';
import { createMemoryJournal } from '../support/memory-journal';
import type { FaultRule } from '../../sandbox/shared/faults';
import { DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS as CREDENTIALS, startAutotaskSandbox, type AutotaskSandbox } from '../../sandbox/autotask/server';

const TODAY = '2026-03-10';

const logLines: string[] = [];
const captureLogger = {
  debug: (m: string, meta?: object) => void logLines.push(`${m} ${JSON.stringify(meta ?? {})}`),
  info: (m: string, meta?: object) => void logLines.push(`${m} ${JSON.stringify(meta ?? {})}`),
  warn: (m: string, meta?: object) => void logLines.push(`${m} ${JSON.stringify(meta ?? {})}`),
  error: (m: string, meta?: object) => void logLines.push(`${m} ${JSON.stringify(meta ?? {})}`),
};

let sandbox: AutotaskSandbox;
beforeAll(async () => {
  sandbox = await startAutotaskSandbox({ port: 0, seed: 'demo', today: () => TODAY });
});
afterAll(() => sandbox.close());
beforeEach(async () => {
  await control('POST', '/reset', { seed: 'demo' });
  logLines.length = 0;
});
afterEach(() => {
  // Whatever happened, no credential secret ever reached a log line.
  expect(logLines.join('\n')).not.toContain(CREDENTIALS.secret);
});

async function control(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${sandbox.url}/__sandbox${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.status === 204 ? null : res.json();
}
const faults = (rules: FaultRule[]) => control('POST', '/faults', rules);

const noWait = async () => {};
function gatewayWith(overrides: Partial<AutotaskGatewayDeps> = {}) {
  const journal = overrides.journal ?? createMemoryJournal();
  return createAutotaskGateway({
    discoveryUrl: sandbox.url,
    credentials: CREDENTIALS,
    journal,
    logger: captureLogger,
    sleep: noWait,
    now: () => Date.parse(`${TODAY}T12:00:00Z`),
    ...overrides,
  });
}

/** Demo contract 2001 (Acme, monthly, whole of 2026–2027) with four fresh services. */
async function fixture(gateway: ReturnType<typeof gatewayWith>): Promise<PsaTarget> {
  const productIds: Record<string, number> = {};
  for (const p of ['a', 'b', 'c', 'd']) {
    productIds[`prod-${p}`] = await gateway.client.create('/Services', { name: `Resilience ${p} ${Math.random()}`, billingCodeID: 29682803, periodType: 1, unitPrice: 10 });
  }
  return { companyId: 1001, agreementId: 2001, productIds, description: 'subscription sub-r' };
}
const createOp = (p: string): AtOperation => ({
  type: 'at.create-contract-service',
  service: { serviceKey: `line-${p}`, subscriptionId: 'sub-r', productId: `prod-${p}`, unitPrice: '10.00', unitCost: '8.00' },
});
const adjustOp = (p: string, effectiveDate: string, unitChange: number): AtOperation => ({ type: 'at.adjust-units', serviceKey: `line-${p}`, effectiveDate, unitChange });
const keyed = (ops: AtOperation[], prefix: string): KeyedOperation[] => ops.map((operation, i) => ({ idempotencyKey: `${prefix}/${i}`, operation }));
const adjustmentsOf = (csId: number) => sandbox.state.adjustments.filter((a) => a.contractServiceID === csId);

describe('Autotask gateway under faults', () => {
  it('completes a batch of 200 operations through 20% injected 429/500s, retried like the activity does, with no duplicate', async () => {
    const gateway = gatewayWith();
    const target = await fixture(gateway);
    await faults([
      { fault: { type: 'status', status: 429 }, probability: 0.1 },
      { fault: { type: 'status', status: 500 }, probability: 0.05 },
      // The write happens, the answer is lost: the gateway must look before writing again.
      { fault: { type: 'status', status: 500, afterWrite: true }, probability: 0.05 },
    ]);
    const products = ['a', 'b', 'c', 'd'];
    const ops = keyed(
      [...products.map(createOp), ...products.flatMap((p) => Array.from({ length: 49 }, (_, i) => adjustOp(p, addDays('2026-02-01', i * 3), i % 2 === 0 ? 2 : -1)))],
      'batch',
    );
    expect(ops).toHaveLength(200);
    const run = await applyLikeTheActivity(gateway, target, ops, {}, { attempts: 500 });
    const applied = run.applied;
    await control('DELETE', '/faults');

    expect(run.attempts).toBeGreaterThan(1);
    expect(applied).toHaveLength(200);
    const counters = (await control('GET', '/requests')) as { counters: { byStatus: Record<string, number> } };
    expect((counters.counters.byStatus['429'] ?? 0) + (counters.counters.byStatus['500'] ?? 0)).toBeGreaterThan(10);
    for (const p of products) {
      const csId = applied[products.indexOf(p)]!.psaId!;
      expect(sandbox.state.contractServices.filter((cs) => cs.contractID === 2001 && cs.serviceID === target.productIds[`prod-${p}`])).toHaveLength(1);
      const adjustments = adjustmentsOf(csId);
      expect(adjustments).toHaveLength(49);
      expect(new Set(adjustments.map((a) => a.effectiveDate)).size).toBe(49);
      expect(adjustments.reduce((s, a) => s + a.unitChange, 0)).toBe(25 * 2 - 24);
    }
    expect(applied.every((a) => a.shiftedFrom === undefined)).toBe(true);
  });

  it('writes once when a crash falls between the PSA write and the journal', async () => {
    const journal = createMemoryJournal();
    const gateway = gatewayWith({ journal });
    const target = await fixture(gateway);
    const ops = keyed([createOp('a')], 'crash-cs');
    journal.failNextComplete(); // the worker dies after the contract service is created
    await expect(gateway.apply(target, ops, {})).rejects.toThrow('simulated crash');
    const [created] = await gateway.apply(target, ops, {});
    expect(sandbox.state.contractServices.filter((cs) => cs.contractID === 2001 && cs.serviceID === target.productIds['prod-a'])).toHaveLength(1);
    const ids = { 'line-a': created!.psaId! };

    // An earlier adjustment holds 03-20, so the crashed one had been shifted to 03-21.
    await gateway.apply(target, keyed([adjustOp('a', '2026-03-20', 4)], 'earlier'), ids);
    journal.failNextComplete(); // and after an adjustment
    const shiftedOps = keyed([adjustOp('a', '2026-03-20', 2)], 'crash-adj');
    await expect(gateway.apply(target, shiftedOps, ids)).rejects.toThrow('simulated crash');
    const [retried] = await gateway.apply(target, shiftedOps, ids);
    expect(retried).toMatchObject({ effectiveDate: '2026-03-21', shiftedFrom: '2026-03-20', replayed: false });
    expect(adjustmentsOf(ids['line-a']).map((a) => [a.effectiveDate.slice(0, 10), a.unitChange])).toEqual([['2026-03-20', 4], ['2026-03-21', 2]]);
    // And once journaled, the key replays.
    expect((await gateway.apply(target, shiftedOps, ids))[0]).toMatchObject({ replayed: true, effectiveDate: '2026-03-21' });
  });

  it('a crash between the completions of one netted adjustment completes the rest from the journal, writing nothing again', async () => {
    const journal = createMemoryJournal();
    const gateway = gatewayWith({ journal });
    const target = await fixture(gateway);
    const [created] = await gateway.apply(target, keyed([createOp('a')], 'net-cs'), {});
    const ids = { 'line-a': created!.psaId! };
    // +3 and +1 on one day are one adjustment of +4; the worker dies after the first key is completed.
    const ops = keyed([adjustOp('a', '2026-05-10', 3), adjustOp('a', '2026-05-10', 1)], 'net-adj');
    let completes = 0;
    const dying = { ...journal, complete: async (r: Parameters<typeof journal.complete>[0]) => {
      if (++completes === 2) throw new Error('worker crashed between two completions');
      await journal.complete(r);
    } };
    await expect(gatewayWith({ journal: dying }).apply(target, ops, ids)).rejects.toThrow('between two completions');
    const again = await gateway.apply(target, ops, ids);
    expect(again.map((a) => [a.replayed, a.effectiveDate, a.shiftedFrom])).toEqual([[true, '2026-05-10', undefined], [false, '2026-05-10', undefined]]);
    expect(adjustmentsOf(ids['line-a']).map((a) => [a.effectiveDate.slice(0, 10), a.unitChange])).toEqual([['2026-05-10', 4]]);
  });

  it('recovers from a lost answer and from a hung request without a second adjustment', async () => {
    const gateway = gatewayWith({ timeoutMs: 300 });
    const target = await fixture(gateway);
    const [created] = await gateway.apply(target, keyed([createOp('a')], 'lost'), {});
    const ids = { 'line-a': created!.psaId! };
    // The adjustment lands, its answer is lost: the gateway's one look finds it, in the same call.
    await faults([{ fault: { type: 'status', status: 500, afterWrite: true }, times: 1, method: 'POST', pathIncludes: 'ServiceAdjustments' }]);
    await gateway.apply(target, keyed([adjustOp('a', '2026-04-01', 3)], 'lost-adj'), ids);
    expect(logLines.some((l) => l.includes('autotask adjustment: the answer was lost but the write had landed; adopted'))).toBe(true);
    // The request hangs (nothing written): the one look finds nothing, the timeout goes to the
    // activity, whose second call (the key resumed) looks again and writes once.
    await faults([{ fault: { type: 'hang' }, times: 1, method: 'POST', pathIncludes: 'ServiceAdjustments' }]);
    const hung = await applyLikeTheActivity(gateway, target, keyed([adjustOp('a', '2026-04-02', 1)], 'hung-adj'), ids, { attempts: 3 });
    expect(hung.attempts).toBe(2);
    expect(hung.errors).toEqual([expect.objectContaining({ kind: 'timeout', retryable: true, maybeApplied: true })]);
    expect(adjustmentsOf(ids['line-a']).map((a) => [a.effectiveDate.slice(0, 10), a.unitChange])).toEqual([['2026-04-01', 3], ['2026-04-02', 1]]);
  });

  it('looks once after a write that may have landed, and never loops: the activity owns the retry', async () => {
    const gateway = gatewayWith();
    const target = await fixture(gateway);
    const [created] = await gateway.apply(target, keyed([createOp('a')], 'once'), {});
    const ids = { 'line-a': created!.psaId! };
    await control('DELETE', '/requests');
    // A 500 before the write, on every POST of an adjustment, for as long as it lasts.
    await faults([{ fault: { type: 'status', status: 500 }, probability: 1, method: 'POST', pathIncludes: 'ServiceAdjustments' }]);
    const error = await gateway.apply(target, keyed([adjustOp('a', '2026-04-03', 2)], 'once-adj'), ids).then(() => null, (e: unknown) => e);
    await control('DELETE', '/faults');
    expect(error).toMatchObject({ kind: 'unavailable', retryable: true, maybeApplied: true });
    const { log } = (await control('GET', '/requests')) as { log: { method: string; url: string }[] };
    // The contract service's service id (the key 'line-a' names no product), one write, one
    // look at the unit periods (did it land?), nothing more.
    expect(log.map((r) => `${r.method} ${r.url.split('?')[0]!.replace(/^.*\/v1\.0/i, '')}`)).toEqual([
      `GET /ContractServices/${ids['line-a']}`,
      'POST /Contracts/2001/ServiceAdjustments',
      'GET /ContractServiceUnits/query',
    ]);
    expect(adjustmentsOf(ids['line-a'])).toEqual([]);
  });

  it('honours Retry-After and does not retry validation errors', async () => {
    const waits: number[] = [];
    const gateway = gatewayWith({ sleep: async (ms) => void waits.push(ms) });
    await faults([{ fault: { type: 'status', status: 429, retryAfterSeconds: 2 }, times: 1, pathIncludes: 'Companies' }]);
    expect((await gateway.findCompanies('Globex'))[0]).toMatchObject({ id: 1002 });
    expect(waits.some((ms) => ms >= 2000)).toBe(true);

    await control('DELETE', '/requests');
    const duplicate = { name: 'Microsoft 365 Business Basic (Monthly)', billingCodeID: 29682803, periodType: 1, unitPrice: 6 };
    await expect(gateway.client.create('/Services', duplicate)).rejects.toMatchObject({ kind: 'validation', status: 500, retryable: false, psaMessage: expect.stringContaining('already exists') });
    const { counters } = (await control('GET', '/requests')) as { counters: { byRoute: Record<string, number> } };
    expect(Object.entries(counters.byRoute).filter(([route]) => route.startsWith('POST')).map(([, n]) => n)).toEqual([1]);
  });
});

describe('Autotask limits', () => {
  it('never has more than 3 requests in flight per endpoint', async () => {
    const gateway = gatewayWith();
    const target = await fixture(gateway);
    const products = ['a', 'b', 'c', 'd'];
    const [created] = [await gateway.apply(target, keyed(products.map(createOp), 'conc'), {})];
    const ids = Object.fromEntries(products.map((p, i) => [`line-${p}`, created[i]!.psaId!]));
    await control('PUT', '/latency', { ms: 40 });
    await control('DELETE', '/requests');
    // Four contract services adjusted side by side, plus three more callers querying at once.
    await Promise.all([
      gateway.apply(target, keyed(products.flatMap((p) => [adjustOp(p, '2026-05-01', 1), adjustOp(p, '2026-05-02', 1)]), 'conc-adj'), ids),
      ...Array.from({ length: 6 }, () => gateway.findCompanies('Acme')),
    ]);
    await control('PUT', '/latency', { ms: 0 });
    const { counters } = (await control('GET', '/requests')) as { counters: { byStatus: Record<string, number>; peakInFlightByRoute: Record<string, number> } };
    // The sandbox refuses a 4th concurrent request per endpoint with a 429: none happened.
    expect(counters.byStatus['429']).toBeUndefined();
    // The adjustments route serves one endpoint only; it was kept at exactly the limit.
    expect(counters.peakInFlightByRoute['POST /atservicesrest/v1.0/Contracts/:id/ServiceAdjustments']).toBe(3);
  });

  it('slows down and then holds back before the hourly threshold instead of hitting it', async () => {
    await control('PUT', '/rate-limit', { limit: 40, windowMs: 3_600_000 });
    const waits: number[] = [];
    const gateway = gatewayWith({ sleep: async (ms) => void waits.push(ms), budget: { limit: 40, refreshEvery: 10 } });
    let error: unknown = null;
    for (let i = 0; i < 40 && !error; i++) error = await gateway.findCompanies('Acme').then(() => null, (e: unknown) => e);
    expect(error).toMatchObject({ kind: 'rate-limited', retryable: true, psaMessage: expect.stringContaining('held back locally') });
    expect(waits.filter((ms) => ms === 250).length).toBeGreaterThan(0);
    expect(waits.filter((ms) => ms === 1000).length).toBeGreaterThan(0);
    const { counters } = (await control('GET', '/requests')) as { counters: { byStatus: Record<string, number> } };
    expect(counters.byStatus['429']).toBeUndefined();
  });
});

describe('Autotask secrets', () => {
  it('scrubs the secret from errors even when the server echoes it', async () => {
    const echoing: typeof fetch = async (input) => {
      const url = String(input);
      if (url.includes('zoneInformation')) return Response.json({ zoneName: 'Z', url: 'http://127.0.0.1:1/ATServicesRest/', ci: 1 });
      return Response.json({ errors: [`Secret ${CREDENTIALS.secret} is not valid for user ${CREDENTIALS.username}.`] }, { status: 500 });
    };
    const gateway = gatewayWith({ fetch: echoing });
    const error = await gateway.testCredentials().then(() => null, (e: unknown) => e);
    expect(error).toMatchObject({ name: 'PsaError', kind: 'validation' });
    const text = `${(error as Error).message} ${JSON.stringify(error)} ${(error as Error).stack}`;
    expect(text).not.toContain(CREDENTIALS.secret);
    expect(text).toContain('[redacted]');
  });
});
