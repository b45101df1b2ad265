import type { Db, MongoClient } from 'mongodb';
import { ConflictError, createReconciliationRepository, NotFoundError, type ReconciliationKey, type ReconciliationRepository } from '../../activities/store';
import { openTestDb, testClock } from './store-db';

const key = (subscriptionId: string, month = '2026-03', provider = 'Microsoft CSP'): ReconciliationKey => ({ connectionId: 'cw-main', provider, month, subscriptionId });
const display = { customerId: 'c1', customerName: 'Acme Inc', plan: 'Microsoft 365 Business Premium', productId: 'm365-bp', kind: 'saas' as const };

describe('reconciliation records', () => {
  let client: MongoClient;
  let db: Db;
  let r: ReconciliationRepository;
  const clock = testClock('2026-04-10T01:00:00.000Z');
  beforeAll(async () => {
    ({ client, db } = await openTestDb('store_reconciliations'));
    r = createReconciliationRepository(db, clock.now);
  });
  afterAll(async () => {
    await client.close();
  });

  it('records checks; only status changes enter the history', async () => {
    const first = await r.record(key('sub-1'), { status: 'pending', reason: 'Missing Reseller Invoice', ...display });
    expect(first).toMatchObject({ status: 'pending', reason: 'Missing Reseller Invoice', checks: 1, customerName: 'Acme Inc', history: [{ status: 'pending', reason: 'Missing Reseller Invoice', by: 'system' }] });
    clock.advance(86_400_000);
    const second = await r.record(key('sub-1'), { status: 'pending', reason: 'Missing Customer Invoice' });
    expect(second).toMatchObject({ status: 'pending', reason: 'Missing Customer Invoice', checks: 2, customerName: 'Acme Inc' });
    expect(second.history).toHaveLength(1);
    expect(second.statusChangedAt).toBe(first.statusChangedAt);
    clock.advance(86_400_000);
    const review = await r.record(key('sub-1'), {
      status: 'pending-review',
      reason: 'price differs: platform 209.00, PSA 220.00',
      platform: { quantity: 10, usageQuantity: 9.5, cost: '177.65', price: '209.00' },
      psa: { quantity: 10, cost: '187.00', price: '220.00' },
    });
    expect(review).toMatchObject({ status: 'pending-review', checks: 3, platform: { usageQuantity: 9.5 }, psa: { price: '220.00' } });
    expect(review.history.map((h) => h.status)).toEqual(['pending', 'pending-review']);
    expect(review.statusChangedAt).toBe('2026-04-12T01:00:00.000Z');
  });

  it('accept/reject only a pending review; the same decision twice is a no-op, a different one a conflict', async () => {
    await expect(r.decide(key('sub-9'), { action: 'accept', by: 'admin@acme.test' })).rejects.toThrow(NotFoundError);
    const d = await r.decide(key('sub-1'), { action: 'accept', by: 'admin@acme.test' });
    expect(d.decision).toEqual({ action: 'accept', by: 'admin@acme.test', at: '2026-04-12T01:00:00.000Z' });
    await expect(r.decide(key('sub-1'), { action: 'accept', by: 'admin@acme.test' })).resolves.toMatchObject({ decision: { action: 'accept' } });
    await expect(r.decide(key('sub-1'), { action: 'reject', by: 'other@acme.test' })).rejects.toThrow(new ConflictError('reconciliation of sub-1 for 2026-03 was already accepted by admin@acme.test'));
    const done = await r.record(key('sub-1'), { status: 'reconciled', reason: 'Accepted', by: 'admin@acme.test', error: null });
    expect(done).toMatchObject({ status: 'reconciled', decision: { action: 'accept' } });
    expect(done.history.at(-1)).toMatchObject({ status: 'reconciled', by: 'admin@acme.test' });
    await r.record(key('sub-2'), { status: 'pending', reason: 'Missing Reseller Invoice', ...display, customerName: 'Dunco' });
    await expect(r.decide(key('sub-2'), { action: 'reject', by: 'a' })).rejects.toThrow(/is pending; only pending-review can be accepted or rejected/);
  });

  it('errors are set and cleared; re-entering pending-review clears an old decision', async () => {
    const f = await r.record(key('sub-3'), { status: 'failed', error: 'addition 77 is already invoiced', ...display });
    expect(f.error).toEqual({ message: 'addition 77 is already invoiced', at: expect.any(String) });
    const again = await r.record(key('sub-3'), { status: 'pending-review', error: null });
    expect(again).not.toHaveProperty('error');
    await r.decide(key('sub-3'), { action: 'reject', by: 'a' });
    await r.record(key('sub-3'), { status: 'rejected' });
    const reopened = await r.record(key('sub-3'), { status: 'pending-review' });
    expect(reopened).not.toHaveProperty('decision');
  });

  it('one record per (connection, provider, month, subscription), even under concurrent first checks', async () => {
    await Promise.all(Array.from({ length: 5 }, () => r.record(key('sub-4', '2026-03', 'AWS'), { status: 'pending', reason: 'Missing Customer Invoice' })));
    expect(await r.listForRun('cw-main', 'AWS', '2026-03')).toHaveLength(1);
  });

  it('listForLog: §6 columns, newest month first, filters by month range, status, provider and text', async () => {
    await r.record(key('sub-1', '2026-02'), { status: 'reconciled', ...display, platform: { quantity: 10, cost: '187.00', price: '220.00' }, psa: { quantity: 10, cost: '187.00', price: '220.00' } });
    const rows = await r.listForLog({ connectionId: 'cw-main' });
    // Records without a customer name sort first (MongoDB orders missing before strings).
    expect(rows.map((x) => `${x.month} ${x.subscriptionId}`)).toEqual(['2026-03 sub-4', '2026-03 sub-1', '2026-03 sub-3', '2026-03 sub-2', '2026-02 sub-1']);
    expect(rows[1]).toEqual({
      month: '2026-03',
      provider: 'Microsoft CSP',
      subscriptionId: 'sub-1',
      customerId: 'c1',
      customer: 'Acme Inc',
      plan: 'Microsoft 365 Business Premium',
      kind: 'saas',
      platformQuantity: 10,
      usageQuantity: 9.5,
      platformCost: '177.65',
      platformPrice: '209.00',
      psaQuantity: 10,
      psaCost: '187.00',
      psaPrice: '220.00',
      status: 'reconciled',
      reason: 'Accepted',
      decision: 'accept',
      decidedBy: 'admin@acme.test',
      decidedAt: '2026-04-12T01:00:00.000Z',
      updatedAt: expect.any(String),
    });
    expect((await r.listForLog({ connectionId: 'cw-main', from: '2026-02-01', to: '2026-02-28' })).map((x) => x.month)).toEqual(['2026-02']);
    expect((await r.listForLog({ connectionId: 'cw-main', from: '2026-03' })).length).toBe(4);
    expect((await r.listForLog({ connectionId: 'cw-main', status: ['pending', 'failed'] })).map((x) => x.subscriptionId)).toEqual(['sub-4', 'sub-2']);
    expect((await r.listForLog({ connectionId: 'cw-main', provider: 'AWS' })).map((x) => x.subscriptionId)).toEqual(['sub-4']);
    expect((await r.listForLog({ connectionId: 'cw-main', search: 'dunco' })).map((x) => x.subscriptionId)).toEqual(['sub-2']);
    expect(await r.listForLog({ connectionId: 'cw-other' })).toEqual([]);
  });

  it('counts by status', async () => {
    expect(await r.countByStatus('cw-main', '2026-03')).toEqual({ pending: 2, 'failed-review': 0, 'pending-review': 1, reconciled: 1, rejected: 0, failed: 0 });
    expect((await r.countByStatus('cw-main')).reconciled).toBe(2);
  });
});
