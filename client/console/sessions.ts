/**
 * Console sign-in sessions (docs/console.md "Signing in"). The browser holds only a random
 * session id in an HttpOnly, SameSite=Strict cookie; the server keeps, in this process's memory,
 * the SHA-256 of that id → the API token the user pasted. Every request with the cookie is
 * authenticated with that token exactly as a bearer request is (client/http/access.ts), so a
 * revoked token or a changed role takes effect at the next click. Sessions end on sign-out,
 * after 8 hours without a request, after 12 hours in all, and when the API process restarts.
 * Nothing is written to disk, and the token never leaves the server again.
 */
import { createHash, randomBytes } from 'node:crypto';

export const SESSION_COOKIE = 'psa_console';
const IDLE_MS = 8 * 60 * 60_000;
const MAX_AGE_MS = 12 * 60 * 60_000;
const MAX_SESSIONS = 10_000;

/** A message shown once on the next page (after a redirect). */
export interface Flash {
  kind: 'ok' | 'error';
  text: string;
  /** One line per problem, e.g. "note: is too long". */
  details?: string[];
}

interface Session {
  token: string;
  createdAt: number;
  lastSeenAt: number;
  flash?: Flash;
}

export interface SessionStore {
  /** A new session for a verified token; the answer is the cookie value (shown to the browser only). */
  create(token: string): string;
  /** The token of a live session, or null (unknown, signed out or expired). */
  tokenOf(cookieValue: string): string | null;
  destroy(cookieValue: string): void;
  setFlash(cookieValue: string, flash: Flash): void;
  /** The pending flash, removed. */
  takeFlash(cookieValue: string): Flash | undefined;
}

const idOf = (cookieValue: string) => createHash('sha256').update(cookieValue, 'utf8').digest('hex');

export function createSessionStore(now: () => number = Date.now): SessionStore {
  const sessions = new Map<string, Session>();

  function live(cookieValue: string): Session | null {
    if (!/^[A-Za-z0-9_-]{43}$/.test(cookieValue)) return null;
    const id = idOf(cookieValue);
    const s = sessions.get(id);
    if (!s) return null;
    const t = now();
    if (t - s.lastSeenAt > IDLE_MS || t - s.createdAt > MAX_AGE_MS) {
      sessions.delete(id);
      return null;
    }
    s.lastSeenAt = t;
    return s;
  }

  function prune(): void {
    const t = now();
    for (const [id, s] of sessions) if (t - s.lastSeenAt > IDLE_MS || t - s.createdAt > MAX_AGE_MS) sessions.delete(id);
    // Still full: the oldest go first (a flood of sign-ins cannot grow memory without bound).
    for (const id of sessions.keys()) {
      if (sessions.size < MAX_SESSIONS) break;
      sessions.delete(id);
    }
  }

  return {
    create(token) {
      prune();
      const cookieValue = randomBytes(32).toString('base64url');
      sessions.set(idOf(cookieValue), { token, createdAt: now(), lastSeenAt: now() });
      return cookieValue;
    },
    tokenOf: (cookieValue) => live(cookieValue)?.token ?? null,
    destroy(cookieValue) {
      sessions.delete(idOf(cookieValue));
    },
    setFlash(cookieValue, flash) {
      const s = live(cookieValue);
      if (s) s.flash = flash;
    },
    takeFlash(cookieValue) {
      const s = live(cookieValue);
      const f = s?.flash;
      if (s) delete s.flash;
      return f;
    },
  };
}

/** The value of one cookie of a Cookie header, or null. */
export function cookieValue(header: string | undefined, name = SESSION_COOKIE): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** The Set-Cookie header of a session (empty value + Max-Age=0 ends it). */
export function sessionCookie(value: string, opts: { secure: boolean; clear?: boolean }): string {
  return [
    `${SESSION_COOKIE}=${opts.clear ? '' : value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    ...(opts.secure ? ['Secure'] : []),
    ...(opts.clear ? ['Max-Age=0'] : [`Max-Age=${MAX_AGE_MS / 1000}`]),
  ].join('; ');
}
