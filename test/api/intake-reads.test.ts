/**
 * The event intake at the engine's pace (issue 15): once the API has seen a subscription, an
 * event POSTed for it reads nothing from the database but the caller's token (one read by id,
 * kept so a revocation ends a token at once) and writes nothing — the connection and the
 * platform subscription are not read again, and an accepted event is not audited (its record is
 * the subscription's event log; refusals and failures are). Counted with the driver's command
 * monitoring on the API's own MongoDB client. No worker runs: events are queued (202), after
 * the client library's short accept wait — or at once with `Prefer: respond-async`.
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
  const eventsPath = '/api/connections/intake/subscriptions/intake-sub/events';
  async function post(n: number, headers: Record<string, string> = {}) {
    commands = [];
    const res = await request(h, 'POST', eventsPath, event(n), undefined, token, headers);
    expect(res.status).toBe(202);
    return { commands: commands.filter((c) => c.name !== 'endSessions'), res };
  }

  it('the first event checks the connection and the subscription; later ones read only the token', async () => {
    const first = (await post(1)).commands;
    expect(new Set(first.filter((c) => c.name === 'find').map((c) => c.collection))).toEqual(new Set(['api_tokens', 'connections', 'platform_subscriptions']));
    for (const n of [2, 3, 4]) expect((await post(n)).commands).toEqual([{ name: 'find', collection: 'api_tokens' }]);
  });

  it('"Prefer: respond-async" answers queued at once, says so in Preference-Applied, and reads only the token', async () => {
    for (const prefer of ['respond-async', 'return=minimal, Respond-Async; wait=5']) {
      const { commands: warm, res } = await post(5, { prefer });
      expect(res.body).toEqual({ eventId: 'e5', outcome: 'queued', workflowId: expect.stringContaining('intake-sub'), type: 'quantity-changed' });
      expect(res.headers.get('preference-applied')).toBe('respond-async');
      expect(warm).toEqual([{ name: 'find', collection: 'api_tokens' }]);
    }
    // Without the preference the answer waits for a worker first (none runs here), and says nothing about it.
    const { res } = await post(6);
    expect(res.headers.get('preference-applied')).toBeNull();
    // A bad event is refused the same way either way (400, which field).
    const bad = await request(h, 'POST', eventsPath, { id: 'b', type: 'quantity-changed', date: '2026-03-15' }, undefined, token, { prefer: 'respond-async' });
    expect(bad.status).toBe(400);
    expect(bad.body.problems).toEqual([expect.objectContaining({ path: 'quantity' })]);
  });

  it('refusals are audited, accepted events are not', async () => {
    await call('POST', '/api/connections/intake/subscriptions/never/events', event(7));
    const audit = await h.store.audit.list({ action: 'events' });
    // The earlier tests sent 7 accepted events and one refusal (400); this one a 404.
    expect(audit.map((a) => a.status).sort()).toEqual([400, 404]);
    expect(new Set(audit.map((a) => a.action))).toEqual(new Set(['POST /api/connections/:id/subscriptions/:pid/events']));
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
