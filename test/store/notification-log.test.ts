import type { Db, MongoClient } from 'mongodb';
import { createNotificationLog, statusChangesSince, type NotificationLog, type NotifiedStatus } from '../../activities/store';
import { openTestDb } from './store-db';

describe('notification log', () => {
  let client: MongoClient;
  let db: Db;
  let log: NotificationLog;
  beforeAll(async () => {
    ({ client, db } = await openTestDb('store_notifications'));
    log = createNotificationLog(db);
  });
  afterAll(async () => {
    await client.close();
  });

  it('at most one mail per connection, template and UTC day', async () => {
    expect(await log.claimDigest('cw-main', 'serviceMapping', '2026-04-10')).toBe(true);
    expect(await log.claimDigest('cw-main', 'serviceMapping', '2026-04-10')).toBe(false);
    expect(await log.claimDigest('cw-main', 'billingReconciliation', '2026-04-10')).toBe(true);
    expect(await log.claimDigest('cw-other', 'serviceMapping', '2026-04-10')).toBe(true);
    expect(await log.claimDigest('cw-main', 'serviceMapping', '2026-04-11')).toBe(true);
    await expect(log.claimDigest('cw-main', 'serviceMapping', '2026-04-31')).rejects.toThrow(/must be a UTC date/);
  });

  it('concurrent claims: exactly one wins', async () => {
    const wins = await Promise.all(Array.from({ length: 6 }, () => log.claimDigest('cw-race', 'serviceMapping', '2026-04-10')));
    expect(wins.filter(Boolean)).toHaveLength(1);
  });

  it('a failed send releases the claim so a retry may send; a sent mail is never released', async () => {
    expect(await log.releaseDigest('cw-main', 'serviceMapping', '2026-04-11')).toBe(true);
    expect(await log.claimDigest('cw-main', 'serviceMapping', '2026-04-11')).toBe(true);
    await log.markDigestSent('cw-main', 'serviceMapping', '2026-04-11', { recipients: ['ops@acme.test'], itemCount: 3 });
    expect(await log.releaseDigest('cw-main', 'serviceMapping', '2026-04-11')).toBe(false);
    expect(await log.getDigest('cw-main', 'serviceMapping', '2026-04-11')).toMatchObject({ state: 'sent', recipients: ['ops@acme.test'], itemCount: 3, sentAt: expect.any(String) });
    expect(await log.getDigest('cw-main', 'serviceMapping', '2026-01-01')).toBeNull();
  });

  it('keeps the last reported reconciliation statuses and reports only changes since', async () => {
    const s = (subscriptionId: string, status: NotifiedStatus['status'], month = '2026-03'): NotifiedStatus => ({ connectionId: 'cw-main', provider: 'Microsoft CSP', month, subscriptionId, status });
    expect((await log.lastNotifiedStatuses('cw-main')).size).toBe(0);
    const first = [s('sub.1', 'pending'), s('sub-2', 'pending-review')];
    expect(statusChangesSince(first, await log.lastNotifiedStatuses('cw-main'))).toEqual(first);
    await log.saveNotifiedStatuses('cw-main', first);
    const now = [s('sub.1', 'reconciled'), s('sub-2', 'pending-review'), s('sub-3', 'failed'), s('sub.1', 'pending', '2026-04')];
    expect(statusChangesSince(now, await log.lastNotifiedStatuses('cw-main'))).toEqual([
      { ...s('sub.1', 'reconciled'), previous: 'pending' },
      s('sub-3', 'failed'),
      s('sub.1', 'pending', '2026-04'),
    ]);
    await log.saveNotifiedStatuses('cw-main', now);
    expect(statusChangesSince(now, await log.lastNotifiedStatuses('cw-main'))).toEqual([]);
    expect((await log.lastNotifiedStatuses('cw-other')).size).toBe(0);
  });
});
