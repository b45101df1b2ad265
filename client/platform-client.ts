/**
 * The typed client library the platform (and the admin tools) use to talk to subscription
 * workflows. Every call checks its input with the contracts' zod schemas first (a
 * BillingInputError names each field and why), then update-with-starts the subscription's
 * workflow, so the first message of a subscription creates it and the caller learns at once
 * whether the workflow accepted it (or refused it: BillingInputError, MessageConflictError).
 *
 * Events, reports and placements wait up to `acceptTimeoutMs` for a worker to accept them; when
 * none answers in time (workers restarting, a backlog) the message is queued durably with a
 * signal instead and checked when the workflow runs — nothing is lost, the answer says `queued`.
 * An event sent with `{ wait: false }` goes that way at once: the sender gets Temporal's
 * acknowledgement (a signal-with-start persisted), not the workflow's, at Temporal's pace.
 */
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import {
  PlacementMessageSchema,
  PlatformIdSchema,
  SkipEventSchema,
  SpawnNoticeSchema,
  SubscriptionReportSchema,
  RulesMessageSchema,
  checkMessage,
  subscriptionWorkflowId,
  type EventReceipt,
  type QueuedMessage,
  type RulesMessage,
  type SkipEvent,
  type SpawnNotice,
  type SubscriptionPlacement,
  type SubscriptionReportInput,
  type SubscriptionMessenger,
  type SubscriptionWorkflowState,
  type SendEventOptions,
} from '../contracts/subscription';
import { MessageConflictError, StateTimeoutError } from '../contracts/errors';
import { parsePlatformEvent } from '../domain/event-log';
import { BillingInputError, type Problem } from '../domain/problems';
import {
  placementUpdate,
  platformEventUpdate,
  queuedMessageSignal,
  reportUpdate,
  retryUpdate,
  rulesUpdate,
  skipEventUpdate,
  spawnUpdate,
  stateQuery,
  driftFoundSignal,
  takeOverLinesUpdate,
} from '../workflows/messages';
import { TakeOverLinesSchema, type DriftReport, type TakeOverLines } from '../contracts/owned-lines';
import { PsaConnectionId, PsaMappingStatus, PsaSubscriptionId } from '../workflows/search-attributes';
import type { subscriptionWorkflow } from '../workflows/subscription.workflow';

const WORKFLOW = 'subscriptionWorkflow';

export interface PlatformClientOptions {
  taskQueue: string;
  /** How long `sendEvent` waits for a worker to accept an event before queueing it (default 10 s). */
  acceptTimeoutMs?: number;
}

function checked<T>(schema: Parameters<typeof checkMessage<T>>[0], value: unknown, what: string): T {
  const r = checkMessage(schema, value);
  if (!r.ok) throw new BillingInputError(r.problems.map((p) => ({ ...p, path: p.path ? `${what}.${p.path}` : what })));
  return r.value;
}

/** The workflow's refusal as the caller's error: bad input (which field, why) or a conflict. */
function refusal(e: unknown): unknown {
  if (!(e instanceof WorkflowUpdateFailedError)) return e;
  const cause = e.cause;
  if (cause instanceof ApplicationFailure) {
    if (cause.type === 'InvalidMessage') {
      const problems = (cause.details?.[0] as Problem[] | undefined) ?? [{ path: '', message: cause.message }];
      return new BillingInputError(problems);
    }
    if (cause.type === 'EventConflict') return new MessageConflictError(cause.message);
    return new MessageConflictError(cause.message);
  }
  return e;
}

