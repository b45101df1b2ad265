/**
 * What the platform, the admin tools, the subscription workflow and its activities say to each
 * other about one subscription: shapes, ids and the zod schemas that check them at every
 * boundary. No Temporal import: the workflow's `define*` calls live in workflows/messages.ts.
 */
import { z } from 'zod';
import type { IsoDate } from '../domain/dates';
import type { SubscriptionCommitment } from '../domain/commitment';
import type { EventStatus } from '../domain/event-log';
import type { HeldLines } from '../domain/psa-diff';
import type { Ledger } from '../domain/ledger-types';
import { BillingSchema, type Billing } from '../domain/billing-mode';
import type { DriftReport, TakeOverLines } from './owned-lines';
import { zodProblems, type Problem } from '../domain/problems';
import { DescriptionSourceSchema } from '../domain/line-description';
import {
  AgreementSchema,
  BillCustomerSchema,
  PsaKindSchema,
  RulesHistorySchema,
  SubscriptionSchema,
  SyncRulesSchema,
  type SubscriptionEvent,
} from '../domain/schemas';

/** `subscription/<connectionId>/<subscriptionId>`: one workflow per subscription and connection. */
export const subscriptionWorkflowId = (connectionId: string, subscriptionId: string): string =>
  `subscription/${connectionId}/${subscriptionId}`;

