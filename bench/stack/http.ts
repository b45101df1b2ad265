/**
 * The HTTP the driver speaks: the admin API (bearer token), the sandboxes' control routes
 * (`/__sandbox/...`, sandbox/README.md) and their vendor APIs with the sandbox credentials.
 */
import type { BareTargets } from '../baseline/activities';

export class HttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
  }
}

export async function requestJson<T>(method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text for the message
  }
  if (!res.ok) throw new HttpError(`${method} ${url} answered ${res.status}: ${text.slice(0, 500)}`, res.status, parsed);
  return parsed as T;
}

export interface AdminApi {
  url: string;
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

export function adminApi(url: string, token: string): AdminApi {
  return { url, call: (method, path, body) => requestJson(method, `${url}${path}`, { authorization: `Bearer ${token}` }, body) };
}

/** One request of a sandbox's traffic log (sandbox/shared/traffic.ts). */
export interface TrafficRecord {
  at: string;
  method: string;
  url: string;
  route: string;
  status: number;
  durationMs: number;
}
export interface Traffic {
  counters: { total: number; byRoute: Record<string, number>; byStatus: Record<string, number> };
  log: TrafficRecord[];
}

export const sandboxTraffic = (sandboxUrl: string, limit = 200): Promise<Traffic> => requestJson('GET', `${sandboxUrl}/__sandbox/requests?limit=${limit}`, {});

/** When a request's answer was sent (the sandbox's own clock: the moment the line became visible). */
export const finishedAt = (r: TrafficRecord): number => Date.parse(r.at) + r.durationMs;

/** Vendor API calls with the sandbox credentials. */
export function vendorApis(t: BareTargets) {
  const cw = { authorization: t.connectwise.authorization, clientId: t.connectwise.clientId };
  const at = { UserName: t.autotask.username, Secret: t.autotask.secret, ApiIntegrationCode: t.autotask.integrationCode };
  return {
    connectwise: <T>(method: string, path: string, body?: unknown) => requestJson<T>(method, `${t.connectwise.apiUrl}${path}`, cw, body),
    autotask: <T>(method: string, path: string, body?: unknown) => requestJson<T>(method, `${t.autotask.apiUrl}${path}`, at, body),
  };
}
