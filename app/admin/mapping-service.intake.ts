/**
 * What the platform pushes (and demos and tests push in its place): customers and products,
 * subscriptions reported on a connection, lifecycle events; and the admin's view of one
 * subscription (its workflow's state next to its mapping document).
 */
import { subscriptionSharingWarnings } from './shared-psa-targets';
import { SubscriptionReportSchema, subscriptionWorkflowId, type EventReceipt, type SendEventOptions, type SubscriptionWorkflowState } from '../../contracts/subscription';
import { parseInput, type CommitmentRecord, type SubscriptionMapping } from '../../activities/store';
import { ConflictError, invalid, NotFoundError, normalizeErrors } from './mapping-errors';
import type { MappingServiceDeps } from './mapping-service.deps';
import { CustomersIntakeSchema, ProductsIntakeSchema } from './mapping-service.schemas';
import { createSubscriptionMappingPort } from '../../activities/subscription-records';

export interface SubscriptionView {
  connectionId: string;
  subscriptionId: string;
  mapping: SubscriptionMapping | null;
  /** The commitment its workflow last recorded (docs/renewals.md); null before it did (or for a subscription without a workflow). */
  commitment: CommitmentRecord | null;
  /** The workflow's `state` query; null when there is no workflow or no worker answered in time (`workflowError` says which). */
  workflow: SubscriptionWorkflowState | null;
  workflowError?: string;
  /** What the subscription shares in the PSA (docs/mapping.md "Shared PSA targets"); empty when nothing. */
  warnings: string[];
}

