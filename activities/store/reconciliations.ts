/**
 * Monthly billing reconciliation records (docs/billing-rules.md §6): one per (connection, provider,
 * billing month, subscription), holding the status, its reason, what the platform invoiced and
 * what the PSA holds, the admin's accept/reject decision and every status change. The
 * reconciliation workflow writes them; the admin API reads them as the reconciliation log.
 *
 * One writer per record: FerretDB 1.24 applies an update by reading the document and writing it
 * back whole, so concurrent updates of one record can lose one (MongoDB would not). Route
 * accept/reject through the run's workflow (signal → activity → `decide`) rather than writing
 * from the HTTP handler, so its writes are serialized with the daily checks.
 */
import type { Db, Filter } from 'mongodb';
import type { Money } from '../../domain/money';
import type { Timestamp } from './connections';
import { ConflictError, NotFoundError } from './errors';
import { containsRegex, isDuplicateKeyError, type IndexSpec } from './mongo';

export const RECONCILIATIONS = 'reconciliations';
export const reconciliationIndexes: IndexSpec[] = [
  { collection: RECONCILIATIONS, key: { connectionId: 1, provider: 1, month: 1, subscriptionId: 1 }, name: 'identity', unique: true },
  { collection: RECONCILIATIONS, key: { connectionId: 1, month: 1, status: 1 }, name: 'connection_month_status' },
  { collection: RECONCILIATIONS, key: { connectionId: 1, status: 1 }, name: 'connection_status' },
];

export const RECONCILIATION_STATUSES = ['pending', 'failed-review', 'pending-review', 'reconciled', 'rejected', 'failed'] as const;
export type ReconciliationStatus = (typeof RECONCILIATION_STATUSES)[number];

export interface ReconciliationKey {
  connectionId: string;
  /** Provider name as configured in the cutover table, e.g. "Microsoft CSP". */
  provider: string;
  /** Billing month `YYYY-MM`. */
  month: string;
  subscriptionId: string;
}

/** What the platform's final invoices say for the month. */
export interface PlatformCharges {
  /** Licenses of the last billing period ("Plat. Quan."). */
  quantity: number;
  /** Billed usage quantity ("Usage Quan."), when known. */
  usageQuantity?: number;
  /** Reseller invoice total. */
  cost: Money;
  /** Customer invoice total. */
  price: Money;
}
/** What the PSA holds for the month. */
export interface PsaCharges { quantity: number; cost: Money; price: Money }

/** `note`: the decider's optional words (≤ 500 characters), kept with the decision. */
export interface ReconciliationDecision { action: 'accept' | 'reject'; by: string; at: Timestamp; note?: string }

