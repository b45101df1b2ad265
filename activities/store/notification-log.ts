/**
 * What the daily digests (docs/billing-rules.md §8) have sent: at most one mail per connection per
 * template per UTC day — claimed before sending, so two digest runs racing on the same day
 * cannot both mail — and, per connection, the reconciliation statuses the last mail reported,
 * so the next one can list only what changed since.
 */
import type { Db } from 'mongodb';
import { isIsoDate, type IsoDate } from '../../domain/dates';
import type { NotificationTemplate } from './connection-schemas';
import type { Timestamp } from './connections';
import { isDuplicateKeyError, type IndexSpec } from './mongo';
import { reconciliationId, type ReconciliationKey, type ReconciliationStatus } from './reconciliations';

export const NOTIFICATION_DIGESTS = 'notification_digests';
export const NOTIFICATION_SNAPSHOTS = 'notification_snapshots';
export const notificationIndexes: IndexSpec[] = [
  { collection: NOTIFICATION_DIGESTS, key: { connectionId: 1, template: 1, day: 1 }, name: 'connection_template_day', unique: true },
];

export interface DigestRecord {
  connectionId: string;
  template: NotificationTemplate;
  /** UTC day `YYYY-MM-DD`. */
  day: IsoDate;
  state: 'claimed' | 'sent';
  claimedAt: Timestamp;
  sentAt?: Timestamp;
  recipients?: string[];
  /** How many rows the mail listed. */
  itemCount?: number;
}

/** One reconciliation status as last reported to a connection's recipients. */
export interface NotifiedStatus extends ReconciliationKey { status: ReconciliationStatus }
/** A status change since the last mail (`previous` undefined: never reported before). */
export interface StatusChange extends NotifiedStatus { previous?: ReconciliationStatus }

export interface NotificationLog {
  /** Claims today's mail of a template for a connection; false when it was already claimed (send nothing). */
  claimDigest(connectionId: string, template: NotificationTemplate, day: IsoDate): Promise<boolean>;
  /** Records that the claimed mail went out. */
  markDigestSent(connectionId: string, template: NotificationTemplate, day: IsoDate, info: { recipients: string[]; itemCount: number }): Promise<void>;
  /** Gives a claim back when the mail could not be sent, so a retry may claim it again; a sent mail is never released. */
  releaseDigest(connectionId: string, template: NotificationTemplate, day: IsoDate): Promise<boolean>;
  getDigest(connectionId: string, template: NotificationTemplate, day: IsoDate): Promise<DigestRecord | null>;
  /** The reconciliation statuses the last billing-reconciliation mail reported, by reconciliation id. */
  lastNotifiedStatuses(connectionId: string): Promise<Map<string, NotifiedStatus>>;
  /** Replaces the snapshot with what was just reported. */
  saveNotifiedStatuses(connectionId: string, statuses: readonly NotifiedStatus[]): Promise<void>;
}

/** The statuses that differ from the last snapshot (new records included), in input order. */
export function statusChangesSince(current: readonly NotifiedStatus[], last: ReadonlyMap<string, NotifiedStatus>): StatusChange[] {
  const out: StatusChange[] = [];
  for (const s of current) {
    const before = last.get(reconciliationId(s));
    if (before?.status === s.status) continue;
    out.push(before ? { ...s, previous: before.status } : { ...s });
  }
  return out;
}

interface DigestDoc {
  _id: string;
  connectionId: string;
  template: NotificationTemplate;
  day: IsoDate;
  state: 'claimed' | 'sent';
  claimedAt: Date;
  sentAt?: Date;
  recipients?: string[];
  itemCount?: number;
}
interface SnapshotDoc {
  _id: string;
  // An array, not a map keyed by id: ids may contain '.', which field names may not.
  statuses: NotifiedStatus[];
  savedAt: Date;
}

const digestId = (connectionId: string, template: string, day: string) => `${connectionId}/${template}/${day}`;
function checkDay(day: string): void {
  if (!isIsoDate(day)) throw new RangeError(`digest day must be a UTC date YYYY-MM-DD, got "${day}"`);
}

/** The notification log over `db`. */
export function createNotificationLog(db: Db, now: () => Date = () => new Date()): NotificationLog {
  const digests = db.collection<DigestDoc>(NOTIFICATION_DIGESTS);
  const snapshots = db.collection<SnapshotDoc>(NOTIFICATION_SNAPSHOTS);

  return {
    async claimDigest(connectionId, template, day) {
      checkDay(day);
      try {
        await digests.insertOne({ _id: digestId(connectionId, template, day), connectionId, template, day, state: 'claimed', claimedAt: now() });
        return true;
      } catch (e) {
        if (isDuplicateKeyError(e)) return false;
        throw e;
      }
    },

    async markDigestSent(connectionId, template, day, info) {
      checkDay(day);
      await digests.updateOne(
        { _id: digestId(connectionId, template, day) },
        { $set: { state: 'sent', sentAt: now(), recipients: [...info.recipients], itemCount: info.itemCount } },
      );
    },

    async releaseDigest(connectionId, template, day) {
      const res = await digests.deleteOne({ _id: digestId(connectionId, template, day), state: 'claimed' });
      return res.deletedCount === 1;
    },

    async getDigest(connectionId, template, day) {
      const d = await digests.findOne({ _id: digestId(connectionId, template, day) });
      if (!d) return null;
      return {
        connectionId: d.connectionId,
        template: d.template,
        day: d.day,
        state: d.state,
        claimedAt: d.claimedAt.toISOString(),
        ...(d.sentAt ? { sentAt: d.sentAt.toISOString() } : {}),
        ...(d.recipients ? { recipients: d.recipients } : {}),
        ...(d.itemCount !== undefined ? { itemCount: d.itemCount } : {}),
      };
    },

    async lastNotifiedStatuses(connectionId) {
      const doc = await snapshots.findOne({ _id: connectionId });
      return new Map((doc?.statuses ?? []).map((s) => [reconciliationId(s), s]));
    },

    async saveNotifiedStatuses(connectionId, statuses) {
      const clean = statuses.map((s) => ({ connectionId: s.connectionId, provider: s.provider, month: s.month, subscriptionId: s.subscriptionId, status: s.status }));
      await snapshots.replaceOne({ _id: connectionId }, { statuses: clean, savedAt: now() }, { upsert: true });
    },
  };
}