export function createPlatformClient(client: Client, opts: PlatformClientOptions): SubscriptionMessenger {
  const acceptTimeoutMs = opts.acceptTimeoutMs ?? 10_000;

  const startOptions = (connectionId: string, subscriptionId: string) => {
    checked(PlatformIdSchema, connectionId, 'connectionId');
    checked(PlatformIdSchema, subscriptionId, 'subscriptionId');
    return {
      workflowId: subscriptionWorkflowId(connectionId, subscriptionId),
      taskQueue: opts.taskQueue,
      args: [{ connectionId, subscriptionId }] as [{ connectionId: string; subscriptionId: string }],
      staticSummary: `Subscription ${subscriptionId} billed through PSA connection ${connectionId}`,
      typedSearchAttributes: [
        { key: PsaConnectionId, value: connectionId },
        { key: PsaSubscriptionId, value: subscriptionId },
        { key: PsaMappingStatus, value: 'unmapped' },
      ],
    };
  };

  /**
   * Update-with-start of the subscription's workflow; when no worker accepts the update within
   * `acceptTimeoutMs`, the message is queued with a signal instead (durable; checked when the
   * workflow runs) and `queued` is returned.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any update of the workflow; the payload was checked before, and is again by its validator
  async function deliver<Ret>(connectionId: string, subscriptionId: string, def: UpdateDefinition<Ret, [any]>, kind: QueuedMessage['kind'], payload: unknown): Promise<Ret | 'queued'> {
    const start = startOptions(connectionId, subscriptionId);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), acceptTimeoutMs);
    try {
      // Every call is its own update: the workflow, not Temporal's update-id cache, decides
      // whether a message was seen before (so a repeated event says `duplicate`, across runs too).
      return await client.withAbortSignal(abort.signal, () =>
        client.workflow.executeUpdateWithStart(def, {
          args: [payload],
          startWorkflowOperation: new WithStartWorkflowOperation<typeof subscriptionWorkflow>(WORKFLOW, { ...start, workflowIdConflictPolicy: 'USE_EXISTING' }),
        }),
      );
    } catch (e) {
      if (!abort.signal.aborted) throw refusal(e);
    } finally {
      clearTimeout(timer);
    }
    return queue(connectionId, subscriptionId, kind, payload);
  }

  /** Durably hands a message to the workflow (signal-with-start), checked when the workflow runs. */
  async function queue(connectionId: string, subscriptionId: string, kind: QueuedMessage['kind'], payload: unknown): Promise<'queued'> {
    const start = startOptions(connectionId, subscriptionId);
    await client.workflow.signalWithStart<typeof subscriptionWorkflow, [QueuedMessage]>(WORKFLOW, { ...start, signal: queuedMessageSignal, signalArgs: [{ kind, payload }] });
    return 'queued';
  }

  const handle = (connectionId: string, subscriptionId: string) => client.workflow.getHandle(subscriptionWorkflowId(connectionId, subscriptionId));

  return {
    /** The platform reports a subscription (who bought what, as bought). */
    async reportSubscription(connectionId: string, report: SubscriptionReportInput): Promise<{ workflowId: string; outcome: 'recorded' | 'unchanged' | 'queued' }> {
      const r = checked(SubscriptionReportSchema, report, 'report');
      const out = await deliver(connectionId, r.subscription.id, reportUpdate, 'report', r);
      return { workflowId: subscriptionWorkflowId(connectionId, r.subscription.id), outcome: out === 'queued' ? 'queued' : out.outcome };
    },

    /**
     * A lifecycle event `{ id, sequence?, type, date, ... }`. Resolves with the receipt
     * (accepted / duplicate / queued); throws BillingInputError (which field, why) or
     * MessageConflictError (the id was used for another event). With `{ wait: false }` the answer
     * is `queued` once Temporal holds the event; a reused id then shows in the state's
     * `rejectedMessages` instead of being thrown.
     */
    async sendEvent(connectionId: string, subscriptionId: string, event: unknown, options: SendEventOptions = {}): Promise<EventReceipt & { workflowId: string; type: string }> {
      const parsed = parsePlatformEvent(event);
      if (!parsed.ok) throw new BillingInputError(parsed.problems);
      const out = options.wait === false ? await queue(connectionId, subscriptionId, 'event', event) : await deliver(connectionId, subscriptionId, platformEventUpdate, 'event', event);
      const receipt = out === 'queued' ? { eventId: parsed.value.id, outcome: 'queued' as const } : out;
      return { ...receipt, workflowId: subscriptionWorkflowId(connectionId, subscriptionId), type: parsed.value.event.type };
    },

    /** Places the subscription on a PSA agreement/contract (mapping), or disconnects it (null). */
    async place(connectionId: string, subscriptionId: string, placement: SubscriptionPlacement | null): Promise<{ outcome: 'placed' | 'disconnected' | 'unchanged' | 'queued' }> {
      const message = checked(PlacementMessageSchema, { placement }, 'mapping');
      const out = await deliver(connectionId, subscriptionId, placementUpdate, 'placement', message);
      return out === 'queued' ? { outcome: 'queued' } : out;
    },

    /** The connection's §2 rules changed: the placed subscription takes the new history (update-with-start: a closed one reopens to keep it). */
    async setRules(connectionId: string, subscriptionId: string, rules: RulesMessage): Promise<{ outcome: 'updated' | 'unchanged' | 'unmapped' | 'queued' }> {
      const message = checked(RulesMessageSchema, rules, 'rules');
      const out = await deliver(connectionId, subscriptionId, rulesUpdate, 'rules', message);
      return out === 'queued' ? { outcome: 'queued' } : out;
    },

    /** Admin: try the failed step again. */
    async retry(connectionId: string, subscriptionId: string, by?: string): Promise<{ outcome: 'retrying' | 'nothing-to-retry' }> {
      try {
        return await handle(connectionId, subscriptionId).executeUpdate(retryUpdate, { args: [by ? { by } : {}] });
      } catch (e) {
        throw refusal(e);
      }
    },

    /** Admin: leave out an event that cannot apply (the reason stays in the log). */
    async skipEvent(connectionId: string, subscriptionId: string, skip: SkipEvent): Promise<{ outcome: 'skipped' }> {
      const message = checked(SkipEventSchema, skip, 'skip');
      try {
        return await handle(connectionId, subscriptionId).executeUpdate(skipEventUpdate, { args: [message] });
      } catch (e) {
        throw refusal(e);
      }
    },

    /** A partial upgrade's new subscription (used by the S1 workflow's activity). */
    async handOver(connectionId: string, notice: SpawnNotice): Promise<void> {
      const message = checked(SpawnNoticeSchema, notice, 'spawn');
      try {
        await client.workflow.executeUpdateWithStart(spawnUpdate, {
          args: [message],
          startWorkflowOperation: new WithStartWorkflowOperation<typeof subscriptionWorkflow>(WORKFLOW, { ...startOptions(connectionId, message.report.subscription.id), workflowIdConflictPolicy: 'USE_EXISTING' }),
        });
      } catch (e) {
        throw refusal(e);
      }
    },

    async state(connectionId: string, subscriptionId: string, stateOpts: { timeoutMs?: number } = {}): Promise<SubscriptionWorkflowState> {
      if (stateOpts.timeoutMs === undefined) return handle(connectionId, subscriptionId).query(stateQuery);
      // Without a worker a query is retried until its deadline: abort it, so nothing outlives the caller.
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), stateOpts.timeoutMs);
      try {
        return await client.withAbortSignal(abort.signal, () => handle(connectionId, subscriptionId).query(stateQuery));
      } catch (e) {
        if (abort.signal.aborted) throw new StateTimeoutError(`no worker answered the state query within ${stateOpts.timeoutMs} ms`);
        throw e;
      } finally {
        clearTimeout(timer);
      }
    },

    /** Admin: the PSA holds these lines (adopt at cutover, restore after drift); refusals name the field. */
    async takeOverLines(connectionId: string, subscriptionId: string, message: TakeOverLines): Promise<{ outcome: 'recorded' | 'unchanged' }> {
      const checkedMessage = checked(TakeOverLinesSchema, message, 'takeOverLines');
      try {
        return await handle(connectionId, subscriptionId).executeUpdate(takeOverLinesUpdate, { args: [checkedMessage] });
      } catch (e) {
        throw refusal(e);
      }
    },

    /** The global sync's drift findings, shown in the subscription's state. */
    async reportDrift(connectionId: string, subscriptionId: string, report: DriftReport): Promise<void> {
      await handle(connectionId, subscriptionId).signal(driftFoundSignal, report);
    },

    /** True when the subscription's workflow exists (running or closed). */
    async exists(connectionId: string, subscriptionId: string): Promise<boolean> {
      try {
        await handle(connectionId, subscriptionId).describe();
        return true;
      } catch (e) {
        if (e instanceof WorkflowNotFoundError) return false;
        throw e;
      }
    },
  };
}

export type PlatformClient = SubscriptionMessenger;
