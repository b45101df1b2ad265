/**
 * Activities of the monthly reconciliation workflow (docs/billing-rules.md §6): list what a run
 * reconciles, collect each subscription's facts (platform invoices, PSA line values), record
 * outcomes and decisions, and post an accepted item to the PSA.
 *
 * Only these activities write reconciliation records, and only the run's workflow calls them:
 * one writer per record (FerretDB can lose one of two concurrent updates of a document).
 */
import { activityInfo, ApplicationFailure, heartbeat } from '@temporalio/activity';
import { planAcceptedReconciliation } from '../../domain/reconciliation';
import { lineKeysTouched } from '../../domain/psa-diff';
import type { PsaKind } from '../../domain/psa-operations';
import type { ReconciliationFacts, ReconciliationSubject } from '../../contracts/reconciliation';
import { acceptIdempotencyKey, CHUNK_SIZE } from '../../contracts/reconciliation';
import type { PsaGateway, PsaLineSnapshot } from '../psa/psa-gateway.port';
import { withFailureTypes } from '../psa-failure';
import { resolvePsaTarget } from '../psa-targets';
import { cachedReader, mapConcurrent, READS_IN_FLIGHT } from '../parallel';
import { psaTargetOf, type ReconciliationStatus, type Store, type SubscriptionListEntry, type SubscriptionMapping } from '../store';
import { isoDateOf } from '../../domain/dates';
import { billingLines, linesOn, psaMonthValues, reconciledDay, type BillingLine } from './psa-month-values';

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
  decision?: { action: 'accept' | 'reject'; by: string; at: string; note?: string };
}

export interface OutcomeToRecord {
  subject: ReconciliationSubject;
  status: ReconciliationStatus;
  reason: string;
  facts: ReconciliationFacts | null;
  error: string | null;
}

/** What the listing did: the chunks (their sizes only: the subjects stay in the database). */
export interface SubjectListing {
  psa: PsaKind;
  chunks: Array<{ chunk: number; items: number }>;
  /** Mapped subscriptions of the provider found (each once). */
  subjects: number;
  /** Subscriptions new to the run this time. */
  added: number;
}

/** Where a listing attempt got to: a retried attempt goes on after this subscription id (activity heartbeat details). */
export interface ListingProgress {
  after: string;
}

/**
 * Platform subscriptions per listing page: the listing reads them in one pass (one query, its
 * cursor's batches); a page's mappings are read by `_id`, its chunks written, then a heartbeat.
 */
export const LISTING_PAGE = 500;
/** Agreements read in flight per gather batch (the PSA clients bound each endpoint's concurrency as well). */
const PSA_READS_IN_FLIGHT = 4;
const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
/** How a missing line is named to the admin, per PSA. */
const PSA_LINE: Record<PsaKind, string> = { connectwise: 'ConnectWise addition', autotask: 'Autotask contract service' };
const PSA_AGREEMENT: Record<PsaKind, string> = { connectwise: 'agreement', autotask: 'contract' };

