/**
 * Activities of the monthly reconciliation workflow (docs/billing-rules.md §6): list what a run
 * reconciles, collect each subscription's facts (platform invoices, PSA line values), record
 * outcomes and decisions, and post an accepted item to the PSA.
 *
 * Only these activities write reconciliation records, and only the run's workflow calls them:
 * one writer per record (FerretDB can lose one of two concurrent updates of a document).
 */
import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import { planAcceptedReconciliation } from '../../domain/reconciliation';
import type { PsaKind } from '../../domain/psa-operations';
import type { ReconciliationFacts, ReconciliationSubject } from '../../contracts/reconciliation';
import { acceptIdempotencyKey } from '../../contracts/reconciliation';
import type { PsaGateway } from '../psa/psa-gateway.port';
import { withFailureTypes } from '../psa-failure';
import { resolvePsaTarget } from '../psa-targets';
import { type ReconciliationStatus, type Store, type SubscriptionMapping } from '../store';
import { isoDateOf } from '../../domain/dates';
import { billingLines, linesOn, psaMonthValues, reconciledDay } from './psa-month-values';

export interface ReconciliationActivityDeps {
  store: Pick<Store, 'connections' | 'platform' | 'mappings' | 'reconciliations'>;
  gateways: { forConnection(connectionId: string): Promise<PsaGateway> };
  /** Clock of the PSA reads (which month-start folds have happened); default Date.now. */
  now?: () => number;
}

export interface RunKey {
  connectionId: string;
  provider: string;
  month: string;
}

/** A record as the run found it in the store (a re-run of a month resumes from it). */
export interface ExistingOutcome {
  status: ReconciliationStatus;
  reason?: string;
  decision?: { action: 'accept' | 'reject'; by: string; at: string };
}

export interface OutcomeToRecord {
  subject: ReconciliationSubject;
  status: ReconciliationStatus;
  reason: string;
  facts: ReconciliationFacts | null;
  error: string | null;
}

