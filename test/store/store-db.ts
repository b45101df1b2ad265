/** A fresh database per test file on the FerretDB the global setup started, with every index. */
import type { Db, MongoClient } from 'mongodb';
import { connectMongo, ensureIndexes } from '../../activities/store';
import { testDbUrl, testServers } from '../setup/servers';

export async function openTestDb(name: string): Promise<{ client: MongoClient; db: Db }> {
  const { client, db } = await connectMongo(testDbUrl(testServers().mongoUrl, name));
  await db.dropDatabase();
  await ensureIndexes(db);
  return { client, db };
}

/** A clock that moves only when told to. */
export function testClock(start = '2026-03-01T00:00:00.000Z') {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
  };
}