export interface ReconciliationRecord extends ReconciliationKey {
  status: ReconciliationStatus;
  /** Why: e.g. "Missing Reseller Invoice", the discrepancy found, "Accepted Due to No Discrepancy". */
  reason?: string;
  customerId?: string;
  customerName?: string;
  /** Plan / product name. */
  plan?: string;
  productId?: string;
  kind?: 'saas' | 'iaas';
  platform?: PlatformCharges;
  psa?: PsaCharges;
  decision?: ReconciliationDecision;
  /** The PSA's or reader's message for `failed` / `failed-review`. */
  error?: { message: string; at: Timestamp };
  /** How many times the workflow recorded a check for this month. */
  checks: number;
  history: Array<{ status: ReconciliationStatus; reason?: string; at: Timestamp; by: string }>;
  statusChangedAt: Timestamp;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

/** What one check of the workflow found. `null` clears a field; omitted fields stay as they are. */
export interface ReconciliationUpdate {
  status: ReconciliationStatus;
  reason?: string | null;
  customerId?: string;
  customerName?: string;
  plan?: string;
  productId?: string;
  kind?: 'saas' | 'iaas';
  platform?: PlatformCharges | null;
  psa?: PsaCharges | null;
  error?: string | null;
  /** Who caused the change (default "system"). */
  by?: string;
  at?: Date;
}

/** One row of the reconciliation log (§6 columns), flat for tables and CSV. */
export interface ReconciliationLogRow {
  month: string;
  provider: string;
  subscriptionId: string;
  customerId?: string;
  customer?: string;
  plan?: string;
  kind?: 'saas' | 'iaas';
  platformQuantity?: number;
  usageQuantity?: number;
  platformCost?: Money;
  platformPrice?: Money;
  psaQuantity?: number;
  psaCost?: Money;
  psaPrice?: Money;
  status: ReconciliationStatus;
  reason?: string;
  error?: string;
  decision?: 'accept' | 'reject';
  decidedBy?: string;
  decidedAt?: Timestamp;
  decisionNote?: string;
  updatedAt: Timestamp;
}

export interface ReconciliationLogFilter {
  connectionId: string;
  /** First billing month included: `YYYY-MM` or a date (its month). */
  from?: string;
  /** Last billing month included: `YYYY-MM` or a date (its month). */
  to?: string;
  status?: ReconciliationStatus | ReconciliationStatus[];
  provider?: string;
  customerId?: string;
  /** Case-insensitive text in customer, plan or subscription id. */
  search?: string;
  /** At most this many rows (default 10 000). */
  limit?: number;
}

export interface ReconciliationRepository {
  /** Records a check's outcome; a status change is appended to the history (entering `pending-review` clears an old decision). */
  record(key: ReconciliationKey, update: ReconciliationUpdate): Promise<ReconciliationRecord>;
  /** Records the admin's accept/reject of a `pending-review` record; repeating the same decision is a no-op. */
  decide(key: ReconciliationKey, decision: { action: 'accept' | 'reject'; by: string; at?: Date; note?: string }): Promise<ReconciliationRecord>;
  get(key: ReconciliationKey): Promise<ReconciliationRecord | null>;
  /** Every record of one reconciliation run (connection, provider, month). */
  listForRun(connectionId: string, provider: string, month: string): Promise<ReconciliationRecord[]>;
  /** The reconciliation log: newest month first, then customer, then subscription. */
  listForLog(filter: ReconciliationLogFilter): Promise<ReconciliationLogRow[]>;
  /** How many records are in each status (optionally for one month). */
  countByStatus(connectionId: string, month?: string): Promise<Record<ReconciliationStatus, number>>;
}

interface ReconciliationDoc extends ReconciliationKey {
  _id: string;
  status: ReconciliationStatus;
  reason?: string;
  customerId?: string;
  customerName?: string;
  plan?: string;
  productId?: string;
  kind?: 'saas' | 'iaas';
  platform?: PlatformCharges;
  psa?: PsaCharges;
  decision?: { action: 'accept' | 'reject'; by: string; at: Date; note?: string };
  error?: { message: string; at: Date };
  checks: number;
  history: Array<{ status: ReconciliationStatus; reason?: string; at: Date; by: string }>;
  statusChangedAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** Unambiguous whatever the parts contain. */
export const reconciliationId = (k: ReconciliationKey): string => JSON.stringify([k.connectionId, k.provider, k.month, k.subscriptionId]);
const monthOfBound = (s: string) => s.slice(0, 7);
const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

function toRecord(d: ReconciliationDoc): ReconciliationRecord {
  return defined({
    connectionId: d.connectionId,
    provider: d.provider,
    month: d.month,
    subscriptionId: d.subscriptionId,
    status: d.status,
    reason: d.reason,
    customerId: d.customerId,
    customerName: d.customerName,
    plan: d.plan,
    productId: d.productId,
    kind: d.kind,
    platform: d.platform,
    psa: d.psa,
    decision: d.decision ? { ...d.decision, at: d.decision.at.toISOString() } : undefined,
    error: d.error ? { message: d.error.message, at: d.error.at.toISOString() } : undefined,
    checks: d.checks,
    history: d.history.map((h) => defined({ ...h, at: h.at.toISOString() })),
    statusChangedAt: d.statusChangedAt.toISOString(),
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  });
}

function toRow(d: ReconciliationDoc): ReconciliationLogRow {
  return defined({
    month: d.month,
    provider: d.provider,
    subscriptionId: d.subscriptionId,
    customerId: d.customerId,
    customer: d.customerName,
    plan: d.plan,
    kind: d.kind,
    platformQuantity: d.platform?.quantity,
    usageQuantity: d.platform?.usageQuantity,
    platformCost: d.platform?.cost,
    platformPrice: d.platform?.price,
    psaQuantity: d.psa?.quantity,
    psaCost: d.psa?.cost,
    psaPrice: d.psa?.price,
    status: d.status,
    reason: d.reason,
    error: d.error?.message,
    decision: d.decision?.action,
    decidedBy: d.decision?.by,
    decidedAt: d.decision?.at.toISOString(),
    decisionNote: d.decision?.note,
    updatedAt: d.updatedAt.toISOString(),
  });
}

/** The reconciliation repository over `db`. */
export function createReconciliationRepository(db: Db, now: () => Date = () => new Date()): ReconciliationRepository {
  const col = db.collection<ReconciliationDoc>(RECONCILIATIONS);

  async function mustGet(key: ReconciliationKey): Promise<ReconciliationDoc> {
    const doc = await col.findOne({ _id: reconciliationId(key) });
    if (!doc) throw new NotFoundError('reconciliation', reconciliationId(key));
    return doc;
  }

  return {
    async record(key, u) {
      const at = u.at ?? now();
      const by = u.by ?? 'system';
      const set: Record<string, unknown> = { status: u.status, updatedAt: at };
      const unset: Record<string, ''> = {};
      const put = (field: string, v: unknown) => {
        if (v === null) unset[field] = '';
        else if (v !== undefined) set[field] = v;
      };
      put('reason', u.reason);
      put('customerId', u.customerId);
      put('customerName', u.customerName);
      put('plan', u.plan);
      put('productId', u.productId);
      put('kind', u.kind);
      put('platform', u.platform === null || u.platform === undefined ? u.platform : defined(u.platform));
      put('psa', u.psa);
      put('error', u.error === null || u.error === undefined ? u.error : { message: u.error.slice(0, 2000), at });
      const _id = reconciliationId(key);
      const entry = defined({ status: u.status, reason: u.reason ?? undefined, at, by });
      const changeUnset = u.status === 'pending-review' ? { ...unset, decision: '' as const } : unset;
      try {
        // Status changes: one atomic write that also appends to the history. The filter misses
        // when the status is unchanged; the upsert then collides on _id (11000) and we fall
        // through to the plain update below.
        const doc = await col.findOneAndUpdate(
          { _id, status: { $ne: u.status } },
          {
            $set: { ...set, statusChangedAt: at },
            ...(Object.keys(changeUnset).length > 0 ? { $unset: changeUnset } : {}),
            $push: { history: entry },
            $inc: { checks: 1 },
            $setOnInsert: { ...key, createdAt: at },
          },
          { upsert: true, returnDocument: 'after' },
        );
        if (doc) return toRecord(doc);
      } catch (e) {
        if (!isDuplicateKeyError(e)) throw e;
      }
      const doc = await col.findOneAndUpdate(
        { _id },
        { $set: set, ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}), $inc: { checks: 1 } },
        { returnDocument: 'after' },
      );
      if (!doc) throw new NotFoundError('reconciliation', _id);
      return toRecord(doc);
    },

