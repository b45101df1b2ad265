/**
 * The console's pages call the admin API of their own process, over loopback HTTP, with the
 * signed-in user's session cookie: every read and every change goes through the API's access
 * check (role, connection limits), its input validation and its audit log, under the user's
 * token name — the console holds no second implementation of any operation.
 */
import type { FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from './sessions';

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
  /** The API's one-line error, with one `path: message` per problem, for non-2xx answers. */
  error?: string;
  problems?: string[];
}

/** A non-2xx answer of the API, for a page to show. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly problems: string[] = [],
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
}

export interface OwnApi {
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>>;
  /** GET that throws ApiFailure unless 2xx. */
  get<T = unknown>(path: string): Promise<T>;
  /** The raw answer (CSV export). */
  fetchRaw(path: string): Promise<Response>;
}

/** The address this request reached: the API listens there too. */
function ownBase(request: FastifyRequest): string {
  const host = request.socket.localAddress ?? '127.0.0.1';
  const bare = host.startsWith('::ffff:') ? host.slice(7) : host;
  return `http://${bare.includes(':') ? `[${bare}]` : bare}:${request.socket.localPort}`;
}

export function ownApi(request: FastifyRequest, sessionCookieValue: string): OwnApi {
  const base = ownBase(request);
  const headers = { cookie: `${SESSION_COOKIE}=${sessionCookieValue}`, origin: base };
  async function call<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    if (res.ok) return { status: res.status, body: parsed as T };
    const e = (parsed ?? {}) as { error?: string; problems?: Array<{ path?: string; message: string }> };
    return {
      status: res.status,
      body: parsed as T,
      error: e.error ?? `HTTP ${res.status}`,
      problems: (e.problems ?? []).map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)),
    };
  }
  return {
    call,
    async get<T>(path: string): Promise<T> {
      const a = await call<T>('GET', path);
      if (a.error !== undefined) throw new ApiFailure(a.status, a.error, a.problems);
      return a.body;
    },
    fetchRaw: (path) => fetch(`${base}${path}`, { headers }),
  };
}
