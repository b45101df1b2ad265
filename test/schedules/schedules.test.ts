/**
 * Schedules on the Temporal dev server (the time-skipping server has none): apply creates what
 * the configuration implies, applying again changes nothing, and turning autoSync off removes
 * its schedule. A unique id prefix keeps this file's schedules apart from everyone else's.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { connectMongo, createStore, ensureIndexes, parseEncryptionKey, type Store } from '../../activities/store';
import { applySchedules, listSchedules, plannedSchedules, type ScheduleSettings } from '../../client/schedules';
import { testDbUrl, testServers } from '../setup/servers';

describe('schedules apply / list (dev server)', () => {
  let client: Client;
  let connection: Connection;
  let store: Store;
  let closeMongo: () => Promise<void>;
  const prefix = `t-${randomUUID().slice(0, 8)}/`;
  const settings: ScheduleSettings = { taskQueue: 'schedules-test', idPrefix: prefix, digestHourUtc: 6 };
  const conn = 'cw-sched';

  beforeAll(async () => {
    connection = await Connection.connect({ address: testServers().temporalAddress });
    client = new Client({ connection });
    const m = await connectMongo(testDbUrl(testServers().mongoUrl, `schedules_${randomUUID().slice(0, 6)}`));
    closeMongo = () => m.client.close();
    await ensureIndexes(m.db);
    store = createStore(m.db, { secretKeys: { current: parseEncryptionKey(Buffer.alloc(32, 3).toString('base64')) } });
    await store.connections.create({
      id: conn, psa: 'connectwise', name: 'CW', secret: 'x',
      settings: { baseUrl: 'http://127.0.0.1:1', companyId: 'c', publicKey: 'p', clientId: 'id' },
      rules: { autoSync: true },
      notifications: { enabled: true, recipients: ['ops@example.com'], templates: { serviceMapping: true } },
    });
  });
  afterAll(async () => {
    for (const s of await listSchedules(client, { idPrefix: prefix })) await client.schedule.getHandle(s.scheduleId).delete();
    await connection?.close();
    await closeMongo?.();
  });

  it('plans global sync, one reconciliation per provider, the digest and the seat-count job', async () => {
    const ids = plannedSchedules(await store.connections.list(), settings).map((p) => p.scheduleId.slice(prefix.length));
    expect(ids).toEqual(expect.arrayContaining([`global-sync/${conn}`, `notification-digest/${conn}`, `seat-count/${conn}`, `reconciliation/${conn}/microsoft-csp`, `reconciliation/${conn}/sophos`]));
    expect(ids.filter((i) => i.startsWith('reconciliation/'))).toHaveLength(7);
  });

  it('plans the digest for a connection whose only mail on is renewals due (docs/renewals.md), not for one with every mail off', async () => {
    const stored = (await store.connections.get(conn))!;
    const digestOf = (templates: typeof stored.notifications.templates) =>
      plannedSchedules([{ ...stored, notifications: { ...stored.notifications, enabled: true, templates } }], settings).some((p) => p.scheduleId === `${prefix}notification-digest/${conn}`);
    expect(digestOf({ serviceMapping: false, billingReconciliation: false, renewals: true })).toBe(true);
    expect(digestOf({ serviceMapping: false, billingReconciliation: false, renewals: false })).toBe(false);
  });

  it('apply twice gives the same schedules; removing autoSync removes its schedule', async () => {
    const first = await applySchedules(client, await store.connections.list(), settings);
    expect(first.created).toHaveLength(10);
    expect(first.updated).toEqual([]);

    const second = await applySchedules(client, await store.connections.list(), settings);
    expect(second).toMatchObject({ created: [], updated: [], deleted: [] });
    expect(second.unchanged.sort()).toEqual(first.created.sort());

    const sync = await client.schedule.getHandle(`${prefix}global-sync/${conn}`).describe();
    expect(sync.policies.overlap).toBe('SKIP');
    expect(sync.spec.timezone).toBe('UTC');
    expect(sync.action).toMatchObject({ workflowType: 'globalSyncWorkflow', args: [{ connectionId: conn, scheduled: true }] });
    expect(sync.state.note).toMatch(/daily at 00:00 UTC/);
    // Temporal's schedule listing is eventually consistent: wait until ours show up.
    let rows = await listSchedules(client, { idPrefix: prefix });
    for (let i = 0; i < 50 && rows.length < 10; i++) {
      await new Promise((r) => setTimeout(r, 200));
      rows = await listSchedules(client, { idPrefix: prefix });
    }
    const digest = rows.find((r) => r.kind === 'notification-digest')!;
    expect(digest.nextRuns[0]).toMatch(/T06:00:00.000Z$/);
    expect(rows.find((r) => r.kind === 'global-sync')!.nextRuns[0]).toMatch(/T00:00:00.000Z$/);
    expect(rows.find((r) => r.scheduleId.endsWith('/microsoft-csp'))!.nextRuns[0]).toMatch(/-10T00:00:00.000Z$/);

    await store.connections.updateRules(conn, { autoSync: false });
    await store.connections.updateNotifications(conn, { enabled: false });
    const third = await applySchedules(client, await store.connections.list(), { ...settings, digestHourUtc: 8 });
    expect(third.deleted.sort()).toEqual([`${prefix}global-sync/${conn}`, `${prefix}notification-digest/${conn}`]);
    expect(third.created).toEqual([]);
    await expect(client.schedule.getHandle(`${prefix}global-sync/${conn}`).describe()).rejects.toThrow();
  });

  it('a changed setting updates the schedule in place, keeping an admin pause', async () => {
    await store.connections.updateNotifications(conn, { enabled: true });
    await applySchedules(client, await store.connections.list(), settings);
    const handle = client.schedule.getHandle(`${prefix}notification-digest/${conn}`);
    await handle.pause('maintenance');
    const r = await applySchedules(client, await store.connections.list(), { ...settings, digestHourUtc: 9 });
    expect(r.updated).toEqual([`${prefix}notification-digest/${conn}`]);
    const d = await handle.describe();
    expect(d.state.paused).toBe(true);
    expect(d.spec.calendars?.[0]?.hour).toEqual([{ start: 9, end: 9, step: 1 }]);
  });
});
