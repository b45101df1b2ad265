/**
 * Outbound safety: a connection URL that is — or resolves to — a loopback, private or
 * link-local address is refused with 400 naming the field, before anything calls it, unless
 * OUTBOUND_ALLOWLIST names it. The probe target here counts the requests it gets: none.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOutboundPolicy, internalAddressKind, parseOutboundAllowList } from '../../app/admin/outbound-policy';
import { cwConnection, request, startHarness, type Harness } from '../api/harness';

describe('outbound safety (SSRF)', () => {
  it('knows the internal address ranges, IPv4 and IPv6', () => {
    expect(
      ['127.0.0.1', '10.2.3.4', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:10.0.0.1', '8.8.8.8', '2001:4860:4860::8888', '172.32.0.1'].map(
        (ip) => [ip, internalAddressKind(ip)],
      ),
    ).toEqual([
      ['127.0.0.1', 'loopback'], ['10.2.3.4', 'private'], ['172.20.0.1', 'private'], ['192.168.1.1', 'private'], ['169.254.169.254', 'link-local'],
      ['100.64.0.1', 'carrier-grade NAT'], ['0.0.0.0', 'unspecified'], ['::1', 'loopback'], ['fd00::1', 'private'], ['fe80::1', 'link-local'],
      ['::ffff:10.0.0.1', 'private'], ['8.8.8.8', null], ['2001:4860:4860::8888', null], ['172.32.0.1', null],
    ]);
  });

  it('resolves host names: a public name pointing inside is refused; allow-list entries match host, network and port', async () => {
    const resolve = async (host: string) => ({ 'psa.example.com': ['203.0.113.10'], 'rebind.example.com': ['203.0.113.11', '10.0.0.7'], 'psa.internal': ['10.9.9.9'] })[host] ?? [];
    const none = createOutboundPolicy([], resolve);
    expect(await none.refusal('https://psa.example.com/v4_6_release/apis/3.0')).toBeNull();
    expect(await none.refusal('https://rebind.example.com')).toBe('points at a private address (rebind.example.com resolves to 10.0.0.7); connections may reach internal addresses only when OUTBOUND_ALLOWLIST names them');
    const some = createOutboundPolicy(parseOutboundAllowList('psa.internal, 10.0.0.0/24:8443'), resolve);
    expect(await some.refusal('https://psa.internal')).toBeNull();
    expect(await some.refusal('https://10.0.0.5:8443')).toBeNull();
    expect(await some.refusal('https://10.0.0.5')).toMatch(/^points at a private address \(10\.0\.0\.5\)/);
    expect(await some.refusal('http://169.254.169.254/latest/meta-data')).toMatch(/^points at a link-local address/);
  });

  describe('through the admin API', () => {
    let h: Harness;
    let probe: http.Server;
    let hits = 0;
    let probeUrl: string;

    beforeAll(async () => {
      h = await startHarness('outbound', { outboundAllowList: '' });
      probe = http.createServer((_req, res) => {
        hits++;
        res.end('internal service');
      });
      await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
      probeUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    }, 60_000);
    afterAll(async () => {
      probe?.close();
      expect(h.errors).toEqual([]);
      await h?.close();
    });

    it('refuses connections to loopback, private and link-local URLs before calling them', async () => {
      const base = cwConnection(h, 'cw-ssrf');
      for (const [url, kind] of [[probeUrl, 'loopback'], ['http://localhost:1', 'loopback'], ['http://10.0.0.5', 'private'], ['http://169.254.169.254', 'link-local']] as const) {
        const res = await request(h, 'POST', '/api/connections', { ...base, settings: { ...base.settings, baseUrl: url } });
        expect(res.status).toBe(400);
        expect(res.body.problems).toEqual([{ path: 'settings.baseUrl', message: expect.stringMatching(new RegExp(`^points at a ${kind} address .*OUTBOUND_ALLOWLIST`)) }]);
      }
      const at = await request(h, 'POST', '/api/connections', { id: 'at-ssrf', psa: 'autotask', name: 'AT', settings: { discoveryUrl: probeUrl, username: 'u@example.com', integrationCode: 'X' }, secret: 's' });
      expect(at.body.problems).toEqual([{ path: 'settings.discoveryUrl', message: expect.stringMatching(/^points at a loopback address/) }]);
      expect(hits).toBe(0);
    });

    it('refuses a credentials change to an internal URL, and the test of a stored one', async () => {
      // Stored directly, as if saved before the allow-list was narrowed.
      await h.store.connections.create(cwConnection(h, 'cw-old') as Parameters<typeof h.store.connections.create>[0]);
      const test = await request(h, 'POST', '/api/connections/cw-old/test');
      expect(test.body.problems).toEqual([{ path: 'settings.baseUrl', message: expect.stringMatching(/^points at a loopback address \(127\.0\.0\.1\)/) }]);
      const change = await request(h, 'PUT', '/api/connections/cw-old/credentials', { settings: { baseUrl: 'http://192.168.0.10/v4_6_release/apis/3.0' } });
      expect(change.body.problems).toEqual([{ path: 'settings.baseUrl', message: expect.stringMatching(/^points at a private address \(192\.168\.0\.10\)/) }]);
      expect(hits).toBe(0);
    });
  });

  it('lets the allow-listed sandbox through (the default test harness allows 127.0.0.1)', async () => {
    const h = await startHarness('outbound_allowed');
    try {
      expect((await request(h, 'POST', '/api/connections', cwConnection(h, 'cw-ok'))).status).toBe(201);
    } finally {
      await h.close();
    }
  });
});
