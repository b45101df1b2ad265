/**
 * Our FerretDB build (scripts/ferretdb/idindex.go) gives every collection that reaches 1,000
 * documents an index on the expression FerretDB's SQLite backend queries `_id` with, so reads,
 * updates and deletes by `_id` stop being full scans (docs/reconciliation.md "Scaling").
 * FerretDB's `explain` returns SQLite's own query plan: `SEARCH ... USING INDEX` vs `SCAN`.
 */
import type { Collection, Db, MongoClient } from 'mongodb';
import { eventually } from '../support/eventually';
import { openTestDb } from './store-db';

type Doc = { _id: string; n: number };
const THRESHOLD = 1000; // the build's --id-index-min-docs default

const idPlan = async (col: Collection<Doc>, id: string): Promise<string> =>
  JSON.stringify((await col.find({ _id: id }).explain()).queryPlanner);

const fill = (col: Collection<Doc>, count: number) =>
  col.insertMany(Array.from({ length: count }, (_, n) => ({ _id: `doc-${n}`, n })));

describe('FerretDB: _id lookups use an index once a collection is large', () => {
  let client: MongoClient;
  let db: Db;
  beforeAll(async () => {
    ({ client, db } = await openTestDb('store_ferretdb_id_index'));
    await fill(db.collection<Doc>('small'), 10); // checked last, after the sweeps the other tests waited for
  });
  afterAll(async () => {
    await client.close();
  });

  it('a collection of 1,000 documents gets its _id index; reads, updates and deletes by _id still find the right document', async () => {
    const col = db.collection<Doc>('large');
    await fill(col, THRESHOLD);
    const plan = await eventually(async () => {
      const p = await idPlan(col, 'doc-7');
      return p.includes('USING INDEX psa_id_lookup_') ? p : undefined;
    }, 'the _id index', 30_000, () => idPlan(col, 'doc-7'));
    expect(plan).toMatch(/SEARCH/);
    expect(await col.findOne({ _id: 'doc-500' })).toEqual({ _id: 'doc-500', n: 500 });
    expect((await col.updateOne({ _id: 'doc-999' }, { $set: { n: -1 } })).modifiedCount).toBe(1);
    expect(await col.findOne({ _id: 'doc-999' })).toEqual({ _id: 'doc-999', n: -1 });
    expect((await col.deleteOne({ _id: 'doc-0' })).deletedCount).toBe(1);
    expect(await col.findOne({ _id: 'doc-0' })).toBeNull();
    expect(await col.countDocuments()).toBe(THRESHOLD - 1);
  });

  it('a dropped and re-created collection is indexed again', async () => {
    const col = db.collection<Doc>('recreated');
    await fill(col, THRESHOLD);
    await eventually(async () => ((await idPlan(col, 'doc-1')).includes('USING INDEX') ? true : undefined), 'the first _id index', 30_000);
    await col.drop();
    await fill(col, THRESHOLD);
    await eventually(async () => ((await idPlan(col, 'doc-1')).includes('USING INDEX') ? true : undefined), 'the _id index of the re-created collection', 30_000, () => idPlan(col, 'doc-1'));
    expect(await col.findOne({ _id: 'doc-1' })).toEqual({ _id: 'doc-1', n: 1 });
  });

  it('a small collection keeps the plain scan (below the threshold the index is not worth the drop-race risk)', async () => {
    expect(await idPlan(db.collection<Doc>('small'), 'doc-1')).toMatch(/SCAN/);
  });
});
