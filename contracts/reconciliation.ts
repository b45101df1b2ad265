/**
 * The monthly billing reconciliation (docs/billing-rules.md §6) as its workflow, activities and
 * admin surfaces share it: the run's input and state, the facts and items, decisions and their
 * results, and the ids. No Temporal import (the Updates and the query: workflows/reconciliation-messages.ts).
 */
import type { CutoverEntry } from '../domain/cutover-calendar';
import type { PsaKind } from '../domain/psa-operations';
import type { ChargeValues, Discrepancy, ReconciliationStatus } from '../domain/reconciliation';
import { ReconciliationStatusSchema } from '../domain/reconciliation';

export interface ReconciliationWorkflowInput {
  connectionId: string;
  /** Provider name as in the cutover calendar, e.g. "Microsoft CSP". */
  provider: string;
  /** `YYYY-MM`; default: the month before the run starts (a schedule fires in the month after). */
  billingMonth?: string;
  /** The provider's cutover days when they differ from the §6 defaults (the calendar is configuration). */
  cutover?: Pick<CutoverEntry, 'cutoverStartDay' | 'cutoverEndDay'>;
  /** State carried across continue-as-new (a summary: its size does not grow with the month). */
  carried?: ReconciliationRunState;
}

/**
 * Subscriptions per chunk. A month's items live in chunk workflows of at most this many each
 * (their state, queries and continue-as-new inputs stay well under Temporal's 2 MB payload and
 * gRPC's 4 MB message limits); the run itself holds counts. Membership never changes once given.
 */
export const CHUNK_SIZE = 500;

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
  /** The PSA agreement (ConnectWise) / contract (Autotask) it is billed on, as the listing found its mapping. */
  agreementId?: number;
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

export type StatusCounts = Record<ReconciliationStatus, number>;

/** One chunk as the run sees it (from the chunk's reports). */
export interface ChunkSummary {
  chunk: number;
  workflowId: string;
  /** Subscriptions in the chunk. */
  items: number;
  counts: StatusCounts;
  /** The run's daily check the chunk last carried out (1 = the first). */
  checksDone: number;
  finished: boolean;
}

/** The run (one per connection, provider, billing month): dates, counts and its chunks — never the items. */
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
  /** Subscriptions in the run, and how many are in each status (the sum of the chunks' reports). */
  total: number;
  counts: StatusCounts;
  chunks: ChunkSummary[];
  finished: boolean;
}

/** One chunk's daily check, as the run asks for it. */
export interface ChunkCheck {
  /** The run's check number. */
  check: number;
  /** False on the last check of the cutover window (the chunk then waits only for decisions). */
  withinWindow: boolean;
}

/** What a chunk is started with: which run and chunk, and the run's PSA and decision deadline. */
export interface ChunkIdentity {
  connectionId: string;
  provider: string;
  billingMonth: string;
  chunk: number;
  psa: PsaKind;
  decisionDeadline: string;
}

export interface ReconciliationChunkInput extends ChunkIdentity {
  carried?: ReconciliationChunkState;
}

/** A chunk: up to CHUNK_SIZE items with their facts, decisions waiting to be carried out, checks asked for. */
export interface ReconciliationChunkState extends ChunkIdentity {
  /** As of the last check: is the cutover window still open. */
  windowOpen: boolean;
  checksDone: number;
  pendingChecks: ChunkCheck[];
  items: ReconciliationItem[];
  queue: Array<{ subscriptionId: string; action: 'accept' | 'reject' | 'retry'; by: string; note?: string }>;
  finished: boolean;
}

/** What a chunk tells its run after each check and decision. */
export interface ChunkReport {
  chunk: number;
  items: number;
  counts: StatusCounts;
  checksDone: number;
  finished: boolean;
}

/** Which items of a chunk to show (the chunk's `items` query). */
export interface ItemsPageRequest {
  offset?: number;
  limit?: number;
}

/** Most items one query answers (500 items with their facts stay far below gRPC's 4 MB). */
export const MAX_ITEMS_PAGE = 500;

/** A page of a chunk's items, with the chunk's counts. */
export interface ChunkItemsPage {
  chunk: number;
  total: number;
  counts: StatusCounts;
  checksDone: number;
  windowOpen: boolean;
  finished: boolean;
  offset: number;
  items: ReconciliationItem[];
}

/** The run as the API answers it: the run's state, plus one page of items (in chunk order). */
export interface ReconciliationRunView extends ReconciliationRunState {
  items: ReconciliationItem[];
  page: { offset: number; limit: number; total: number };
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

/** The run's chunk `n` (0-based): `reconciliation/<conn>/<provider>/<month>/chunk-<n>`. */
export const reconciliationChunkWorkflowId = (connectionId: string, provider: string, billingMonth: string, chunk: number): string =>
  `${reconciliationWorkflowId(connectionId, provider, billingMonth)}/chunk-${chunk}`;

/** The PSA write of an accepted item: one key per (run, subscription), so a retry never posts twice. */
export const acceptIdempotencyKey = (connectionId: string, provider: string, billingMonth: string, subscriptionId: string): string =>
  `${reconciliationWorkflowId(connectionId, provider, billingMonth)}/${subscriptionId}/accept`;


/** Every status at zero (the order of the §6 table). */
export const zeroCounts = (): StatusCounts => Object.fromEntries(ReconciliationStatusSchema.options.map((k) => [k, 0])) as StatusCounts;
