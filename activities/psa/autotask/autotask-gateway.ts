/**
 * The PsaGateway for Autotask (billing-rules.md §5): contract services hold price and cost,
 * units change only through create-only, dated adjustments.
 *
 * Idempotency. Each operation is journaled begin → write → complete. A key found `done` is
 * replayed without a write. A key found `started` (we crashed, or the PSA's answer was lost,
 * between the write and the journal) is reconciled against Autotask before writing:
 * - contract services: Autotask keeps one per service per contract, so we look it up by
 *   contract id + service id (and adopt an existing one rather than create a second);
 * - adjustments cannot be queried, but ContractServiceUnits are split at each adjustment's
 *   date: if the day the unfinished adjustment would have taken now holds exactly its unit
 *   change, it landed (see adjustment-dates.ts for the limits of that inference).
 * The same look happens when a write fails in a way that leaves open whether it was applied
 * (a 5xx that is not a validation error, a timeout, a dropped connection).
 */
import { PsaSetupError } from '../psa-setup-error';
import { z } from 'zod';
import { addDays, isoDateOf, type IsoDate } from '../../../domain/dates';
import { moneyFromJsonNumber, moneyToJsonNumber, moneyEquals, type Money } from '../../../domain/money';
import { nameSimilarity, rankByName, searchFragments } from '../../../domain/name-match';
import type { AtOperation } from '../../../domain/psa-operations';
import { backoffDelay, defaultRetryPolicy, isPsaError, psaDateOf, psaDateTime, PsaError, realSleep, silentLogger, type Logger, type Sleep } from '../http';
import type {
  AgreementSummary,
  AppliedOperation,
  CatalogMatch,
  CompanyMatch,
  RecordUpdateResult,
  KeyedOperation,
  OperationJournal,
  PsaGateway,
  PsaLineSnapshot,
  PsaTarget,
} from '../psa-gateway.port';
import { descriptionFor } from '../psa-gateway.port';
import { psaLineText } from '../line-description-room';
import { adjustmentDates, firstFreeDate, landedOn, unitsOn, type UnitsSlice } from './adjustment-dates';
import { createAutotaskClient, type AutotaskClient, type AutotaskClientDeps } from './autotask-client';
import { q, type Filter } from './autotask-query';
import {
  billingCodeSchema,
  companySchema,
  contractSchema,
  contractServiceSchema,
  contractServiceUnitSchema,
  resourceSchema,
  serviceSchema,
  type AtContractServiceRow,
} from './autotask-schemas';
import { customerCurrencyPrice } from './contract-service-price';
import { CONCEPTS, createPicklists, exactLabel, RECURRING_SERVICE_CONTRACT_TYPE } from './picklists';
import { pushServiceCatalog, type ServicePlan, type ServicePushResult } from './service-catalog-push';

export interface AutotaskGatewayDeps extends AutotaskClientDeps {
  journal: OperationJournal;
  /** Fields Autotask requires on a new company that the connector does not know. */
  companyDefaults?: { ownerResourceId?: number; phone?: string; companyTypeLabel?: string };
  /** Billing code of services created by createCatalogItem; default: the first active Recurring Contract Service code. */
  serviceBillingCodeId?: number;
  /** Billing code of reconciliation charges; default: the billing code of the subscription's service. */
  chargeBillingCodeId?: number;
  /** Attempts per write (on top of the HTTP core's own retries of refused requests). */
  writeAttempts?: number;
}

export interface AutotaskGateway extends PsaGateway {
  readonly psa: 'autotask';
  /** Service catalog push (billing-rules.md §7). */
  pushServiceCatalog(plans: readonly ServicePlan[]): Promise<ServicePushResult[]>;
  /** The underlying client, for tools and tests. */
  readonly client: AutotaskClient;
}

type AdjustUnits = Extract<AtOperation, { type: 'at.adjust-units' }>;
type Outcome = Pick<AppliedOperation, 'psaId' | 'effectiveDate' | 'shiftedFrom'>;

/** Autotask's refusal of a second adjustment for one contract service on one day (§5). */
const isDayTaken = (error: unknown): boolean => isPsaError(error) && /contract_service_period/i.test(`${error.psaMessage ?? ''} ${error.details.join(' ')} ${error.message}`);

