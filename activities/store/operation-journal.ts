/**
 * The idempotency journal of PSA writes (docs/architecture.md "Identity and idempotency"), on
 * MongoDB: an operation is recorded before its PSA write (`started`) and after it (`done`, with
 * the PSA id it produced), so a retried activity replays the result instead of writing again,
 * and a crash between the two leaves a `started` entry telling the gateway to look before it writes.
 */
import type { Db } from 'mongodb';
import type { PsaOperation } from '../../domain/psa-operations';
import type { AppliedOperation, JournalEntry, OperationJournal } from '../psa/psa-gateway.port';
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

    async begin(idempotencyKey, operation) {
      try {
        await col.insertOne({ _id: idempotencyKey, state: 'started', operation, startedAt: now() });
      } catch (e) {
        // A retry (or a concurrent attempt) began it already; the first record stands.
        if (!isDuplicateKeyError(e)) throw e;
      }
    },

    async complete(result) {
      const at = now();
      // Upsert-capable findOneAndUpdate: on FerretDB only insert/findAndModify report 11000, and
      // a complete() without begin() (should not happen) still leaves a usable `done` entry.
      try {
        await col.findOneAndUpdate(
          { _id: result.idempotencyKey },
          { $set: { state: 'done', result, completedAt: at }, $setOnInsert: { startedAt: at } },
          { upsert: true },
        );
      } catch (e) {
        if (!isDuplicateKeyError(e)) throw e;
        // Lost an insert race with begin(): the document exists now, so update it.
        await col.updateOne({ _id: result.idempotencyKey }, { $set: { state: 'done', result, completedAt: at } });
      }
    },

    async listUnfinished(olderThan, limit = 100) {
      const docs = await col.find({ state: 'started', startedAt: { $lt: olderThan } }).sort({ startedAt: 1 }).limit(limit).toArray();
      return docs.map((d) => ({ ...toEntry(d), startedAt: d.startedAt.toISOString() }));
    },
  };
}
