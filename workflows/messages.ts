/**
 * The subscription workflow's messages (shapes and schemas: contracts/subscription.ts). Every
 * lifecycle event goes through ONE Update, so the order of arrival survives buffering and the
 * sender learns at once whether it was accepted, a duplicate, or refused (which field, why).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  EventReceipt,
  PlacementMessage,
  QueuedMessage,
  RetryRequest,
  RulesMessage,
  SkipEvent,
  SpawnNotice,
  SubscriptionReportInput,
  SubscriptionWorkflowState,
} from '../contracts/subscription';
import type { DriftReport, TakeOverLines } from '../contracts/owned-lines';

/** A lifecycle event `{ id, sequence?, type, date, ... }` (any JSON: the validator checks it). */
export const platformEventUpdate = defineUpdate<EventReceipt, [unknown]>('platformEvent');
/**
 * An event, report or placement no worker could accept in time: kept durably by Temporal and
 * checked when the workflow runs (a bad one is recorded as a rejected message, never lost).
 */
export const queuedMessageSignal = defineSignal<[QueuedMessage]>('queuedMessage');
/** The platform reports the subscription (who bought what, as bought). */
export const reportUpdate = defineUpdate<{ outcome: 'recorded' | 'unchanged' }, [SubscriptionReportInput]>('report');
/** An admin (or auto-mapping) places the subscription on a PSA agreement, or disconnects it (`placement: null`). */
export const placementUpdate = defineUpdate<{ outcome: 'placed' | 'disconnected' | 'unchanged' }, [PlacementMessage]>('placement');
/** The connection's §2 rules changed: a placed subscription bills later-dated events under them. */
export const rulesUpdate = defineUpdate<{ outcome: 'updated' | 'unchanged' | 'unmapped' }, [RulesMessage]>('rules');
/** Admin: try the failed step again. */
export const retryUpdate = defineUpdate<{ outcome: 'retrying' | 'nothing-to-retry' }, [RetryRequest]>('retry');
/** Admin: leave out an event that cannot apply (kept in the log with the reason). */
export const skipEventUpdate = defineUpdate<{ outcome: 'skipped' }, [SkipEvent]>('skipEvent');
/** S1's workflow hands a partial upgrade's new subscription (S2) its report and placement. */
export const spawnUpdate = defineUpdate<{ outcome: 'recorded' | 'unchanged' }, [SpawnNotice]>('spawn');

export const stateQuery = defineQuery<SubscriptionWorkflowState>('state');

/** Admin: the PSA holds these lines — adopt a hand-made line at cutover, or restore a drifted one (contracts/owned-lines.ts). */
export const takeOverLinesUpdate = defineUpdate<{ outcome: 'recorded' | 'unchanged' }, [TakeOverLines]>('takeOverLines');
/** The daily global sync's comparison of the owned lines with the ledger (shown in the state). */
export const driftFoundSignal = defineSignal<[DriftReport]>('driftFound');
