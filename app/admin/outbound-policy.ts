/**
 * Outbound safety for connection URLs (docs/security.md): the connector calls whatever URL a
 * connection names, and its credential test reports what answered. Without a check, anyone
 * allowed to add a connection could probe the internal network (metadata services, databases,
 * admin panels). So URLs whose host is — or resolves to — a loopback, private, link-local,
 * carrier-grade NAT, multicast or reserved address are refused, unless the configuration's
 * allow-list (OUTBOUND_ALLOWLIST) names the host, address or network. The local stack and the
 * tests allow their sandboxes on 127.0.0.1 this way.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** One allow-list entry: a host name, an IP address or a CIDR network, optionally with `:port`. */
export interface OutboundAllowEntry {
  host?: string;
  network?: BlockList;
  port?: number;
  text: string;
}

export interface OutboundPolicy {
  /** Why `url` may not be called, or null when it may. */
  refusal(url: string): Promise<string | null>;
}

const INTERNAL: Array<[string, number, 'ipv4' | 'ipv6', string]> = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'reserved'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'reserved'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['fc00::', 7, 'ipv6', 'private'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];

/** The kind of internal address `ip` is ("loopback", "private", …), or null for a public one. */
export function internalAddressKind(ip: string): string | null {
  const family = isIP(ip);
  if (family === 0) return null;
  // IPv4-mapped IPv6 (::ffff:10.0.0.1) is the IPv4 address.
  const mapped = family === 6 ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1] : undefined;
  const addr = mapped ?? ip;
  const type = isIP(addr) === 4 ? 'ipv4' : 'ipv6';
  for (const [net, prefix, t, kind] of INTERNAL) {
    if (t !== type) continue;
    const list = new BlockList();
    list.addSubnet(net, prefix, t);
    if (list.check(addr, t)) return kind;
  }
  return null;
}

/** Parses OUTBOUND_ALLOWLIST (comma separated); throws an Error naming a bad entry. */
export function parseOutboundAllowList(value: string | undefined): OutboundAllowEntry[] {
  const out: OutboundAllowEntry[] = [];
  for (const raw of (value ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    let text = raw;
    let port: number | undefined;
    // host:port, a.b.c.d:port, [v6]:port; a bare IPv6 address has several colons and no port.
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(raw) ?? (raw.split(':').length === 2 ? /^([^:]+):(\d+)$/.exec(raw) : null);
    if (m) {
      text = m[1]!;
      if (m[2] !== undefined) port = Number(m[2]);
      if (port !== undefined && !(port >= 1 && port <= 65535)) throw new Error(`"${raw}": the port must be 1–65535`);
    }
    const [addr, prefix] = text.split('/');
    const family = isIP(addr!);
    if (family) {
      const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
      if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) throw new Error(`"${raw}": the prefix length must be 0–${family === 4 ? 32 : 128}`);
      const network = new BlockList();
      network.addSubnet(addr!, bits, family === 4 ? 'ipv4' : 'ipv6');
      out.push({ network, text: raw, ...(port ? { port } : {}) });
    } else if (prefix === undefined && /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(text)) {
      out.push({ host: text.toLowerCase(), text: raw, ...(port ? { port } : {}) });
    } else {
      throw new Error(`"${raw}" is not a host name, IP address or CIDR network (e.g. 127.0.0.1, 10.0.0.0/8, psa.internal:8443)`);
    }
  }
  return out;
}

const defaultPort = (u: URL) => Number(u.port || (u.protocol === 'https:' ? 443 : 80));

export function createOutboundPolicy(allow: readonly OutboundAllowEntry[], resolve: (host: string) => Promise<string[]> = resolveHost): OutboundPolicy {
  const portOk = (e: OutboundAllowEntry, port: number) => e.port === undefined || e.port === port;
  return {
    async refusal(url) {
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        return null; // the schema names a malformed URL
      }
      const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
      const port = defaultPort(u);
      if (allow.some((e) => e.host === host && portOk(e, port))) return null;
      let addresses: string[];
      try {
        addresses = isIP(host) ? [host] : await resolve(host);
      } catch {
        return null; // does not resolve: nothing internal can answer; the PSA call says what failed
      }
      for (const ip of addresses) {
        const kind = internalAddressKind(ip);
        if (!kind) continue;
        const family = isIP(ip) === 4 ? 'ipv4' : 'ipv6';
        if (allow.some((e) => e.network?.check(ip, family) && portOk(e, port))) continue;
        const where = ip === host ? ip : `${host} resolves to ${ip}`;
        return `points at a ${kind} address (${where}); connections may reach internal addresses only when OUTBOUND_ALLOWLIST names them`;
      }
      return null;
    },
  };
}

async function resolveHost(host: string): Promise<string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}