/** The calendar day of an Autotask date field (date-exact in any tenant time zone, see psa-dates.ts). */
function dateOf(value: string, what: string): IsoDate {
  const day = psaDateOf(value);
  if (day === null) throw new PsaError({ psa: 'autotask', kind: 'protocol', method: 'GET', path: what, psaMessage: `not a date: ${value}` });
  return day;
}
const contractChargeSchema = z.object({ id: z.number().int() }).passthrough();
/**
 * Pieces worth a `contains` filter: fragments of the scorer's words (a typo spoils at most one
 * half of a word, so "Umbrela Helth" still finds "Umbrella Health"), short ones dropped, a few
 * at most. Ranking the rows is nameSimilarity's job.
 */
const searchWords = (name: string): string[] => searchFragments(name).filter((t) => t.length >= 3).slice(0, 8);

export function createAutotaskGateway(deps: AutotaskGatewayDeps): AutotaskGateway {
  const client = createAutotaskClient(deps);
  const picklists = createPicklists(client);
  const { journal } = deps;
  const logger: Logger = deps.logger ?? silentLogger;
  const sleep: Sleep = deps.sleep ?? realSleep;
  const random = deps.random ?? Math.random;
  const now = deps.now ?? Date.now;
  const writeAttempts = deps.writeAttempts ?? 5;

  /**
   * Writes once, or — when a failure leaves open whether the PSA applied it — looks first and
   * writes again only if it did not land. Refused requests (429, timeouts before sending) retry.
   */
  async function writeOnce<T>(write: () => Promise<T>, look: () => Promise<T | null>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (!isPsaError(error) || (!error.retryable && !error.maybeApplied) || attempt >= writeAttempts) throw error;
        if (error.maybeApplied) {
          const found = await look();
          if (found !== null) return found;
        }
        logger.warn('autotask write retry', { attempt, kind: error.kind, status: error.status });
        await sleep(Math.max(error.retryAfterMs ?? 0, backoffDelay(attempt, { ...defaultRetryPolicy, ...deps.retry }, random)));
      }
    }
  }

  /**
   * begin → run → complete, or the journaled result when the key was applied before. `run`
   * must be safe for a key left `started`: contract-service writes look before they create,
   * and a price PATCH is the same write twice.
   */
  async function journaled(op: KeyedOperation, lineKey: string, run: () => Promise<Outcome>): Promise<AppliedOperation> {
    const entry = await journal.get(op.idempotencyKey);
    if (entry?.state === 'done' && entry.result) return { ...entry.result, replayed: true };
    if (!entry) await journal.begin(op.idempotencyKey, op.operation);
    const result: AppliedOperation = { idempotencyKey: op.idempotencyKey, lineKey, ...(await run()), replayed: false };
    await journal.complete(result);
    return result;
  }

  const findContractService = async (contractId: number, serviceId: number): Promise<AtContractServiceRow | null> =>
    (await client.query('ContractServices', { filter: [q.eq('contractID', contractId), q.eq('serviceID', serviceId)] }, contractServiceSchema, 1))[0] ?? null;

  const currentPrice = (cs: AtContractServiceRow): Money => customerCurrencyPrice(cs);

  async function readSlices(contractServiceId: number): Promise<(UnitsSlice & { posted: boolean })[]> {
    const rows = await client.query('ContractServiceUnits', { filter: [q.eq('contractServiceID', contractServiceId)] }, contractServiceUnitSchema);
    return rows.map((r) => ({
      startDate: dateOf(r.startDate, '/ContractServiceUnits'),
      endDate: dateOf(r.endDate, '/ContractServiceUnits'),
      units: r.units,
      posted: r.approveAndPostDate !== null,
    }));
  }

  async function setPrice(contractId: number, contractServiceId: number, unitPrice: Money): Promise<void> {
    await client.update(`/Contracts/${contractId}/Services`, { id: contractServiceId, adjustedPrice: moneyToJsonNumber(unitPrice) });
  }

  /**
   * §6 accepted SaaS reconciliation: a one-off ContractCharge (quantity 1, the month's delta cost
   * and price). ContractCharges have no internal description, so the charge key goes at the end
   * of its `description` (a queryable field of the entity); we look for it before writing (like
   * contract services), so a write whose answer was lost is never posted twice. Autotask wants a
   * billing code or a product on a charge: the billing code of the subscription's service.
   */
  async function createContractCharge(target: PsaTarget, op: Extract<AtOperation, { type: 'at.create-contract-charge' }>): Promise<Outcome> {
    const c = op.charge;
    const tag = `[${c.chargeKey}]`;
    const look = async () =>
      (await client.query('ContractCharges', { filter: [q.eq('contractID', target.agreementId), q.contains('description', tag)] }, contractChargeSchema, 1))[0]?.id ?? null;
    const existing = await look();
    if (existing !== null) return { psaId: existing };
    const billingCodeID = await chargeBillingCodeId(target, c.productId);
    const chargeType = await picklists.valueOf('ContractCharges', 'chargeType', CONCEPTS.operationalCharge);
    const id = await writeOnce(
      () =>
        client.create(`/Contracts/${target.agreementId}/Charges`, {
          contractID: target.agreementId,
          name: `Billing reconciliation ${c.date.slice(0, 7)}`,
          description: `${target.description} ${tag}`,
          chargeType,
          billingCodeID,
          datePurchased: psaDateTime(c.date),
          unitQuantity: c.quantity,
          unitCost: moneyToJsonNumber(c.unitCost),
          unitPrice: moneyToJsonNumber(c.unitPrice),
          isBillableToCompany: true,
        }),
      look,
    );
    return { psaId: id };
  }

  async function chargeBillingCodeId(target: PsaTarget, productId: string): Promise<number> {
    if (deps.chargeBillingCodeId !== undefined) return deps.chargeBillingCodeId;
    const serviceId = target.productIds[productId];
    const service = serviceId === undefined ? null : await client.get('Services', serviceId, serviceSchema);
    return service?.billingCodeID ?? defaultBillingCodeId();
  }

  async function createContractService(target: PsaTarget, op: Extract<AtOperation, { type: 'at.create-contract-service' }>): Promise<Outcome> {
    const serviceId = target.productIds[op.service.productId];
    if (serviceId === undefined) throw new PsaSetupError(`no Autotask service mapped for product ${op.service.productId}`);
    // One contract service per service per contract: an existing one (ours from before a
    // crash, or the MSP's) is adopted instead of failing on a duplicate.
    const existing = await findContractService(target.agreementId, serviceId);
    if (existing) {
      if (!moneyEquals(currentPrice(existing), op.service.unitPrice)) await setPrice(target.agreementId, existing.id, op.service.unitPrice);
      return { psaId: existing.id };
    }
    const id = await writeOnce(
      () =>
        client.create(`/Contracts/${target.agreementId}/Services`, {
          contractID: target.agreementId,
          serviceID: serviceId,
          adjustedPrice: moneyToJsonNumber(op.service.unitPrice),
          // Autotask fills the cost from the service; sent for tenants that accept it.
          unitCost: moneyToJsonNumber(op.service.unitCost),
          internalDescription: psaLineText('autotask', descriptionFor(target, op.service.productId)),
        }),
      async () => (await findContractService(target.agreementId, serviceId))?.id ?? null,
    );
    return { psaId: id };
  }

  /**
   * One contract service's adjustments, written one by one in the order given (the planner puts
   * increases before decreases, so the units never dip below zero on the way). Each is posted
   * on its own date — the planner chose a day the contract service holds no adjustment on — so
   * nothing is read first. Autotask is read only when needed:
   * - a key left `started` (we crashed, or the answer was lost): did it land? It sits on its own
   *   day, or — if that day was taken by someone else's adjustment — on the first free day after;
   * - Autotask refuses the day (another adjustment landed there meanwhile): the first free day
   *   after it is taken instead (§5), and the result says so (`shiftedFrom`).
   */
  async function applyAdjustments(target: PsaTarget, contractServiceId: number, ops: { op: KeyedOperation; change: AdjustUnits }[]): Promise<AppliedOperation[]> {
    const results: AppliedOperation[] = [];
    const taken = async () => adjustmentDates(await readSlices(contractServiceId));
    const landed = (dates: ReadonlyMap<IsoDate, number>, day: IsoDate, unitChange: number): IsoDate | null =>
      dates.get(day) === unitChange ? day : landedOn(day, unitChange, dates);
    // Changes for one day are one adjustment (Autotask keeps one per day): grouped, in order of first appearance.
    const byDay = new Map<IsoDate, typeof ops>();
    for (const o of ops) byDay.set(o.change.effectiveDate, [...(byDay.get(o.change.effectiveDate) ?? []), o]);
    for (const [day, members] of byDay) {
      const entries = await Promise.all(members.map(({ op }) => journal.get(op.idempotencyKey)));
      const open = members.filter((m, i) => {
        const entry = entries[i];
        if (entry?.state === 'done' && entry.result) results.push({ ...entry.result, replayed: true });
        return entry?.state !== 'done';
      });
      if (open.length === 0) continue;
      const finish = async (postDate: IsoDate) => {
        for (const { op, change } of open) {
          const result: AppliedOperation = {
            idempotencyKey: op.idempotencyKey,
            lineKey: change.serviceKey,
            psaId: contractServiceId,
            effectiveDate: postDate,
            ...(postDate !== change.effectiveDate ? { shiftedFrom: change.effectiveDate } : {}),
            replayed: false,
          };
          await journal.complete(result);
          results.push(result);
        }
      };
      const unitChange = open.reduce((n, m) => n + m.change.unitChange, 0);
      if (open.some(({ op }) => entries[members.findIndex((m) => m.op === op)]?.state === 'started')) {
        const found = unitChange === 0 ? day : landed(await taken(), day, unitChange);
        if (found) {
          logger.info('autotask adjustment found after an unfinished write', { contractServiceId, effectiveDate: found });
          await finish(found);
          continue;
        }
      }
      for (const [i, { op }] of members.entries()) if (!entries[i]) await journal.begin(op.idempotencyKey, op.operation);
      if (unitChange === 0) {
        await finish(day); // changes that cancel out: nothing to write
        continue;
      }
      await finish(await postAdjustment(target, contractServiceId, { ...open[0]!.change, unitChange }, async (d) => landed(await taken(), d, unitChange)));
    }
    return results;
  }

  /** The service a contract service is for: from the planner key `<subscription>/<product>` when it names a mapped product, else read once. */
  const serviceIds = new Map<number, number>();
  async function serviceIdOf(target: PsaTarget, contractServiceId: number, serviceKey: string): Promise<number> {
    const known = serviceIds.get(contractServiceId) ?? target.productIds[serviceKey.slice(serviceKey.lastIndexOf('/') + 1)];
    if (known !== undefined) return known;
    const line = await client.get('ContractServices', contractServiceId, contractServiceSchema);
    if (!line) throw new PsaSetupError(`Autotask contract service ${contractServiceId} does not exist`);
    serviceIds.set(contractServiceId, line.serviceID);
    return line.serviceID;
  }

  /** Posts one adjustment on its day, or on the first free day after it when Autotask refuses the day as taken. */
  async function postAdjustment(target: PsaTarget, contractServiceId: number, change: AdjustUnits, look: (day: IsoDate) => Promise<IsoDate | null>): Promise<IsoDate> {
    const serviceID = await serviceIdOf(target, contractServiceId, change.serviceKey);
    let day = change.effectiveDate;
    for (let shifts = 0; ; shifts++) {
      try {
        const posting = day;
        return await writeOnce<IsoDate>(
          async () => {
            await client.create(`/Contracts/${target.agreementId}/ServiceAdjustments`, {
              contractID: target.agreementId,
              serviceID,
              contractServiceID: contractServiceId,
              effectiveDate: psaDateTime(posting),
              unitChange: change.unitChange,
            });
            return posting;
          },
          () => look(posting),
        );
      } catch (error) {
        if (!isDayTaken(error) || shifts >= 31) throw error;
        day = firstFreeDate(addDays(day, 1), adjustmentDates(await readSlices(contractServiceId)));
      }
    }
  }

  async function defaultBillingCodeId(): Promise<number> {
    if (deps.serviceBillingCodeId !== undefined) return deps.serviceBillingCodeId;
    const useType = await picklists.valueOf('BillingCodes', 'useType', CONCEPTS.recurringContractService);
    const [code] = await client.query('BillingCodes', { filter: [q.eq('useType', useType), q.eq('isActive', true)] }, billingCodeSchema, 1);
    if (!code) throw new PsaSetupError('Autotask has no active Recurring Contract Service billing code');
    return code.id;
  }


  return {
    psa: 'autotask',
    client,

    async testCredentials() {
      await client.thresholdInformation();
    },

    async findCompanies(name, limit = 10) {
      const words = searchWords(name);
      const filter: Filter[] = [
        words.length > 1 ? q.or(...words.map((w) => q.contains('companyName', w))) : q.contains('companyName', words[0] ?? name.trim()),
      ];
      const rows = await client.query('Companies', { filter }, companySchema, 500);
      return rankByName(name, rows, (c) => c.companyName)
        .slice(0, limit)
        .map(({ item: c, score }): CompanyMatch => ({ id: c.id, name: c.companyName, ...(c.companyNumber ? { identifier: c.companyNumber } : {}), score }));
    },

    async createCompany(input) {
      const defaults = deps.companyDefaults ?? {};
      const ownerResourceID =
        defaults.ownerResourceId ??
        (await client.query('Resources', { filter: [q.eq('isActive', true)], MaxRecords: 1 }, resourceSchema, 1))[0]?.id;
      if (ownerResourceID === undefined) throw new PsaSetupError('Autotask has no active resource to own new companies; set companyDefaults.ownerResourceId');
      const id = await client.create('/Companies', {
        companyName: input.name,
        ...(input.identifier ? { companyNumber: input.identifier } : {}),
        companyType: await picklists.valueOf('Companies', 'companyType', defaults.companyTypeLabel ? exactLabel(defaults.companyTypeLabel) : CONCEPTS.customer),
        phone: defaults.phone ?? '000-000-0000',
        ownerResourceID,
        isActive: true,
      });
      return { id };
    },

    async findCatalogItems(query, limit = 10) {
      const alternatives: Filter[] = [
        ...(query.partNumber ? [q.eq('sku', query.partNumber)] : []),
        ...(query.name ? searchWords(query.name).map((w) => q.contains('name', w)) : []),
      ];
      if (alternatives.length === 0) return [];
      const rows = await client.query('Services', { filter: [alternatives.length > 1 ? q.or(...alternatives) : alternatives[0]!] }, serviceSchema, 500);
      return rows
        .map((s): CatalogMatch => ({
          id: s.id,
          name: s.name,
          ...(s.sku ? { partNumber: s.sku } : {}),
          score: query.partNumber && s.sku?.toLowerCase() === query.partNumber.toLowerCase() ? 1 : query.name ? nameSimilarity(query.name, s.name) : 0,
        }))
        .sort((a, b) => b.score - a.score || a.id - b.id)
        .slice(0, limit);
    },

    async createCatalogItem(input) {
      const id = await client.create('/Services', {
        name: input.name,
        sku: input.partNumber,
        ...(input.description ? { description: input.description } : {}),
        unitPrice: moneyToJsonNumber(input.unitPrice),
        unitCost: moneyToJsonNumber(input.unitCost),
        periodType: await picklists.valueOf('Services', 'periodType', CONCEPTS[input.periodType]),
        billingCodeID: await defaultBillingCodeId(),
        isActive: true,
      });
      return { id };
    },

    // Global sync: PATCH only the given fields. Autotask keeps the country as a countryID
    // reference and the provider as a vendor company; neither is resolved by name here, so
    // they are reported `unsupported` rather than written wrongly.
    async updateCompany(companyId, f): Promise<RecordUpdateResult> {
      const fields = {
        companyName: f.name,
        address1: f.address,
        city: f.city,
        state: f.state,
        postalCode: f.zip,
      };
      const names = { companyName: 'name', address1: 'address', city: 'city', state: 'state', postalCode: 'zip' } as const;
      const body = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
      if (Object.keys(body).length) await client.update('/Companies', { id: companyId, ...body });
      return { written: Object.keys(body).map((k) => names[k as keyof typeof names]), unsupported: f.country === undefined ? [] : ['country'] };
    },

    async updateCatalogItem(serviceId, f): Promise<RecordUpdateResult> {
      const fields = {
        name: f.name,
        description: f.description,
        sku: f.partNumber,
        unitPrice: f.unitPrice === undefined ? undefined : moneyToJsonNumber(f.unitPrice),
        unitCost: f.unitCost === undefined ? undefined : moneyToJsonNumber(f.unitCost),
      };
      const names = { name: 'name', description: 'description', sku: 'partNumber', unitPrice: 'unitPrice', unitCost: 'unitCost' } as const;
      const body = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
      if (Object.keys(body).length) await client.update('/Services', { id: serviceId, ...body });
      return { written: Object.keys(body).map((k) => names[k as keyof typeof names]), unsupported: f.provider === undefined ? [] : ['provider'] };
    },

    async listAgreements(companyId) {
      const rows = await client.query(
        'Contracts',
        { filter: [q.eq('companyID', companyId), q.eq('contractType', RECURRING_SERVICE_CONTRACT_TYPE)] },
        contractSchema,
      );
      const out: AgreementSummary[] = [];
      for (const c of rows) {
        const period = c.contractPeriodType;
        const periodType =
          period == null ? null
          : (await picklists.is('Contracts', 'contractPeriodType', period, CONCEPTS.monthly)) ? 'monthly'
          : (await picklists.is('Contracts', 'contractPeriodType', period, CONCEPTS.yearly)) ? 'yearly'
          : null;
        // The connector bills monthly or yearly; quarterly/semi-annual contracts are not offered.
        if (!periodType) continue;
        const where = `/Contracts/${c.id}`;
        out.push({ id: c.id, name: c.contractName, companyId: c.companyID, startDate: dateOf(c.startDate, where), endDate: c.endDate ? dateOf(c.endDate, where) : null, periodType });
      }
      return out;
    },

    async apply(target, operations, lineIds) {
      const ids: Record<string, number> = { ...lineIds };
      const results = new Map<string, AppliedOperation>();
      const adjustments = new Map<string, { op: KeyedOperation; change: AdjustUnits }[]>();
      // Contract services first, in plan order; their ids are what adjustments write against.
      for (const keyed of operations) {
        const op = keyed.operation;
        switch (op.type) {
          case 'at.create-contract-service': {
            const applied = await journaled(keyed, op.service.serviceKey, () => createContractService(target, op));
            if (applied.psaId !== null) ids[op.service.serviceKey] = applied.psaId;
            results.set(keyed.idempotencyKey, applied);
            break;
          }
          case 'at.update-contract-service': {
            const csId = ids[op.serviceKey];
            if (csId === undefined) throw new PsaSetupError(`no Autotask contract service known for ${op.serviceKey}`);
            // Only the price is writable on a contract service; its cost stays the service's.
            results.set(keyed.idempotencyKey, await journaled(keyed, op.serviceKey, async () => {
              await setPrice(target.agreementId, csId, op.unitPrice);
              return { psaId: csId };
            }));
            break;
          }
          case 'at.create-contract-charge':
            results.set(keyed.idempotencyKey, await journaled(keyed, op.charge.chargeKey, () => createContractCharge(target, op)));
            break;
          case 'at.adjust-units':
            adjustments.set(op.serviceKey, [...(adjustments.get(op.serviceKey) ?? []), { op: keyed, change: op }]);
            break;
          default:
            throw new PsaSetupError(`the Autotask gateway cannot apply ${op.type}`);
        }
      }
      // Contract services are independent: adjust them side by side (the client's limiter
      // keeps each endpoint within Autotask's thread limit).
      const perService = await Promise.all(
        [...adjustments].map(([serviceKey, ops]) => {
          const csId = ids[serviceKey];
          if (csId === undefined) throw new PsaSetupError(`no Autotask contract service known for ${serviceKey}`);
          return applyAdjustments(target, csId, ops);
        }),
      );
      for (const r of perService.flat()) results.set(r.idempotencyKey, r);
      return operations.map((o) => results.get(o.idempotencyKey)!);
    },

    async readLine(_target, psaId, on) {
      const line = await client.get('ContractServices', psaId, contractServiceSchema);
      if (!line) throw new PsaSetupError(`Autotask contract service ${psaId} does not exist`);
      const slices = await readSlices(psaId);
      const snapshot: PsaLineSnapshot = {
        psaId,
        // Units live in the unit periods: those in force on the day asked for (default today).
        quantity: unitsOn(on ?? isoDateOf(now()), slices),
        unitPrice: currentPrice(line),
        unitCost: moneyFromJsonNumber(line.unitCost ?? 0),
        invoiced: slices.some((s) => s.posted),
      };
      return snapshot;
    },

    pushServiceCatalog: (plans) => pushServiceCatalog({ client, picklists, logger }, plans),
  };
}
