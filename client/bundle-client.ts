/**
 * Talking to bundle workflows (docs/billing-modes.md "Bundles") on Temporal: a member's billed
 * values and a definition change are signals-with-start (the first starts the bundle's
 * workflow, which then reads its definition from the store); the state is a query.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { BundleMemberReportSchema, bundleWorkflowId, type BundleMessenger, type BundleWorkflowState } from '../contracts/bundle';
import { StateTimeoutError } from '../contracts/errors';
import { checkMessage } from '../contracts/subscription';
import { BillingInputError } from '../domain/problems';
import { bundleChangedSignal, bundleMemberSignal, bundleStateQuery } from '../workflows/bundle-messages';
import type { bundleWorkflow } from '../workflows/bundle.workflow';

export function createBundleClient(client: Client, opts: { taskQueue: string }): BundleMessenger {
  const start = (connectionId: string, bundleId: string) => ({
    workflowId: bundleWorkflowId(connectionId, bundleId),
    taskQueue: opts.taskQueue,
    args: [{ connectionId, bundleId }] as [{ connectionId: string; bundleId: string }],
    staticSummary: `Bundle ${bundleId}: one PSA line for its member subscriptions, on connection ${connectionId}`,
  });
  return {
    async reportMember(connectionId, bundleId, report) {
      const r = checkMessage(BundleMemberReportSchema, report);
      if (!r.ok) throw new BillingInputError(r.problems.map((p) => ({ ...p, path: p.path ? `report.${p.path}` : 'report' })));
      await client.workflow.signalWithStart<typeof bundleWorkflow, [typeof r.value]>('bundleWorkflow', { ...start(connectionId, bundleId), signal: bundleMemberSignal, signalArgs: [r.value] });
    },
    async changed(connectionId, bundleId) {
      await client.workflow.signalWithStart<typeof bundleWorkflow, []>('bundleWorkflow', { ...start(connectionId, bundleId), signal: bundleChangedSignal, signalArgs: [] });
    },
    async state(connectionId, bundleId, stateOpts = {}): Promise<BundleWorkflowState | null> {
      const handle = client.workflow.getHandle(bundleWorkflowId(connectionId, bundleId));
      const abort = new AbortController();
      const timer = stateOpts.timeoutMs === undefined ? undefined : setTimeout(() => abort.abort(), stateOpts.timeoutMs);
      try {
        return await client.withAbortSignal(abort.signal, () => handle.query(bundleStateQuery));
      } catch (e) {
        if (e instanceof WorkflowNotFoundError) return null;
        if (abort.signal.aborted) throw new StateTimeoutError(`no worker answered the bundle's state query within ${stateOpts.timeoutMs} ms`);
        throw e;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