    async decide(key, d) {
      const at = d.at ?? now();
      const doc = await col.findOneAndUpdate(
        { _id: reconciliationId(key), status: 'pending-review', decision: { $exists: false } },
        { $set: { decision: { action: d.action, by: d.by, at, ...(d.note ? { note: d.note } : {}) }, updatedAt: at } },
        { returnDocument: 'after' },
      );
      if (doc) return toRecord(doc);
      const current = await mustGet(key);
      if (current.status === 'pending-review' && current.decision?.action === d.action) return toRecord(current);
      if (current.decision) {
        throw new ConflictError(`reconciliation of ${key.subscriptionId} for ${key.month} was already ${current.decision.action}ed by ${current.decision.by}`);
      }
      throw new ConflictError(`reconciliation of ${key.subscriptionId} for ${key.month} is ${current.status}; only pending-review can be accepted or rejected`);
    },

    async get(key) {
      const doc = await col.findOne({ _id: reconciliationId(key) });
      return doc ? toRecord(doc) : null;
    },

    async listForRun(connectionId, provider, month) {
      const docs = await col.find({ connectionId, provider, month }).sort({ subscriptionId: 1 }).toArray();
      return docs.map(toRecord);
    },

    async listForLog(f) {
      const filter: Filter<ReconciliationDoc> = { connectionId: f.connectionId };
      const month: Record<string, string> = {};
      if (f.from) month.$gte = monthOfBound(f.from);
      if (f.to) month.$lte = monthOfBound(f.to);
      if (Object.keys(month).length > 0) filter.month = month;
      if (f.status) filter.status = Array.isArray(f.status) ? { $in: f.status } : f.status;
      if (f.provider) filter.provider = f.provider;
      if (f.customerId) filter.customerId = f.customerId;
      if (f.search) filter.$or = ['customerName', 'plan', 'subscriptionId'].map((k) => ({ [k]: containsRegex(f.search!) }));
      const docs = await col
        .find(filter)
        .sort({ month: -1, customerName: 1, subscriptionId: 1 })
        .limit(Math.min(Math.max(f.limit ?? 10_000, 1), 100_000))
        .toArray();
      return docs.map(toRow);
    },

    async countByStatus(connectionId, month) {
      const counts = await Promise.all(
        RECONCILIATION_STATUSES.map((status) => col.countDocuments({ connectionId, status, ...(month ? { month } : {}) })),
      );
      return Object.fromEntries(RECONCILIATION_STATUSES.map((s, i) => [s, counts[i] ?? 0])) as Record<ReconciliationStatus, number>;
    },
  };
}
