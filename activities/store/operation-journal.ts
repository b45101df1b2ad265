/**
 * The idempotency journal of PSA writes (docs/architecture.md "Identity and idempotency"), on
 * MongoDB: an operation is recorded before its PSA write (`started`) and after it (`done`, with
 * the PSA id it produced), so a retried activity replays the result instead of writing again,
 * and a crash between the two leaves a `started` entry telling the gateway to look before it writes.
 */
import type { PsaOperation } from '../../domain/psa-operations';
import type { AppliedOperation, JournalEntry, OperationJournal } from '../psa/psa-gateway.port';
import { MongoBulkWriteError, type Db } from 'mongodb';
import { isDuplicateKeyError, type IndexSpec } from './mongo';

export const OPERATION_JOURNAL = 'operation_journal';
export const operationJournalIndexes: IndexSpec[] = [
  { collection: OPERATION_JOURNAL, key: { state: 1, startedAt: 1 }, name: 'state_started' },
];

interface JournalDoc {
  _id: string;
  state: JournalEntry['state'];
  operation: PsaOperation;
  startedAt: Date;
  completedAt?: Date;
  result?: AppliedOperation;
}

export interface MongoOperationJournal extends OperationJournal {
  /** Entries begun but never completed before `olderThan` (crash between write and record) — for operators. */
  listUnfinished(olderThan: Date, limit?: number): Promise<Array<JournalEntry & { startedAt: string }>>;
}

/** The OperationJournal port on MongoDB (collection `operation_journal`, one document per idempotency key). */
export function createOperationJournal(db: Db, now: () => Date = () => new Date()): MongoOperationJournal {
  const col = db.collection<JournalDoc>(OPERATION_JOURNAL);
  const toEntry = (doc: JournalDoc): JournalEntry => ({
    idempotencyKey: doc._id,
    state: doc.state,
    ...(doc.result ? { result: doc.result } : {}),
  });

  return {
    async get(idempotencyKey) {
      const doc = await col.findOne({ _id: idempotencyKey });
      return doc ? toEntry(doc) : null;
    },

    async begin(operations) {
      const existing = new Map<string, JournalEntry>();
      if (operations.length === 0) return existing;
      const at = now();
      try {
        await col.insertMany(
          operations.map((o) => ({ _id: o.idempotencyKey, state: 'started' as const, operation: o.operation, startedAt: at })),
          { ordered: false },
        );
        return existing;
      } catch (e) {
        // Keys a retry (or a concurrent attempt) began already: the first record stands, and is
        // read — the only read, and only off the normal path.
        const taken = duplicateKeysOf(e, operations.map((o) => o.idempotencyKey));
        if (taken === null) throw e;
        for (const doc of await col.find({ _id: { $in: taken } }).toArray()) existing.set(doc._id, toEntry(doc));
        return existing;
      }
    },

    async complete(results) {
      if (results.length === 0) return;
      const at = now();
      // Upserts, so a complete() without begin() (should not happen) still leaves a usable `done` entry.
      const writes = (upsert: boolean) => (rs: readonly AppliedOperation[]) =>
        rs.map((result) => ({
          updateOne: {
            filter: { _id: result.idempotencyKey },
            update: { $set: { state: 'done' as const, result, completedAt: at }, ...(upsert ? { $setOnInsert: { startedAt: at } } : {}) },
            upsert,
          },
        }));
      try {
        await col.bulkWrite(writes(true)(results), { ordered: false });
      } catch (e) {
        // Lost an insert race with begin(): the documents exist now, so update them.
        if (duplicateKeysOf(e, results.map((r) => r.idempotencyKey)) === null) throw e;
        await col.bulkWrite(writes(false)(results), { ordered: false });
      }
    },

    async listUnfinished(olderThan, limit = 100) {
      const docs = await col.find({ state: 'started', startedAt: { $lt: olderThan } }).sort({ startedAt: 1 }).limit(limit).toArray();
      return docs.map((d) => ({ ...toEntry(d), startedAt: d.startedAt.toISOString() }));
    },
  };
}

/**
 * The keys an unordered bulk write refused as duplicates (each write error's index into `keys`),
 * or null when the error is anything else (or any of its write errors is not a duplicate).
 */
function duplicateKeysOf(e: unknown, keys: readonly string[]): string[] | null {
  if (e instanceof MongoBulkWriteError) {
    const errors = Array.isArray(e.writeErrors) ? e.writeErrors : [e.writeErrors];
    if (errors.length === 0 || !errors.every((w) => isDuplicateKeyError({ code: w.code, message: w.errmsg }))) return null;
    return errors.map((w) => keys[w.index]!).filter((k) => k !== undefined);
  }
  // A single-document failure reported as a plain error (one key): it is that key.
  return keys.length === 1 && isDuplicateKeyError(e) ? [...keys] : null;
}
