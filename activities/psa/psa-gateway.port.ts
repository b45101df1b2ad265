/**
 * The one port through which workflows' activities talk to a PSA. ConnectWise and Autotask
 * each implement it (activities/psa/connectwise, activities/psa/autotask); the sandboxes in
 * sandbox/ stand in for the real APIs locally.
 */
import type { IsoDate } from '../../domain/dates';
import type { Money } from '../../domain/money';
import type { PsaLineFound } from '../../domain/owned-lines';
import type { PsaKind, PsaOperation } from '../../domain/psa-operations';

export type { PsaLineFound } from '../../domain/owned-lines';

/** Where a subscription's lines live in the PSA, by PSA record id (never by name). */
export interface PsaTarget {
  companyId: number;
  /** ConnectWise agreement id or Autotask contract id. */
  agreementId: number;
  /** Platform product id → ConnectWise catalog item id / Autotask service id. */
  productIds: Record<string, number>;
  /** Text put in every line's description; must contain the subscription id (drift detection). */
  description: string;
  /** Platform product id → the description of lines of that product, where it differs from `description` (a line of an upgrade's new product names it). */
  descriptions?: Record<string, string>;
  /** ConnectWise `billCustomer` (§7). */
  billCustomer?: 'Billable' | 'DoNotBill' | 'NoCharge';
}

/** Ids per list request when lines are read by id (a `conditions` / filter of that many ids stays well within a URL). */
export const LINE_IDS_PER_REQUEST = 100;

/** `ids` without repeats, lowest first, in groups of at most `size`. */
export function idGroups(ids: readonly number[], size = LINE_IDS_PER_REQUEST): number[][] {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const out: number[][] = [];
  for (let i = 0; i < sorted.length; i += size) out.push(sorted.slice(i, i + size));
  return out;
}

/** The text a line of `productId` gets (before the PSA's length limit is applied). */
export const descriptionFor = (target: PsaTarget, productId: string): string => target.descriptions?.[productId] ?? target.description;

/** An operation with its deterministic idempotency key (workflow id + event seq + op index). */
export interface KeyedOperation {
  idempotencyKey: string;
  operation: PsaOperation;
}

export interface AppliedOperation {
  idempotencyKey: string;
  /** The planner's line / service key the operation touched. */
  lineKey: string;
  /** PSA record id created or touched (null for a delete). */
  psaId: number | null;
  /** Autotask: the date an adjustment was actually posted when its own date was taken (§5). */
  effectiveDate?: IsoDate;
  shiftedFrom?: IsoDate;
  /** True when the key had been applied before and nothing was written this time. */
  replayed: boolean;
}

export interface CompanyMatch { id: number; name: string; identifier?: string; score: number }
export interface CatalogMatch { id: number; name: string; partNumber?: string; manufacturer?: string; score: number }
export interface AgreementSummary {
  id: number;
  name: string;
  companyId: number;
  startDate: IsoDate;
  endDate: IsoDate | null;
  periodType: 'monthly' | 'yearly';
}
/**
 * Fields the global sync may overwrite on a mapped company (§2 field toggles, seed 004 "Global
 * Sync Rules" → Company). Only the given fields are written; each gateway maps them to its PSA.
 */
export interface CompanyUpdate {
  name?: string;
  address?: string;
  city?: string;
  state?: string;
  zip?: string;
  country?: string;
}
/** Fields the global sync may overwrite on a mapped catalog item / service (§2 → Inventory Product). */
export interface CatalogItemUpdate {
  name?: string;
  description?: string;
  partNumber?: string;
  unitPrice?: Money;
  unitCost?: Money;
  /** Provider / manufacturer name. */
  provider?: string;
}
/** What an update wrote, and the given fields this PSA has no place for (never silently dropped). */
export interface RecordUpdateResult {
  written: string[];
  unsupported: string[];
}