export function createIntakeOperations(deps: MappingServiceDeps) {
  const { store } = deps;
  // The workflow records reports through this same port, so a report looks the same whoever sent it.
  const recorder = createSubscriptionMappingPort({ store, gateways: deps.gateways });

  async function everyConnection(): Promise<string[]> {
    return (await store.connections.list()).map((c) => c.id);
  }
  async function mustConnection(id: string): Promise<void> {
    if (!(await store.connections.get(id))) throw new NotFoundError('connection', id);
  }
  // The event intake's hot path reads nothing it has seen lately: a connection that exists and a
  // subscription reported on it stay known for a while (a miss reads again; a deleted connection
  // is refused at the latest when the entry expires, and its workflows refuse to write anyway).
  const seen = new Map<string, number>();
  const SEEN_MS = 60_000;
  const now = deps.now ? () => deps.now!().getTime() : Date.now;
  const known = (key: string) => (seen.get(key) ?? -Infinity) > now() - SEEN_MS;
  const remember = (key: string) => {
    if (seen.size > 100_000) seen.clear();
    seen.set(key, now());
  };
  /** The subscription is reported on this connection: else 409 naming where it is, or 404. */
  async function reportedHere(connectionId: string, subscriptionId: string): Promise<void> {
    await mustConnection(connectionId);
    if (await store.platform.getSubscription(connectionId, subscriptionId)) return;
    const elsewhere = await store.platform.subscriptionConnections(subscriptionId);
    if (elsewhere.length > 0) {
      throw new ConflictError(`subscription "${subscriptionId}" is reported on connection ${elsewhere.map((c) => `"${c}"`).join(', ')}, not on "${connectionId}"; send its events there (or report it on "${connectionId}" first)`);
    }
    throw new NotFoundError('platform subscription', `${connectionId}/${subscriptionId}`);
  }

  return {
    /** Upserts platform customers; each gets a mapping record (unmapped) on every connection. */
    async upsertCustomers(input: unknown): Promise<{ upserted: number; newMappings: number }> {
      const { customers } = parseInput(CustomersIntakeSchema, input);
      for (const c of customers) await store.platform.upsertCustomer(c);
      let newMappings = 0;
      for (const id of await everyConnection()) newMappings += await store.mappings.customers.track(id, customers.map((c) => ({ platformId: c.id, label: c.name })));
      return { upserted: customers.length, newMappings };
    },

    /** Upserts platform products; each gets a mapping record (unmapped) on every connection. */
    async upsertProducts(input: unknown): Promise<{ upserted: number; newMappings: number }> {
      const { products } = parseInput(ProductsIntakeSchema, input);
      for (const p of products) await store.platform.upsertProduct(p);
      let newMappings = 0;
      for (const id of await everyConnection()) newMappings += await store.mappings.products.track(id, products.map((p) => ({ platformId: p.id, label: p.name })));
      return { upserted: products.length, newMappings };
    },

    /**
     * Reports a subscription on a connection: stored (platform record + unmapped service) at
     * once, so the service list shows it even before a worker runs, then signalled to its
     * workflow, which may map it automatically.
     */
    async reportSubscription(connectionId: string, input: unknown): Promise<{ workflowId: string; subscriptionId: string; outcome: 'recorded' | 'unchanged' | 'queued' }> {
      const report = parseInput(SubscriptionReportSchema, input);
      await mustConnection(connectionId);
      const problems = [
        ...((await store.platform.getCustomer(report.customerId)) ? [] : [{ path: 'customerId', message: `no platform customer "${report.customerId}"; push it first` }]),
        ...((await store.platform.getProduct(report.subscription.productId))
          ? []
          : [{ path: 'subscription.productId', message: `no platform product "${report.subscription.productId}"; push it first` }]),
      ];
      if (problems.length > 0) throw invalid(...problems);
      await recorder.recordReport(connectionId, report);
      const { workflowId, outcome } = await normalizeErrors(() => deps.platform.reportSubscription(connectionId, report));
      return { workflowId, subscriptionId: report.subscription.id, outcome };
    },

    /**
     * Sends a lifecycle event `{ id, sequence?, type, date, ... }` to the subscription's workflow.
     * Answers with the receipt (accepted, duplicate, or queued when no worker answered in time);
     * bad input names each field; a subscription reported on another connection, or an id
     * already used for another event, is a conflict. `{ wait: false }`: answered `queued` once
     * Temporal holds it (a reused id then shows in the state's `rejectedMessages`).
     */
    async sendEvent(connectionId: string, subscriptionId: string, input: unknown, options: SendEventOptions = {}): Promise<EventReceipt & { workflowId: string; type: string }> {
      const key = `${connectionId}\u0000${subscriptionId}`;
      if (!known(key)) await reportedHere(connectionId, subscriptionId);
      remember(key);
      // The client library checks the event (400 with each field and why) before it is sent.
      return normalizeErrors(() => deps.platform.sendEvent(connectionId, subscriptionId, input, options));
    },

    /** The mapping document and the workflow's state (queried with a deadline: without a worker a query never answers). */
    async subscriptionState(connectionId: string, subscriptionId: string): Promise<SubscriptionView> {
      await mustConnection(connectionId);
      const [mapping, commitment] = await Promise.all([store.mappings.subscriptions.get(connectionId, subscriptionId), store.commitments.get(connectionId, subscriptionId)]);
      const conn = await store.connections.get(connectionId);
      const warnings = conn ? await subscriptionSharingWarnings(store, connectionId, conn.psa, mapping) : [];
      const timeoutMs = deps.stateQueryTimeoutMs ?? 5_000;
      try {
        const workflow = await normalizeErrors(() => deps.platform.state(connectionId, subscriptionId, { timeoutMs }), {
          kind: 'subscription workflow',
          id: subscriptionWorkflowId(connectionId, subscriptionId),
        });
        return { connectionId, subscriptionId, mapping, commitment, workflow, warnings };
      } catch (e) {
        if (e instanceof NotFoundError && !mapping) throw new NotFoundError('subscription', `${connectionId}/${subscriptionId}`);
        const workflowError = e instanceof NotFoundError ? 'no workflow has been started for this subscription' : e instanceof Error ? e.message : String(e);
        return { connectionId, subscriptionId, mapping, commitment, workflow: null, workflowError, warnings };
      }
    },
  };
}
