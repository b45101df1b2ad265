/**
 * Connecting to the database, and the few driver facts every repository shares. The same code
 * runs on MongoDB 7 (production) and FerretDB 1.24 on SQLite (local, tests), so only what both
 * do alike is used: single-document atomic writes, unique indexes, no transactions.
 */
import { MongoClient, type Db, type MongoClientOptions } from 'mongodb';

/** Opens a client and returns it with the URL's database (`/name` in the URL, default `psa_connector`). */
export async function connectMongo(
  url: string,
  options: MongoClientOptions = {},
): Promise<{ client: MongoClient; db: Db }> {
  const client = new MongoClient(url, {
    // Fail fast at start-up instead of hanging the worker for 30 s on a wrong URL.
    serverSelectionTimeoutMS: 5_000,
    connectTimeoutMS: 5_000,
    // FerretDB is a standalone server: retryable writes need a replica set. Every write here is
    // idempotent on its own (keyed upserts / insert-or-11000), so nothing depends on them.
    retryWrites: false,
    // Optional fields are left out of documents rather than stored as null (a null would collide
    // in unique indexes and read back as a value).
    ignoreUndefined: true,
    appName: 'psa-connector',
    ...options,
  });
  await client.connect();
  const name = new URL(url).pathname.replace(/^\//, '') || 'psa_connector';
  return { client, db: client.db(name) };
}

/**
 * True for a unique-index violation. MongoDB reports code 11000 everywhere; FerretDB does only
 * for inserts and upsert-inserts, and reports an update of an existing document into a taken
 * key as a generic error whose message names the SQLite UNIQUE constraint.
 */
export function isDuplicateKeyError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { code?: unknown; message?: unknown };
  if (err.code === 11000 || err.code === 11001) return true;
  return typeof err.message === 'string' && /E11000|UNIQUE constraint failed/.test(err.message);
}

/** Escapes user text for a case-insensitive `$regex` "contains" search. */
export function containsRegex(text: string): { $regex: string; $options: string } {
  return { $regex: text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), $options: 'i' };
}

/** Paging bounds shared by every list: limit 1..1000 (default 50), skip ≥ 0. */
export function paging(p: { limit?: number; skip?: number }): { limit: number; skip: number } {
  const limit = Math.min(Math.max(Math.trunc(p.limit ?? 50), 1), 1000);
  const skip = Math.max(Math.trunc(p.skip ?? 0), 0);
  return { limit, skip };
}

/** An index a repository needs; `ensureIndexes` creates them all. */
export interface IndexSpec {
  collection: string;
  key: Record<string, 1 | -1>;
  name: string;
  unique?: boolean;
}

/** One page of a list, with the total matching count for the pager. */
export interface Page<T> {
  items: T[];
  total: number;
}
