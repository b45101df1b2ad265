/**
 * Messages of the subscription workflow, shared by the workflow and its clients (the client
 * library, CLI and HTTP API send exactly these).
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { IsoDate } from '../domain/dates';
import type { Ledger } from '../domain/ledger-types';
import type { PsaKind } from '../domain/psa-operations';
import type { Agreement, Subscription, SubscriptionEventInput, SyncRules } from '../domain/schemas';

/** The platform reports a subscription (first, or again after a change of its data). */
export interface SubscriptionReport {
  customerId: string;
  provider?: string;
  subscription: Subscription;
}

/** Where the subscription is mapped in the PSA (billing-rules.md §4 rule 9 checked on open). */
export interface SubscriptionMapping {
  psa: PsaKind;
  companyId: number;
  agreementId: number;
  agreement: Agreement;
  rules: SyncRules;
  /** Text written into each line's description; contains the subscription id. */
  description: string;
  billCustomer?: 'Billable' | 'DoNotBill' | 'NoCharge';
  /** S1's id when this is the new subscription of a partial upgrade (§4 rule 6). */
  parentSubscriptionId?: string | null;
}

export type MappingStatus = 'unmapped' | 'mapped' | 'failed' | 'ended';

export interface HistoryEntry {
  seq: number;
  at: string;
  what: string;
  operations: number;
  /** Autotask adjustments posted on a later day because theirs already held one (§5). */
  shifted?: Array<{ lineKey: string; from: string; to: string }>;
}

/** What the `state` query returns: enough for an admin to understand every line. */
export interface SubscriptionWorkflowState {
  connectionId: string;
  subscriptionId: string;
  customerId: string | null;
  mappingStatus: MappingStatus;
  report: SubscriptionReport | null;
  mapping: SubscriptionMapping | null;
  ledger: Ledger | null;
  /** Planner line key → PSA record id (ConnectWise addition / Autotask contract service). */
  lineIds: Record<string, number>;
  /** Events received and not yet applied (waiting for mapping, or after a failure), in order. */
  pendingEvents: SubscriptionEventInput[];
  /** Events that could not be applied at all (invalid for the subscription's state), with why. */
  rejectedEvents: Array<{ event: SubscriptionEventInput; reason: string; at: string }>;
  /** Number of steps applied so far; part of every idempotency key. */
  seq: number;
  lastError: { message: string; at: string; step: string } | null;
  lastSyncAt: string | null;
  nextFoldDate: IsoDate | null;
  history: HistoryEntry[];
}

/** `created`: the platform reports a subscription (again after a change of its data is fine). */
export const subscriptionCreated = defineSignal<[SubscriptionReport]>('created');

/** One signal per lifecycle event, so the Web UI's history reads like the business process. */
type EventType = SubscriptionEventInput['type'];
type EventOf<T extends EventType> = Extract<SubscriptionEventInput, { type: T }>;
export const lifecycleSignals = {
  'quantity-changed': defineSignal<[EventOf<'quantity-changed'>]>('quantityChanged'),
  'full-upgrade': defineSignal<[EventOf<'full-upgrade'>]>('fullUpgrade'),
  'partial-upgrade': defineSignal<[EventOf<'partial-upgrade'>]>('partialUpgrade'),
  cancelled: defineSignal<[EventOf<'cancelled'>]>('cancelled'),
  renewed: defineSignal<[EventOf<'renewed'>]>('renewed'),
  'price-changed': defineSignal<[EventOf<'price-changed'>]>('priceChanged'),
} as const;
export const subscriptionMapped = defineSignal<[SubscriptionMapping]>('subscriptionMapped');
export const subscriptionUnmapped = defineSignal('subscriptionUnmapped');
/** Admin: try the failed step again (after fixing the PSA or the mapping). */
export const retrySync = defineSignal('retrySync');

export const stateQuery = defineQuery<SubscriptionWorkflowState>('state');

export const subscriptionWorkflowId = (connectionId: string, subscriptionId: string): string =>
  `subscription/${connectionId}/${subscriptionId}`;
