/**
 * The reconciliation review as the console shows it (pure): which rows a view holds (to-do or
 * all, statuses), the margins beside each row, and the groups (customer, provider, agreement).
 */
import { subMoney, type Money } from '../../domain/money';
import type { ReconciliationStatus } from '../../domain/reconciliation';
import type { ReconciliationLogEntry } from '../../app/admin/reconciliation-log';

/** What waits for a human: a decision, or a retry of a failed post / read. */
export const TODO_STATUSES: readonly ReconciliationStatus[] = ['pending-review', 'failed', 'failed-review'];
export type GroupBy = 'customer' | 'provider' | 'agreement' | 'none';
export const GROUPS: readonly GroupBy[] = ['customer', 'provider', 'agreement', 'none'];

export interface ReviewRow extends ReconciliationLogEntry {
  /** Customer price − reseller cost on the platform's invoices. */
  platformMargin?: Money;
  /** Price − cost the PSA bills for the month. */
  psaMargin?: Money;
  /** The agreement (contract) the subscription is billed on, when mapped. */
  agreement?: string;
  /** Which decisions apply now. */
  canDecide: boolean;
  canRetry: boolean;
}

export interface ReviewGroup {
  key: string;
  label: string;
  rows: ReviewRow[];
  todo: number;
}

const margin = (price?: Money, cost?: Money): Money | undefined => (price !== undefined && cost !== undefined ? subMoney(price, cost) : undefined);

export function reviewRows(rows: readonly ReconciliationLogEntry[], agreements: ReadonlyMap<string, string>): ReviewRow[] {
  return rows.map((r) => {
    const agreement = agreements.get(r.subscriptionId);
    const platformMargin = margin(r.platformPrice, r.platformCost);
    const psaMargin = margin(r.psaPrice, r.psaCost);
    return {
      ...r,
      ...(platformMargin !== undefined ? { platformMargin } : {}),
      ...(psaMargin !== undefined ? { psaMargin } : {}),
      ...(agreement ? { agreement } : {}),
      canDecide: r.status === 'pending-review',
      canRetry: r.status === 'failed' || r.status === 'failed-review',
    };
  });
}

/** Rows of the view: `todo` keeps what waits for a human; `statuses` narrows further. */
export function filterRows(rows: readonly ReviewRow[], f: { todo: boolean; statuses?: readonly ReconciliationStatus[] }): ReviewRow[] {
  return rows.filter((r) => (!f.todo || TODO_STATUSES.includes(r.status)) && (!f.statuses?.length || f.statuses.includes(r.status)));
}

export function groupRows(rows: readonly ReviewRow[], by: GroupBy): ReviewGroup[] {
  const keyOf = (r: ReviewRow): [string, string] => {
    if (by === 'customer') return [r.customerId ?? r.customer ?? '', r.customer ?? r.customerId ?? 'Unknown customer'];
    if (by === 'provider') return [r.provider, r.provider];
    if (by === 'agreement') return [r.agreement ?? '', r.agreement ?? 'Not mapped to an agreement'];
    return ['', 'All items'];
  };
  const groups = new Map<string, ReviewGroup>();
  for (const r of rows) {
    const [key, label] = keyOf(r);
    const g = groups.get(key) ?? { key, label, rows: [], todo: 0 };
    g.rows.push(r);
    if (TODO_STATUSES.includes(r.status)) g.todo += 1;
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => b.todo - a.todo || a.label.localeCompare(b.label));
}

/** A decision's target as a form value: "provider|month|subscription" (ids may hold no "|"). */
export const itemValue = (r: Pick<ReviewRow, 'provider' | 'month' | 'subscriptionId'>): string => `${r.provider}|${r.month}|${r.subscriptionId}`;

/** Selected form values grouped per run (one decision request each). */
export function itemsByRun(values: readonly string[]): Array<{ provider: string; month: string; subscriptionIds: string[] }> {
  const runs = new Map<string, { provider: string; month: string; subscriptionIds: string[] }>();
  for (const v of values) {
    const parts = v.split('|');
    if (parts.length !== 3 || parts.some((p) => p === '')) continue;
    const [provider, month, sub] = parts as [string, string, string];
    const key = `${provider}|${month}`;
    const run = runs.get(key) ?? { provider, month, subscriptionIds: [] };
    if (!run.subscriptionIds.includes(sub)) run.subscriptionIds.push(sub);
    runs.set(key, run);
  }
  return [...runs.values()];
}
