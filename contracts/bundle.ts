/**
 * What bundles (docs/billing-modes.md "Bundles") say between the admin service, the member
 * subscriptions' workflows and the bundle's own workflow `bundle/<connection>/<bundle>`, which
 * writes the bundle's ONE line. Shapes and zod schemas only: the `define*` calls live in
 * workflows/bundle-messages.ts.
 */
import { z } from 'zod';
import type { BundleTerms, BilledValues } from '../domain/bundle-billing';
import type { IsoDate } from '../domain/dates';
import { IsoDateSchema, MoneySchema, QuantitySchema } from '../domain/schemas';
import type { HeldLines } from '../domain/psa-diff';
import type { Ledger } from '../domain/ledger-types';
import type { HistoryEntry, StepError, SubscriptionPlacement } from './subscription';

/** `bundle/<connectionId>/<bundleId>`: one workflow per bundle. */
export const bundleWorkflowId = (connectionId: string, bundleId: string): string => `bundle/${connectionId}/${bundleId}`;

export const BilledValuesSchema = z.object({ from: IsoDateSchema, quantity: QuantitySchema, unitPrice: MoneySchema, unitCost: MoneySchema }).strict();

/**
 * A member's billed values, sent by its workflow whenever they change. `revision` grows with
 * every report of that member, so a late, older report never replaces a newer one.
 */
export const BundleMemberReportSchema = z
  .object({
    subscriptionId: z.string().min(1).max(200),
    revision: z.number().int().nonnegative(),
    values: z.array(BilledValuesSchema).max(10_000),
  })
  .strict();
export type BundleMemberReport = z.infer<typeof BundleMemberReportSchema>;

/** What the bundle's workflow bills from (read from the store by an activity, so it is always current). */
export interface BundleSpec {
  terms: BundleTerms;
  /** Where the line lives and how it is described; the line's product is `bundle-<id>`, resolved to `psaProductId`. */
  placement: SubscriptionPlacement;
  psaProductId: number;
  members: string[];
  /** Set when the bundle was deleted after it billed: its line stops billing this day. */
  endFrom: IsoDate | null;
}

export type BundleStatus = 'waiting' | 'billing' | 'failed' | 'ended';

/** The bundle workflow's `state` query. */
export interface BundleWorkflowState {
  connectionId: string;
  bundleId: string;
  status: BundleStatus;
  spec: BundleSpec | null;
  /** Each member's last report: its revision and billed values. */
  members: Record<string, { revision: number; values: BilledValues[]; at: string }>;
  /** Before its first write: the defined members whose values have not arrived (the line waits for all of them). */
  waitingFor: string[];
  /** The bundle's values day by day (what its line bills), and its ledger as of `asOf`. */
  values: BilledValues[];
  ledger: Ledger | null;
  asOf: IsoDate | null;
  held: HeldLines;
  lineIds: Record<string, number>;
  nextWake: IsoDate | null;
  step: number;
  syncing: boolean;
  lastError: StepError | null;
  lastSyncAt: string | null;
  history: HistoryEntry[];
}

/** What the admin service and the member workflows' activities tell bundle workflows (implemented on Temporal: client/bundle-client.ts). */
export interface BundleMessenger {
  /** A member's billed values (signal-with-start: the first report starts the bundle's workflow). */
  reportMember(connectionId: string, bundleId: string, report: BundleMemberReport): Promise<void>;
  /** The bundle's definition changed in the store (created, deleted): its workflow reads it again. */
  changed(connectionId: string, bundleId: string): Promise<void>;
  /** The workflow's state; null when it never ran. */
  state(connectionId: string, bundleId: string, opts?: { timeoutMs?: number }): Promise<BundleWorkflowState | null>;
}
