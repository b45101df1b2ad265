/**
 * Activities of the subscription workflow: record what the platform reported, apply planned
 * PSA operations through the connection's gateway (idempotently: the gateway journals every
 * key), and keep the subscription's mapping document in step.
 */
import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import type { LedgerInit } from '../domain/schemas';
import type { PsaTarget, AppliedOperation, KeyedOperation, PsaGateway } from './psa/psa-gateway.port';
import type { MappingStatus, SubscriptionMapping, SubscriptionReport } from '../workflows/messages';
import { withFailureTypes } from './psa-failure';

/** What the subscription activities need from the mapping store. */
export interface SubscriptionMappingPort {
  recordReport(connectionId: string, report: SubscriptionReport): Promise<void>;
  /** The mapping to use without an admin, when customer, product and agreement are unambiguous. */
  autoMapping(connectionId: string, report: SubscriptionReport): Promise<SubscriptionMapping | null>;
  /** Platform product id → PSA catalog item / service id, for every mapped product. */
  productPsaIds(connectionId: string): Promise<Record<string, number>>;
  /** A successful PSA write: mapping linked as the workflow knows it, line ids recorded, status `mapped`, last sync time set. */
  recordApplied(connectionId: string, subscriptionId: string, mapping: SubscriptionMapping, applied: readonly AppliedOperation[]): Promise<void>;
  /** A failed sync: status `failed` with the PSA's (or our) message. */
  recordFailure(connectionId: string, subscriptionId: string, message: string): Promise<void>;
}

export interface SubscriptionActivityDeps {
  mappings: SubscriptionMappingPort;
  gateways: { forConnection(connectionId: string): Promise<PsaGateway> };
  /** Signal-with-start of another subscription's workflow (partial upgrade's new subscription). */
  startSubscription(connectionId: string, report: SubscriptionReport, mapping: SubscriptionMapping | null): Promise<void>;
}

export function createSubscriptionActivities(deps: SubscriptionActivityDeps) {
  return {
    async recordSubscription(input: {
      connectionId: string;
      report: SubscriptionReport;
      status: MappingStatus;
    }): Promise<{ autoMapping: SubscriptionMapping | null }> {
      await deps.mappings.recordReport(input.connectionId, input.report);
      if (input.status !== 'unmapped') return { autoMapping: null };
      return { autoMapping: await deps.mappings.autoMapping(input.connectionId, input.report) };
    },

    async applyOperations(input: {
      connectionId: string;
      subscriptionId: string;
      mapping: SubscriptionMapping;
      operations: KeyedOperation[];
      lineIds: Record<string, number>;
    }): Promise<AppliedOperation[]> {
      const gateway = await deps.gateways.forConnection(input.connectionId);
      const productIds = await deps.mappings.productPsaIds(input.connectionId);
      const missing = productsOf(input.operations).filter((p) => productIds[p] === undefined);
      if (missing.length > 0) {
        const message = `product ${missing.join(', ')} is not mapped to a ${input.mapping.psa === 'connectwise' ? 'ConnectWise catalog item' : 'Autotask service'} on connection ${input.connectionId}`;
        await deps.mappings.recordFailure(input.connectionId, input.subscriptionId, message);
        throw ApplicationFailure.nonRetryable(message, 'ProductNotMapped');
      }
      const target: PsaTarget = {
        companyId: input.mapping.companyId,
        agreementId: input.mapping.agreementId,
        productIds,
        description: input.mapping.description,
        billCustomer: input.mapping.billCustomer,
      };
      // Heartbeats while the PSA works, so a worker that dies mid-write is noticed in seconds
      // and the retry (which finds what was already written through the journal) runs soon.
      const beat = setInterval(() => heartbeat(), 2_000);
      try {
        return await withFailureTypes(async () => {
          const applied = await gateway.apply(target, input.operations, input.lineIds);
          await deps.mappings.recordApplied(input.connectionId, input.subscriptionId, input.mapping, applied);
          return applied;
        });
      } catch (err) {
        if (err instanceof ApplicationFailure && err.nonRetryable) {
          await deps.mappings.recordFailure(input.connectionId, input.subscriptionId, err.message);
        }
        throw err;
      } finally {
        clearInterval(beat);
      }
    },

    async recordSyncFailure(input: { connectionId: string; subscriptionId: string; error: string }): Promise<void> {
      await deps.mappings.recordFailure(input.connectionId, input.subscriptionId, input.error);
    },

    /** Partial upgrade (§3): the new subscription gets its own workflow, on the same agreement. */
    async startSpawnedSubscription(input: {
      connectionId: string;
      parentSubscriptionId: string;
      customerId: string | null;
      init: LedgerInit;
      parentMapping: SubscriptionMapping;
    }): Promise<void> {
      const report: SubscriptionReport = { customerId: input.customerId ?? '', subscription: input.init.subscription };
      const mapping: SubscriptionMapping = {
        ...input.parentMapping,
        parentSubscriptionId: input.parentSubscriptionId,
        description: input.parentMapping.description.split(input.parentSubscriptionId).join(input.init.subscription.id),
      };
      await deps.startSubscription(input.connectionId, report, mapping);
    },
  };
}

function productsOf(ops: KeyedOperation[]): string[] {
  const ids = new Set<string>();
  for (const { operation: op } of ops) {
    if (op.type === 'cw.create-addition') ids.add(op.addition.productId);
    else if (op.type === 'cw.update-addition' && op.set.productId) ids.add(op.set.productId);
    else if (op.type === 'at.create-contract-service') ids.add(op.service.productId);
  }
  return [...ids];
}
