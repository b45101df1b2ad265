/**
 * The shared PSA HTTP plumbing (activities/psa/http) as the ConnectWise client uses it: the
 * core's own retries (only what the PSA refused and said when to come back, or a refused
 * connection; docs/retries.md), timeouts, classification, the concurrency limiter, and that no
 * credential ever reaches an error or a log line.
 */
import { z } from 'zod';
import { createConnectWiseClient, basicAuthorization, type ConnectWiseCredentials } from '../../activities/psa/connectwise/connectwise-client';
import { createKeyedLimiter, createLimiter } from '../../activities/psa/http/concurrency';
import { createHttpClient, kindOfStatus } from '../../activities/psa/http/http-client';
import type { Logger } from '../../activities/psa/http/logger';
import { PsaError } from '../../activities/psa/http/psa-error';
import { defaultRetryPolicy, parseRetryAfter } from '../../activities/psa/http/retry';
import { startConnectWiseSandbox, type ConnectWiseSandbox } from '../../sandbox/connectwise/server';

const credentials: ConnectWiseCredentials = {
  companyId: 'acme',
  publicKey: 'pub-123',
  privateKey: 'priv-SECRET-9f8e7d',
  clientId: 'client-1',
};

function capturingLogger(): Logger & { lines: unknown[] } {
  const lines: unknown[] = [];
  const push = (level: string) => (message: string, meta?: Record<string, unknown>) => lines.push({ level, message, meta });
  return { lines, debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
}

/** A fetch answering from a script of responses (or functions of the request). */
function scriptedFetch(script: ((init: RequestInit) => Response | Promise<Response>)[]): typeof fetch & { calls: RequestInit[] } {
  const calls: RequestInit[] = [];
  const f = (async (_url: string, init: RequestInit) => {
    calls.push(init);
    const next = script.shift();
    if (!next) throw new Error('script exhausted');
    return next(init);
  }) as unknown as typeof fetch & { calls: RequestInit[] };
  f.calls = calls;
  return f;
}
const json = (status: number, body: unknown, headers: Record<string, string> = {}) => () =>
  new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const fastDeps = () => {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms), random: () => 0.5 };
};