/** Connection and platform ids: safe inside workflow ids, line keys and URLs. */
export const PlatformIdSchema = z
  .string({ required_error: 'is required', invalid_type_error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(200, 'is too long')
  .regex(/^[A-Za-z0-9._:@-]+$/, 'may hold only letters, digits and . _ : @ -');

/** The platform reports a subscription: who bought what, as bought (the start of its event log). */
export const SubscriptionReportSchema = z
  .object({
    customerId: z.string({ required_error: 'is required', invalid_type_error: 'must be a string' }).min(1, 'must not be empty').max(200, 'is too long'),
    provider: z.string({ invalid_type_error: 'must be a string' }).min(1, 'must not be empty').max(100, 'is too long').optional(),
    subscription: SubscriptionSchema,
  })
  .strict();
export type SubscriptionReport = z.infer<typeof SubscriptionReportSchema>;
export type SubscriptionReportInput = z.input<typeof SubscriptionReportSchema>;

/**
 * Where and how a subscription is billed: the PSA company and agreement (contract) it lives on,
 * the connection's §2 rules, the line description. Set by an admin's mapping (or auto-mapping).
 */
export const SubscriptionPlacementSchema = z
  .object({
    psa: PsaKindSchema,
    companyId: z.number({ required_error: 'is required', invalid_type_error: 'must be a number' }).int('must be a whole number').positive('must be positive'),
    agreementId: z.number({ required_error: 'is required', invalid_type_error: 'must be a number' }).int('must be a whole number').positive('must be positive'),
    agreement: AgreementSchema,
    /** The connection's §2 rules before the first change of `rulesHistory`. */
    rules: SyncRulesSchema,
    /** The connection's later rule changes, each for events dated on or after its day (docs/mapping.md "Rules change"). */
    rulesHistory: RulesHistorySchema.optional(),
    /** Text written into each line's description; starts with the subscription id. */
    description: z.string({ required_error: 'is required', invalid_type_error: 'must be a string' }).min(1, 'must not be empty').max(1000, 'is too long'),
    /** What `description` was built from: a line of another product (after an upgrade) gets the description naming it. */
    descriptionSource: DescriptionSourceSchema.optional(),
    billCustomer: BillCustomerSchema.optional(),
    /** S1's id when this is the new subscription of a partial upgrade (§4 rule 6). */
    parentSubscriptionId: z.string().min(1).max(200).nullable().optional(),
    /** How it bills (docs/billing-modes.md); absent = standard. */
    billing: BillingSchema.optional(),
  })
  .strict();
export type SubscriptionPlacement = z.infer<typeof SubscriptionPlacementSchema>;

/** What the mapping message carries: a placement, or null to disconnect (lines stay as history). */
export const PlacementMessageSchema = z.object({ placement: SubscriptionPlacementSchema.nullable() }).strict();
export type PlacementMessage = z.infer<typeof PlacementMessageSchema>;

/**
 * The connection's §2 rules changed (docs/mapping.md "Rules change"): the initial rules and every
 * change since, for a placed subscription to bill later-dated events under.
 */
export const RulesMessageSchema = z.object({ rules: SyncRulesSchema, rulesHistory: RulesHistorySchema }).strict();
export type RulesMessage = z.infer<typeof RulesMessageSchema>;

/** An admin skips an event that cannot apply; the reason and who stay in the history. */
export const SkipEventSchema = z
  .object({
    eventId: z.string({ required_error: 'is required' }).min(1, 'must not be empty').max(200, 'is too long'),
    reason: z.string({ required_error: 'is required', invalid_type_error: 'must be a string' }).trim().min(3, 'must say why (3 characters at least)').max(500, 'is too long'),
    by: z.string().min(1).max(200).optional(),
  })
  .strict();
export type SkipEvent = z.infer<typeof SkipEventSchema>;

/** An admin asks the workflow to try its failed step again. */
export const RetrySchema = z.object({ by: z.string().min(1).max(200).optional() }).strict();
export type RetryRequest = z.infer<typeof RetrySchema>;

/**
 * S1's workflow hands S2 (the new subscription of a partial upgrade) its report and placement;
 * `withdrawn` when the partial upgrade no longer applies (skipped, or refused once back-dated
 * events arrived), so S2 bills nothing.
 */
export const SpawnNoticeSchema = z
  .object({
    report: SubscriptionReportSchema,
    placement: SubscriptionPlacementSchema,
    parent: z.object({ subscriptionId: z.string().min(1).max(200), eventId: z.string().min(1).max(200) }).strict(),
    withdrawn: z.boolean(),
  })
  .strict();
export type SpawnNotice = z.infer<typeof SpawnNoticeSchema>;

/**
 * A message kept durably while no worker could accept it in time (workers restarting, a
 * backlog): the workflow checks it exactly as it would have checked the Update, when it runs;
 * one that fails the check is recorded with the reason (state `rejectedMessages`).
 */
export interface QueuedMessage {
  kind: 'event' | 'report' | 'placement' | 'rules';
  payload: unknown;
}

/** What an accepted platform event returns to its sender. */
export interface EventReceipt {
  eventId: string;
  /**
   * `accepted`: in the subscription's log (billed at once, or on its date when it is in the
   * future); `duplicate`: this id was already received with the same content, nothing changed;
   * `queued`: handed to Temporal durably without waiting for the workflow (the sender asked not
   * to wait, or no worker answered in time); the workflow checks it when it runs — its outcome
   * then shows in the state (the event's status, or `rejectedMessages` with the reason).
   */
  outcome: 'accepted' | 'duplicate' | 'queued';
  /** Set when the event is dated after today: billed when its date comes. */
  scheduledFor?: IsoDate;
}

/** How an event is handed over (docs/platform-intake.md "Waiting or not"). */
export interface SendEventOptions {
  /**
   * true (default): wait for the workflow to take the event, so the answer says accepted /
   * duplicate and a reused id is refused at once. false: hand it to Temporal durably and answer
   * `queued` at once (Temporal's own pace); the workflow checks it exactly the same way when it
   * runs.
   */
  wait?: boolean;
}

/**
 * What the admin service and the activities need to tell subscription workflows — the port the
 * client library (client/platform-client.ts) implements on Temporal. Refusals come back as
 * BillingInputError (which field, why) or MessageConflictError (contracts/errors.ts).
 */
export interface SubscriptionMessenger {
  reportSubscription(connectionId: string, report: SubscriptionReportInput): Promise<{ workflowId: string; outcome: 'recorded' | 'unchanged' | 'queued' }>;
  sendEvent(connectionId: string, subscriptionId: string, event: unknown, options?: SendEventOptions): Promise<EventReceipt & { workflowId: string; type: string }>;
  place(connectionId: string, subscriptionId: string, placement: SubscriptionPlacement | null): Promise<{ outcome: 'placed' | 'disconnected' | 'unchanged' | 'queued' }>;
  /** The connection's rules changed: a placed subscription takes them (`unmapped`: it has no placement, its mapping will carry them). */
  setRules(connectionId: string, subscriptionId: string, rules: RulesMessage): Promise<{ outcome: 'updated' | 'unchanged' | 'unmapped' | 'queued' }>;
  retry(connectionId: string, subscriptionId: string, by?: string): Promise<{ outcome: 'retrying' | 'nothing-to-retry' }>;
  skipEvent(connectionId: string, subscriptionId: string, skip: SkipEvent): Promise<{ outcome: 'skipped' }>;
  handOver(connectionId: string, notice: SpawnNotice): Promise<void>;
  /** The workflow's state; `timeoutMs` bounds the wait (without a worker a query never answers). */
  state(connectionId: string, subscriptionId: string, opts?: { timeoutMs?: number }): Promise<SubscriptionWorkflowState>;
  exists(connectionId: string, subscriptionId: string): Promise<boolean>;
  /** The PSA holds these lines: adopt hand-made ones at cutover, or restore drifted ones (contracts/owned-lines.ts). */
  takeOverLines(connectionId: string, subscriptionId: string, message: TakeOverLines): Promise<{ outcome: 'recorded' | 'unchanged' }>;
  /** The daily comparison of the owned lines with the ledger, for the state query. */
  reportDrift(connectionId: string, subscriptionId: string, report: DriftReport): Promise<void>;
}

/** Parses a message with its schema; the problems name each field and why. */
export function checkMessage<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown): { ok: true; value: T } | { ok: false; problems: Problem[] } {
  const r = schema.safeParse(value);
  return r.success ? { ok: true, value: r.data } : { ok: false, problems: zodProblems(r.error) };
}

/** `failed`: the PSA refused a write (or the mapping is unusable) — an admin acts; `ended`: nothing more can change. */
export type SubscriptionStatus = 'unmapped' | 'mapped' | 'failed' | 'ended';

/** One event of the log as the state query shows it. */
export interface EventView {
  id: string;
  sequence: number | null;
  receivedAt: string;
  event: SubscriptionEvent;
  status: EventStatus;
  /** Why it was rejected, or the admin's reason for skipping it. */
  reason?: string;
  skippedBy?: string;
  /** How an applied event was placed when not on its own date, e.g. "scheduled for 2027-03-01 (commitment)" (docs/renewals.md). */
  note?: string;
}

export interface HistoryEntry {
  step: number;
  at: string;
  /** What changed the desired PSA state: events, a month start, a retry, a correction. */
  what: string;
  operations: number;
  /** Autotask adjustments posted on a later day because theirs already held one (§5). */
  shifted?: Array<{ lineKey: string; from: IsoDate; to: IsoDate }>;
}

/** A message that could not be read (a malformed payload, an unknown message name). */
export interface RejectedMessage {
  name: string;
  reason: string;
  at: string;
}

/** Why the last step did not finish (the PSA's or our message), and when it is tried again by itself. */
export interface StepError {
  message: string;
  at: string;
  /** What the step was doing ('restore' while the state is being restored). */
  step: string;
  retryAt?: string;
}

/** The `state` query: everything an admin needs to understand every line. */
export interface SubscriptionWorkflowState {
  connectionId: string;
  subscriptionId: string;
  customerId: string | null;
  status: SubscriptionStatus;
  report: SubscriptionReport | null;
  placement: SubscriptionPlacement | null;
  /** The ledger of the events applied so far, as of `asOf` (what `plan` shows for the same log). */
  ledger: Ledger | null;
  asOf: IsoDate | null;
  /** What the PSA holds, as written by this workflow (ConnectWise additions, Autotask contract services and adjustments). */
  held: HeldLines;
  /** Planner line key → PSA record id (ConnectWise addition / Autotask contract service). */
  lineIds: Record<string, number>;
  /** The event log in billing order (date, platform sequence, arrival), each with its status. */
  events: EventView[];
  /** Counts by status, for lists and the memo. */
  counts: Record<EventStatus, number>;
  /** When the workflow wakes next by itself: a month start (§4 rule 4) or a future-dated event. */
  nextWake: IsoDate | null;
  /** Steps written so far; part of every idempotency key. */
  step: number;
  /** Work is under way (a change not yet looked at, a step being written or waiting to be tried again, a partial upgrade being handed over): the PSA may not yet match `ledger`. */
  syncing: boolean;
  lastError: StepError | null;
  lastSyncAt: string | null;
  history: HistoryEntry[];
  /** Partial upgrades handed to their new subscription's workflow: event id → S2 id (and whether withdrawn). */
  spawned: Record<string, { subscriptionId: string; withdrawn: boolean }>;
  /** Payloads that could not be read at all, with why (the worker never fails on them). */
  rejectedMessages: RejectedMessage[];
  /** Its billing mode and why this workflow writes (or does not write) lines (docs/billing-modes.md). */
  billing: Billing & { note: string; bundle?: { revision: number; sentAt: string } };
  /** Commitment term, its end, the next renewal and any decrease waiting for it, as of today (docs/renewals.md); null before the platform reported the subscription. */
  commitment: SubscriptionCommitment | null;
  /** The last daily comparison of the owned lines with the ledger (docs/adopt-and-drift.md); null before the first. */
  drift?: DriftReport | null;
}
