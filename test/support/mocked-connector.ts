/**
 * A worker for the subscription and bundle workflows on a time-skipping test environment, with
 * typed mocked activities writing to an in-memory PSA (test/support/live-simulator.ts). Used by
 * the fast workflow tests and by the recorder of the replay histories
 * (test/workflow/history-recipes.ts), so both exercise the same activity contract. Bundles
 * (docs/billing-modes.md) are defined in `bundles` (what the store would hold); a member's
 * report reaches its bundle's workflow through the real bundle client.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import type { BundleActivities } from '../../activities/bundles/bundle.activities';
import type { SubscriptionActivities } from '../../activities/subscription.activities';
import type { KeyedOperation } from '../../activities/psa/psa-gateway.port';
import { createBundleClient } from '../../client/bundle-client';
import { createPlatformClient, type PlatformClient } from '../../client/platform-client';
import { bundleWorkflowId, type BundleMessenger, type BundleSpec, type BundleWorkflowState } from '../../contracts/bundle';
import { subscriptionWorkflowId, type SubscriptionPlacement, type SubscriptionWorkflowState } from '../../contracts/subscription';
import { addDays, type IsoDate } from '../../domain/dates';
import type { SentEvent } from './plan-for';
import { applyToMemory, memoryPsa, type MemoryPsa } from './live-simulator';

/** What a step meets at the PSA: written, the PSA unreachable (retried), or refused. */
export type Fault = (ops: KeyedOperation[], attempt: number) => 'ok' | 'unreachable' | 'refuse';

export interface MockedConnector {
  taskQueue: string;
  psa: MemoryPsa;
  platform: PlatformClient;
  /** The idempotency keys of every applyOperations call, in order. */
  keysSeen: string[][];
  archived: Record<string, unknown>;
  /** Every commitment the workflow recorded (recordCommitment), in order. */
  commitments: Array<Parameters<SubscriptionActivities['recordCommitment']>[0]>;
  /** Every subscription workflow id this connector reported (for clean-up and recording). */
  reported: string[];
  /** Bundle definitions by bundle id, as the store would hold them (change them, then `bundles.changed`). */
  bundles: Record<string, BundleSpec>;
  /** The bundle client (docs/billing-modes.md): reports, definition changes, state. */
  bundleClient: BundleMessenger;
  /** Every bundle workflow id a member or the test reached (for clean-up and recording). */
  bundleIds: string[];
  /** Waits until the bundle is not syncing and `until` holds. */
  quietBundle(connectionId: string, bundleId: string, until: (s: BundleWorkflowState) => boolean): Promise<BundleWorkflowState>;
  /** ConnectWise lines the memory PSA holds for a state, in the plan comparison's shape. */
  lines(s: SubscriptionWorkflowState): Array<{ lineKey: string; productId: string; quantity: number; unitPrice: string; unitCost: string; effectiveDate: string; cancelledDate: string | null }>;
  /** Waits until the subscription is not syncing and `until` holds (wall-clock polling). */
  quiet(connectionId: string, id: string, until: (s: SubscriptionWorkflowState) => boolean): Promise<SubscriptionWorkflowState>;
  stop(): Promise<void>;
}