describe('retry policy', () => {
  test('the core\'s budget: 3 tries, 60 s of waiting in all', () => {
    expect(defaultRetryPolicy).toMatchObject({ maxAttempts: 3, maxWaitMs: 60_000 });
  });
  test('Retry-After as seconds or HTTP date', () => {
    expect(parseRetryAfter('5', 0)).toBe(5000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });
  test('status kinds', () => {
    expect([401, 403, 404, 409, 429, 500, 504, 400].map((s) => kindOfStatus(s, 'not-found'))).toEqual([
      'auth', 'forbidden', 'not-found', 'conflict', 'rate-limited', 'unavailable', 'timeout', 'validation',
    ]);
  });
});

describe('ConnectWise client over the shared HTTP core', () => {
  test('sends Basic company+public:private, clientId and the versioned Accept header', async () => {
    const f = scriptedFetch([json(200, { version: 'v2025.1' })]);
    await createConnectWiseClient({ baseUrl: 'https://cw.test/v4_6_release/apis/3.0', credentials, fetch: f }).systemInfo();
    const headers = f.calls[0]!.headers as Record<string, string>;
    expect(headers.Authorization).toBe(`Basic ${Buffer.from('acme+pub-123:priv-SECRET-9f8e7d').toString('base64')}`);
    expect(headers.clientId).toBe('client-1');
    expect(headers.Accept).toMatch(/^application\/vnd\.connectwise\.com\+json; version=2025\.8/);
  });

  test('retries a 429 and a 503 that say when to come back, waiting what they say, then succeeds', async () => {
    const { delays, sleep, random } = fastDeps();
    const f = scriptedFetch([json(429, { code: 'TooManyRequests' }, { 'retry-after': '3' }), json(503, {}, { 'retry-after': '2' }), json(200, { version: 'x' })]);
    const logger = capturingLogger();
    const client = createConnectWiseClient({ baseUrl: 'https://cw.test', credentials, fetch: f, sleep, random, logger });
    await expect(client.systemInfo()).resolves.toMatchObject({ version: 'x' });
    expect(delays).toEqual([3000, 2000]);
    expect(logger.lines.filter((l) => (l as { level: string }).level === 'warn')).toHaveLength(2);
  });

  test.each([
    ['a 500', json(500, { code: 'ConnectWiseApi', message: 'boom' }), 'unavailable'],
    ['a 503 without Retry-After', json(503, {}), 'unavailable'],
    ['a 429 without Retry-After', json(429, { code: 'TooManyRequests' }), 'rate-limited'],
    ['a 504', json(504, {}), 'timeout'],
  ])('%s is not retried by the core: thrown at once, retryable, for the activity to retry', async (_name, answer, kind) => {
    const { delays, sleep } = fastDeps();
    const f = scriptedFetch([answer, json(200, { version: 'x' })]);
    const error = await createConnectWiseClient({ baseUrl: 'https://cw.test', credentials, fetch: f, sleep }).systemInfo().catch((e: unknown) => e);
    expect(error).toMatchObject({ kind, retryable: true });
    expect(f.calls).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  test('gives up after 3 tries, and before waiting past 60 s in all', async () => {
    const { delays, sleep } = fastDeps();
    const busy = (seconds: number) => json(429, {}, { 'retry-after': String(seconds) });
    const tries = scriptedFetch([busy(1), busy(1), busy(1), json(200, { version: 'x' })]);
    await expect(createConnectWiseClient({ baseUrl: 'https://cw.test', credentials, fetch: tries, sleep }).systemInfo()).rejects.toMatchObject({ kind: 'rate-limited', retryable: true, retryAfterMs: 1000 });
    expect(tries.calls).toHaveLength(3);
    expect(delays).toEqual([1000, 1000]);

    delays.length = 0;
    const waits = scriptedFetch([busy(45), busy(30), json(200, { version: 'x' })]);
    await expect(createConnectWiseClient({ baseUrl: 'https://cw.test', credentials, fetch: waits, sleep }).systemInfo()).rejects.toMatchObject({ kind: 'rate-limited', retryAfterMs: 30_000 });
    expect(waits.calls).toHaveLength(2);
    expect(delays).toEqual([45_000]); // 45 + 30 s would pass the 60 s budget

    delays.length = 0;
    const long = scriptedFetch([busy(3600), json(200, { version: 'x' })]);
    await expect(createConnectWiseClient({ baseUrl: 'https://cw.test', credentials, fetch: long, sleep }).systemInfo()).rejects.toMatchObject({ kind: 'rate-limited', retryAfterMs: 3_600_000 });
    expect(long.calls).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  test('a refused connection is tried once more, even for a POST; a dropped one is not', async () => {
    const { delays, sleep, random } = fastDeps();
    const network = (code: string) => () => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) }));
    const body = { product: { id: 1 }, billCustomer: 'Billable' as const, quantity: 1 };
    const once = scriptedFetch([network('ECONNREFUSED'), json(201, { id: 7, agreementId: 4, product: { id: 1 }, billCustomer: 'Billable', quantity: 1 })]);
    await expect(createConnectWiseClient({ baseUrl: 'https://cw.test', credentials, fetch: once, sleep, random }).additions.create(4, body)).resolves.toMatchObject({ id: 7 });
    expect(once.calls).toHaveLength(2);
    expect(delays).toEqual([750]); // refusedConnectionDelayMs 1 s: half fixed, half random

    const twice = scriptedFetch([network('ECONNREFUSED'), network('ECONNREFUSED'), json(200, { version: 'x' })]);
    await expect(createConnectWiseClient({ baseUrl: 'https://cw.test', credentials, fetch: twice, sleep, random }).systemInfo()).rejects.toMatchObject({ kind: 'unavailable', retryable: true });
    expect(twice.calls).toHaveLength(2);

    const reset = scriptedFetch([network('ECONNRESET'), json(201, { id: 8 })]);
    const error = await createConnectWiseClient({ baseUrl: 'https://cw.test', credentials, fetch: reset, sleep, random }).additions.create(4, body).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'unavailable', retryable: true, maybeApplied: true, psaMessage: 'network error ECONNRESET' });
    expect(reset.calls).toHaveLength(1);
  });

  test('a POST answered 503 with Retry-After was refused, not applied: the core sends it again', async () => {
    const { delays, sleep } = fastDeps();
    const f = scriptedFetch([json(503, {}, { 'retry-after': '5' }), json(201, { id: 9, agreementId: 4, product: { id: 1 }, billCustomer: 'Billable', quantity: 1 })]);
    await expect(createConnectWiseClient({ baseUrl: 'https://cw.test', credentials, fetch: f, sleep }).additions.create(4, { product: { id: 1 }, billCustomer: 'Billable', quantity: 1 })).resolves.toMatchObject({ id: 9 });
    expect(delays).toEqual([5000]);
  });

  test('validation errors are not retried and carry the PSA message and field details', async () => {
    const { delays, sleep } = fastDeps();
    const f = scriptedFetch([
      json(400, { code: 'InvalidObject', message: 'addition object is invalid', errors: [{ code: 'InvalidField', message: 'effectiveDate cannot be less than the agreement billing start date', resource: 'addition', field: 'effectiveDate' }] }),
    ]);
    const client = createConnectWiseClient({ baseUrl: 'https://cw.test', credentials, fetch: f, sleep });
    const error = await client.additions.create(4, { product: { id: 1 }, billCustomer: 'Billable', quantity: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PsaError);
    expect(error).toMatchObject({ kind: 'validation', retryable: false, status: 400, method: 'POST', path: '/finance/agreements/4/additions', psaMessage: 'addition object is invalid' });
    expect((error as PsaError).details).toEqual(['effectiveDate: effectiveDate cannot be less than the agreement billing start date']);
    expect(delays).toEqual([]);
  });

  test('a POST is retried after 429 but not after a 500 that may have landed', async () => {
    const { sleep } = fastDeps();
    const body = { product: { id: 1 }, billCustomer: 'Billable' as const, quantity: 1 };
    const f = scriptedFetch([json(429, {}, { 'retry-after': '1' }), json(500, { code: 'ConnectWiseApi', message: 'boom' })]);
    const client = createConnectWiseClient({ baseUrl: 'https://cw.test', credentials, fetch: f, sleep });
    const error = (await client.additions.create(4, body).catch((e: unknown) => e)) as PsaError;
    expect(f.calls).toHaveLength(2);
    expect(error).toMatchObject({ kind: 'unavailable', retryable: true, maybeApplied: true });
  });

  test('a 500 whose text says timeout is a retryable timeout', async () => {
    const { sleep } = fastDeps();
    const f = scriptedFetch([json(500, { code: 'ConnectWiseApi', message: 'Execution Timeout Expired' }), json(200, { version: 'x' })]);
    await expect(createConnectWiseClient({ baseUrl: 'https://cw.test', credentials, fetch: f, sleep }).systemInfo()).rejects.toMatchObject({ kind: 'timeout', retryable: true });
  });

  test('404 means not-found with a NotFound body, auth on a bare 404 of a collection', async () => {
    const f = scriptedFetch([json(404, { code: 'NotFound', message: 'Agreement 9 was not found.' }), json(404, undefined)]);
    const client = createConnectWiseClient({ baseUrl: 'https://cw.test', credentials, fetch: f });
    await expect(client.agreements.get(9)).rejects.toMatchObject({ kind: 'not-found' });
    await expect(client.companies.list()).rejects.toMatchObject({ kind: 'auth', retryable: false });
  });

  test('per-attempt timeout aborts a silent server; the timeout is thrown retryable, not retried by the core', async () => {
    const { sleep } = fastDeps();
    const hang = (init: RequestInit) =>
      new Promise<Response>((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason)));
    const f = scriptedFetch([hang, json(200, { version: 'x' })]);
    const client = createConnectWiseClient({ baseUrl: 'https://cw.test', credentials, fetch: f, sleep, timeoutMs: 50 });
    await expect(client.systemInfo()).rejects.toMatchObject({ kind: 'timeout', retryable: true, maybeApplied: false });
    expect(f.calls).toHaveLength(1);
  });

  test('an answer of the wrong shape is a protocol error; extra fields pass through', async () => {
    const f = scriptedFetch([json(200, [{ id: 1, identifier: 'A', name: 'A', extra: { deep: true } }]), json(200, [{ id: 'x' }])]);
    const client = createConnectWiseClient({ baseUrl: 'https://cw.test', credentials, fetch: f });
    expect((await client.companies.list()).items[0]).toMatchObject({ extra: { deep: true } });
    await expect(client.companies.list()).rejects.toMatchObject({ kind: 'protocol', retryable: false });
  });
});

