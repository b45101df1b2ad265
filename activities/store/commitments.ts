/**
 * Each subscription's commitment as its workflow last computed it (docs/renewals.md): the
 * term, its end, the next renewal and any decrease waiting for it, with the customer and
 * product it concerns. One document per (connection, subscription), written only by that
 * subscription's workflow when the view changes (so it never contends with the mapping
 * document's writers, see mappings.ts); read by `renewals due`, the API and the renewals mail.
 */
import type { Db } from 'mongodb';
import type { IsoDate } from '../../domain/dates';
import type { SubscriptionCommitment } from '../../domain/commitment';
import type { Timestamp } from './connections';
import { paging, type IndexSpec, type Page } from './mongo';

export const SUBSCRIPTION_COMMITMENTS = 'subscription_commitments';

export const commitmentIndexes: IndexSpec[] = [
  { collection: SUBSCRIPTION_COMMITMENTS, key: { connectionId: 1, commitmentEnd: 1 }, name: 'connection_commitment_end' },
];

/** A subscription's commitment with what lists show next to it. */
export interface CommitmentRecord extends SubscriptionCommitment {
  connectionId: string;
  subscriptionId: string;
  customerId: string | null;
  customerName?: string;
  productId: string;
  productName?: string;
  /** The platform's quantity (what the customer asked for); the billed one is `scheduledDecrease.from` until the renewal. */
  quantity: number;
  /** The day the view was computed for. */
  asOf: IsoDate;
  updatedAt: Timestamp;
}

export interface CommitmentRepository {
  /** Replaces the subscription's record (the workflow's latest view). */
  record(input: Omit<CommitmentRecord, 'updatedAt'>): Promise<void>;
  get(connectionId: string, subscriptionId: string): Promise<CommitmentRecord | null>;
  /** The records of some subscriptions (one page of a list), by subscription id; those without one are absent. */
  getMany(connectionId: string, subscriptionIds: readonly string[]): Promise<Map<string, CommitmentRecord>>;
  /** Records whose commitment ends between `from` and `to` (both included), soonest first, then by subscription id. */
  due(connectionId: string, query: { from: IsoDate; to: IsoDate; limit?: number; skip?: number }): Promise<Page<CommitmentRecord>>;
  /** Drops a connection's records (when the connection is deleted). */
  removeConnection(connectionId: string): Promise<number>;
}

type CommitmentDoc = Omit<CommitmentRecord, 'updatedAt'> & { _id: string; updatedAt: Date };

export function createCommitmentRepository(db: Db, now: () => Date = () => new Date()): CommitmentRepository {
  const col = db.collection<CommitmentDoc>(SUBSCRIPTION_COMMITMENTS);
  const toRecord = ({ _id, updatedAt, ...rest }: CommitmentDoc): CommitmentRecord => ({ ...rest, updatedAt: updatedAt.toISOString() });
  return {
    async record(input) {
      const _id = `${input.connectionId}/${input.subscriptionId}`;
      await col.replaceOne({ _id }, { ...input, updatedAt: now() }, { upsert: true });
    },
    async get(connectionId, subscriptionId) {
      const doc = await col.findOne({ _id: `${connectionId}/${subscriptionId}` });
      return doc ? toRecord(doc) : null;
    },
    async getMany(connectionId, subscriptionIds) {
      const docs = await col.find({ _id: { $in: subscriptionIds.map((id) => `${connectionId}/${id}`) } }).toArray();
      return new Map(docs.map((d) => [d.subscriptionId, toRecord(d)]));
    },
    async due(connectionId, query) {
      const { limit, skip } = paging(query);
      const filter = { connectionId, commitmentEnd: { $gte: query.from, $lte: query.to } };
      const [docs, total] = await Promise.all([
        col.find(filter).sort({ commitmentEnd: 1, subscriptionId: 1 }).skip(skip).limit(limit).toArray(),
        col.countDocuments(filter),
      ]);
      return { items: docs.map(toRecord), total };
    },
    async removeConnection(connectionId) {
      return (await col.deleteMany({ connectionId })).deletedCount;
    },
  };
}

/** A renewal as lists and the renewals mail show it: who, what, how many, when, and what waits for it. */
export type RenewalRow = Pick<
  CommitmentRecord,
  'subscriptionId' | 'customerId' | 'customerName' | 'productId' | 'productName' | 'quantity' | 'term' | 'commitmentEnd' | 'nextRenewal' | 'autoRenew' | 'scheduledDecrease'
>;

export function renewalRow(r: CommitmentRecord): RenewalRow {
  return {
    subscriptionId: r.subscriptionId,
    customerId: r.customerId,
    ...(r.customerName !== undefined ? { customerName: r.customerName } : {}),
    productId: r.productId,
    ...(r.productName !== undefined ? { productName: r.productName } : {}),
    quantity: r.quantity,
    term: r.term,
    commitmentEnd: r.commitmentEnd,
    nextRenewal: r.nextRenewal,
    autoRenew: r.autoRenew,
    scheduledDecrease: r.scheduledDecrease,
  };
}

/** The commitment alone (term, end, next renewal, waiting decrease) as the subscriptions list shows it next to each subscription. */
export function commitmentView(r: CommitmentRecord): SubscriptionCommitment & { asOf: IsoDate } {
  return { term: r.term, termStart: r.termStart, commitmentEnd: r.commitmentEnd, nextRenewal: r.nextRenewal, autoRenew: r.autoRenew, scheduledDecrease: r.scheduledDecrease, asOf: r.asOf };
}
