/**
 * The event intake at the engine's pace (issue 15): once the API has seen a subscription, an
 * event POSTed for it reads nothing from the database but the caller's token (one read by id,
 * kept so a revocation ends a token at once) and writes only its audit record — the connection
 * and the platform subscription are not read again. Counted with the driver's command
 * monitoring on the API's own MongoDB client. No worker runs: events are queued (202).
 */
import type { CommandStartedEvent } from 'mongodb';
import { cwConnection, demoCustomers, demoProducts, report, request, startHarness, type Harness } from './harness';

describe('admin API: the event intake reads nothing it has seen', () => {
  let h: Harness;
  let token: string;
  let commands: Array<{ name: string; collection: string }> = [];
  const call = (method: string, path: string, payload?: unknown) => request(h, method, path, payload, undefined, token);
  beforeAll(async () => {
    h = await startHarness('api_intake_reads', { mongoOptions: { monitorCommands: true } });
    h.rt.mongo.on('commandStarted', (e: CommandStartedEvent) => commands.push({ name: e.commandName, collection: String(e.command[e.commandName]) }));
    // The platform's own stored token (operator), as a billing platform would hold.
    token = await h.tokenFor('operator');
    expect((await request(h, 'POST', '/api/connections', cwConnection(h, 'intake'))).status).toBe(201);
    await request(h, 'PUT', '/api/platform/customers', { customers: demoCustomers });
    await request(h, 'PUT', '/api/platform/products', { products: demoProducts });
    expect((await call('POST', '/api/connections/intake/subscriptions', report('intake-sub', 'c-acme', 'p-m365bp'))).status).toBe(202);
  });
  afterAll(async () => {
    expect(h.errors).toEqual([]);
    await h.close();
  });

  const event = (n: number) => ({ id: `e${n}`, type: 'quantity-changed', date: '2026-03-15', quantity: 10 + n });
  async function post(n: number) {
    commands = [];
    const res = await call('POST', '/api/connections/intake/subscriptions/intake-sub/events', event(n));
    expect(res.status).toBe(202);
    return commands.filter((c) => c.name !== 'endSessions');
  }

  it('the first event checks the connection and the subscription; later ones read only the token', async () => {
    const first = await post(1);
    expect(new Set(first.filter((c) => c.name === 'find').map((c) => c.collection))).toEqual(new Set(['api_tokens', 'connections', 'platform_subscriptions']));
    for (const n of [2, 3, 4]) {
      const warm = await post(n);
      expect(warm).toEqual([
        { name: 'find', collection: 'api_tokens' },
        { name: 'insert', collection: 'audit_log' },
      ]);
    }
  });

  it('an unknown subscription is still refused (404), and a bad event still answers 400 without touching the database beyond the token', async () => {
    commands = [];
    expect((await call('POST', '/api/connections/intake/subscriptions/never/events', event(9))).status).toBe(404);
    commands = [];
    const bad = await call('POST', '/api/connections/intake/subscriptions/intake-sub/events', { id: 'b', type: 'quantity-changed', date: '15/03/2026' });
    expect(bad.status).toBe(400);
    expect(commands.filter((c) => c.name === 'find').map((c) => c.collection)).toEqual(['api_tokens']);
  });
});
