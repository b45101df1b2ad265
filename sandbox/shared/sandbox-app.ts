/**
 * The fastify app every PSA sandbox starts from: loopback only, request accounting, latency
 * and fault injection on the vendor routes, and the control routes under `/__sandbox`
 * (sandbox/README.md). Each sandbox adds its own vendor routes and control extras.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { setTimeout as delay } from 'node:timers/promises';
import type { Fault, FaultInjector, FaultRule, Latency } from './faults';
import type { RateLimiter, RateLimit } from './rate-limit';
import type { Traffic } from './traffic';

export const CONTROL_PREFIX = '/__sandbox';

export interface SandboxAppDeps {
  faults: FaultInjector;
  traffic: Traffic;
  rateLimiter: RateLimiter;
  /** The vendor's error body for an injected status (e.g. a 429 or a 500 "timeout"). */
  faultBody(status: number): unknown;
  /** Empties the state and loads a seed (`demo` | `empty`). */
  reset(seed: string): void;
  /** The whole state, for `GET /__sandbox/state`. */
  snapshot(): unknown;
  /** Route matching ignores case (Autotask's paths are case-insensitive). Default: case-sensitive. */
  caseInsensitive?: boolean;
  /**
   * Runs as a vendor request arrives, before latency and faults, so what it admits stays "in
   * flight" for the whole request (the Autotask thread limit). It may answer to refuse.
   */
  onArrival?(req: FastifyRequest, reply: FastifyReply): Promise<void> | void;
}

interface RequestMeta {
  startedAt: number;
  route: string;
  fault?: Fault;
}

const routeOf = (req: FastifyRequest): string => `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`;

export function createSandboxApp(deps: SandboxAppDeps): FastifyInstance {
  const app = Fastify({ logger: false, forceCloseConnections: true, routerOptions: { caseSensitive: !deps.caseInsensitive } });
  const meta = new WeakMap<FastifyRequest, RequestMeta>();
  const closing = new AbortController();
  app.addHook('onClose', async () => closing.abort());

  // JSON bodies, also under JSON-Patch's own media type. An empty body is no body: clients send
  // `Content-Type: application/json` on a DELETE without one, and the vendors accept that.
  const parseJson = (_req: FastifyRequest, body: string | Buffer, done: (err: Error | null, value?: unknown) => void): void => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      (error as Error & { statusCode?: number }).statusCode = 400;
      done(error as Error);
    }
  };
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(['application/json', 'application/json-patch+json'], { parseAs: 'string' }, parseJson);

  // Every control route, for the `GET /__sandbox` index (sandbox/README.md documents each).
  const controlRoutes: { method: string; path: string }[] = [];
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith(CONTROL_PREFIX)) return;
    for (const method of [route.method].flat()) if (method !== 'HEAD') controlRoutes.push({ method, path: route.url });
  });
  app.get(CONTROL_PREFIX, async () => ({
    docs: 'sandbox/README.md',
    routes: [...controlRoutes].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method)),
  }));

  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith(CONTROL_PREFIX)) return; // control calls are neither counted nor faulted
    const m: RequestMeta = { startedAt: Date.now(), route: routeOf(req) };
    meta.set(req, m);
    deps.traffic.started(m.route);
    await deps.onArrival?.(req, reply);
    if (reply.sent) return reply;
    const wait = deps.faults.latencyMs();
    if (wait > 0) await delay(wait, undefined, { signal: closing.signal }).catch(() => {});
    const fault = deps.faults.pick(req.method, req.url);
    if (!fault) return;
    m.fault = fault;
    if (fault.type === 'hang') {
      await new Promise<void>((resolve) => closing.signal.addEventListener('abort', () => resolve(), { once: true }));
      return reply.code(503).send(deps.faultBody(503));
    }
    if (!fault.afterWrite) return sendFault(reply, fault);
  });

  // An `afterWrite` fault lets the handler do its work, then replaces the answer.
  app.addHook('onSend', async (req, reply, payload) => {
    const fault = meta.get(req)?.fault;
    if (fault?.type !== 'status' || !fault.afterWrite || reply.statusCode === fault.status) return payload;
    reply.code(fault.status).header('content-type', 'application/json; charset=utf-8');
    if (fault.retryAfterSeconds !== undefined) reply.header('retry-after', String(fault.retryAfterSeconds));
    return JSON.stringify(fault.body ?? deps.faultBody(fault.status));
  });

  app.addHook('onResponse', async (req, reply) => {
    const m = meta.get(req);
    if (!m) return;
    deps.traffic.finished({
      at: new Date(m.startedAt).toISOString(),
      method: req.method,
      url: req.url,
      route: m.route,
      status: reply.statusCode,
      durationMs: Date.now() - m.startedAt,
      ...(m.fault ? { fault: m.fault.type === 'status' ? `${m.fault.status}${m.fault.afterWrite ? ' after write' : ''}` : m.fault.type } : {}),
    });
  });

  function sendFault(reply: FastifyReply, fault: Extract<Fault, { type: 'status' }>): FastifyReply {
    if (fault.retryAfterSeconds !== undefined) reply.header('retry-after', String(fault.retryAfterSeconds));
    return reply.code(fault.status).send(fault.body ?? deps.faultBody(fault.status));
  }

  registerControlRoutes(app, deps);
  return app;
}

