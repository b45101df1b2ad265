/**
 * The reconciliation log (docs/billing-rules.md §6): per subscription and billing month, customer,
 * provider, plan, platform quantity (last billing period), usage quantity, platform cost/price,
 * PSA cost/price, status and reason; filterable by date range (billing months) and status,
 * exportable as CSV. Money stays a decimal string all the way into the CSV.
 */
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { RECONCILIATION_STATUSES, type PlatformInvoiceRecord, type ReconciliationLogRow, type Store } from '../../activities/store';

/** A log row with the amendments of its month's invoices (an amended invoice shows where it is reconciled). */
export type ReconciliationLogEntry = ReconciliationLogRow & { invoiceAmendments?: string };

const MONTH_OR_DATE = /^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$/;
const Bound = z.string().regex(MONTH_OR_DATE, 'must be a month YYYY-MM or a date YYYY-MM-DD');
const StatusSchema = z.enum(RECONCILIATION_STATUSES, { errorMap: () => ({ message: `must be one of ${RECONCILIATION_STATUSES.join(', ')}` }) });

/** Log filters as they come from a query string or CLI flags (status may be "a,b" or repeated). */
export const ReconciliationLogQuerySchema = z
  .object({
    from: Bound.optional(),
    to: Bound.optional(),
    status: z
      .union([z.string(), z.array(z.string())])
      .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
      .pipe(z.array(StatusSchema))
      .optional(),
    provider: z.string().min(1).max(100).optional(),
    customerId: z.string().min(1).max(200).optional(),
    search: z.string().min(1).max(200).optional(),
    limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(100_000, 'must be at most 100000').optional(),
  })
  .strict()
  .refine((q) => !q.from || !q.to || q.from.slice(0, 7) <= q.to.slice(0, 7), { path: ['to'], message: 'must not be before from' });
export type ReconciliationLogQuery = z.infer<typeof ReconciliationLogQuerySchema>;

/** The CSV columns, in order: the §6 log columns, then what identifies and explains a row. */
export const LOG_COLUMNS: ReadonlyArray<{ key: keyof ReconciliationLogEntry; header: string }> = [
  { key: 'month', header: 'Billing month' },
  { key: 'customer', header: 'Customer' },
  { key: 'provider', header: 'Provider' },
  { key: 'plan', header: 'Plan' },
  { key: 'subscriptionId', header: 'Subscription ID' },
  { key: 'platformQuantity', header: 'Platform quantity' },
  { key: 'usageQuantity', header: 'Usage quantity' },
  { key: 'platformCost', header: 'Platform cost' },
  { key: 'platformPrice', header: 'Platform price' },
  { key: 'psaCost', header: 'PSA cost' },
  { key: 'psaPrice', header: 'PSA price' },
  { key: 'status', header: 'Status' },
  { key: 'reason', header: 'Reason' },
  { key: 'decidedBy', header: 'Decided by' },
  { key: 'updatedAt', header: 'Updated at' },
  // Last, so the columns before it keep their places for existing spreadsheets.
  { key: 'invoiceAmendments', header: 'Invoice amendments' },
  { key: 'decisionNote', header: 'Decision note' },
];

export interface ReconciliationLog {
  list(connectionId: string, query?: ReconciliationLogQuery): Promise<ReconciliationLogEntry[]>;
  csv(connectionId: string, query?: ReconciliationLogQuery): Promise<string>;
}

/** "customer invoice C-7 amended 2026-11-12 by billing-bot: amount 745.00 → 760.00". */
function amendmentText(inv: PlatformInvoiceRecord): string[] {
  return inv.amendments.map(
    (a) => `${inv.kind} invoice ${inv.id} amended ${a.at.slice(0, 10)} by ${a.by}: ${a.changes.map((c) => `${c.field} ${c.from ?? '—'} → ${c.to ?? '—'}`).join(', ')}`,
  );
}

export function createReconciliationLog(store: Pick<Store, 'reconciliations' | 'platform'>): ReconciliationLog {
  /** Adds the amendments of each row's invoices (one read per billing month listed). */
  async function withAmendments(rows: ReconciliationLogRow[]): Promise<ReconciliationLogEntry[]> {
    const byMonth = new Map<string, Map<string, string[]>>();
    for (const month of new Set(rows.map((r) => r.month))) {
      const notes = new Map<string, string[]>();
      for (const inv of await store.platform.listInvoices({ month })) {
        const text = amendmentText(inv);
        if (text.length) notes.set(inv.subscriptionId, [...(notes.get(inv.subscriptionId) ?? []), ...text]);
      }
      byMonth.set(month, notes);
    }
    return rows.map((r) => {
      const notes = byMonth.get(r.month)?.get(r.subscriptionId);
      return notes ? { ...r, invoiceAmendments: notes.join('; ') } : r;
    });
  }
  const list = async (connectionId: string, q: ReconciliationLogQuery = {}) =>
    withAmendments(await store.reconciliations.listForLog({
      connectionId,
      ...(q.from ? { from: q.from } : {}),
      ...(q.to ? { to: q.to } : {}),
      ...(q.status?.length ? { status: q.status } : {}),
      ...(q.provider ? { provider: q.provider } : {}),
      ...(q.customerId ? { customerId: q.customerId } : {}),
      ...(q.search ? { search: q.search } : {}),
      ...(q.limit ? { limit: q.limit } : {}),
    }));
  return {
    list,
    async csv(connectionId, q) {
      return reconciliationCsv(await list(connectionId, q));
    },
  };
}

/** The rows as CSV (header line first; empty cells for what is not known yet). */
export function reconciliationCsv(rows: readonly ReconciliationLogEntry[]): string {
  return stringify(
    rows.map((r) => LOG_COLUMNS.map(({ key }) => (r[key] === undefined ? '' : String(r[key])))),
    { header: true, columns: LOG_COLUMNS.map((c) => c.header) },
  );
}
