/**
 * Bundles (docs/billing-modes.md "Bundles"), per connection: one document per bundle — where
 * its ONE line lives (company, agreement/contract, PSA catalog item / service), how it bundles
 * (quantity-only | average | total, and its own prices in quantity-only mode), its member
 * subscriptions, and the PSA ids of the line its workflow wrote. The bundle's workflow is the
 * only writer of `lineIds`; an admin's create / delete are the only writers of the rest.
 */
import type { Collection, Db } from 'mongodb';
import type { Timestamp } from './connections';
import { ConflictError, NotFoundError } from './errors';
import { decodeKeys, encodeLineKey } from './line-keys';
import { isDuplicateKeyError, paging, type IndexSpec, type Page } from './mongo';

export const BUNDLES = 'bundles';
export const bundleIndexes: IndexSpec[] = [
  { collection: BUNDLES, key: { connectionId: 1, id: 1 }, name: 'connection_bundle', unique: true },
  { collection: BUNDLES, key: { connectionId: 1, members: 1 }, name: 'connection_members' },
];

export type BundleRecordStatus = 'active' | 'ended';

/** What an admin defines. */
export interface BundleDefinition {
  connectionId: string;
  id: string;
  name: string;
  psa: 'connectwise' | 'autotask';
  companyId: number;
  agreementId: number;
  agreement: { startDate: string; periodType: 'monthly' | 'yearly' };
  /** ConnectWise catalog item id / Autotask service id the line bills. */
  psaProductId: number;
  mode: 'quantity-only' | 'average' | 'total';
  unitPrice?: string;
  unitCost?: string;
  members: string[];
  description: string;
  billCustomer?: 'Billable' | 'DoNotBill' | 'NoCharge';
}

export interface BundleRecord extends BundleDefinition {
  /** `ended`: deleted after it billed; its line stops billing on `endFrom` and stays as history. */
  status: BundleRecordStatus;
  endFrom?: string;
  /** Planner line key → PSA id of the bundle's line (ConnectWise additions / Autotask contract service). */
  lineIds: Record<string, number>;
  lastSyncAt?: Timestamp;
  error?: { message: string; at: Timestamp };
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface BundleRepository {
  /** ConflictError when the id is taken on the connection. */
  create(definition: BundleDefinition): Promise<BundleRecord>;
  get(connectionId: string, id: string): Promise<BundleRecord | null>;
  list(connectionId: string, query?: { limit?: number; skip?: number }): Promise<Page<BundleRecord>>;
  /** The active bundle a subscription is a member of (null: none). */
  memberOf(connectionId: string, subscriptionId: string): Promise<BundleRecord | null>;
  /** A successful write of the bundle's workflow: line ids set (number) or removed (null), error cleared. */
  recordApplied(connectionId: string, id: string, lineChanges: Record<string, number | null>): Promise<void>;
  markFailed(connectionId: string, id: string, message: string): Promise<void>;
  /** Deleted after it billed: kept as history, its line ends on `endFrom`, members released. */
  end(connectionId: string, id: string, endFrom: string): Promise<BundleRecord>;
  remove(connectionId: string, id: string): Promise<boolean>;
}

interface BundleDoc extends Omit<BundleRecord, 'lastSyncAt' | 'error' | 'createdAt' | 'updatedAt'> {
  _id: string;
  lastSyncAt?: Date;
  error?: { message: string; at: Date };
  createdAt: Date;
  updatedAt: Date;
}

const docId = (connectionId: string, id: string) => JSON.stringify([connectionId, id]);

function view(d: BundleDoc): BundleRecord {
  const { _id: _omit, lastSyncAt, error, createdAt, updatedAt, lineIds, ...rest } = d;
  return {
    ...rest,
    lineIds: decodeKeys(lineIds),
    ...(lastSyncAt ? { lastSyncAt: lastSyncAt.toISOString() } : {}),
    ...(error ? { error: { message: error.message, at: error.at.toISOString() } } : {}),
    createdAt: createdAt.toISOString(),
    updatedAt: updatedAt.toISOString(),
  };
}

export function createBundleRepository(db: Db, now: () => Date = () => new Date()): BundleRepository {
  const col: Collection<BundleDoc> = db.collection<BundleDoc>(BUNDLES);
  return {
    async create(definition) {
      const at = now();
      const doc: BundleDoc = { _id: docId(definition.connectionId, definition.id), ...definition, status: 'active', lineIds: {}, createdAt: at, updatedAt: at };
      try {
        await col.insertOne(doc);
      } catch (e) {
        if (isDuplicateKeyError(e)) throw new ConflictError(`bundle "${definition.id}" already exists on connection "${definition.connectionId}"`);
        throw e;
      }
      return view(doc);
    },
    async get(connectionId, id) {
      const d = await col.findOne({ _id: docId(connectionId, id) });
      return d ? view(d) : null;
    },
    async list(connectionId, query = {}) {
      const { limit, skip } = paging(query);
      const [docs, total] = await Promise.all([col.find({ connectionId }).sort({ id: 1 }).skip(skip).limit(limit).toArray(), col.countDocuments({ connectionId })]);
      return { items: docs.map(view), total };
    },
    async memberOf(connectionId, subscriptionId) {
      const d = await col.findOne({ connectionId, members: subscriptionId, status: 'active' });
      return d ? view(d) : null;
    },
    async recordApplied(connectionId, id, lineChanges) {
      const set: Record<string, unknown> = { lastSyncAt: now(), updatedAt: now() };
      const unset: Record<string, ''> = { error: '' };
      for (const [key, psaId] of Object.entries(lineChanges)) {
        if (psaId === null) unset[`lineIds.${encodeLineKey(key)}`] = '';
        else set[`lineIds.${encodeLineKey(key)}`] = psaId;
      }
      const r = await col.updateOne({ _id: docId(connectionId, id) }, { $set: set, $unset: unset });
      if (r.matchedCount === 0) throw new NotFoundError('bundle', `${connectionId}/${id}`);
    },
    async markFailed(connectionId, id, message) {
      await col.updateOne({ _id: docId(connectionId, id) }, { $set: { error: { message: message.slice(0, 2000), at: now() }, updatedAt: now() } });
    },
    async end(connectionId, id, endFrom) {
      const d = await col.findOneAndUpdate({ _id: docId(connectionId, id) }, { $set: { status: 'ended', endFrom, updatedAt: now() } }, { returnDocument: 'after' });
      if (!d) throw new NotFoundError('bundle', `${connectionId}/${id}`);
      return view(d);
    },
    async remove(connectionId, id) {
      return (await col.deleteOne({ _id: docId(connectionId, id) })).deletedCount === 1;
    },
  };
}
