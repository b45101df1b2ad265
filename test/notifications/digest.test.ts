/**
 * §8 daily digests through the workflow and a real SMTP server (the test sink): the right rows,
 * subjects exactly §8's, HTML escaped, at most one mail per template per day, none when nothing
 * changed, none when opted out.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Db } from 'mongodb';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createSmtpMailer } from '../../activities/notifications/mailer';
import { createNotificationActivities } from '../../activities/notifications/notification.activities';
import { connectMongo, createStore, ensureIndexes, parseEncryptionKey, type Store } from '../../activities/store';
import type { SinkMessage } from '../../sandbox/smtp-sink/smtp-sink';
import type { DigestOutcome } from '../../activities/notifications/notification.activities';
import { testDbUrl, testServers } from '../setup/servers';

describe('notification digest (SMTP sink)', () => {
  const servers = testServers();
  const taskQueue = `digest-${randomUUID().slice(0, 8)}`;
  const recipient = `ops-${randomUUID().slice(0, 6)}@example.com`;
  const conn = 'at-digest';
  let store: Store;
  let client: Client;
  let connection: Connection;
  let worker: { instance: Worker; running: Promise<void>; native: NativeConnection };
  let closeMongo: () => Promise<void>;
  let db: Db;
  const dbOf = () => db;
  let run = 0;

  const digest = (day: string): Promise<DigestOutcome[]> =>
    client.workflow.execute('notificationDigestWorkflow', { taskQueue, workflowId: `notification-digest/${conn}/${day}/${++run}`, args: [{ connectionId: conn, day }] });
  const inbox = async (): Promise<SinkMessage[]> => {
    const all = (await (await fetch(`${servers.smtpApiUrl}/messages`)).json()) as SinkMessage[];
    return all.filter((m) => m.to.includes(recipient));
  };

  beforeAll(async () => {
    const m = await connectMongo(testDbUrl(servers.mongoUrl, `digest_${randomUUID().slice(0, 6)}`));
    closeMongo = () => m.client.close();
    db = m.db;
    await ensureIndexes(m.db);
    store = createStore(m.db, { secretKeys: { current: parseEncryptionKey(Buffer.alloc(32, 5).toString('base64')) } });
    await store.connections.create({
      id: conn, psa: 'autotask', name: 'Autotask <main>', secret: 'x',
      settings: { discoveryUrl: 'http://127.0.0.1:1', username: 'u', integrationCode: 'i' },
      notifications: { enabled: true, recipients: [recipient], templates: { serviceMapping: true, billingReconciliation: true } },
    });
    for (const [id, status] of [['sub-1', 'active'], ['sub-2', 'active'], ['sub-old', 'cancelled']] as const) {
      await store.platform.upsertSubscription({ connectionId: conn, id, customerId: 'cust-1', productId: 'p1', provider: 'Microsoft CSP', quantity: 1, unitPrice: '1.00', unitCost: '1.00', startDate: '2026-01-01', endDate: null, billingFrequency: 'monthly', status });
    }
    await store.mappings.subscriptions.track(conn, [
      { platformId: 'sub-1', label: 'Office 365 E1', customerName: 'Dunco <Fruit> & Co' },
      { platformId: 'sub-old', label: 'Old plan', customerName: 'Gone Ltd' },
    ]);
    await store.mappings.subscriptions.markMapped(conn, 'sub-2', { companyId: 1, agreementId: 2, productIds: { p1: 3 }, description: 'sub-2' }, { display: { label: 'Office 365 E3', customerName: 'Globex' } });
    await store.mappings.subscriptions.markFailed(conn, 'sub-2', 'Autotask: contract 2 is inactive');
    await store.reconciliations.record({ connectionId: conn, provider: 'Microsoft CSP', month: '2026-04', subscriptionId: 'sub-2' }, { status: 'pending-review', reason: 'price differs', customerName: 'Globex', plan: 'Office 365 E3' });

    connection = await Connection.connect({ address: servers.temporalAddress });
    client = new Client({ connection });
    const native = await NativeConnection.connect({ address: servers.temporalAddress });
    const instance = await Worker.create({
      connection: native, taskQueue, workflowBundle: { codePath: servers.workflowBundle },
      activities: createNotificationActivities({ store, db: m.db, mailer: createSmtpMailer({ smtpUrl: servers.smtpUrl, from: 'psa-connector <connector@localhost>' }) }),
    });
    worker = { instance, native, running: instance.run() };
  }, 60_000);
  afterAll(async () => {
    if (worker) {
      worker.instance.shutdown();
      await worker.running;
      await worker.native.close();
    }
    await connection?.close();
    await closeMongo?.();
  });

  it('sends both templates with the right rows, once a day', async () => {
    const outcomes = await digest('2026-05-11');
    expect(outcomes.map((o) => [o.template, o.sent, o.itemCount])).toEqual([
      ['serviceMapping', true, 2],
      ['billingReconciliation', true, 1],
      ['renewals', false, undefined],
    ]);
    const mails = await inbox();
    expect(mails.map((m) => m.subject).sort()).toEqual(['Action Needed for Service Mapping in Autotask', 'Billing Reconciliation Status Synced in Autotask']);
    const mapping = mails.find((m) => m.subject.startsWith('Action'))!;
    expect(mapping.text).toContain('Dunco <Fruit> & Co | Office 365 E1 | sub-1 | Unmapped');
    expect(mapping.text).toContain('Globex | Office 365 E3 | sub-2 | Failed | Autotask: contract 2 is inactive');
    expect(mapping.text).not.toContain('sub-old'); // ended on the platform: no action needed
    expect(mapping.html).toContain('Dunco &lt;Fruit&gt; &amp; Co');
    expect(mapping.html).not.toContain('<Fruit>');
    expect(mapping.html).toContain('Autotask &lt;main&gt;');
    const recon = mails.find((m) => m.subject.startsWith('Billing'))!;
    expect(recon.text).toContain('Globex | Office 365 E3 | sub-2 | Microsoft CSP | 2026-04 | pending-review | (new) | price differs');

    // Same day again: nothing more (one mail per template per connection per day).
    const again = await digest('2026-05-11');
    expect(again.every((o) => !o.sent)).toBe(true);
    expect(await inbox()).toHaveLength(2);
    expect(await store.notifications.getDigest(conn, 'serviceMapping', '2026-05-11')).toMatchObject({ state: 'sent', recipients: [recipient], itemCount: 2 });
  });

  it('sends nothing the next day when nothing changed, and only what changed after that', async () => {
    const next = await digest('2026-05-12');
    expect(next.map((o) => [o.sent, o.reason])).toEqual([
      [false, 'nothing changed since the last mail'],
      [false, 'nothing changed since the last mail'],
      [false, 'the renewals notification is off'],
    ]);
    expect(await inbox()).toHaveLength(2);

    await store.reconciliations.record({ connectionId: conn, provider: 'Microsoft CSP', month: '2026-04', subscriptionId: 'sub-2' }, { status: 'reconciled', reason: 'Accepted' });
    const third = await digest('2026-05-13');
    expect(third.map((o) => o.sent)).toEqual([false, true, false]);
    const last = (await inbox()).at(-1)!;
    expect(last.subject).toBe('Billing Reconciliation Status Synced in Autotask');
    expect(last.text).toContain('sub-2 | Microsoft CSP | 2026-04 | reconciled | pending-review | Accepted');
  });

  it('sends nothing for a template that is off', async () => {
    await store.connections.updateNotifications(conn, { templates: { serviceMapping: false } });
    await store.mappings.subscriptions.track(conn, [{ platformId: 'sub-3', label: 'New plan', customerName: 'Initech' }]);
    await store.platform.upsertSubscription({ connectionId: conn, id: 'sub-3', customerId: 'c3', productId: 'p1', provider: 'Microsoft CSP', quantity: 1, unitPrice: '1.00', unitCost: '1.00', startDate: '2026-01-01', endDate: null, billingFrequency: 'monthly', status: 'active' });
    const r = await digest('2026-05-14');
    expect(r[0]).toMatchObject({ sent: false, reason: 'the serviceMapping notification is off' });
    expect(await inbox()).toHaveLength(3);
  });

  it('gives the day back when the mail cannot be sent, so a retry can send it', async () => {
    await store.connections.updateNotifications(conn, { templates: { serviceMapping: true } });
    const failing = createNotificationActivities({ store, db: dbOf(), mailer: { send: () => Promise.reject(new Error('SMTP 451 try later')) } });
    await expect(failing.sendDigest({ connectionId: conn, template: 'serviceMapping', day: '2026-05-15' })).rejects.toThrow(/451/);
    expect(await store.notifications.getDigest(conn, 'serviceMapping', '2026-05-15')).toBeNull();
    const ok = createNotificationActivities({ store, db: dbOf(), mailer: createSmtpMailer({ smtpUrl: servers.smtpUrl, from: 'c@localhost' }) });
    expect(await ok.sendDigest({ connectionId: conn, template: 'serviceMapping', day: '2026-05-15' })).toMatchObject({ sent: true, itemCount: 3 });
  });

  it('renewals: lists the subscriptions whose commitment ends within the connection\'s renewal days, soonest first, and mails again only when that list changes', async () => {
    const renewalsConn = 'at-renewals';
    const to = `renewals-${randomUUID().slice(0, 6)}@example.com`;
    await store.connections.create({
      id: renewalsConn, psa: 'connectwise', name: 'ConnectWise <renewals>', secret: 'x',
      settings: { baseUrl: 'http://127.0.0.1:1', companyId: 'c', publicKey: 'p', clientId: 'i' },
      notifications: { enabled: true, recipients: [to], templates: { renewals: true }, renewalDays: 45 },
    });
    const commitment = (subscriptionId: string, over: Record<string, unknown>) =>
      store.commitments.record({
        connectionId: renewalsConn, subscriptionId, customerId: 'cust-1', customerName: 'Dunco <Fruit> & Co', productId: 'p-bp', productName: 'Microsoft 365 Business Premium',
        quantity: 7, asOf: '2026-06-01', term: 'annual', termStart: '2025-06-21', commitmentEnd: '2026-06-20', nextRenewal: '2026-06-21', autoRenew: true, scheduledDecrease: null, ...over,
      });
    await commitment('sub-soon', { scheduledDecrease: { date: '2026-06-21', from: 10, to: 7 } });
    await commitment('sub-edge', { customerName: 'Globex', quantity: 3, commitmentEnd: '2026-07-16', nextRenewal: null, autoRenew: false }); // day + 45, included
    await commitment('sub-later', { commitmentEnd: '2026-07-17', nextRenewal: '2026-07-18' }); // one day too far
    await commitment('sub-cancelled', { commitmentEnd: null, nextRenewal: null });
    await commitment('sub-past', { commitmentEnd: '2026-05-31', nextRenewal: '2026-06-01' });
    const renewalsDigest = (day: string): Promise<DigestOutcome[]> =>
      client.workflow.execute('notificationDigestWorkflow', { taskQueue, workflowId: `notification-digest/${renewalsConn}/${day}/${++run}`, args: [{ connectionId: renewalsConn, day }] });
    const mails = async () => ((await (await fetch(`${servers.smtpApiUrl}/messages`)).json()) as SinkMessage[]).filter((m) => m.to.includes(to));

    const first = await renewalsDigest('2026-06-01');
    expect(first.map((o) => [o.template, o.sent, o.itemCount])).toEqual([
      ['serviceMapping', false, undefined],
      ['billingReconciliation', false, undefined],
      ['renewals', true, 2],
    ]);
    const [mail] = await mails();
    expect(mail!.subject).toBe('Renewals Due in ConnectWise');
    expect(mail!.text).toContain('Renewals due in the next 45 days (2)');
    expect(mail!.text).toContain('Customer Name | Plan Name | Subscription ID | Quantity | Term | Commitment End | Auto-Renew | Scheduled Decrease');
    const rows = mail!.text.split('\n').filter((l) => l.includes(' | sub-'));
    expect(rows).toEqual([
      'Dunco <Fruit> & Co | Microsoft 365 Business Premium | sub-soon | 7 | annual | 2026-06-20 | Yes | 10 → 7 from 2026-06-21',
      'Globex | Microsoft 365 Business Premium | sub-edge | 3 | annual | 2026-07-16 | No | ',
    ]);
    expect(mail!.html).toContain('Renewals due in the next 45 days (2)');
    expect(mail!.html).toContain('Dunco &lt;Fruit&gt; &amp; Co');
    expect(mail!.html).toContain('ConnectWise &lt;renewals&gt;');

    // The window moves with the day: on 06-02 it reaches 07-17, and sub-later entering it is news.
    expect((await renewalsDigest('2026-06-02'))[2]).toMatchObject({ sent: true, itemCount: 3 });
    expect((await mails()).at(-1)!.text).toContain('Renewals due in the next 45 days (3)');
    // The next day lists the same renewals: no mail. A commitment recorded since is news again.
    expect((await renewalsDigest('2026-06-03'))[2]).toMatchObject({ sent: false, reason: 'nothing changed since the last mail' });
    await commitment('sub-new', { commitmentEnd: '2026-06-30', nextRenewal: '2026-07-01' });
    expect((await renewalsDigest('2026-06-04'))[2]).toMatchObject({ sent: true, itemCount: 4 });
    expect((await mails()).at(-1)!.text).toContain('Renewals due in the next 45 days (4)');
    expect(await mails()).toHaveLength(3);
  });
});