export async function mockedConnector(env: TestWorkflowEnvironment, workflowBundlePath: string, fault: Fault = () => 'ok'): Promise<MockedConnector> {
  const taskQueue = `wf-${randomUUID().slice(0, 8)}`;
  const psa = memoryPsa();
  const keysSeen: string[][] = [];
  const archived: Record<string, unknown> = {};
  const reported: string[] = [];
  const bundles: Record<string, BundleSpec> = {};
  const bundleIds: string[] = [];
  const commitments: MockedConnector['commitments'] = [];
  let attempts = 0;
  const client = createPlatformClient(env.client, { taskQueue, acceptTimeoutMs: 5_000 });
  const bundleClientRaw = createBundleClient(env.client, { taskQueue });
  const reached = (connectionId: string, bundleId: string) => {
    const id = bundleWorkflowId(connectionId, bundleId);
    if (!bundleIds.includes(id)) bundleIds.push(id);
  };
  const bundleClient: BundleMessenger = {
    ...bundleClientRaw,
    reportMember: (connectionId, bundleId, report) => (reached(connectionId, bundleId), bundleClientRaw.reportMember(connectionId, bundleId, report)),
    changed: (connectionId, bundleId) => (reached(connectionId, bundleId), bundleClientRaw.changed(connectionId, bundleId)),
  };
  const platform: PlatformClient = {
    ...client,
    reportSubscription: (connectionId, r) => {
      reported.push(subscriptionWorkflowId(connectionId, r.subscription.id));
      return client.reportSubscription(connectionId, r);
    },
  };
  const applyOperations: SubscriptionActivities['applyOperations'] = async (input) => {
    keysSeen.push(input.operations.map((o) => o.idempotencyKey));
    const verdict = fault(input.operations, ++attempts);
    if (verdict === 'unreachable') throw ApplicationFailure.retryable('connectwise POST /additions failed with timeout', 'PsaError.timeout');
    if (verdict === 'refuse') return { applied: input.operations.map(() => null), refused: { message: 'connectwise POST failed with validation (HTTP 400): the agreement is cancelled', idempotencyKey: input.operations[0]!.idempotencyKey } };
    const applied = applyToMemory(psa, input.operations.map((o) => o.operation), input.lineIds);
    return { applied: applied.map((a, i) => ({ ...a, idempotencyKey: input.operations[i]!.idempotencyKey, replayed: false })), refused: null };
  };
  const activities: SubscriptionActivities & BundleActivities = {
    async recordSubscription() {
      return { autoPlacement: null };
    },
    applyOperations,
    applyBundleOperations: applyOperations,
    async loadBundle({ bundleId }) {
      return bundles[bundleId] ?? null;
    },
    async reportBundleMember({ connectionId, bundleId, report }) {
      await bundleClient.reportMember(connectionId, bundleId, report);
    },
    async recordSyncFailure() {},
    async recordCommitment(input) {
      commitments.push(input);
    },
    async handOverPartialUpgrade() {},
    async restoreSubscription(input) {
      return { carried: archived[input.workflowId] ?? null, recordedLines: 0 };
    },
    async archiveSubscription(input) {
      archived[input.workflowId] = input.state;
    },
  };
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: { codePath: workflowBundlePath }, activities });
  const running = worker.run();
  let stopped = false;
  return {
    taskQueue,
    psa,
    platform,
    keysSeen,
    archived,
    commitments,
    reported,
    bundles,
    bundleClient,
    bundleIds,
    async quietBundle(connectionId, bundleId, until) {
      for (let i = 0; i < 200; i++) {
        const b = await bundleClient.state(connectionId, bundleId);
        if (b && !b.syncing && until(b)) return b;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`bundle ${bundleId} did not settle: ${JSON.stringify(await bundleClient.state(connectionId, bundleId))}`);
    },
    lines: (s) => Object.values(s.held.connectwise).map((h) => ({ lineKey: h.lineKey, ...pickLine(psa.cw.get(h.psaId)!) })),
    async quiet(connectionId, id, until) {
      for (let i = 0; i < 200; i++) {
        const s = await platform.state(connectionId, id);
        if (!s.syncing && until(s)) return s;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`subscription ${id} did not settle: ${JSON.stringify(await platform.state(connectionId, id))}`);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      worker.shutdown();
      await running;
    },
  };
}

/** A year's monthly subscription of 10 at 22.00/18.70, auto-renewing. */
export const sampleReport = (id: string, startDate: IsoDate) => ({
  customerId: 'c1',
  subscription: { id, productId: 'bp', quantity: 10, unitPrice: '22.00', unitCost: '18.70', startDate, endDate: addDays(startDate, 364), billingFrequency: 'monthly' as const, autoRenew: true, kind: 'saas' as const },
});

/** A monthly agreement starting with the subscription, actual-date rules. */
export const samplePlacement = (startDate: IsoDate, psa: SubscriptionPlacement['psa'] = 'connectwise'): SubscriptionPlacement => ({
  psa, companyId: 1, agreementId: 2, agreement: { startDate, periodType: 'monthly' },
  rules: { positiveChange: 'actual-date', negativeChange: 'actual-date', cancellation: 'cancellation-date' }, description: 'x',
});

/** An event as the platform sends it. */
export const wire = (e: SentEvent) => ({ id: e.id, ...e.event });

function pickLine(a: { productId: string; quantity: number; unitPrice: string; unitCost: string; effectiveDate: string; cancelledDate: string | null }) {
  return { productId: a.productId, quantity: a.quantity, unitPrice: a.unitPrice, unitCost: a.unitCost, effectiveDate: a.effectiveDate, cancelledDate: a.cancelledDate };
}
