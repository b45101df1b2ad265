/**
 * Service (subscription) mapping (seed 004 "Mapped Services"): place a subscription on a PSA
 * company and agreement/contract, with its line description, effective date and bill-customer
 * setting, then hand the mapping to the subscription's workflow, which writes the lines.
 *
 * Rules enforced here: the agreement is chosen automatically only when the company has exactly
 * one; yearly subscriptions need a yearly agreement starting on the first of their start month
 * (§4 rule 9, `mappingProblems`); with "one agreement per company" on, a company's services all
 * share one agreement (§7, `agreementMappingProblems`).
 */
import { agreementMappingProblems } from '../../domain/agreement-check';
import { mappingProblems } from '../../domain/connectwise-projection';
import type { Problem } from '../../domain/problems';
import type { Subscription } from '../../domain/schemas';
import { SkipEventSchema, subscriptionWorkflowId, type SubscriptionPlacement } from '../../contracts/subscription';
import type { AgreementSummary } from '../../activities/psa/psa-gateway.port';
import {
  commitmentView,
  effectiveDateRules,
  parseInput,
  type Connection,
  type PlatformProduct,
  type PlatformSubscription,
  type SubscriptionMapping,
} from '../../activities/store';
import { billingStartDate } from '../../domain/effective-date';
import { ConflictError, invalid, NotFoundError, normalizeErrors } from './mapping-errors';
import type { MappingServiceDeps } from './mapping-service.deps';
import { MappingListQuerySchema, MapServiceInputSchema, type MappingListQueryInput } from './mapping-service.schemas';
import { LEAST_DESCRIPTION_ROOM } from '../../activities/psa/line-description-room';
import { descriptionWarnings, serviceDescription, subscriptionIdFits } from './service-description';
import { subscriptionSharingWarnings } from './shared-psa-targets';
import { nextBilling } from './billing-switch';
import { billingNote, type Billing } from '../../domain/billing-mode';
import { createOwnedLineOperations, type AdoptionReport } from './mapping-service.owned-lines';

/** The domain's view of a platform subscription (what §4 rule 9 and the ledger take). */
export function domainSubscription(s: PlatformSubscription): Subscription {
  return {
    id: s.id,
    productId: s.productId,
    quantity: s.quantity,
    unitPrice: s.unitPrice,
    unitCost: s.unitCost,
    startDate: s.startDate,
    endDate: s.endDate,
    billingFrequency: s.billingFrequency,
    autoRenew: s.autoRenew,
    kind: s.kind,
    ...(s.commitmentTerm !== undefined ? { commitmentTerm: s.commitmentTerm } : {}),
  };
}

const describeAgreement = (a: AgreementSummary) => `${a.id} "${a.name}" (${a.periodType}, from ${a.startDate})`;

/** §4 rule 1: a newly mapped subscription's base line starts on max(subscription start, agreement start). */
export const defaultEffectiveDate = (s: PlatformSubscription, a: AgreementSummary) => billingStartDate(s.startDate, a.startDate);

export interface ServiceMapOutcome {
  mapping: SubscriptionMapping;
  agreement: AgreementSummary;
  /** True when the agreement was chosen because it is the company's only one (or the one its services share). */
  agreementChosen: boolean;
  effectiveDate: string;
  description: string;
  warnings: string[];
  /** The subscription workflow that received the `subscriptionMapped` signal. */
  workflowId: string;
  /** How it bills (docs/billing-modes.md), and the first day of the new mode when a billed subscription switched. */
  billing: Billing & { note: string; switchedOn?: string };
  /** With adopt: the lines taken over (the first sync updates them instead of creating new ones). */
  adoption?: AdoptionReport;
}