const PAGE = 500;
const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export function createReconciliationActivities(deps: ReconciliationActivityDeps) {
  const { store } = deps;

  async function mappingOf(connectionId: string, subscriptionId: string): Promise<SubscriptionMapping | null> {
    return store.mappings.subscriptions.get(connectionId, subscriptionId);
  }

  /**
   * The PSA's quantity and month totals for one subscription in the billing month (the lines
   * active on its last day, psa-month-values.ts), or why they could not be read.
   */
  async function readPsa(gateway: PsaGateway, mapping: SubscriptionMapping | null, month: string): Promise<{ facts: ReconciliationFacts['psa']; lineKey?: string }> {
    const target = mapping ? await resolvePsaTarget(store, mapping.connectionId, mapping) : null;
    if (!mapping || !target) return { facts: { ok: false, error: 'the subscription is not mapped to a PSA agreement' } };
    const lines = billingLines(mapping.platformId, mapping.lineIds);
    if (lines.length === 0) return { facts: { ok: false, error: 'no PSA line of the subscription is known' } };
    // The line an IaaS accept sets: the base addition / the contract service.
    const lineKey = (lines.find((l) => l.kind === 'base' || l.kind === 'service') ?? lines[0]!).key;
    const day = reconciledDay(month);
    try {
      const read = [];
      for (const line of lines) read.push({ line, snapshot: await gateway.readLine(target, mapping.lineIds[line.key]!, day) });
      return { facts: { ok: true, values: psaMonthValues(linesOn(read, day, isoDateOf((deps.now ?? Date.now)()))) }, lineKey };
    } catch (err) {
      return { facts: { ok: false, error: errorText(err) }, lineKey };
    }
  }

  return {
    /** The connection's mapped subscriptions of the provider, with the records a previous run left. */
    async listReconciliationSubjects(run: RunKey): Promise<{ psa: PsaKind; subjects: ReconciliationSubject[]; existing: Record<string, ExistingOutcome> }> {
      const connection = await store.connections.get(run.connectionId);
      if (!connection) throw ApplicationFailure.nonRetryable(`no PSA connection "${run.connectionId}"`, 'UnknownConnection');
      const subjects: ReconciliationSubject[] = [];
      for (let skip = 0; ; skip += PAGE) {
        const page = await store.platform.listSubscriptions({ connectionId: run.connectionId, provider: run.provider, limit: PAGE, skip });
        for (const sub of page.items) {
          const mapping = await mappingOf(run.connectionId, sub.id);
          if (!mapping?.linked) continue;
          const [customer, product] = await Promise.all([store.platform.getCustomer(sub.customerId), store.platform.getProduct(sub.productId)]);
          subjects.push({
            subscriptionId: sub.id,
            customerId: sub.customerId,
            ...(customer ? { customerName: customer.name } : {}),
            ...(product ? { plan: product.name } : {}),
            productId: sub.productId,
            kind: sub.kind,
          });
        }
        if (skip + PAGE >= page.total) break;
      }
      const existing: Record<string, ExistingOutcome> = {};
      for (const r of await store.reconciliations.listForRun(run.connectionId, run.provider, run.month)) {
        existing[r.subscriptionId] = { status: r.status, ...(r.reason ? { reason: r.reason } : {}), ...(r.decision ? { decision: r.decision } : {}) };
      }
      return { psa: connection.psa, subjects, existing };
    },

    /** §6 daily check: do both invoices exist, and what does the PSA hold? */
    async gatherReconciliationFacts(input: RunKey & { subscriptionIds: string[] }): Promise<Record<string, ReconciliationFacts>> {
      const gateway = await deps.gateways.forConnection(input.connectionId);
      const out: Record<string, ReconciliationFacts> = {};
      for (const subscriptionId of input.subscriptionIds) {
        heartbeat(subscriptionId);
        const { reseller, customer } = await store.platform.invoicesFor(subscriptionId, input.month);
        const invoiced = reseller ?? customer;
        const platform = {
          quantity: invoiced?.quantity ?? 0,
          ...(invoiced?.usageQuantity !== undefined ? { usageQuantity: invoiced.usageQuantity } : {}),
          cost: reseller?.amount ?? '0.00',
          price: customer?.amount ?? '0.00',
        };
        // The PSA is read only once the invoices exist (§6 `failed-review` is about that read).
        const psa = reseller && customer ? await readPsa(gateway, await mappingOf(input.connectionId, subscriptionId), input.month) : null;
        out[subscriptionId] = {
          invoices: { reseller: !!reseller, customer: !!customer },
          platform,
          psa: psa?.facts ?? { ok: false, error: 'not read: invoices missing' },
          ...(psa?.lineKey ? { lineKey: psa.lineKey } : {}),
        };
      }
      return out;
    },

    /** Writes the outcomes of a check or a decision (a status change is appended to the record's history). */
    async recordReconciliations(input: RunKey & { at: string; by?: string; outcomes: OutcomeToRecord[] }): Promise<void> {
      for (const o of input.outcomes) {
        const complete = o.facts && o.facts.invoices.reseller && o.facts.invoices.customer;
        await store.reconciliations.record(
          { connectionId: input.connectionId, provider: input.provider, month: input.month, subscriptionId: o.subject.subscriptionId },
          {
            status: o.status,
            reason: o.reason,
            ...(o.subject.customerId ? { customerId: o.subject.customerId } : {}),
            ...(o.subject.customerName ? { customerName: o.subject.customerName } : {}),
            ...(o.subject.plan ? { plan: o.subject.plan } : {}),
            productId: o.subject.productId,
            kind: o.subject.kind,
            platform: complete ? o.facts!.platform : null,
            psa: o.facts?.psa.ok ? o.facts.psa.values : null,
            error: o.error,
            by: input.by ?? 'system',
            at: new Date(input.at),
          },
        );
      }
    },

    /** The admin's accept/reject of a pending-review item. */
    async decideReconciliation(input: RunKey & { subscriptionId: string; action: 'accept' | 'reject'; by: string; at: string; note?: string }): Promise<void> {
      await withFailureTypes(() =>
        store.reconciliations.decide(
          { connectionId: input.connectionId, provider: input.provider, month: input.month, subscriptionId: input.subscriptionId },
          { action: input.action, by: input.by, at: new Date(input.at), ...(input.note ? { note: input.note } : {}) },
        ),
      );
    },

    /**
     * §6 accept: posts cost and price, never quantity (SaaS: a new delta line for the month;
     * IaaS: the quantity-1 line set to the invoiced totals). One idempotency key per item, so a
     * retry after a failure or a crash never posts twice. A PSA refusal (e.g. the line is
     * already invoiced) fails at once, non-retryable, with the PSA's message.
     */
    async postAcceptedReconciliation(input: RunKey & { psa: PsaKind; subject: ReconciliationSubject; facts: ReconciliationFacts }): Promise<void> {
      const { subject, facts } = input;
      if (!facts.psa.ok) throw ApplicationFailure.nonRetryable(`PSA values unknown: ${facts.psa.error}`, 'ReconciliationNotReadable');
      const mapping = await mappingOf(input.connectionId, subject.subscriptionId);
      const target = mapping ? await resolvePsaTarget(store, input.connectionId, mapping) : null;
      if (!mapping || !target) throw ApplicationFailure.nonRetryable(`subscription ${subject.subscriptionId} is not mapped to a PSA agreement`, 'NotMapped');
      const ops = planAcceptedReconciliation({
        kind: subject.kind,
        subscriptionId: subject.subscriptionId,
        productId: subject.productId,
        billingMonth: input.month,
        platform: { cost: facts.platform.cost, price: facts.platform.price },
        psa: { cost: facts.psa.values.cost, price: facts.psa.values.price },
        ...(subject.kind === 'iaas' ? { lineKey: facts.lineKey, serviceKey: facts.lineKey } : {}),
      });
      const key = acceptIdempotencyKey(input.connectionId, input.provider, input.month, subject.subscriptionId);
      const planned = input.psa === 'connectwise' ? ops.connectwise : ops.autotask;
      const operations = planned.map((operation, i) => ({ idempotencyKey: i === 0 ? key : `${key}/${i}`, operation }));
      await withFailureTypes(async () => {
        const gateway = await deps.gateways.forConnection(input.connectionId);
        await gateway.apply(target, operations, mapping.lineIds);
      });
    },
  };
}

export type ReconciliationActivities = ReturnType<typeof createReconciliationActivities>;