export function createReconciliationActivities(deps: ReconciliationActivityDeps) {
  const { store } = deps;

  /** What a subscription's PSA read needs: its billing lines on the agreement (the IaaS accept's line first found). */
  interface PsaRead { agreementId: number; lines: Array<{ line: BillingLine; psaId: number }>; lineKey: string }
  /** An agreement's lines read for a batch, by PSA id, or why they could not be read. */
  type AgreementLines = Map<number, PsaLineSnapshot> | { error: string };

  /** The subscription's lines to read, or why its PSA values cannot be read. */
  function psaReadOf(mapping: SubscriptionMapping | undefined): PsaRead | { error: string } {
    const target = mapping ? psaTargetOf(mapping) : null;
    if (!mapping || !target) return { error: 'the subscription is not mapped to a PSA agreement' };
    const lines = billingLines(mapping.platformId, mapping.lineIds);
    if (lines.length === 0) return { error: 'no PSA line of the subscription is known' };
    // The line an IaaS accept sets: the base addition / the contract service.
    const lineKey = (lines.find((l) => l.kind === 'base' || l.kind === 'service') ?? lines[0]!).key;
    return { agreementId: target.agreementId, lines: lines.map((line) => ({ line, psaId: mapping.lineIds[line.key]! })), lineKey };
  }

  /**
   * The PSA's quantity and month totals for one subscription in the billing month (the lines
   * active on its last day, psa-month-values.ts), from its agreement's lines as read for the
   * batch; a line the agreement no longer holds makes the values unreadable.
   */
  function psaFacts(gateway: PsaGateway, read: PsaRead, agreement: AgreementLines, month: string): ReconciliationFacts['psa'] {
    if ('error' in agreement) return { ok: false, error: agreement.error };
    const lines = [];
    for (const { line, psaId } of read.lines) {
      const snapshot = agreement.get(psaId);
      if (!snapshot) return { ok: false, error: `${PSA_LINE[gateway.psa]} ${psaId} (line ${line.key}) does not exist on ${PSA_AGREEMENT[gateway.psa]} ${read.agreementId}` };
      lines.push({ line, snapshot });
    }
    const day = reconciledDay(month);
    return { ok: true, values: psaMonthValues(linesOn(lines, day, isoDateOf((deps.now ?? Date.now)()))) };
  }

  /** Subjects of one page of platform subscriptions: the linked ones, with customer and plan names (each read once per listing). */
  async function subjectsOf(run: RunKey, page: SubscriptionListEntry[], names: { customers: ReturnType<typeof cachedReader<{ name: string }>>; products: ReturnType<typeof cachedReader<{ name: string }>> }): Promise<ReconciliationSubject[]> {
    // Only whether each is linked: their line ids are not needed to list them.
    const mappings = await store.mappings.subscriptions.getMany(run.connectionId, page.map((s) => s.id), { lines: false });
    const linked = page.filter((s) => mappings.get(s.id)?.linked);
    await Promise.all([names.customers.load(linked.map((s) => s.customerId)), names.products.load(linked.map((s) => s.productId))]);
    return linked.map((sub) => {
      const customer = names.customers.get(sub.customerId);
      const product = names.products.get(sub.productId);
      const agreementId = mappings.get(sub.id)?.agreementId;
      return {
        subscriptionId: sub.id,
        customerId: sub.customerId,
        ...(customer ? { customerName: customer.name } : {}),
        ...(product ? { plan: product.name } : {}),
        productId: sub.productId,
        kind: sub.kind,
        ...(agreementId !== undefined ? { agreementId } : {}),
      };
    });
  }

  return {
    /**
     * Lists the connection's mapped subscriptions of the provider into the run's chunks (in the
     * database): a subscription keeps its chunk for the month; new ones join the last chunk while
     * it is open and has room, else a new chunk. The subscriptions are read in one pass (no skip,
     * no count: on FerretDB each would scan the collection, per page), placed LISTING_PAGE at a
     * time, each page followed by a heartbeat naming its last subscription: a retried attempt
     * goes on after it (the chunks written so far are in the database). Answers only the chunks' sizes.
     */
    async listReconciliationSubjects(run: RunKey & { closedChunks?: number[] }): Promise<SubjectListing> {
      const connection = await store.connections.get(run.connectionId);
      if (!connection) throw ApplicationFailure.nonRetryable(`no PSA connection "${run.connectionId}"`, 'UnknownConnection');
      const key = { connectionId: run.connectionId, provider: run.provider, month: run.month };
      const chunks = await store.reconciliations.chunks(key);
      const home = new Map<string, number>();
      for (const c of chunks) for (const s of c.subjects) home.set(s.subscriptionId, c.chunk);
      const closed = new Set(run.closedChunks ?? []);
      const names = { customers: cachedReader((id) => store.platform.getCustomer(id)), products: cachedReader((id) => store.platform.getProduct(id)) };
      // Details of an older shape (`{ skip }`) carry no position: the listing starts over, which only refreshes what it already placed.
      const details = activityInfo().heartbeatDetails as Partial<ListingProgress> | undefined;
      const after = typeof details?.after === 'string' ? details.after : undefined;
      let seen = 0;
      let added = 0;

      async function place(page: SubscriptionListEntry[]): Promise<void> {
        const touched = new Set<number>();
        for (const subject of await subjectsOf(run, page, names)) {
          seen += 1;
          const at = home.get(subject.subscriptionId);
          if (at !== undefined) {
            // Known: refresh what it shows (a renamed customer or plan).
            const list = chunks[at]!.subjects;
            const i = list.findIndex((x) => x.subscriptionId === subject.subscriptionId);
            if (JSON.stringify(list[i]) !== JSON.stringify(subject)) {
              list[i] = subject;
              touched.add(at);
            }
            continue;
          }
          let last = chunks[chunks.length - 1];
          if (!last || closed.has(last.chunk) || last.subjects.length >= CHUNK_SIZE) {
            last = { chunk: chunks.length, subjects: [] };
            chunks.push(last);
          }
          last.subjects.push(subject);
          home.set(subject.subscriptionId, last.chunk);
          touched.add(last.chunk);
          added += 1;
        }
        for (const n of [...touched].sort((a, b) => a - b)) await store.reconciliations.putChunk(key, chunks[n]!);
        // Placed and written: a retried attempt goes on after this page's last subscription.
        heartbeat({ after: page[page.length - 1]!.id } satisfies ListingProgress);
      }

      let page: SubscriptionListEntry[] = [];
      for await (const sub of store.platform.streamSubscriptions({ connectionId: run.connectionId, provider: run.provider, ...(after !== undefined ? { after } : {}) })) {
        page.push(sub);
        if (page.length < LISTING_PAGE) continue;
        await place(page);
        page = [];
      }
      if (page.length > 0) await place(page);
      return { psa: connection.psa, chunks: chunks.map((c) => ({ chunk: c.chunk, items: c.subjects.length })), subjects: after !== undefined ? home.size : seen, added };
    },

    /** A chunk's subjects from position `from` on (those the chunk workflow does not hold yet), with what a previous run of the month recorded. */
    async loadReconciliationChunk(input: RunKey & { chunk: number; from: number }): Promise<Array<ReconciliationSubject & { existing?: ExistingOutcome }>> {
      const key = { connectionId: input.connectionId, provider: input.provider, month: input.month };
      const chunk = await store.reconciliations.getChunk(key, input.chunk);
      const subjects = (chunk?.subjects ?? []).slice(input.from);
      const records = await store.reconciliations.getMany(key, subjects.map((s) => s.subscriptionId));
      return subjects.map((s) => {
        const r = records.get(s.subscriptionId);
        if (!r) return s;
        return { ...s, existing: { status: r.status, ...(r.reason ? { reason: r.reason } : {}), ...(r.decision ? { decision: r.decision } : {}) } };
      });
    },

    /**
     * §6 daily check of a batch: do both invoices exist, and what does the PSA hold? Per batch:
     * the mappings and their lines in one read, each invoice by `_id`; then the PSA once per
     * agreement (every line of the batch's subscriptions on it, `readLines`: a few list requests,
     * not two reads per line), a few agreements at a time, with a heartbeat after each.
     */
    async gatherReconciliationFacts(input: RunKey & { subscriptionIds: string[] }): Promise<Record<string, ReconciliationFacts>> {
      const gateway = await deps.gateways.forConnection(input.connectionId);
      const mappings = await store.mappings.subscriptions.getMany(input.connectionId, input.subscriptionIds);
      const invoices = await mapConcurrent(input.subscriptionIds, READS_IN_FLIGHT, async (id) => {
        const [reseller, customer] = await Promise.all([store.platform.getInvoice(id, input.month, 'reseller'), store.platform.getInvoice(id, input.month, 'customer')]);
        return { reseller, customer };
      });
      // The PSA is read only once the invoices exist (§6 `failed-review` is about that read),
      // one read per agreement for every such subscription of the batch on it.
      const reads = new Map<string, PsaRead | { error: string }>();
      const byAgreement = new Map<number, number[]>();
      input.subscriptionIds.forEach((subscriptionId, i) => {
        if (!invoices[i]!.reseller || !invoices[i]!.customer) return;
        const read = psaReadOf(mappings.get(subscriptionId));
        reads.set(subscriptionId, read);
        if (!('lines' in read)) return;
        const ids = byAgreement.get(read.agreementId) ?? [];
        byAgreement.set(read.agreementId, ids);
        ids.push(...read.lines.map((l) => l.psaId));
      });
      const day = reconciledDay(input.month);
      const agreements = new Map<number, AgreementLines>();
      await mapConcurrent([...byAgreement], PSA_READS_IN_FLIGHT, async ([agreementId, psaIds]) => {
        try {
          agreements.set(agreementId, await gateway.readLines(agreementId, psaIds, day));
        } catch (err) {
          agreements.set(agreementId, { error: errorText(err) });
        }
        heartbeat(agreementId);
      });
      const out: Record<string, ReconciliationFacts> = {};
      input.subscriptionIds.forEach((subscriptionId, i) => {
        const { reseller, customer } = invoices[i]!;
        const invoiced = reseller ?? customer;
        const platform = {
          quantity: invoiced?.quantity ?? 0,
          ...(invoiced?.usageQuantity !== undefined ? { usageQuantity: invoiced.usageQuantity } : {}),
          cost: reseller?.amount ?? '0.00',
          price: customer?.amount ?? '0.00',
        };
        const read = reads.get(subscriptionId);
        const psa: ReconciliationFacts['psa'] = !read
          ? { ok: false, error: 'not read: invoices missing' }
          : 'error' in read ? { ok: false, error: read.error } : psaFacts(gateway, read, agreements.get(read.agreementId)!, input.month);
        out[subscriptionId] = {
          invoices: { reseller: !!reseller, customer: !!customer },
          platform,
          psa,
          ...(read && 'lines' in read ? { lineKey: read.lineKey } : {}),
        };
      });
      // In the order asked (the workflow applies them in that order).
      return Object.fromEntries(input.subscriptionIds.map((id) => [id, out[id]!]));
    },

    /** Writes the outcomes of a check or a decision (a status change is appended to the record's history); one document each, several at a time. */
    async recordReconciliations(input: RunKey & { at: string; by?: string; outcomes: OutcomeToRecord[] }): Promise<void> {
      await mapConcurrent(input.outcomes, READS_IN_FLIGHT, async (o) => {
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
            ...(o.subject.agreementId !== undefined ? { agreementId: o.subject.agreementId } : {}),
            platform: complete ? o.facts!.platform : null,
            psa: o.facts?.psa.ok ? o.facts.psa.values : null,
            error: o.error,
            by: input.by ?? 'system',
            at: new Date(input.at),
          },
        );
      });
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
      // The mapping document alone: the line ids the operations need are read below, by `_id`.
      const mapping = (await store.mappings.subscriptions.getMany(input.connectionId, [subject.subscriptionId], { lines: false })).get(subject.subscriptionId);
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
      const lineIds = await store.mappings.subscriptions.lineIdsByKey(input.connectionId, subject.subscriptionId, lineKeysTouched(planned));
      await withFailureTypes(async () => {
        const gateway = await deps.gateways.forConnection(input.connectionId);
        await gateway.apply(target, operations, lineIds);
      });
    },
  };
}

export type ReconciliationActivities = ReturnType<typeof createReconciliationActivities>;
