/**
 * The typed client library the platform (and the admin tools) use to report subscriptions and
 * their lifecycle events. Each call validates its input with the domain's zod schemas, then
 * signal-with-starts the subscription's workflow, so the first event of a subscription creates
 * its workflow and later ones find it.
 */
import type { Client } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { z } from 'zod';
import { BillingInputError, zodProblems } from '../domain/problems';
import { SubscriptionEventSchema, SubscriptionSchema, type SubscriptionEventInput } from '../domain/schemas';
import {
  lifecycleSignals,
  retrySync,
  stateQuery,
  subscriptionCreated,
  subscriptionMapped,
  subscriptionUnmapped,
  subscriptionWorkflowId,
  type SubscriptionMapping,
  type SubscriptionReport,
  type SubscriptionWorkflowState,
} from '../workflows/messages';
import { PsaConnectionId, PsaCustomerId, PsaMappingStatus, PsaSubscriptionId } from '../workflows/search-attributes';
import type { subscriptionWorkflow, SubscriptionWorkflowInput } from '../workflows/subscription.workflow';

export const SubscriptionReportSchema = z
  .object({
    customerId: z.string({ required_error: 'is required' }).min(1, 'must not be empty'),
    provider: z.string().min(1).optional(),
    subscription: SubscriptionSchema,
  })
  .strict();

const WORKFLOW = 'subscriptionWorkflow';

const IdSchema = z.string().min(1, 'must not be empty').max(200).regex(/^[A-Za-z0-9._:@-]+$/, 'may hold only letters, digits and . _ : @ -');

function parse<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown, what: string): T {
  const res = schema.safeParse(value);
  if (!res.success) throw new BillingInputError(zodProblems(res.error).map((p) => ({ ...p, path: p.path ? `${what}.${p.path}` : what })));
  return res.data;
}

export function createPlatformClient(client: Client, opts: { taskQueue: string }) {
  function start(connectionId: string, subscriptionId: string, customerId?: string) {
    parse(IdSchema, connectionId, 'connectionId');
    parse(IdSchema, subscriptionId, 'subscriptionId');
    const args: [SubscriptionWorkflowInput] = [{ connectionId, subscriptionId }];
    return {
      workflowId: subscriptionWorkflowId(connectionId, subscriptionId),
      taskQueue: opts.taskQueue,
      args,
      staticSummary: `Subscription ${subscriptionId} billed through PSA connection ${connectionId}`,
      typedSearchAttributes: [
        { key: PsaConnectionId, value: connectionId },
        { key: PsaSubscriptionId, value: subscriptionId },
        { key: PsaMappingStatus, value: 'unmapped' },
        ...(customerId ? [{ key: PsaCustomerId, value: customerId }] : []),
      ],
    };
  }

  return {
    /** `created`: the platform reports a new subscription (or its current data again). */
    async reportSubscription(connectionId: string, report: SubscriptionReport): Promise<string> {
      const r = parse(SubscriptionReportSchema, report, 'report');
      const handle = await client.workflow.signalWithStart<typeof subscriptionWorkflow, [SubscriptionReport]>(WORKFLOW, {
        ...start(connectionId, r.subscription.id, r.customerId),
        signal: subscriptionCreated,
        signalArgs: [r],
      });
      return handle.workflowId;
    },

    /** A lifecycle change: quantity-changed, full-upgrade, partial-upgrade, cancelled, renewed, price-changed. */
    async sendEvent(connectionId: string, subscriptionId: string, event: SubscriptionEventInput): Promise<string> {
      const e = parse(SubscriptionEventSchema, event, 'event');
      const signal = lifecycleSignals[e.type];
      const handle = await client.workflow.signalWithStart<typeof subscriptionWorkflow, [SubscriptionEventInput]>(WORKFLOW, {
        ...start(connectionId, subscriptionId),
        signal: signal as SignalDefinition<[SubscriptionEventInput]>,
        signalArgs: [e],
      });
      return handle.workflowId;
    },

    /** Used by the mapping service once an admin (or auto-mapping) has placed the subscription. */
    async mapSubscription(connectionId: string, subscriptionId: string, mapping: SubscriptionMapping): Promise<void> {
      await client.workflow.signalWithStart<typeof subscriptionWorkflow, [SubscriptionMapping]>(WORKFLOW, {
        ...start(connectionId, subscriptionId),
        signal: subscriptionMapped,
        signalArgs: [mapping],
      });
    },

    async unmapSubscription(connectionId: string, subscriptionId: string): Promise<void> {
      await client.workflow.getHandle(subscriptionWorkflowId(connectionId, subscriptionId)).signal(subscriptionUnmapped);
    },

    async retry(connectionId: string, subscriptionId: string): Promise<void> {
      await client.workflow.getHandle(subscriptionWorkflowId(connectionId, subscriptionId)).signal(retrySync);
    },

    async state(connectionId: string, subscriptionId: string): Promise<SubscriptionWorkflowState> {
      return client.workflow.getHandle(subscriptionWorkflowId(connectionId, subscriptionId)).query(stateQuery);
    },
  };
}

export type PlatformClient = ReturnType<typeof createPlatformClient>;
