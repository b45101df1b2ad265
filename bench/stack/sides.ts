/**
 * The two sides of every comparison, as the driver talks to them: ours through the client
 * library (client/platform-client.ts: `reportSubscription`, `sendEvent`, the `state` query) or
 * the admin API, and the bare baseline through plain signal-with-start and its progress query.
 */
import type { SubscriptionWorkflowState } from '../../contracts/subscription';
import { BARE_TASK_QUEUE, bareEventSignal, bareProgressQuery, type BareWrite } from '../baseline/messages';
import type { Landing } from './landing';
import type { BenchStack } from './stack';

export type OursDone = (s: SubscriptionWorkflowState) => boolean;

/** Mapped, base line written, nothing under way, no error. */
export const baseLanded: OursDone = (s) => s.status === 'mapped' && !s.syncing && s.step >= 1 && s.lastError === null;

/** Every one of `eventIds` applied, nothing under way, no error. */
export const eventsApplied =
  (eventIds: readonly string[]): OursDone =>
  (s) => {
    if (s.syncing || s.lastError !== null) return false;
    const applied = new Set(s.events.filter((e) => e.status === 'applied').map((e) => e.id));
    return eventIds.every((id) => applied.has(id));
  };

export async function oursLanding(stack: BenchStack, connectionId: string, subscriptionId: string, done: OursDone): Promise<Landing> {
  const s = await stack.platform.state(connectionId, subscriptionId, { timeoutMs: 15_000 });
  return { done: done(s), at: s.lastSyncAt ? Date.parse(s.lastSyncAt) : null };
}

export const bareWorkflowId = (key: string) => `bench-bare/${key}`;

/** Signal-with-start of the bare workflow `key`: what a platform does when it does not know whether the workflow runs. */
export async function bareSend(stack: BenchStack, key: string, write: BareWrite): Promise<void> {
  await stack.client.workflow.signalWithStart('bareSubscriptionWorkflow', {
    workflowId: bareWorkflowId(key),
    taskQueue: BARE_TASK_QUEUE,
    args: [],
    signal: bareEventSignal,
    signalArgs: [write],
  });
}

/** Landed once the bare workflow has written `writes` times. */
export async function bareLanding(stack: BenchStack, key: string, writes: number): Promise<Landing> {
  const p = await stack.client.workflow.getHandle(bareWorkflowId(key)).query(bareProgressQuery);
  return { done: p.done >= writes, at: p.lastWriteAt ? Date.parse(p.lastWriteAt) : null };
}
