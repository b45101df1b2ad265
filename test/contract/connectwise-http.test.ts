/**
 * The shared PSA HTTP plumbing (activities/psa/http) as the ConnectWise client uses it:
 * retries and backoff, Retry-After, timeouts, classification, the concurrency limiter, and
 * that no credential ever reaches an error or a log line.
 */
import { z } from 'zod';
import { createConnectWiseClient, basicAuthorization, type ConnectWiseCredentials } from '../../activities/psa/connectwise/connectwise-client';
import { createKeyedLimiter, createLimiter } from '../../activities/psa/http/concurrency';
import { createHttpClient, kindOfStatus } from '../../activities/psa/http/http-client';
import type { Logger } from '../../activities/psa/http/logger';
import { PsaError } from '../../activities/psa/http/psa-error';
import { backoffDelay, defaultRetryPolicy, parseRetryAfter } from '../../activities/psa/http/retry';
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
  test('backoff grows exponentially with equal jitter and is capped', () => {
    const p = { ...defaultRetryPolicy, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, p, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3].map((n) => backoffDelay(n, p, () => 1))).toEqual([100, 200, 400]);
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

  test('retries 429 honouring Retry-After and 5xx with backoff, then succeeds', async () => {
    const { delays, sleep, random } = fastDeps();
    const f = scriptedFetch([json(429, { code: 'TooManyRequests' }, { 'retry-after': '3' }), json(503, {}), json(200, { version: 'x' })]);
    const logger = capturingLogger();
    const client = createConnectWiseClient({ baseUrl: 'https://cw.test', credentials, fetch: f, sleep, random, logger, retry: { baseDelayMs: 100 } });
    await expect(client.systemInfo()).resolves.toMatchObject({ version: 'x' });
    expect(delays).toEqual([3000, 150]);
    expect(logger.lines.filter((l) => (l as { level: string }).level === 'warn')).toHaveLength(2);
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
    await expect(createConnectWiseClient({ baseUrl: 'https://cw.test', credentials, fetch: f, sleep }).systemInfo()).resolves.toBeDefined();
  });

  test('404 means not-found with a NotFound body, auth on a bare 404 of a collection', async () => {
    const f = scriptedFetch([json(404, { code: 'NotFound', message: 'Agreement 9 was not found.' }), json(404, undefined)]);
    const client = createConnectWiseClient({ baseUrl: 'https://cw.test', credentials, fetch: f });
    await expect(client.agreements.get(9)).rejects.toMatchObject({ kind: 'not-found' });
    await expect(client.companies.list()).rejects.toMatchObject({ kind: 'auth', retryable: false });
  });

  test('per-attempt timeout aborts a silent server and is retried for a GET', async () => {
    const { sleep } = fastDeps();
    const hang = (init: RequestInit) =>
      new Promise<Response>((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason)));
    const f = scriptedFetch([hang, json(200, { version: 'x' })]);
    const client = createConnectWiseClient({ baseUrl: 'https://cw.test', credentials, fetch: f, sleep, timeoutMs: 50 });
    await expect(client.systemInfo()).resolves.toBeDefined();
    expect(f.calls).toHaveLength(2);
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
    sandbox.faults.add({ fault: { type: 'status', status: 502, body: { code: 'ConnectWiseApi', message: 'Bad gateway' } }, times: 2 });
    await capture(ok.systemInfo()); // unavailable
    sandbox.faults.add({ fault: { type: 'hang' }, times: 2 });
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
