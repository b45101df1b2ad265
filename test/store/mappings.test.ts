import type { Db, MongoClient } from 'mongodb';
import {
  ConflictError,
  contentHash,
  CUSTOMER_MAPPINGS,
  createMappingRepositories,
  NotFoundError,
  psaTargetOf,
  SUBSCRIPTION_LINES,
  SUBSCRIPTION_MAPPINGS,
  type MappingRepositories,
} from '../../activities/store';
import { openTestDb, testClock } from './store-db';

describe('mapping documents', () => {
  let client: MongoClient;
  let db: Db;
  let m: MappingRepositories;
  const clock = testClock();
  beforeAll(async () => {
    ({ client, db } = await openTestDb('store_mappings'));
    m = createMappingRepositories(db, clock.now);
  });
  afterAll(async () => {
    await client.close();
  });

  describe('customers', () => {
    it('track creates unmapped records once, refreshing labels; they carry no psaId', async () => {
      expect(await m.customers.track('cw-main', [{ platformId: 'c1', label: 'Acme' }, { platformId: 'c2', label: 'Dunco Fruit Supply' }, { platformId: 'c3' }])).toBe(3);
      expect(await m.customers.track('cw-main', [{ platformId: 'c1', label: 'Acme Inc' }, { platformId: 'c4', label: 'Zeta' }])).toBe(1);
      const c1 = await m.customers.get('cw-main', 'c1');
      expect(c1).toMatchObject({ connectionId: 'cw-main', platformId: 'c1', status: 'unmapped', linked: false, label: 'Acme Inc' });
      expect(c1).not.toHaveProperty('psaId');
      const raw = await db.collection(CUSTOMER_MAPPINGS).findOne({ platformId: 'c1' });
      expect(raw).not.toHaveProperty('psaId');
      expect(raw?.psaKey).toBe('none:c1');
    });

    it('markMapped links a PSA company; one company cannot be mapped by two customers on a connection', async () => {
      const c1 = await m.customers.markMapped('cw-main', 'c1', { psaId: 101, psaName: 'ACME INC' });
      expect(c1).toMatchObject({ status: 'mapped', linked: true, psaId: 101, psaName: 'ACME INC' });
      // c2 exists (update path: FerretDB's generic UNIQUE error) and c9 does not (upsert path: 11000).
      await expect(m.customers.markMapped('cw-main', 'c2', { psaId: 101 })).rejects.toThrow(
        new ConflictError('PSA company 101 is already mapped to customer "c1" on connection "cw-main"; disconnect that one first'),
      );
      await expect(m.customers.markMapped('cw-main', 'c9', { psaId: 101 })).rejects.toThrow(ConflictError);
      expect(await m.customers.get('cw-main', 'c2')).toMatchObject({ status: 'unmapped', linked: false });
      expect(await m.customers.get('cw-main', 'c9')).toBeNull();
      // Same company on another connection is fine, and re-mapping the same pair is idempotent.
      await expect(m.customers.markMapped('cw-other', 'c2', { psaId: 101 })).resolves.toMatchObject({ status: 'mapped' });
      await expect(m.customers.markMapped('cw-main', 'c1', { psaId: 101 })).resolves.toMatchObject({ psaId: 101 });
      expect(await m.customers.get('cw-main', 'c1')).not.toHaveProperty('psaName');
    });

    it('disconnect frees the PSA company for another customer and removes every link field', async () => {
      const before = await m.customers.disconnect('cw-main', 'c1');
      expect(before).toMatchObject({ status: 'mapped', psaId: 101 });
      const after = await m.customers.get('cw-main', 'c1');
      expect(after).toMatchObject({ status: 'unmapped', linked: false });
      expect(after).not.toHaveProperty('psaId');
      expect(await m.customers.markMapped('cw-main', 'c2', { psaId: 101 })).toMatchObject({ status: 'mapped', psaId: 101 });
      expect(await m.customers.disconnect('cw-main', 'nobody')).toBeNull();
    });

    it('failures keep the link; a sync clears the error and stores the pushed hash', async () => {
      clock.advance(60_000);
      const failed = await m.customers.markFailed('cw-main', 'c2', 'ConnectWise said: company is inactive');
      expect(failed).toMatchObject({ status: 'failed', linked: true, psaId: 101, error: { message: 'ConnectWise said: company is inactive', at: '2026-03-01T00:01:00.000Z' } });
      const hash = contentHash({ name: 'Dunco Fruit Supply', city: 'Tampa' });
      await m.customers.markSynced('cw-main', 'c2', { contentHash: hash });
      const synced = await m.customers.get('cw-main', 'c2');
      expect(synced).toMatchObject({ status: 'mapped', linked: true, contentHash: hash, lastSyncAt: '2026-03-01T00:01:00.000Z' });
      expect(synced).not.toHaveProperty('error');
      // A failed first mapping attempt: failed but not linked.
      expect(await m.customers.markFailed('cw-main', 'c3', 'no company named "c3"')).toMatchObject({ status: 'failed', linked: false });
      await expect(m.customers.markSynced('cw-main', 'c3')).rejects.toThrow(/is not mapped/);
      await expect(m.customers.markSynced('cw-main', 'zz')).rejects.toThrow(NotFoundError);
    });

    it('map & sync in one step; a later plain re-map drops the stale hash', async () => {
      const r = await m.customers.markMapped('cw-main', 'c4', { psaId: 104 }, { synced: { contentHash: 'h1' } });
      expect(r).toMatchObject({ status: 'mapped', contentHash: 'h1', lastSyncAt: expect.any(String) });
      const again = await m.customers.markMapped('cw-main', 'c4', { psaId: 105 });
      expect(again).not.toHaveProperty('contentHash');
    });

    it('concurrent first writes of one record and races for one PSA company resolve to one winner', async () => {
      const results = await Promise.allSettled(['r1', 'r2', 'r3', 'r4'].map((id) => m.customers.markMapped('cw-race', id, { psaId: 500 })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConflictError);
      const same = await Promise.all([1, 2, 3].map(() => m.customers.markFailed('cw-race', 'one', 'x')));
      expect(same.every((r) => r.status === 'failed')).toBe(true);
      expect(await db.collection(CUSTOMER_MAPPINGS).countDocuments({ connectionId: 'cw-race', platformId: 'one' })).toBe(1);
    });

    it('list filters by status, link and text, pages, and sorts by label', async () => {
      const all = await m.customers.list('cw-main');
      expect(all.total).toBe(4);
      expect(all.items.map((i) => i.platformId)).toEqual(['c3', 'c1', 'c2', 'c4']); // c3 has no label
      expect((await m.customers.list('cw-main', { status: 'failed' })).items.map((i) => i.platformId)).toEqual(['c3']);
      expect((await m.customers.list('cw-main', { status: ['unmapped', 'failed'] })).total).toBe(2);
      expect((await m.customers.list('cw-main', { linked: true })).items.map((i) => i.platformId)).toEqual(['c2', 'c4']);
      expect((await m.customers.list('cw-main', { search: 'dunco' })).items.map((i) => i.platformId)).toEqual(['c2']);
      expect((await m.customers.list('cw-main', { search: 'acme (' })).total).toBe(0); // regex metacharacters are literal
      const page = await m.customers.list('cw-main', { limit: 2, skip: 2 });
      expect(page).toMatchObject({ total: 4 });
      expect(page.items.map((i) => i.platformId)).toEqual(['c2', 'c4']);
    });
  });

  describe('subscriptions', () => {
    const link = { companyId: 101, agreementId: 9001, productIds: { 'm365-bp': 55, 'm365.e3': 56 }, description: 'sub-1 Microsoft 365 Business Premium' };

    it('markMapped stores agreement and product ids (product ids with dots survive)', async () => {
      await m.subscriptions.track('cw-main', [{ platformId: 'sub-1', label: 'Microsoft 365 Business Premium', customerId: 'c2', customerName: 'Dunco Fruit Supply' }]);
      const s = await m.subscriptions.markMapped('cw-main', 'sub-1', { ...link, billCustomer: 'Billable' });
      expect(s).toMatchObject({ status: 'mapped', linked: true, agreementId: 9001, productIds: { 'm365-bp': 55, 'm365.e3': 56 }, customerName: 'Dunco Fruit Supply', lineIds: {} });
      expect(psaTargetOf(s)).toEqual({ ...link, billCustomer: 'Billable' });
      expect(psaTargetOf((await m.subscriptions.get('cw-main', 'sub-none')) ?? { ...s, linked: false })).toBeNull();
    });

    it('line ids are set per line, removed with null, keys kept verbatim', async () => {
      await m.subscriptions.setLineIds('cw-main', 'sub-1', { 'sub-1/m365-bp/base/2026-03-01': 1001 });
      await m.subscriptions.recordApplied('cw-main', 'sub-1', [
        { idempotencyKey: 'k1', lineKey: 'sub-1/m365.e3/delta/2026-03-15', psaId: 1002, replayed: false },
        { idempotencyKey: 'k2', lineKey: '$odd.key%', psaId: 1003, replayed: false },
      ]);
      const s = await m.subscriptions.get('cw-main', 'sub-1');
      expect(s?.lineIds).toEqual({ 'sub-1/m365-bp/base/2026-03-01': 1001, 'sub-1/m365.e3/delta/2026-03-15': 1002, '$odd.key%': 1003 });
      // One document per line; product ids with dots are encoded as field names of the mapping.
      expect(await db.collection(SUBSCRIPTION_LINES).countDocuments({ connectionId: 'cw-main', subscriptionId: 'sub-1' })).toBe(3);
      const raw = await db.collection(SUBSCRIPTION_MAPPINGS).findOne({ platformId: 'sub-1' });
      expect(raw?.productIds).toEqual({ 'm365-bp': 55, 'm365%2Ee3': 56 });
      expect(raw).not.toHaveProperty('lineIds');
      await m.subscriptions.recordApplied('cw-main', 'sub-1', [{ idempotencyKey: 'k3', lineKey: 'sub-1/m365.e3/delta/2026-03-15', psaId: null, replayed: false }]);
      expect(Object.keys((await m.subscriptions.get('cw-main', 'sub-1'))!.lineIds)).toHaveLength(2);
      await expect(m.subscriptions.setLineIds('cw-main', 'sub-404', { a: 1 })).rejects.toThrow(NotFoundError);
      // Only the lines named (each by `_id`); a key the subscription has no line for is absent.
      expect(await m.subscriptions.lineIdsByKey('cw-main', 'sub-1', ['$odd.key%', 'sub-1/none', '$odd.key%'])).toEqual({ '$odd.key%': 1003 });
      expect(await m.subscriptions.lineIdsByKey('cw-main', 'sub-2', ['$odd.key%'])).toEqual({});
      expect(await m.subscriptions.lineIdsByKey('cw-main', 'sub-1', [])).toEqual({});
    });

    it('concurrent line-id writes for different lines, and mapping updates racing them, all survive', async () => {
      await Promise.all([
        ...Array.from({ length: 10 }, (_, i) => m.subscriptions.setLineIds('cw-main', 'sub-1', { [`sub-1/p/delta/2026-04-${String(i + 10)}`]: 2000 + i })),
        m.subscriptions.markSynced('cw-main', 'sub-1', { contentHash: 'h' }),
        m.subscriptions.setLineIds('cw-main', 'sub-1', { 'sub-1/p/delta/2026-04-10': 2000 }), // same line twice
      ]);
      expect(Object.keys((await m.subscriptions.get('cw-main', 'sub-1'))!.lineIds)).toHaveLength(12);
    });

    it('re-saving the mapping keeps lines; moving to another agreement with lines is refused', async () => {
      const s = await m.subscriptions.markMapped('cw-main', 'sub-1', { ...link, description: 'sub-1 new text' });
      expect(Object.keys(s.lineIds)).toHaveLength(12);
      expect(s).not.toHaveProperty('billCustomer');
      await expect(m.subscriptions.markMapped('cw-main', 'sub-1', { ...link, agreementId: 9002 })).rejects.toThrow(/has 12 PSA line\(s\) on agreement 9001; disconnect it/);
      await m.subscriptions.setProductId('cw-main', 'sub-1', 'm365.e5', 57);
      expect((await m.subscriptions.get('cw-main', 'sub-1'))?.productIds).toEqual({ 'm365-bp': 55, 'm365.e3': 56, 'm365.e5': 57 });
    });

    it('disconnect returns the old links and clears them', async () => {
      const before = await m.subscriptions.disconnect('cw-main', 'sub-1');
      expect(Object.keys(before!.lineIds)).toHaveLength(12);
      const after = await m.subscriptions.get('cw-main', 'sub-1');
      expect(after).toMatchObject({ status: 'unmapped', linked: false, lineIds: {}, customerName: 'Dunco Fruit Supply' });
      expect(after).not.toHaveProperty('agreementId');
      expect(await m.subscriptions.markMapped('cw-main', 'sub-1', { ...link, agreementId: 9002 })).toMatchObject({ agreementId: 9002 });
    });

    it('list by customer and text', async () => {
      await m.subscriptions.markFailed('cw-main', 'sub-2', 'yearly subscription needs a yearly agreement starting 2026-03-01 (agreement starts 2026-03-15)', {
        display: { label: 'Office 365 E1', customerId: 'c1', customerName: 'Acme Inc' },
      });
      expect((await m.subscriptions.list('cw-main', { customerId: 'c1' })).items.map((s) => s.platformId)).toEqual(['sub-2']);
      expect((await m.subscriptions.list('cw-main', { search: 'ACME' })).items.map((s) => s.platformId)).toEqual(['sub-2']);
    });
  });

  it('summary counts per kind: total = mapped + unmapped by link, failed counted within them', async () => {
    await m.products.track('cw-main', [{ platformId: 'p1', label: 'M365 BP' }, { platformId: 'p2' }, { platformId: 'p3' }]);
    await m.products.markMapped('cw-main', 'p1', { psaId: 55 });
    await m.products.markMapped('cw-main', 'p2', { psaId: 55 }); // products may share a catalog item (bundles, §7)
    await m.products.markFailed('cw-main', 'p2', 'catalog item inactive');
    expect(await m.summary('cw-main')).toEqual({
      // c1 unmapped, c2 mapped, c3 failed & unlinked, c4 mapped
      customers: { total: 4, mapped: 2, unmapped: 2, failed: 1 },
      products: { total: 3, mapped: 2, unmapped: 1, failed: 1 },
      subscriptions: { total: 2, mapped: 1, unmapped: 1, failed: 1 },
    });
    expect(await m.summary('cw-nothing')).toEqual({
      customers: { total: 0, mapped: 0, unmapped: 0, failed: 0 },
      products: { total: 0, mapped: 0, unmapped: 0, failed: 0 },
      subscriptions: { total: 0, mapped: 0, unmapped: 0, failed: 0 },
    });
  });

  it('remove and removeConnection delete records', async () => {
    expect(await m.products.remove('cw-main', 'p3')).toBe(true);
    expect(await m.removeConnection('cw-race')).toBe(2);
    expect((await m.customers.list('cw-race')).total).toBe(0);
  });
});