describe('concurrency limiter', () => {
  test('never more than N tasks in flight, per key', async () => {
    const limit = createKeyedLimiter(3);
    const active: Record<string, number> = {};
    const peak: Record<string, number> = {};
    const task = (key: string) => () =>
      limit(key, async () => {
        active[key] = (active[key] ?? 0) + 1;
        peak[key] = Math.max(peak[key] ?? 0, active[key]!);
        await new Promise((r) => setTimeout(r, 5));
        active[key]!--;
        return key;
      });
    await Promise.all([...Array(10)].flatMap(() => [task('a')(), task('b')()]));
    expect(peak).toEqual({ a: 3, b: 3 });
  });
  test('a failing task frees its slot', async () => {
    const limit = createLimiter(1);
    await expect(limit(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await expect(limit(async () => 1)).resolves.toBe(1);
  });
});

describe('no secret in errors or logs', () => {
  let sandbox: ConnectWiseSandbox;
  beforeAll(async () => {
    sandbox = await startConnectWiseSandbox({ seed: 'demo', rateLimit: { limit: 0, windowMs: 1 } });
  });
  afterAll(() => sandbox.close());

  test('every error kind, serialized and logged, is free of the private key and the Basic value', async () => {
    const logger = capturingLogger();
    const good = { ...sandbox.credentials };
    const bad = { ...sandbox.credentials, privateKey: 'wrong-PRIVATE-key-42' };
    const deps = { baseUrl: sandbox.apiUrl, logger, sleep: async () => {}, retry: { maxAttempts: 2 } };
    const ok = createConnectWiseClient({ ...deps, credentials: good });
    const errors: unknown[] = [];
    const capture = (p: Promise<unknown>) => p.then(() => errors.push('no error'), (e: unknown) => errors.push(e));

    await capture(createConnectWiseClient({ ...deps, credentials: bad }).systemInfo()); // auth
    const agreement = sandbox.state.agreements[0]!.id;
    await capture(ok.additions.create(agreement, { product: { identifier: 'M365-BP' }, billCustomer: 'Billable', quantity: 1, effectiveDate: '1999-01-01T00:00:00Z' })); // validation
    await capture(ok.additions.get(agreement, 424242)); // not-found
    sandbox.faults.add({ fault: { type: 'status', status: 429, retryAfterSeconds: 1 }, times: 2 });
    await capture(ok.systemInfo()); // rate-limited
    sandbox.faults.add({ fault: { type: 'status', status: 502, body: { code: 'ConnectWiseApi', message: 'Bad gateway' } }, times: 1 });
    await capture(ok.systemInfo()); // unavailable
    sandbox.faults.add({ fault: { type: 'hang' }, times: 1 });
    await capture(createConnectWiseClient({ ...deps, credentials: good, timeoutMs: 100 }).systemInfo()); // timeout
    // A server that echoes the credentials back, as a conflict and as a bad shape.
    const echo = (status: number) => async (_u: unknown, init: RequestInit) => {
      const h = init.headers as Record<string, string>;
      return new Response(JSON.stringify({ code: 'X', message: `denied for ${h.Authorization} / ${good.privateKey}` }), { status });
    };
    await capture(createConnectWiseClient({ ...deps, credentials: good, fetch: echo(409) as unknown as typeof fetch }).systemInfo()); // conflict
    await capture(createConnectWiseClient({ ...deps, credentials: good, fetch: echo(403) as unknown as typeof fetch }).systemInfo()); // forbidden

    expect(errors.map((e) => (e as PsaError).kind)).toEqual(['auth', 'validation', 'not-found', 'rate-limited', 'unavailable', 'timeout', 'conflict', 'forbidden']);
    const everything = JSON.stringify({ errors: errors.map((e) => ({ json: e, message: (e as Error).message, stack: (e as Error).stack })), logs: logger.lines });
    for (const c of [good, bad]) {
      expect(everything).not.toContain(c.privateKey);
      expect(everything).not.toContain(basicAuthorization(c));
      expect(everything).not.toContain(basicAuthorization(c).slice(6));
    }
    expect(everything).toContain('[redacted]'); // the echoed secrets were scrubbed, not dropped silently
  });
});

test('createHttpClient validates with the given zod schema', async () => {
  const f = scriptedFetch([json(200, { n: 1 })]);
  const http = createHttpClient({ psa: 'autotask', baseUrl: 'https://x', headers: {}, secrets: [], classify: (x) => ({ kind: kindOfStatus(x.status, x.on404) }), fetch: f });
  await expect(http.request({ method: 'GET', path: '/a', schema: z.object({ n: z.number() }) })).resolves.toMatchObject({ data: { n: 1 } });
});
