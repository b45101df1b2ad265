/**
 * FerretDB's cost per document read or write by `_id`, and per find on a secondary index, at a
 * growing collection size (docs/reconciliation.md "Scaling"): the store's hot path is reads and
 * updates by `_id`, so their time must not grow with the collection.
 *
 *   node --import tsx bench/scale/store-lookup.ts [sizes=1000,10000,50000] [samples=200]
 *
 * Starts FerretDB (`sandbox/stack/ferretdb.ts`, the build under .tools/bin) in a temp directory,
 * fills one collection with documents shaped like `subscription_lines` up to each size in turn,
 * and times, per size: `findOne({_id})`, `updateOne({_id}, {$set})`, and a `find` on an indexed
 * non-`_id` field (FerretDB does not push that filter down: a full scan in Go whatever the
 * index). Prints median and p90 in ms per operation as JSON, the SQLite plan of the `_id` query
 * FerretDB builds and the table's indexes (read from the data file with Python's sqlite3: no CLI
 * needed).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { startFerretDb } from '../../sandbox/stack/ferretdb';
import { freePort } from '../../sandbox/stack/ports';
import { loadAverage } from './scale-stack';

const SIZES = (process.argv[2] ?? '1000,10000,50000').split(',').map(Number);
const SAMPLES = Number(process.argv[3] ?? 200);
// A full scan in Go takes seconds at 50,000 documents: fewer samples of it.
const SCAN_SAMPLES = Math.max(5, Math.round(SAMPLES / 20));
const DB = 'lookup_bench';
const COLL = 'lines';

interface Line { _id: string; connectionId: string; subscriptionId: string; lineKey: string; psaId: number; updatedAt: Date }
const line = (i: number): Line => {
  const subscriptionId = `sub-${String(i).padStart(6, '0')}`;
  const lineKey = `${subscriptionId}/m365-bp/base/2026-01-01`;
  return { _id: JSON.stringify(['cw-bench', subscriptionId, lineKey]), connectionId: 'cw-bench', subscriptionId, lineKey, psaId: 1000 + i, updatedAt: new Date() };
};

/** Median and p90 in ms of `samples` runs of `op(i)` over evenly spread documents of `size`. */
async function time(size: number, op: (i: number) => Promise<unknown>, samples = SAMPLES): Promise<{ p50: number; p90: number }> {
  const ms: number[] = [];
  for (let s = 0; s < samples; s++) {
    const i = Math.floor((s * size) / samples);
    const t = process.hrtime.bigint();
    await op(i);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const at = (q: number) => Math.round(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]! * 100) / 100;
  return { p50: at(0.5), p90: at(0.9) };
}

/**
 * SQLite's plan for the statement FerretDB runs for `find({_id})` (its sqlite backend's
 * collection.go `Query`), then the table's indexes as created.
 */
function idQueryPlan(dataDir: string): string[] {
  const file = readdirSync(dataDir).find((f) => f.startsWith(DB) && f.endsWith('.sqlite'));
  const py = `
import sqlite3, sys
c = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)
t = c.execute("SELECT table_name FROM _ferretdb_collections WHERE name = ?", (sys.argv[2],)).fetchone()[0]
q = 'SELECT _ferretdb_sjson FROM "%s" WHERE _ferretdb_sjson->\\'$._id\\' = ?' % t
print(' | '.join(r[-1] for r in c.execute('EXPLAIN QUERY PLAN ' + q, ('"x"',))))
for (sql,) in c.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (t,)):
    print(sql)
`;
  return execFileSync('python3', ['-c', py, path.join(dataDir, file!), COLL], { encoding: 'utf8' }).trim().split('\n');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'psa-lookup-'));
  const dataDir = path.join(dir, 'ferretdb');
  const ferret = await startFerretDb({ port: await freePort(), dataDir, logFile: path.join(dir, 'ferretdb.log') });
  const client = await MongoClient.connect(ferret.url);
  const report: Record<string, unknown> = { loadAverageBefore: loadAverage(), samples: SAMPLES };
  try {
    const coll = client.db(DB).collection<Line>(COLL);
    await coll.createIndex({ connectionId: 1, subscriptionId: 1 });
    let filled = 0;
    for (const size of SIZES) {
      const t0 = Date.now();
      while (filled < size) {
        const batch = Array.from({ length: Math.min(1000, size - filled) }, (_, k) => line(filled + k));
        await coll.insertMany(batch);
        filled += batch.length;
      }
      const fillSeconds = (Date.now() - t0) / 1000;
      // Let a background index pass (if the build makes one) see the collection before timing.
      await new Promise((r) => setTimeout(r, 2_500));
      report[String(size)] = {
        fillSeconds,
        findById: await time(size, async (i) => {
          if ((await coll.findOne({ _id: line(i)._id }))?.psaId !== 1000 + i) throw new Error(`document ${i} not found by _id`);
        }),
        updateById: await time(size, async (i) => {
          if ((await coll.updateOne({ _id: line(i)._id }, { $set: { updatedAt: new Date() } })).matchedCount !== 1) throw new Error(`document ${i} not updated by _id`);
        }),
        findByIndexedField: await time(size, (i) => coll.find({ connectionId: 'cw-bench', subscriptionId: line(i).subscriptionId }).toArray(), SCAN_SAMPLES),
      };
      console.error(`${size}: ${JSON.stringify(report[String(size)])}`);
    }
    report.idQueryPlan = idQueryPlan(dataDir);
    report.loadAverageAfter = loadAverage();
  } finally {
    await client.close();
    await ferret.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(report, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
