/**
 * The persistence layer: every repository over one MongoDB database, plus the index set they
 * rely on. The worker calls `connectMongo`, then `ensureIndexes` once at start-up, then
 * `createStore` and hands the repositories to the activity factories.
 */
import type { Db } from 'mongodb';
import { connectionIndexes, createConnectionRepository, type ConnectionRepository } from './connections';
import { createMappingRepositories, mappingIndexes, type MappingRepositories } from './mappings';
import type { IndexSpec } from './mongo';
import { createNotificationLog, notificationIndexes, type NotificationLog } from './notification-log';
import { createOperationJournal, operationJournalIndexes, type MongoOperationJournal } from './operation-journal';
import { createPlatformRepository, platformIndexes, type PlatformRepository } from './platform';
import { createReconciliationRepository, reconciliationIndexes, type ReconciliationRepository } from './reconciliations';
import { createSubscriptionArchive } from './subscription-archive';
import type { SubscriptionArchive } from '../subscription.activities';
import type { SecretKeyring } from './secrets';
import { apiTokenIndexes, createApiTokenRepository, type ApiTokenRepository } from './api-tokens';
import { auditIndexes, createAuditLog, type AuditLog } from './audit-log';
import { bundleIndexes, createBundleRepository, type BundleRepository } from './bundles';
import { commitmentIndexes, createCommitmentRepository, type CommitmentRepository } from './commitments';

export interface Store {
  connections: ConnectionRepository;
  platform: PlatformRepository;
  mappings: MappingRepositories;
  journal: MongoOperationJournal;
  reconciliations: ReconciliationRepository;
  notifications: NotificationLog;
  /** States of closed subscription workflows (reopened by a late event). */
  archive: SubscriptionArchive;
  tokens: ApiTokenRepository;
  audit: AuditLog;
  /** Bundles: several subscriptions billed through one PSA line (docs/billing-modes.md). */
  bundles: BundleRepository;
  /** Each subscription's commitment term, end and next renewal (docs/renewals.md). */
  commitments: CommitmentRepository;
}

export interface StoreOptions {
  /** Keys sealing PSA secrets at rest (from the worker config). */
  secretKeys: SecretKeyring;
  /** Clock for timestamps (tests pin it). */
  now?: () => Date;
}

/** Every repository over `db`. */
export function createStore(db: Db, options: StoreOptions): Store {
  const now = options.now ?? (() => new Date());
  return {
    connections: createConnectionRepository(db, options.secretKeys, now),
    platform: createPlatformRepository(db, now),
    mappings: createMappingRepositories(db, now),
    journal: createOperationJournal(db, now),
    reconciliations: createReconciliationRepository(db, now),
    notifications: createNotificationLog(db, now),
    archive: createSubscriptionArchive(db, now),
    tokens: createApiTokenRepository(db, now),
    audit: createAuditLog(db, now),
    bundles: createBundleRepository(db, now),
    commitments: createCommitmentRepository(db, now),
  };
}

/** Every index the repositories rely on (unique ones enforce identity). */
export const STORE_INDEXES: readonly IndexSpec[] = [
  ...connectionIndexes,
  ...platformIndexes,
  ...mappingIndexes,
  ...operationJournalIndexes,
  ...reconciliationIndexes,
  ...notificationIndexes,
  ...apiTokenIndexes,
  ...auditIndexes,
  ...bundleIndexes,
  ...commitmentIndexes,
];

/** Creates every index the store needs; safe to call at every start-up (existing ones are kept). */
export async function ensureIndexes(db: Db): Promise<void> {
  // One index per command: FerretDB 1.24 panics (and drops the connection) on a createIndexes
  // listing several indexes that all exist already.
  for (const s of STORE_INDEXES) {
    await db.collection(s.collection).createIndex(s.key, { name: s.name, ...(s.unique ? { unique: true } : {}) });
  }
}

export { connectMongo, isDuplicateKeyError, type Page } from './mongo';
export * from './errors';
export * from './secrets';
export * from './connection-schemas';
export * from './connections';
export * from './platform';
export * from './mappings';
export * from './operation-journal';
export * from './reconciliations';
export * from './notification-log';
export * from './api-tokens';
export * from './audit-log';
export * from './bundles';
export * from './commitments';
export { encodeLineKey, decodeLineKey } from './line-keys';
export { contentHash } from './content-hash';
