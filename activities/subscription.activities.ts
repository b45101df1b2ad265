/**
 * Activities of the subscription workflow: record what the platform reported (and map it when
 * nothing is ambiguous), write one step of PSA operations through the connection's gateway
 * (each journaled under its idempotency key), hand a partial upgrade to its new subscription's
 * workflow, and keep a closed subscription's state so a late event reopens it whole.
 */
import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import type { SpawnNotice, SubscriptionPlacement, SubscriptionReport } from '../contracts/subscription';
import type { SubscriptionCommitment } from '../domain/commitment';
import type { IsoDate } from '../domain/dates';
import type { PsaOperation } from '../domain/psa-operations';
import { lineDescription } from '../domain/line-description';
import type { AppliedOperation, KeyedOperation, OperationJournal, PsaGateway, PsaTarget } from './psa/psa-gateway.port';
import { withFailureTypes } from './psa-failure';

/** What the subscription activities need from the mapping store. */
export interface SubscriptionMappingPort {
  recordReport(connectionId: string, report: SubscriptionReport): Promise<void>;
  /** The placement to use without an admin, when customer, product and agreement are unambiguous. */
  autoPlacement(connectionId: string, report: SubscriptionReport): Promise<SubscriptionPlacement | null>;
  /** Platform product id → PSA catalog item / service id, for every mapped product (may be cached; `fresh` reads again). */
  productPsaIds(connectionId: string, opts?: { fresh?: boolean }): Promise<Record<string, number>>;
  /** A successful PSA write: mapping linked as the workflow knows it, line ids recorded, status `mapped`, last sync time set. */
  recordApplied(connectionId: string, subscriptionId: string, placement: SubscriptionPlacement, applied: readonly AppliedOperation[]): Promise<void>;
  /** A failed sync: status `failed` with the PSA's (or our) message. */
  recordFailure(connectionId: string, subscriptionId: string, message: string): Promise<void>;
  /** PSA line ids recorded for the subscription (by an earlier run of its workflow). */
  recordedLineCount(connectionId: string, subscriptionId: string): Promise<number>;
  /** Name and part number of platform products (those the platform has pushed). */
  productDetails(productIds: readonly string[]): Promise<Record<string, { name: string; partNumber: string }>>;
  /** The subscription's commitment as its workflow computed it (for `renewals due` and the renewals mail). */
  recordCommitment(connectionId: string, subscriptionId: string, report: CommitmentReport): Promise<void>;
}

/** What the subscription workflow reports about its commitment (docs/renewals.md). */
export interface CommitmentReport {
  customerId: string | null;
  productId: string;
  quantity: number;
  asOf: IsoDate;
  commitment: SubscriptionCommitment;
}

/** Where a closed subscription workflow leaves its state (one document per workflow id). */
export interface SubscriptionArchive {
  get(workflowId: string): Promise<unknown | null>;
  put(workflowId: string, state: unknown): Promise<void>;
}

export interface SubscriptionActivityDeps {
  mappings: SubscriptionMappingPort;
  gateways: { forConnection(connectionId: string): Promise<PsaGateway> };
  journal: Pick<OperationJournal, 'get'>;
  archive: SubscriptionArchive;
  /** Update-with-start of the new subscription's workflow (partial upgrade, §3). */
  handOver(connectionId: string, notice: SpawnNotice): Promise<void>;
}

/** One step's outcome: `applied[i]` for `operations[i]` (null when it was not written), and the PSA's refusal if any. */
export interface StepOutcome {
  applied: Array<AppliedOperation | null>;
  refused: { message: string; idempotencyKey: string | null } | null;
}

