/**
 * The monthly billing reconciliation (docs/billing-rules.md §6) as its workflow, activities and
 * admin surfaces share it: the run's input and state, the facts and items, decisions and their
 * results, and the ids. No Temporal import (the Updates and the query: workflows/reconciliation-messages.ts).
 */
import type { CutoverEntry } from '../domain/cutover-calendar';
import type { PsaKind } from '../domain/psa-operations';
import type { ChargeValues, Discrepancy, ReconciliationStatus } from '../domain/reconciliation';

export interface ReconciliationWorkflowInput {
  connectionId: string;
  /** Provider name as in the cutover calendar, e.g. "Microsoft CSP". */
  provider: string;
  /** `YYYY-MM`; default: the month before the run starts (a schedule fires in the month after). */
  billingMonth?: string;
  /** The provider's cutover days when they differ from the §6 defaults (the calendar is configuration). */
  cutover?: Pick<CutoverEntry, 'cutoverStartDay' | 'cutoverEndDay'>;
  /** State carried across continue-as-new. */
  carried?: ReconciliationRunState;
}

/** What one subscription's reconciliation is compared on (collected by the daily check). */
export interface ReconciliationFacts {
  invoices: { reseller: boolean; customer: boolean };
  /** Quantity of the last billing period and the month's invoice totals (reseller = cost, customer = price). */
  platform: ChargeValues & { usageQuantity?: number };
  /** The PSA's quantity and month totals, or why they could not be read. */
  psa: { ok: true; values: ChargeValues } | { ok: false; error: string };
  /** The PSA line an IaaS accept sets (planner line key / Autotask service key). */
  lineKey?: string;
}

export interface ReconciliationSubject {
  subscriptionId: string;
  customerId?: string;
  customerName?: string;
  plan?: string;
  productId: string;
  kind: 'saas' | 'iaas';
}

export interface ReconciliationItem extends ReconciliationSubject {
  status: ReconciliationStatus;
  reason: string;
  discrepancies: Discrepancy[];
  facts: ReconciliationFacts | null;
  decision: { action: 'accept' | 'reject'; by: string; at: string; note?: string } | null;
  /** The PSA's message of the last failed post / read. */
  error: string | null;
  checks: number;
  /** A decision or retry waiting to be carried out by the workflow. */
  queued: 'accept' | 'reject' | 'retry' | null;
}

export interface ReconciliationRunState {
  connectionId: string;
  provider: string;
  billingMonth: string;
  psa: PsaKind | null;
  window: { start: string; end: string; checkDates: string[] };
  /** Check dates still to come (the first element is the next daily check). */
  remainingChecks: string[];
  checksDone: number;
  /** Until when the run waits for decisions once the window has closed. */
  decisionDeadline: string;
  items: ReconciliationItem[];
  queue: Array<{ subscriptionId: string; action: 'accept' | 'reject' | 'retry'; by: string; note?: string }>;
  finished: boolean;
}

/**
 * Which items a decision applies to: a list of subscription ids, or every item in the status the
 * action works on (`all: true` — pending-review for accept/reject, failed/failed-review for retry).
 */
export interface DecisionRequest {
  subscriptionIds?: string[];
  all?: boolean;
  /** Who decided (shown in the log); default "admin". */
  by?: string;
  /** Why, in the decider's words (at most 500 characters); kept with each item's decision. */
  note?: string;
}

export interface DecisionResult {
  items: Array<{ subscriptionId: string; status: ReconciliationStatus; reason: string }>;
}

/** Statuses a decided item can end in that mean the decision did not go through (the PSA refused, or could not be read). */
export const FAILED_DECISION_STATUSES: ReadonlySet<ReconciliationStatus> = new Set<ReconciliationStatus>(['failed', 'failed-review']);

/** What the API answers for a decision: the items, and those that ended failed (docs/reconciliation.md "Decisions that fail"). */
export interface DecisionAnswer extends DecisionResult {
  /** `done` when every item went through; `items-failed` when at least one ended failed / failed-review. */
  outcome: 'done' | 'items-failed';
  failed: DecisionResult['items'];
}

export function decisionAnswer(result: DecisionResult): DecisionAnswer {
  const failed = result.items.filter((i) => FAILED_DECISION_STATUSES.has(i.status));
  return { ...result, outcome: failed.length > 0 ? 'items-failed' : 'done', failed };
}

/** A provider name as an id segment: "Microsoft CSP" → "microsoft-csp". */
export const providerSlug = (provider: string): string =>
  provider
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');

/** One run per (connection, provider, billing month). */
export const reconciliationWorkflowId = (connectionId: string, provider: string, billingMonth: string): string =>
  `reconciliation/${connectionId}/${providerSlug(provider)}/${billingMonth}`;

/** The PSA write of an accepted item: one key per (run, subscription), so a retry never posts twice. */
export const acceptIdempotencyKey = (connectionId: string, provider: string, billingMonth: string, subscriptionId: string): string =>
  `${reconciliationWorkflowId(connectionId, provider, billingMonth)}/${subscriptionId}/accept`;