export function createServiceOperations(deps: MappingServiceDeps) {
  const { store } = deps;
  const subs = store.mappings.subscriptions;
  const owned = createOwnedLineOperations(deps);

  async function connection(connectionId: string): Promise<Connection> {
    const conn = await store.connections.get(connectionId);
    if (!conn) throw new NotFoundError('connection', connectionId);
    return conn;
  }
  async function platformSubscription(connectionId: string, id: string): Promise<PlatformSubscription> {
    const s = await store.platform.getSubscription(connectionId, id);
    if (!s) throw new NotFoundError('platform subscription', id);
    return s;
  }

  /** The agreements the company's other mapped services live on (§7). */
  async function companyAgreements(connectionId: string, companyId: number, except: string): Promise<Set<number>> {
    const out = new Set<number>();
    for (let skip = 0; ; skip += 1000) {
      const page = await subs.list(connectionId, { linked: true, limit: 1000, skip });
      for (const m of page.items) if (m.platformId !== except && m.companyId === companyId && m.agreementId !== undefined) out.add(m.agreementId);
      if (page.items.length < 1000) return out;
    }
  }

  /** Which company: the given one, else the customer's mapped company. */
  async function resolveCompany(connectionId: string, s: PlatformSubscription, companyId: number | undefined) {
    const customer = await store.mappings.customers.get(connectionId, s.customerId);
    const mapped = customer?.linked ? customer.psaId : undefined;
    if (companyId !== undefined && mapped !== undefined && mapped !== companyId) {
      throw new ConflictError(
        `customer "${s.customerId}" is mapped to company ${mapped}, not ${companyId}; map the service to the customer's company or re-map the customer first`,
      );
    }
    const id = companyId ?? mapped;
    if (id === undefined) {
      throw invalid({ path: 'companyId', message: `is required: customer "${s.customerId}" is not mapped to a PSA company; map the customer first or give companyId` });
    }
    return { companyId: id, customerMapped: mapped !== undefined };
  }

  /** Which agreement: the given one (must be the company's), else the only one, else (§7) the one the company's services share. */
  function chooseAgreement(agreements: AgreementSummary[], companyId: number, agreementId: number | undefined, shared: Set<number>) {
    const list = agreements.map(describeAgreement).join('; ');
    if (agreementId !== undefined) {
      const a = agreements.find((x) => x.id === agreementId);
      if (!a) throw invalid({ path: 'agreementId', message: `agreement ${agreementId} is not one of company ${companyId}'s agreements (${list || 'it has none'})` });
      return { agreement: a, chosen: false };
    }
    if (agreements.length === 0) throw new ConflictError(`company ${companyId} has no agreement in the PSA; create one there, then map the service`);
    if (agreements.length === 1) return { agreement: agreements[0]!, chosen: true };
    const sharedOne = shared.size === 1 ? agreements.find((a) => shared.has(a.id)) : undefined;
    if (sharedOne) return { agreement: sharedOne, chosen: true };
    throw invalid({ path: 'agreementId', message: `is required: company ${companyId} has ${agreements.length} agreements, choose one: ${list}` });
  }

  return {
    /** Subscription mappings with their platform subscriptions; filters: status, search, customerId, paging. */
    async list(connectionId: string, query: MappingListQueryInput = {}) {
      await connection(connectionId);
      const q = parseInput(MappingListQuerySchema, query);
      const page = await subs.list(connectionId, q);
      // Each subscription's commitment as its workflow last recorded it (docs/renewals.md); null before it did.
      const commitments = await store.commitments.getMany(connectionId, page.items.map((m) => m.platformId));
      const items = await Promise.all(
        page.items.map(async (m) => {
          const commitment = commitments.get(m.platformId);
          return { ...m, platform: await store.platform.getSubscription(connectionId, m.platformId), commitment: commitment ? commitmentView(commitment) : null };
        }),
      );
      return { items, total: page.total };
    },

    /**
     * What mapping the subscription would take: its company (from the customer mapping), each
     * agreement of that company with the §4 rule 9 problems it would raise, the one chosen
     * automatically (if any), the default effective date and description.
     */
    async suggest(connectionId: string, subscriptionId: string) {
      const conn = await connection(connectionId);
      const s = await platformSubscription(connectionId, subscriptionId);
      const product = await store.platform.getProduct(s.productId);
      const productMapping = await store.mappings.products.get(connectionId, s.productId);
      const customer = await store.mappings.customers.get(connectionId, s.customerId);
      const companyId = customer?.linked ? customer.psaId : undefined;
      const agreements = companyId === undefined ? [] : await (await deps.gateways.forConnection(connectionId)).listAgreements(companyId);
      const settings = await deps.settings.get(connectionId);
      const shared = companyId === undefined ? new Set<number>() : await companyAgreements(connectionId, companyId, subscriptionId);
      const auto =
        agreements.length === 1 ? agreements[0] : shared.size === 1 && settings.oneAgreementPerCompany ? agreements.find((a) => shared.has(a.id)) : undefined;
      const text = product?.name ?? s.productId;
      return {
        subscriptionId,
        customer: { id: s.customerId, companyId: companyId ?? null, companyName: customer?.psaName ?? null },
        product: { id: s.productId, mapped: productMapping?.linked === true, psaId: productMapping?.psaId ?? null },
        agreements: agreements.map((a) => ({ ...a, problems: mappingProblems(a, domainSubscription(s)), defaultEffectiveDate: defaultEffectiveDate(s, a) })),
        agreementId: auto?.id ?? null,
        description: serviceDescription(text, { product: false, plan: false, partNumber: false, licenseCount: false }, { ...s, subscriptionId }).description,
        psa: conn.psa,
      };
    },

    /** Maps the subscription (validated as above), records it, then signals its workflow. */
    async map(connectionId: string, subscriptionId: string, input: unknown, by = 'unknown'): Promise<ServiceMapOutcome> {
      const m = parseInput(MapServiceInputSchema, input);
      const conn = await connection(connectionId);
      const s = await platformSubscription(connectionId, subscriptionId);
      const product: PlatformProduct | null = await store.platform.getProduct(s.productId);
      const productMapping = await store.mappings.products.get(connectionId, s.productId);
      if (!productMapping?.linked || productMapping.psaId === undefined) {
        throw new ConflictError(
          `product "${s.productId}"${product ? ` (${product.name})` : ''} is not mapped on connection "${connectionId}"; map it to a ${conn.psa === 'connectwise' ? 'catalog item' : 'service'} first`,
        );
      }
      const { companyId, customerMapped } = await resolveCompany(connectionId, s, m.companyId);
      const gateway = await deps.gateways.forConnection(connectionId);
      const agreements = await gateway.listAgreements(companyId);
      const settings = await deps.settings.get(connectionId);
      const shared = await companyAgreements(connectionId, companyId, subscriptionId);
      const { agreement, chosen } = chooseAgreement(agreements, companyId, m.agreementId, settings.oneAgreementPerCompany ? shared : new Set());

      const problems: Problem[] = mappingProblems(agreement, domainSubscription(s));
      const effectiveDate = m.effectiveDate ?? defaultEffectiveDate(s, agreement);
      if (effectiveDate < agreement.startDate) {
        problems.push({ path: 'effectiveDate', message: `is ${effectiveDate}, before agreement ${agreement.id} starts (${agreement.startDate})` });
      } else if (effectiveDate !== defaultEffectiveDate(s, agreement)) {
        // The workflow opens the base line on §4 rule 1's date; another date would be shown here and not billed.
        problems.push({
          path: 'effectiveDate',
          message: `is ${effectiveDate}, but a newly mapped subscription is billed from max(subscription start ${s.startDate}, agreement start ${agreement.startDate}) = ${defaultEffectiveDate(s, agreement)} (§4 rule 1); other dates are not supported`,
        });
      }
      if (!subscriptionIdFits(conn.psa, subscriptionId)) {
        problems.push({ path: 'description', message: `cannot hold subscription id "${subscriptionId}": ${conn.psa === 'connectwise' ? 'ConnectWise' : 'Autotask'} may keep only ${LEAST_DESCRIPTION_ROOM[conn.psa]} characters of a line description` });
      }
      if (problems.length > 0) throw invalid(...problems);
      const switched = nextBilling(await subs.get(connectionId, subscriptionId), m.billingMode, m.force === true, (deps.now?.() ?? new Date()).toISOString().slice(0, 10));

      if (settings.oneAgreementPerCompany) {
        const lines = [...shared, agreement.id].map((agreementId, i) => ({ companyId, agreementId, platformProductId: `line-${i}`, lineId: i }));
        const clash = agreementMappingProblems(lines, { oneAgreementPerCompany: true });
        if (clash.length > 0) throw new ConflictError(`company ${companyId} ${clash.map((p) => p.message).join('; ')}; map this service to agreement ${[...shared].join(', ')}`);
      }

      const { description, source: descriptionSource } = serviceDescription(m.description, m.include, { ...s, subscriptionId, ...(product ? { product } : {}) });
      const placement: SubscriptionPlacement = {
        psa: conn.psa,
        companyId,
        agreementId: agreement.id,
        agreement: { startDate: agreement.startDate, periodType: agreement.periodType },
        rules: effectiveDateRules(conn.rules),
        description,
        descriptionSource,
        ...(m.billCustomer ? { billCustomer: m.billCustomer } : {}),
        billing: switched.billing,
      };
      // With adopt, nothing is mapped unless every line the first sync would create can be taken over (409 says why).
      const planned = m.adopt ? await owned.planForPlacement(connectionId, subscriptionId, placement, { [s.productId]: productMapping.psaId }, m.adoptLine) : null;
      const customer = await store.platform.getCustomer(s.customerId);
      // Choosing the company here maps the customer too, as on the vendor's service screen.
      if (!customerMapped) await store.mappings.customers.markMapped(connectionId, s.customerId, { psaId: companyId }, customer ? { display: { label: customer.name } } : {});
      const mapping = await subs.markMapped(
        connectionId,
        subscriptionId,
        { companyId, agreementId: agreement.id, productIds: { [s.productId]: productMapping.psaId }, description, ...(m.billCustomer ? { billCustomer: m.billCustomer } : {}), billing: switched.billing },
        { display: { label: product ? `${product.name} (${subscriptionId})` : subscriptionId, customerId: s.customerId, ...(customer ? { customerName: customer.name } : {}), productId: s.productId } },
      );
      // Adoption goes to the workflow before the placement, so its first sync updates the line.
      const adoption = planned ? await owned.adoptPlanned(connectionId, subscriptionId, planned, by) : undefined;
      try {
        await normalizeErrors(() => deps.platform.place(connectionId, subscriptionId, placement));
      } catch (e) {
        await subs.markFailed(connectionId, subscriptionId, `could not hand the mapping to the subscription workflow: ${e instanceof Error ? e.message : String(e)}`);
        throw e;
      }
      return {
        mapping,
        agreement,
        agreementChosen: chosen,
        effectiveDate,
        description,
        warnings: [...descriptionWarnings(conn.psa, description), ...(await subscriptionSharingWarnings(store, connectionId, conn.psa, mapping))],
        workflowId: subscriptionWorkflowId(connectionId, subscriptionId),
        billing: { ...switched.billing, note: billingNote(switched.billing), ...(switched.switchedOn ? { switchedOn: switched.switchedOn } : {}) },
        ...(adoption ? { adoption } : {}),
      };
    },

    /** Disconnect: the mapping is removed and the workflow told; lines already in the PSA stay (its history). */
    async unmap(connectionId: string, subscriptionId: string): Promise<{ before: SubscriptionMapping; mapping: SubscriptionMapping; workflowSignalled: boolean }> {
      await connection(connectionId);
      const current = await subs.get(connectionId, subscriptionId);
      if (current?.billing?.mode === 'bundled') {
        throw new ConflictError(`subscription "${subscriptionId}" bills through bundle "${current.billing.bundleId}"; it leaves only with its bundle (bundles delete ${current.billing.bundleId})`);
      }
      const before = await subs.disconnect(connectionId, subscriptionId);
      if (!before) throw new NotFoundError('subscription mapping', `${connectionId}/${subscriptionId}`);
      // No workflow yet: nothing to tell.
      const workflowSignalled = await deps.platform.exists(connectionId, subscriptionId);
      if (workflowSignalled) await normalizeErrors(() => deps.platform.place(connectionId, subscriptionId, null));
      return { before, mapping: (await subs.get(connectionId, subscriptionId))!, workflowSignalled };
    },

    /** Asks the workflow to try its failed step again. */
    async retry(connectionId: string, subscriptionId: string): Promise<{ retried: true; workflowId: string }> {
      await connection(connectionId);
      const m = await subs.get(connectionId, subscriptionId);
      if (!m) throw new NotFoundError('subscription mapping', `${connectionId}/${subscriptionId}`);
      if (m.status !== 'failed') throw new ConflictError(`subscription "${subscriptionId}" is ${m.status}, not failed: there is nothing to retry`);
      await normalizeErrors(() => deps.platform.retry(connectionId, subscriptionId), { kind: 'subscription workflow', id: subscriptionWorkflowId(connectionId, subscriptionId) });
      return { retried: true, workflowId: subscriptionWorkflowId(connectionId, subscriptionId) };
    },

    /**
     * Leaves out an event that cannot apply (e.g. an upgrade to a product that will never be
     * mapped): the subscription goes on without it; the event, the reason and who stay in its log.
     */
    async skipEvent(connectionId: string, subscriptionId: string, input: unknown): Promise<{ skipped: true; eventId: string; workflowId: string }> {
      await connection(connectionId);
      const skip = parseInput(SkipEventSchema, input);
      const workflowId = subscriptionWorkflowId(connectionId, subscriptionId);
      await normalizeErrors(() => deps.platform.skipEvent(connectionId, subscriptionId, skip), { kind: 'subscription workflow', id: workflowId });
      return { skipped: true, eventId: skip.eventId, workflowId };
    },
  };
}