export function createSubscriptionActivities(deps: SubscriptionActivityDeps) {
  /** Results of the step's operations that the journal holds as done (after a refusal mid-step). */
  async function journaled(operations: KeyedOperation[]): Promise<Array<AppliedOperation | null>> {
    const out: Array<AppliedOperation | null> = [];
    for (const op of operations) {
      const entry = await deps.journal.get(op.idempotencyKey);
      out.push(entry?.state === 'done' && entry.result ? { ...entry.result, replayed: true } : null);
    }
    return out;
  }

  /**
   * The description of lines of a product other than the one the placement's description names
   * (a full upgrade's new product, a partial upgrade's new subscription): built the same way,
   * naming the line's own product (docs/mapping.md "Line descriptions"). Undefined when none.
   */
  async function otherProductDescriptions(subscriptionId: string, placement: SubscriptionPlacement, productIds: string[]): Promise<Record<string, string> | undefined> {
    const source = placement.descriptionSource;
    const others = source ? productIds.filter((p) => p !== source.productId) : [];
    if (!source || others.length === 0) return undefined;
    const details = await deps.mappings.productDetails(others);
    return Object.fromEntries(others.map((p) => [p, lineDescription(subscriptionId, source, details[p])]));
  }

  return {
    async recordSubscription(input: { connectionId: string; report: SubscriptionReport; placed: boolean }): Promise<{ autoPlacement: SubscriptionPlacement | null }> {
      return withFailureTypes(async () => {
        await deps.mappings.recordReport(input.connectionId, input.report);
        if (input.placed) return { autoPlacement: null };
        return { autoPlacement: await deps.mappings.autoPlacement(input.connectionId, input.report) };
      });
    },

    /**
     * Writes one step. A PSA refusal (validation, an invoiced line, a product not mapped) is not
     * thrown: it comes back with what was written before it, so the workflow knows exactly what
     * the PSA holds. Transient errors are thrown and retried under the same idempotency keys.
     */
    async applyOperations(input: {
      connectionId: string;
      subscriptionId: string;
      placement: SubscriptionPlacement;
      operations: KeyedOperation[];
      /** PSA ids of the lines and services these operations touch. */
      lineIds: Record<string, number>;
    }): Promise<StepOutcome> {
      const needed = productsOf(input.operations.map((o) => o.operation));
      let productIds = await withFailureTypes(() => deps.mappings.productPsaIds(input.connectionId));
      if (needed.some((p) => productIds[p] === undefined)) productIds = await withFailureTypes(() => deps.mappings.productPsaIds(input.connectionId, { fresh: true }));
      const missing = needed.filter((p) => productIds[p] === undefined);
      if (missing.length > 0) {
        const message = `product ${missing.join(', ')} is not mapped to a ${input.placement.psa === 'connectwise' ? 'ConnectWise catalog item' : 'Autotask service'} on connection ${input.connectionId}; map it, then retry (or skip the event that needs it)`;
        await deps.mappings.recordFailure(input.connectionId, input.subscriptionId, message);
        return { applied: input.operations.map(() => null), refused: { message, idempotencyKey: null } };
      }
      const descriptions = await withFailureTypes(() => otherProductDescriptions(input.subscriptionId, input.placement, needed));
      const target: PsaTarget = {
        companyId: input.placement.companyId,
        agreementId: input.placement.agreementId,
        productIds,
        description: input.placement.description,
        ...(descriptions ? { descriptions } : {}),
        ...(input.placement.billCustomer ? { billCustomer: input.placement.billCustomer } : {}),
      };
      // Heartbeats while the PSA works, so a worker that dies mid-write is noticed in seconds
      // and the retry (which finds what was already written through the journal) runs soon.
      const beat = setInterval(() => heartbeat(), 2_000);
      try {
        const applied = await withFailureTypes(async () => {
          const gateway = await deps.gateways.forConnection(input.connectionId);
          return gateway.apply(target, input.operations, input.lineIds);
        });
        await withFailureTypes(() => deps.mappings.recordApplied(input.connectionId, input.subscriptionId, input.placement, applied));
        const byKey = new Map(applied.map((a) => [a.idempotencyKey, a]));
        return { applied: input.operations.map((o) => byKey.get(o.idempotencyKey) ?? null), refused: null };
      } catch (err) {
        if (!(err instanceof ApplicationFailure && err.nonRetryable)) throw err;
        const applied = await journaled(input.operations);
        const done = applied.filter((a): a is AppliedOperation => a !== null);
        if (done.length > 0) await deps.mappings.recordApplied(input.connectionId, input.subscriptionId, input.placement, done);
        await deps.mappings.recordFailure(input.connectionId, input.subscriptionId, err.message);
        const failedAt = input.operations.find((_, i) => applied[i] === null);
        return { applied, refused: { message: err.message, idempotencyKey: failedAt?.idempotencyKey ?? null } };
      } finally {
        clearInterval(beat);
      }
    },

    /** Keeps the subscription's commitment view where lists and the renewals mail read it. */
    async recordCommitment(input: { connectionId: string; subscriptionId: string; report: CommitmentReport }): Promise<void> {
      await withFailureTypes(() => deps.mappings.recordCommitment(input.connectionId, input.subscriptionId, input.report));
    },

    async recordSyncFailure(input: { connectionId: string; subscriptionId: string; error: string }): Promise<void> {
      await deps.mappings.recordFailure(input.connectionId, input.subscriptionId, input.error);
    },

    /** Partial upgrade (§3): the new subscription gets (or, withdrawn, loses) its own workflow's billing. */
    async handOverPartialUpgrade(input: { connectionId: string; notice: SpawnNotice }): Promise<void> {
      await deps.handOver(input.connectionId, input.notice);
    },

    /**
     * A new run of a subscription's workflow: the state its last run left when it closed, and
     * how many PSA lines an earlier run recorded (lines without a state mean the workflow was
     * terminated: the run must not write again blindly).
     */
    async restoreSubscription(input: { connectionId: string; subscriptionId: string; workflowId: string }): Promise<{ carried: unknown | null; recordedLines: number }> {
      const carried = await deps.archive.get(input.workflowId);
      const recordedLines = carried === null ? await deps.mappings.recordedLineCount(input.connectionId, input.subscriptionId) : 0;
      return { carried, recordedLines };
    },

    /** Keeps the state of a subscription whose workflow closes (nothing more can change). */
    async archiveSubscription(input: { workflowId: string; state: unknown }): Promise<void> {
      await deps.archive.put(input.workflowId, input.state);
    },
  };
}

function productsOf(ops: PsaOperation[]): string[] {
  const ids = new Set<string>();
  for (const op of ops) {
    if (op.type === 'cw.create-addition') ids.add(op.addition.productId);
    else if (op.type === 'cw.update-addition' && op.set.productId) ids.add(op.set.productId);
    else if (op.type === 'at.create-contract-service') ids.add(op.service.productId);
  }
  return [...ids];
}

export type SubscriptionActivities = ReturnType<typeof createSubscriptionActivities>;
