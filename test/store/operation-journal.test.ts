import type { Db, MongoClient } from 'mongodb';
import { createOperationJournal, OPERATION_JOURNAL, type MongoOperationJournal } from '../../activities/store';
import type { PsaOperation } from '../../domain/psa-operations';
import { openTestDb, testClock } from './store-db';

const op: PsaOperation = {
  type: 'cw.create-addition',
  addition: {
    lineKey: 'sub-1/m365.bp/base/2026-03-01',
    subscriptionId: 'sub-1',
    productId: 'm365.bp',
    kind: 'base',
    quantity: 10,
    unitPrice: '22.00',
    unitCost: '18.70',
    effectiveDate: '2026-03-01',
    cancelledDate: '2027-02-28',
  },
};
const key = 'subscription/cw-main/sub-1#3#0';

describe('MongoDB operation journal', () => {
  let client: MongoClient;
  let db: Db;
  let journal: MongoOperationJournal;
  const clock = testClock();
  beforeAll(async () => {
    ({ client, db } = await openTestDb('store_journal'));
    journal = createOperationJournal(db, clock.now);
  });
  afterAll(async () => {
    await client.close();
  });

  it('begin twice is fine (a retry), complete records the result, get returns it', async () => {
    expect(await journal.get(key)).toBeNull();
    expect(await journal.begin([{ idempotencyKey: key, operation: op }])).toEqual(new Map());
    // A retry: the insert meets the key, which comes back as it stands.
    expect(await journal.begin([{ idempotencyKey: key, operation: op }])).toEqual(new Map([[key, { idempotencyKey: key, state: 'started' }]]));
    expect(await journal.get(key)).toEqual({ idempotencyKey: key, state: 'started' });
    const result = { idempotencyKey: key, lineKey: op.addition.lineKey, psaId: 4711, replayed: false };
    await journal.complete([result]);
    expect(await journal.get(key)).toEqual({ idempotencyKey: key, state: 'done', result });
    // A late begin from a retry must not reset a done entry.
    expect((await journal.begin([{ idempotencyKey: key, operation: op }])).get(key)).toMatchObject({ state: 'done', result: { psaId: 4711 } });
    expect(await journal.get(key)).toMatchObject({ state: 'done', result: { psaId: 4711 } });
    const raw = await db.collection(OPERATION_JOURNAL).findOne({ _id: key as never });
    expect(raw).toMatchObject({ state: 'done', operation: op, startedAt: expect.any(Date), completedAt: expect.any(Date) });
  });

  it('concurrent begins of one key leave exactly one entry and never throw', async () => {
    const k = 'subscription/cw-main/sub-2#1#0';
    await expect(Promise.all(Array.from({ length: 8 }, () => journal.begin([{ idempotencyKey: k, operation: op }])))).resolves.toHaveLength(8);
    expect(await db.collection(OPERATION_JOURNAL).countDocuments({ _id: k as never })).toBe(1);
  });

  it('keeps Autotask shift details and null ids of deletes', async () => {
    const k = 'subscription/at-main/sub-3#2#1';
    await journal.begin([{ idempotencyKey: k, operation: { type: 'at.adjust-units', serviceKey: 'sub-3/p', effectiveDate: '2026-04-10', unitChange: -2 } }]);
    const result = { idempotencyKey: k, lineKey: 'sub-3/p', psaId: null, effectiveDate: '2026-04-11', shiftedFrom: '2026-04-10', replayed: false };
    await journal.complete([result]);
    expect((await journal.get(k))?.result).toEqual(result);
  });

  it('begins several keys in one insert: those already there come back, the others are begun; completes several at once', async () => {
    const keyed = (k: string) => ({ idempotencyKey: k, operation: op });
    await journal.begin([keyed('multi/1')]);
    await journal.complete([{ idempotencyKey: 'multi/1', lineKey: 'l', psaId: 1, replayed: false }]);
    await journal.begin([keyed('multi/2')]);
    const existing = await journal.begin([keyed('multi/0'), keyed('multi/1'), keyed('multi/2'), keyed('multi/3')]);
    expect([...existing.keys()].sort()).toEqual(['multi/1', 'multi/2']);
    expect(existing.get('multi/1')).toMatchObject({ state: 'done', result: { psaId: 1 } });
    expect(existing.get('multi/2')).toEqual({ idempotencyKey: 'multi/2', state: 'started' });
    expect(await journal.get('multi/0')).toEqual({ idempotencyKey: 'multi/0', state: 'started' });
    expect(await journal.get('multi/3')).toEqual({ idempotencyKey: 'multi/3', state: 'started' });
    await journal.complete(['multi/0', 'multi/2', 'multi/3'].map((k, i) => ({ idempotencyKey: k, lineKey: 'l', psaId: 10 + i, replayed: false })));
    expect((await Promise.all(['multi/0', 'multi/2', 'multi/3'].map((k) => journal.get(k)))).map((e) => [e?.state, e?.result?.psaId])).toEqual([['done', 10], ['done', 11], ['done', 12]]);
    await db.collection(OPERATION_JOURNAL).deleteMany({ _id: { $in: ['multi/0', 'multi/1', 'multi/2', 'multi/3'] as never[] } });
  });

  it('lists entries begun but never completed', async () => {
    clock.advance(3_600_000);
    const unfinished = await journal.listUnfinished(clock.now());
    expect(unfinished.map((e) => e.idempotencyKey)).toEqual(['subscription/cw-main/sub-2#1#0']);
    expect(await journal.listUnfinished(new Date(0))).toEqual([]);
  });
});