function registerControlRoutes(app: FastifyInstance, deps: SandboxAppDeps): void {
  const p = CONTROL_PREFIX;
  app.get(`${p}/health`, async () => ({ ok: true }));
  app.get(`${p}/state`, async () => deps.snapshot());
  app.post<{ Body: { seed?: string } | undefined }>(`${p}/reset`, async (req) => {
    const seed = req.body?.seed ?? 'empty';
    deps.reset(seed);
    deps.traffic.clear();
    deps.faults.clear();
    deps.rateLimiter.clear();
    return { ok: true, seed };
  });
  app.post<{ Body: FaultRule | FaultRule[] }>(`${p}/faults`, async (req, reply) => {
    const rules = Array.isArray(req.body) ? req.body : [req.body];
    for (const rule of rules) {
      if (!rule || typeof rule !== 'object' || !rule.fault || !['status', 'hang'].includes(rule.fault.type)) {
        return reply.code(400).send({ message: 'expected { fault: { type: "status", status, retryAfterSeconds?, afterWrite? } | { type: "hang" }, times? | probability?, method?, pathIncludes? }' });
      }
    }
    rules.forEach((r) => deps.faults.add(r));
    return reply.code(201).send({ rules: deps.faults.rules() });
  });
  app.get(`${p}/faults`, async () => ({ rules: deps.faults.rules() }));
  app.delete(`${p}/faults`, async (_req, reply) => {
    deps.faults.clear();
    return reply.code(204).send();
  });
  app.put<{ Body: Latency }>(`${p}/latency`, async (req) => {
    deps.faults.setLatency({ ms: Number(req.body?.ms ?? 0), jitterMs: Number(req.body?.jitterMs ?? 0) });
    return { ok: true };
  });
  app.put<{ Body: RateLimit }>(`${p}/rate-limit`, async (req) => {
    deps.rateLimiter.configure({ limit: Number(req.body?.limit ?? 0), windowMs: Number(req.body?.windowMs ?? 10_000) });
    return deps.rateLimiter.current();
  });
  app.get<{ Querystring: { limit?: string } }>(`${p}/requests`, async (req) => ({
    counters: deps.traffic.snapshot(),
    log: deps.traffic.log(req.query.limit ? Number(req.query.limit) : undefined),
  }));
  app.delete(`${p}/requests`, async (_req, reply) => {
    deps.traffic.clear();
    return reply.code(204).send();
  });
}

/** Listens on 127.0.0.1 (port 0 = any free port) and returns the base URL. */
export async function listenOnLoopback(app: FastifyInstance, port: number): Promise<{ url: string; port: number }> {
  await app.listen({ host: '127.0.0.1', port });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('sandbox is not listening on a TCP port');
  return { url: `http://127.0.0.1:${address.port}`, port: address.port };
}
