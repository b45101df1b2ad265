/**
 * Who may call what (docs/security.md). Every request to a non-public route needs
 * `Authorization: Bearer <token>`; the token's role must reach the route's role in the route
 * catalog, and a token limited to connections may only touch routes of those connections.
 * Refusals are 401 (no or unknown token) and 403 (not allowed), one line each. Wrong tokens
 * are throttled per client address: after `failureLimit` within `failureWindowMs` every
 * attempt from that address answers 429 with Retry-After until the window has passed.
 * Tokens never reach a log: only their hash is compared.
 *
 * The console (client/console) signs a browser in with a token and keeps it server-side behind
 * a session cookie; a request without an Authorization header may carry that cookie instead
 * and is then checked with the session's token exactly like a bearer request. A changing
 * request authenticated by the cookie must come from the console's own origin (CSRF).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { roleAtLeast, type ApiTokenRepository, type Principal } from '../../activities/store';
import { cookieValue, type SessionStore } from '../console/sessions';
import { HttpRefusal } from './error-reply';
import { connectionParam, type RouteSpec } from './route-catalog';

export interface AccessOptions {
  tokens: Pick<ApiTokenRepository, 'verify'>;
  /** ADMIN_BOOTSTRAP_TOKEN: an admin token accepted without being stored (name "bootstrap"). */
  bootstrapToken?: string;
  /** Wrong tokens per client address before it is locked out for the window (default 10). */
  failureLimit?: number;
  failureWindowMs?: number;
  now?: () => number;
  /** Console sessions: the token behind a session cookie. */
  sessions?: Pick<SessionStore, 'tokenOf'>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller; null on public routes and before authentication. */
    principal: Principal | null;
  }
}

export const BOOTSTRAP_PRINCIPAL: Principal = { name: 'bootstrap', role: 'admin' };

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * True when the request says it comes from this server's own pages: its Origin names the host
 * the request was sent to. Browsers send Origin with every POST, PUT and DELETE.
 */
export function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (!origin || origin === 'null') return false;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The bearer token of a request, or null when none was sent. */
function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw new HttpRefusal(401, 'the Authorization header must be "Bearer <token>"');
  return m[1]!;
}

export function createAccessCheck(options: AccessOptions) {
  const limit = options.failureLimit ?? 10;
  const windowMs = options.failureWindowMs ?? 60_000;
  const now = options.now ?? Date.now;
  const bootstrap = options.bootstrapToken ? sha256(options.bootstrapToken) : null;
  const failures = new Map<string, { count: number; since: number }>();

  function lockedFor(ip: string): number {
    const f = failures.get(ip);
    if (!f) return 0;
    const left = f.since + windowMs - now();
    if (left <= 0) {
      failures.delete(ip);
      return 0;
    }
    return f.count >= limit ? left : 0;
  }

  function noteFailure(ip: string): void {
    const t = now();
    const f = failures.get(ip);
    if (!f || t - f.since >= windowMs) failures.set(ip, { count: 1, since: t });
    else f.count++;
    // Bounded memory: forget finished windows when many addresses failed.
    if (failures.size > 10_000) for (const [k, v] of failures) if (t - v.since >= windowMs) failures.delete(k);
  }

  /** The principal of a presented token (throttled per address like every token check). */
  async function principalOf(token: string, ip: string): Promise<Principal> {
    const left = lockedFor(ip);
    if (left > 0) throw new HttpRefusal(429, `too many failed authentication attempts from this address; try again in ${Math.ceil(left / 1000)} s`, Math.ceil(left / 1000));
    if (bootstrap && timingSafeEqual(sha256(token), bootstrap)) return BOOTSTRAP_PRINCIPAL;
    const principal = await options.tokens.verify(token);
    if (!principal) {
      noteFailure(ip);
      throw new HttpRefusal(401, 'the API token is not valid (unknown or revoked)');
    }
    return principal;
  }

  /** The token of a console session cookie (null: no cookie); a cookie whose session ended is a 401. */
  function sessionToken(request: FastifyRequest): string | null {
    const cookie = options.sessions ? cookieValue(request.headers.cookie) : null;
    if (!cookie) return null;
    const token = options.sessions!.tokenOf(cookie);
    if (!token) throw new HttpRefusal(401, 'the console session has ended (signed out or expired): sign in again');
    if (!SAFE_METHODS.has(request.method) && !sameOrigin(request)) {
      throw new HttpRefusal(403, 'a change made with the console session must come from the console itself (Origin missing or another site)');
    }
    return token;
  }

  async function authenticate(request: FastifyRequest): Promise<Principal> {
    const token = bearer(request) ?? sessionToken(request);
    if (token === null) {
      const left = lockedFor(request.ip);
      if (left > 0) throw new HttpRefusal(429, `too many failed authentication attempts from this address; try again in ${Math.ceil(left / 1000)} s`, Math.ceil(left / 1000));
      throw new HttpRefusal(401, 'authentication required: send "Authorization: Bearer <token>" (docs/security.md)');
    }
    return principalOf(token, request.ip);
  }

  function authorize(principal: Principal, spec: RouteSpec, request: FastifyRequest, url: string): void {
    if (spec.role === 'public') return;
    if (!roleAtLeast(principal.role, spec.role)) {
      throw new HttpRefusal(403, `token "${principal.name}" has role ${principal.role}; ${request.method} ${url} needs ${spec.role}`);
    }
    if (!principal.connections || spec.selfService) return;
    const param = connectionParam(url);
    const connectionId = param ? (request.params as Record<string, string>)[param] : undefined;
    if (connectionId === undefined) {
      throw new HttpRefusal(403, `token "${principal.name}" is limited to connections ${principal.connections.join(', ')}; ${request.method} ${url} is not about one connection`);
    }
    if (!principal.connections.includes(connectionId)) {
      throw new HttpRefusal(403, `token "${principal.name}" is limited to connections ${principal.connections.join(', ')}, not "${connectionId}"`);
    }
  }

  return {
    /** The console's sign-in: the principal of a pasted token, or an HttpRefusal (401, 429). */
    signIn: (token: string, ip: string): Promise<Principal> => principalOf(token.trim(), ip),
    /** Who a request acts as (bearer token or console session), or an HttpRefusal. */
    authenticate,
    /** The role and connection checks of a catalogued route, for an authenticated principal. */
    authorize,
    /** The onRequest check: sets `request.principal` or throws an HttpRefusal. */
    async check(request: FastifyRequest, spec: RouteSpec, url: string): Promise<void> {
      if (spec.role === 'public') return;
      const principal = await authenticate(request);
      request.principal = principal;
      authorize(principal, spec, request, url);
    },
  };
}

/** Retry-After on refusals and outages that say when to come back. */
export function retryAfterHeader(reply: FastifyReply, seconds: number | undefined): void {
  if (seconds !== undefined) void reply.header('retry-after', String(seconds));
}
