/**
 * What the store's design relies on, pinned against the real FerretDB the tests run on. Where
 * MongoDB 7 differs, the comment says so and the store's code covers both.
 */
import type { Db, IndexDescription, MongoClient } from 'mongodb';
import { isDuplicateKeyError } from '../../activities/store';
import { openTestDb } from './store-db';

type Doc = { _id: string; c: string; p?: number | null; m?: Record<string, unknown> };

describe('FerretDB behaviours the store depends on', () => {
  let client: MongoClient;
  let db: Db;
  beforeAll(async () => {
    ({ client, db } = await openTestDb('store_ferretdb_behaviour'));
  });
  afterAll(async () => {
    await client.close();
  });

  const fresh = async (name: string) => {
    const col = db.collection<Doc>(name);
    await col.createIndex({ c: 1, p: 1 }, { unique: true });
    return col;
  };

  it('a unique index lets many documents LACK the field (MongoDB would not: missing indexes as null) but not carry null twice', async () => {
    const col = await fresh('missing_vs_null');
    await col.insertOne({ _id: 'a', c: 'x' });
    await expect(col.insertOne({ _id: 'b', c: 'x' })).resolves.toBeTruthy();
    await col.insertOne({ _id: 'n1', c: 'x', p: null });
    await expect(col.insertOne({ _id: 'n2', c: 'x', p: null })).rejects.toMatchObject({ code: 11000 });
  });

  it('insertOne and findOneAndUpdate-upsert collisions are code 11000; updating an existing document into a taken key is NOT', async () => {
    const col = await fresh('collisions');
    await col.insertOne({ _id: 'taken', c: 'x', p: 1 });
    await col.insertOne({ _id: 'other', c: 'x', p: 2 });
    await expect(col.insertOne({ _id: 'new', c: 'x', p: 1 })).rejects.toMatchObject({ code: 11000 });
    await expect(col.findOneAndUpdate({ _id: 'up' }, { $set: { c: 'x', p: 1 } }, { upsert: true })).rejects.toMatchObject({ code: 11000 });
    // The update path reports a generic error (code 1) naming the SQLite constraint...
    const e1 = await col.findOneAndUpdate({ _id: 'other' }, { $set: { p: 1 } }).catch((e: unknown) => e);
    expect(e1).toMatchObject({ message: expect.stringContaining('UNIQUE constraint failed') });
    expect((e1 as { code?: number }).code).not.toBe(11000);
    const e2 = await col.updateOne({ _id: 'other' }, { $set: { p: 1 } }).catch((e: unknown) => e);
    expect(e2).toMatchObject({ message: expect.stringContaining('UNIQUE constraint failed') });
    // ...which isDuplicateKeyError recognizes, as it does 11000.
    expect(isDuplicateKeyError(e1)).toBe(true);
    expect(isDuplicateKeyError(e2)).toBe(true);
    expect(isDuplicateKeyError({ code: 11000 })).toBe(true);
    expect(isDuplicateKeyError(new Error('boom'))).toBe(false);
  });

  it('an upsert whose filter misses an existing _id collides on _id with 11000 (the reconciliation history relies on it)', async () => {
    const col = db.collection<Doc>('upsert_miss');
    await col.insertOne({ _id: 'r', c: 'same' });
    await expect(col.findOneAndUpdate({ _id: 'r', c: { $ne: 'same' } }, { $set: { c: 'same' } }, { upsert: true })).rejects.toMatchObject({ code: 11000 });
  });

  it("field names may not contain '.' nor start with '$'; $set on a dotted path creates nested fields", async () => {
    const col = db.collection<Doc>('keys');
    await expect(col.insertOne({ _id: 'd', c: 'x', m: { 'a.b': 1 } })).rejects.toThrow(/must not contain '\.'/);
    await expect(col.insertOne({ _id: 'e', c: 'x', m: { $x: 1 } })).rejects.toThrow(/must not start with '\$'/);
    await col.insertOne({ _id: 'f', c: 'x' });
    await col.updateOne({ _id: 'f' }, { $set: { 'm.a.b': 1, 'm.a%2Eb/c': 2 } });
    expect((await col.findOne({ _id: 'f' }))?.m).toEqual({ a: { b: 1 }, 'a%2Eb/c': 2 });
  });

  it('partial indexes and transactions are not available', async () => {
    const col = db.collection<Doc>('unsupported');
    await expect(col.createIndex({ p: 1 }, { unique: true, partialFilterExpression: { p: { $exists: true } } })).rejects.toThrow(/not implemented/);
    const session = client.startSession();
    try {
      await expect(session.withTransaction(() => col.insertOne({ _id: 't', c: 'x' }, { session }))).rejects.toBeTruthy();
    } finally {
      await session.endSession();
    }
  });

  it('findOneAndUpdate does not take a projection (the repositories strip fields in code instead)', async () => {
    const col = db.collection<Doc>('projection');
    await col.insertOne({ _id: 'p', c: 'x', p: 1 });
    await expect(col.findOneAndUpdate({ _id: 'p' }, { $set: { p: 2 } }, { projection: { p: 0 } })).rejects.toThrow(/not implemented/);
    expect(await col.findOne({ _id: 'p' }, { projection: { p: 0 } })).toEqual({ _id: 'p', c: 'x' });
  });

  it('createIndex of an existing index is a no-op (ensureIndexes can run at every start-up)', async () => {
    const col = await fresh('twice');
    await expect(col.createIndex({ c: 1, p: 1 }, { unique: true })).resolves.toBe('c_1_p_1');
  });

  it('BUT createIndexes listing several indexes that all exist drops the connection (ensureIndexes sends one per command)', async () => {
    const specs: IndexDescription[] = [{ key: { x: 1 }, name: 'mx' }, { key: { y: 1 }, name: 'my' }];
    await db.collection('multi').createIndexes(specs);
    await expect(db.collection('multi').createIndexes(specs)).rejects.toThrow(/closed/);
    await expect(db.collection('multi').countDocuments()).resolves.toBe(0); // the driver reconnects
  });
});
