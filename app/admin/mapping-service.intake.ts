/**
 * What the platform pushes (and demos and tests push in its place): customers and products,
 * subscriptions reported on a connection, lifecycle events; and the admin's view of one
 * subscription (its workflow's state next to its mapping document).
 */
import { SubscriptionReportSchema, subscriptionWorkflowId, type EventReceipt, type SubscriptionWorkflowState } from '../../contracts/subscription';
import { parsePlatformEvent } from '../../domain/event-log';
import { parseInput, type SubscriptionMapping } from '../../activities/store';
import { ConflictError, invalid, NotFoundError, normalizeErrors } from './mapping-errors';
import type { MappingServiceDeps } from './mapping-service.deps';
import { CustomersIntakeSchema, ProductsIntakeSchema } from './mapping-service.schemas';
import { createSubscriptionMappingPort } from '../../activities/subscription-records';

export interface SubscriptionView {
  connectionId: string;
  subscriptionId: string;
  mapping: SubscriptionMapping | null;
  /** The workflow's `state` query; null when there is no workflow or no worker answered in time (`workflowError` says which). */
  workflow: SubscriptionWorkflowState | null;
  workflowError?: string;
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
     * already used for another event, is a conflict.
     */
    async sendEvent(connectionId: string, subscriptionId: string, input: unknown): Promise<EventReceipt & { workflowId: string; type: string }> {
      const parsed = parsePlatformEvent(input);
      if (!parsed.ok) throw invalid(...parsed.problems);
      await mustConnection(connectionId);
      if (!(await store.platform.getSubscription(connectionId, subscriptionId))) {
        const elsewhere = await store.platform.subscriptionConnections(subscriptionId);
        if (elsewhere.length > 0) {
          throw new ConflictError(`subscription "${subscriptionId}" is reported on connection ${elsewhere.map((c) => `"${c}"`).join(', ')}, not on "${connectionId}"; send its events there (or report it on "${connectionId}" first)`);
        }
        throw new NotFoundError('platform subscription', `${connectionId}/${subscriptionId}`);
      }
      const receipt = await normalizeErrors(() => deps.platform.sendEvent(connectionId, subscriptionId, input));
      return { ...receipt, type: parsed.value.event.type };
    },

    /** The mapping document and the workflow's state (queried with a deadline: without a worker a query never answers). */
    async subscriptionState(connectionId: string, subscriptionId: string): Promise<SubscriptionView> {
      await mustConnection(connectionId);
      const mapping = await store.mappings.subscriptions.get(connectionId, subscriptionId);
      const timeoutMs = deps.stateQueryTimeoutMs ?? 5_000;
      try {
        const workflow = await normalizeErrors(() => deps.platform.state(connectionId, subscriptionId, { timeoutMs }), {
          kind: 'subscription workflow',
          id: subscriptionWorkflowId(connectionId, subscriptionId),
        });
        return { connectionId, subscriptionId, mapping, workflow };
      } catch (e) {
        if (e instanceof NotFoundError && !mapping) throw new NotFoundError('subscription', `${connectionId}/${subscriptionId}`);
        const workflowError = e instanceof NotFoundError ? 'no workflow has been started for this subscription' : e instanceof Error ? e.message : String(e);
        return { connectionId, subscriptionId, mapping, workflow: null, workflowError };
      }
    },
  };
}
