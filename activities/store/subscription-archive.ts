/**
 * The state a subscription workflow leaves when it closes (an ended subscription, quiet for a
 * while), one document per workflow id: a late event reopens the workflow, which starts from
 * here instead of from nothing (so it never bills a second set of lines).
 */
import type { Db } from 'mongodb';
import type { SubscriptionArchive } from '../subscription.activities';

export const SUBSCRIPTION_ARCHIVE = 'subscription_archive';

interface ArchiveDoc {
  _id: string;
  /** The carried state as JSON text (event payloads may hold keys MongoDB field names cannot). */
  state: string;
  archivedAt: Date;
}

export function createSubscriptionArchive(db: Db, now: () => Date = () => new Date()): SubscriptionArchive {
  const col = db.collection<ArchiveDoc>(SUBSCRIPTION_ARCHIVE);
  return {
    async get(workflowId) {
      const doc = await col.findOne({ _id: workflowId });
      return doc ? (JSON.parse(doc.state) as unknown) : null;
    },
    async put(workflowId, state) {
      await col.replaceOne({ _id: workflowId }, { state: JSON.stringify(state), archivedAt: now() }, { upsert: true });
    },
  };
}
