/**
 * The audit log (docs/security.md): every change made through the admin API or the operator's
 * token commands — who (the token's name), what (the route or command and its targets), when,
 * and the outcome (HTTP status, and the error line when it failed). Request bodies are never
 * stored: they can hold PSA secrets. Entries are only ever appended.
 */
import { randomUUID } from 'node:crypto';
import type { Db, Filter } from 'mongodb';
import { z } from 'zod';
import type { Timestamp } from './connections';
import { containsRegex, type IndexSpec } from './mongo';

export const AUDIT_LOG = 'audit_log';
export const auditIndexes: IndexSpec[] = [
  { collection: AUDIT_LOG, key: { at: -1 }, name: 'at' },
  { collection: AUDIT_LOG, key: { who: 1, at: -1 }, name: 'who_at' },
  { collection: AUDIT_LOG, key: { connectionId: 1, at: -1 }, name: 'connection_at' },
];

export interface AuditEntry {
  id: string;
  at: Timestamp;
  /** The token's name (or `cli:<user>@<host>` for the operator's database commands). */
  who: string;
  role?: string;
  /** `POST /api/connections/:id/rules`, or a command such as `tokens create`. */
  action: string;
  /** The route's parameters (connection id, subscription id, …). */
  target: Record<string, string>;
  connectionId?: string;
  outcome: 'ok' | 'refused' | 'failed';
  status?: number;
  /** One line: why it was refused or failed. */
  error?: string;
}

export const AuditQuerySchema = z
  .object({
    who: z.string().min(1, 'must not be empty').max(200, 'is too long').optional(),
    /** Text in the action, e.g. "reconciliation" or "DELETE". */
    action: z.string().min(1, 'must not be empty').max(200, 'is too long').optional(),
    connection: z.string().min(1, 'must not be empty').max(100, 'is too long').optional(),
    outcome: z.enum(['ok', 'refused', 'failed'], { errorMap: () => ({ message: 'must be ok, refused or failed' }) }).optional(),
    from: z.string().datetime({ offset: true, message: 'must be an ISO timestamp such as 2026-11-01T00:00:00Z' }).or(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD or an ISO timestamp')).optional(),
    to: z.string().datetime({ offset: true, message: 'must be an ISO timestamp such as 2026-11-01T00:00:00Z' }).or(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD or an ISO timestamp')).optional(),
    limit: z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').optional(),
  })
  .strict();
export type AuditQuery = z.infer<typeof AuditQuerySchema>;

export interface AuditLog {
  record(entry: Omit<AuditEntry, 'id' | 'at'>): Promise<void>;
  /** Newest first; `from`/`to` are inclusive (a date alone means that whole day). */
  list(q?: AuditQuery): Promise<AuditEntry[]>;
}

type AuditDoc = Omit<AuditEntry, 'id' | 'at'> & { _id: string; at: Date };

const bound = (s: string, end: boolean): Date => new Date(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T${end ? '23:59:59.999' : '00:00:00.000'}Z` : s);

export function createAuditLog(db: Db, now: () => Date = () => new Date()): AuditLog {
  const col = db.collection<AuditDoc>(AUDIT_LOG);
  return {
    async record(entry) {
      await col.insertOne({ _id: randomUUID(), at: now(), ...entry });
    },
    async list(q = {}) {
      const filter: Filter<AuditDoc> = {};
      if (q.who) filter.who = q.who;
      if (q.action) filter.action = containsRegex(q.action);
      if (q.connection) filter.connectionId = q.connection;
      if (q.outcome) filter.outcome = q.outcome;
      if (q.from || q.to) filter.at = { ...(q.from ? { $gte: bound(q.from, false) } : {}), ...(q.to ? { $lte: bound(q.to, true) } : {}) };
      const docs = await col.find(filter).sort({ at: -1, _id: 1 }).limit(q.limit ?? 100).toArray();
      return docs.map(({ _id, at, ...rest }) => ({ id: _id, at: at.toISOString(), ...rest }));
    },
  };
}
