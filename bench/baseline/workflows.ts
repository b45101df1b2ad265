/**
 * The bare Temporal baseline (bench-only, bundled on its own with bundleWorkflowCode): what the
 * engine costs when a workflow does nothing but the PSA request.
 *
 * - bareSubscriptionWorkflow: one per subscription, long-lived like ours; every `bareEvent`
 *   signal runs one activity doing one HTTP POST (a ConnectWise addition or an Autotask
 *   ContractServiceAdjustment), one at a time, in arrival order.
 * - bareSyncWorkflow: N company PATCHes in pages of `pageSize`, `parallel` pages at a time (the
 *   shape of our global sync).
 * - bareReconciliationWorkflow: one GET of each agreement's additions, `chunk` agreements per
 *   activity, one activity at a time (the PSA read our reconciliation check needs).
 */
import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { BareActivities } from './activities';
import { bareEventSignal, bareProgressQuery, type BareProgress, type BareWrite } from './messages';

// The PSA write runs under the same timeouts and retry policy as ours (applyOperations in
// workflows/subscription.workflow.ts): with no heartbeat timeout, an activity task the overloaded
// dev server records as started but never delivers waits out the whole start-to-close timeout
// (5 minutes) — which once made the baseline's burst 4× slower than it was.
const { postWrite } = proxyActivities<BareActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});
const { patchCompanies, readAdditions } = proxyActivities<BareActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export async function bareSubscriptionWorkflow(): Promise<void> {
  const queue: BareWrite[] = [];
  const progress: BareProgress = { received: 0, done: 0, lastWriteAt: null };
  setHandler(bareEventSignal, (w) => {
    queue.push(w);
    progress.received += 1;
  });
  setHandler(bareProgressQuery, () => progress);
  for (;;) {
    await condition(() => queue.length > 0);
    await postWrite(queue.shift()!);
    progress.done += 1;
    progress.lastWriteAt = new Date().toISOString();
  }
}

export async function bareSyncWorkflow(input: { companyIds: number[]; pageSize: number; parallel: number }): Promise<{ patched: number }> {
  const pages: number[][] = [];
  for (let i = 0; i < input.companyIds.length; i += input.pageSize) pages.push(input.companyIds.slice(i, i + input.pageSize));
  let patched = 0;
  for (let i = 0; i < pages.length; i += input.parallel) {
    const done = await Promise.all(pages.slice(i, i + input.parallel).map((ids) => patchCompanies(ids)));
    patched += done.reduce((a, b) => a + b, 0);
  }
  return { patched };
}

export async function bareReconciliationWorkflow(input: { agreementIds: number[]; chunk: number }): Promise<{ read: number }> {
  let read = 0;
  for (let i = 0; i < input.agreementIds.length; i += input.chunk) read += await readAdditions(input.agreementIds.slice(i, i + input.chunk));
  return { read };
}