/** A billing line as the PSA holds it, for reconciliation (§6). */
export interface PsaLineSnapshot {
  psaId: number;
  /** Autotask: the units in force on the day asked for; ConnectWise: the addition's quantity now. */
  quantity: number;
  /** In the customer's currency. */
  unitPrice: Money;
  unitCost: Money;
  invoiced: boolean;
  /**
   * ConnectWise: the addition's first and last billed days (it keeps no quantity history, so
   * the caller places the line in time itself: activities/reconciliation/psa-month-values.ts).
   */
  effectiveDate?: IsoDate | null;
  cancelledDate?: IsoDate | null;
}

/**
 * Idempotency journal: an operation is recorded before and after its PSA write, so a retry
 * after a crash between the two can look for the line instead of creating another.
 */
export interface JournalEntry {
  idempotencyKey: string;
  state: 'started' | 'done';
  result?: AppliedOperation;
}
export interface OperationJournal {
  get(idempotencyKey: string): Promise<JournalEntry | null>;
  /**
   * Begins every key not begun yet, in one round trip (an insert: a key already there means an
   * earlier attempt began it, so nothing is read on the normal path). Returns the entries that
   * existed already, by key (`started`: look before writing; `done`: replay the result).
   */
  begin(operations: readonly KeyedOperation[]): Promise<Map<string, JournalEntry>>;
  /** Records the results of one write, in one round trip. */
  complete(results: readonly AppliedOperation[]): Promise<void>;
}

export interface PsaGateway {
  readonly psa: PsaKind;
  /** A cheap authenticated call; throws a PsaError naming what failed (never the secret). */
  testCredentials(): Promise<void>;
  findCompanies(name: string, limit?: number): Promise<CompanyMatch[]>;
  createCompany(input: { name: string; identifier?: string }): Promise<{ id: number }>;
  findCatalogItems(query: { name?: string; partNumber?: string }, limit?: number): Promise<CatalogMatch[]>;
  createCatalogItem(input: {
    name: string;
    partNumber: string;
    description?: string;
    unitPrice: Money;
    unitCost: Money;
    periodType: 'monthly' | 'yearly';
  }): Promise<{ id: number }>;
  /** PATCHes only the given fields of a mapped company (global sync). */
  updateCompany(companyId: number, fields: CompanyUpdate): Promise<RecordUpdateResult>;
  /** PATCHes only the given fields of a mapped catalog item (ConnectWise) / service (Autotask). */
  updateCatalogItem(catalogItemId: number, fields: CatalogItemUpdate): Promise<RecordUpdateResult>;
  listAgreements(companyId: number): Promise<AgreementSummary[]>;
  /** Applies planned operations in order; `lineIds` maps planner keys to PSA ids known so far. */
  apply(target: PsaTarget, operations: KeyedOperation[], lineIds: Record<string, number>): Promise<AppliedOperation[]>;
  /**
   * One line as the PSA bills it on `on` (default: today) where the PSA keeps a history
   * (Autotask unit periods); ConnectWise keeps only the current quantity and returns the line's
   * dates with it.
   */
  readLine(target: PsaTarget, psaId: number, on?: IsoDate): Promise<PsaLineSnapshot>;
  /**
   * Several lines of one agreement / contract, each as `readLine` gives it, in a few list
   * requests instead of two reads per line (reconciliation, §6): ConnectWise one agreement GET
   * and the agreement's additions by `id in (...)`; Autotask the contract's services by id and
   * their unit periods in one query. Ids the agreement does not hold are absent from the answer.
   */
  readLines(agreementId: number, psaIds: readonly number[], on?: IsoDate): Promise<Map<number, PsaLineSnapshot>>;
  /**
   * Every line of an agreement (ConnectWise additions) / contract (Autotask contract services,
   * with the units in force on `on`, default today, and the dates their adjustments sit on),
   * whoever wrote them: adoption at cutover and drift (docs/adopt-and-drift.md).
   */
  listLines(agreementId: number, on?: IsoDate): Promise<PsaLineFound[]>;
}

/** A gateway's lines part: a subscription's billing lines (written through the journal, read back). */
export type PsaLines = Pick<PsaGateway, 'apply' | 'readLine' | 'readLines' | 'listLines'>;
/** A gateway's directory part: the credentials test, companies, catalog, agreements and the global sync's record updates. */
export type PsaDirectory = Omit<PsaGateway, 'psa' | keyof PsaLines>;
