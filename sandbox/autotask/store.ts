/**
 * The sandbox's Autotask database: state plus the business rules Autotask enforces on writes
 * (docs/psa-apis.md §2.8–2.9, docs/psa-apis.md). Rule violations throw AutotaskRuleError,
 * which the server answers the way Autotask does: HTTP 500 with `{"errors": [...]}`.
 */
import { z } from 'zod';
import { isIsoDate, type IsoDate } from '../../domain/dates';
import { contractServiceUnits, dateOf, dateTimeOf, toCustomerCurrency, toInternalCurrency, type PostedState } from './contract-units';
import {
  type AtBillingCode,
  type AtCompany,
  type AtContract,
  type AtContractCharge,
  type AtContractService,
  type AtContractServiceAdjustment,
  type AtContractServiceUnit,
  type AtResource,
  type AtService,
} from './entities';
import { createTenantClock } from '../shared/tenant-time';
import { RECURRING_CONTRACT_SERVICE_USE_TYPE, RECURRING_SERVICE_CONTRACT, type AutotaskTenantProfile } from './tenant';

export interface AutotaskSandboxState {
  nextId: number;
  companies: AtCompany[];
  resources: AtResource[];
  billingCodes: AtBillingCode[];
  services: AtService[];
  contracts: AtContract[];
  contractServices: AtContractService[];
  adjustments: AtContractServiceAdjustment[];
  /** One-off contract charges (absent in state files saved before they existed). */
  contractCharges?: AtContractCharge[];
  /** Approve-and-post state per contract id. */
  posted: Record<string, PostedState>;
}

export const emptyState = (): AutotaskSandboxState => ({
  nextId: 1000,
  companies: [],
  resources: [],
  billingCodes: [],
  services: [],
  contracts: [],
  contractServices: [],
  adjustments: [],
  contractCharges: [],
  posted: {},
});

/** A business-rule or validation failure; Autotask reports these as HTTP 500. */
export class AutotaskRuleError extends Error {
  constructor(readonly errors: string[]) {
    super(errors.join(' '));
  }
}
export class AutotaskNotFoundError extends Error {}

// ---------------------------------------------------------------- body parsing

const dateField = z.string().transform((s, ctx) => {
  const d = s.slice(0, 10);
  if (!isIsoDate(d)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${s}" is not a valid date.` });
    return z.NEVER;
  }
  return dateTimeOf(d);
});
const int = z.number().int();
const amount = z.number().finite();

/** Field-level messages in Autotask's plain-English style. */
function parseBody<T extends z.ZodTypeAny>(schema: T, body: unknown, entity: string): z.output<T> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  throw new AutotaskRuleError(
    result.error.issues.map((i) => {
      const field = i.path.join('.');
      const missing = i.code === z.ZodIssueCode.invalid_type && i.received === 'undefined';
      return missing ? `${entity}: Missing Required Field: ${field}.` : `${entity}: Invalid value for field ${field}: ${i.message}`;
    }),
  );
}

const companyCreate = z.object({
  companyName: z.string().min(1),
  companyType: int,
  phone: z.string().min(1),
  ownerResourceID: int,
  isActive: z.boolean().default(true),
  companyNumber: z.string().nullish(),
  currencyID: int.nullish(),
  userDefinedFields: z.array(z.object({ name: z.string(), value: z.string().nullable() })).default([]),
});
const contractCreate = z.object({
  contractName: z.string().min(1),
  companyID: int,
  contractType: int,
  status: int,
  startDate: dateField,
  endDate: dateField,
  contractPeriodType: int.nullish(),
  timeReportingRequiresStartAndStopTimes: int,
  description: z.string().nullish(),
  userDefinedFields: z.array(z.object({ name: z.string(), value: z.string().nullable() })).default([]),
});
const serviceCreate = z.object({
  name: z.string().min(1),
  billingCodeID: int,
  periodType: int,
  unitPrice: amount,
  unitCost: amount.nullish(),
  description: z.string().nullish(),
  invoiceDescription: z.string().nullish(),
  isActive: z.boolean().default(true),
  sku: z.string().nullish(),
  externalID: z.string().nullish(),
});
const contractServiceCreate = z.object({
  contractID: int,
  serviceID: int,
  adjustedPrice: amount.nullish(),
  unitCost: amount.nullish(),
  // The entity's field information: 1000 and 100 characters (the swagger publishes no lengths).
  invoiceDescription: z.string().max(1000).nullish(),
  internalDescription: z.string().max(100).nullish(),
  quoteItemID: int.nullish(),
});
// Unknown properties are ignored, as Autotask's model binding does; the conformance test is
// what catches a client sending fields the entity does not have.
const contractChargeCreate = z.object({
  contractID: int,
  name: z.string().min(1).max(100),
  description: z.string().max(4000).nullish(),
  chargeType: int,
  status: int.nullish(),
  billingCodeID: int.nullish(),
  productID: int.nullish(),
  datePurchased: dateField,
  unitQuantity: amount,
  unitCost: amount.nullish(),
  unitPrice: amount.nullish(),
  isBillableToCompany: z.boolean(),
  purchaseOrderNumber: z.string().max(50).nullish(),
  internalPurchaseOrderNumber: z.string().max(50).nullish(),
});
const adjustmentCreate = z.object({
  contractID: int,
  serviceID: int.optional(),
  contractServiceID: int.optional(),
  effectiveDate: dateField,
  unitChange: int,
  adjustedUnitPrice: amount.nullish(),
  adjustedUnitCost: amount.nullish(),
  allowRepeatService: z.boolean().optional(),
  quoteItemID: int.nullish(),
});
const withId = z.object({ id: int });

/** PATCH changes the fields sent; PUT replaces the record, so omitted fields become null (§2.3). */
export type UpdateMode = 'patch' | 'put';
const merge = (row: object, body: unknown, mode: UpdateMode): unknown => (mode === 'put' ? body : { ...row, ...(body as object) });

// ---------------------------------------------------------------- the store

export type AutotaskStore = ReturnType<typeof createAutotaskStore>;

export function createAutotaskStore(state: AutotaskSandboxState, today: () => IsoDate, tenant: AutotaskTenantProfile) {
  const PICKLISTS = tenant.picklists as Record<string, Record<string, Record<number, string>>> & {
    Companies: { companyType: Record<number, string> };
    Contracts: { contractType: Record<number, string>; status: Record<number, string>; contractPeriodType: Record<number, string> };
    Services: { periodType: Record<number, string> };
    ContractCharges: { chargeType: Record<number, string>; status: Record<number, string> };
  };
  const nextId = () => state.nextId++;
  const now = () => `${today()}T00:00:00Z`;

  const find = <T extends { id: number }>(rows: T[], id: number, entity: string): T => {
    const row = rows.find((r) => r.id === id);
    if (!row) throw new AutotaskRuleError([`${entity}: Reference value ${id} does not exist.`]);
    return row;
  };
  const picklist = (list: Record<number, string>, value: number, entity: string, field: string) => {
    if (!(value in list)) throw new AutotaskRuleError([`${entity}: Value ${value} is not a valid picklist value for field ${field}.`]);
  };
  const nameTaken = (name: string, exceptId?: number) =>
    state.services.some((s) => s.id !== exceptId && s.name.trim().toLowerCase() === name.trim().toLowerCase());

  function checkServiceRules(s: Pick<AtService, 'name' | 'billingCodeID' | 'periodType'>, exceptId?: number) {
    if (nameTaken(s.name, exceptId)) {
      throw new AutotaskRuleError([`Services: A Service with the name '${s.name}' already exists. Service names must be unique.`]);
    }
    const code = find(state.billingCodes, s.billingCodeID, 'Services');
    if (!code.isActive || code.useType !== RECURRING_CONTRACT_SERVICE_USE_TYPE) {
      throw new AutotaskRuleError([`Services: billingCodeID ${s.billingCodeID} must be an active Recurring Contract Service billing code.`]);
    }
    picklist(PICKLISTS.Services.periodType, s.periodType, 'Services', 'periodType');
  }

  function checkContractRules(c: Pick<AtContract, 'companyID' | 'contractType' | 'status' | 'startDate' | 'endDate' | 'contractPeriodType'>) {
    find(state.companies, c.companyID, 'Contracts');
    picklist(PICKLISTS.Contracts.contractType, c.contractType, 'Contracts', 'contractType');
    picklist(PICKLISTS.Contracts.status, c.status, 'Contracts', 'status');
    if (c.endDate < c.startDate) throw new AutotaskRuleError(['Contracts: The end date must be on or after the start date.']);
    if (c.contractType === RECURRING_SERVICE_CONTRACT) {
      if (c.contractPeriodType === null || c.contractPeriodType === undefined) {
        throw new AutotaskRuleError(['Contracts: Missing Required Field: contractPeriodType.']);
      }
      picklist(PICKLISTS.Contracts.contractPeriodType, c.contractPeriodType, 'Contracts', 'contractPeriodType');
    }
  }

  const recurringContract = (id: number, entity: string): AtContract => {
    const contract = find(state.contracts, id, entity);
    if (contract.contractType !== RECURRING_SERVICE_CONTRACT) {
      throw new AutotaskRuleError([`${entity}: Contract ${id} is not a Recurring Service contract.`]);
    }
    return contract;
  };

  /** Customer-currency units per internal unit for a contract's company (1 without the Multi-currency module). */
  function exchangeRateOf(contract: AtContract): number {
    const company = state.companies.find((c) => c.id === contract.companyID);
    const currency = tenant.currencies.find((c) => c.id === company?.currencyID);
    return currency && !currency.isInternalCurrency ? currency.exchangeRate : 1;
  }

  function addContractService(contract: AtContract, serviceId: number, input: Partial<AtContractService>): AtContractService {
    const service = find(state.services, serviceId, 'ContractServices');
    if (state.contractServices.some((cs) => cs.contractID === contract.id && cs.serviceID === serviceId)) {
      throw new AutotaskRuleError([`ContractServices: Service ${serviceId} is already on contract ${contract.id}.`]);
    }
    // Services are priced in the internal currency; a contract service speaks the customer's.
    const rate = exchangeRateOf(contract);
    const unitPrice = toCustomerCurrency(service.unitPrice, rate);
    const adjustedPrice = input.adjustedPrice ?? unitPrice;
    const row: AtContractService = {
      id: nextId(),
      contractID: contract.id,
      serviceID: serviceId,
      unitPrice,
      unitCost: input.unitCost ?? service.unitCost,
      adjustedPrice,
      internalCurrencyAdjustedPrice: toInternalCurrency(adjustedPrice, rate),
      internalCurrencyUnitPrice: service.unitPrice,
      invoiceDescription: input.invoiceDescription ?? service.invoiceDescription,
      internalDescription: input.internalDescription ?? null,
      quoteItemID: input.quoteItemID ?? null,
    };
    state.contractServices.push(row);
    return row;
  }

  /**
   * A stored row as the API answers with it: date-only fields (kept as the tenant's calendar day)
   * as the UTC instant that day starts in the tenant's zone ("The REST API stores and returns all
   * time data in UTC"), and no `adjustedPrice` on contract services (not a field of the model).
   */
  const clock = createTenantClock(tenant.timeZone);
  const DATE_ONLY: Record<string, readonly string[]> = {
    Contracts: ['startDate', 'endDate'],
    ContractServiceUnits: ['startDate', 'endDate'],
    ContractCharges: ['datePurchased'],
  };
  function present(entity: string, row: object): object {
    const out: Record<string, unknown> = { ...row };
    for (const f of DATE_ONLY[entity] ?? []) if (typeof out[f] === 'string') out[f] = clock.startOfDay(dateOf(out[f] as string));
    if (entity === 'ContractServices') delete out.adjustedPrice;
    return out;
  }

  const units = (): AtContractServiceUnit[] =>
    state.contractServices.flatMap((cs) => {
      const contract = state.contracts.find((c) => c.id === cs.contractID);
      return contract
        ? contractServiceUnits(contract, cs, state.adjustments, state.posted[String(contract.id)], { boundary: tenant.unitPeriodBoundary, exchangeRate: exchangeRateOf(contract) })
        : [];
    });

  return {
    state,
    /** Rows each queryable entity exposes (as the API presents them), keyed by canonical entity name. */
    rows: Object.fromEntries(
      Object.entries({
        Companies: () => state.companies,
        Resources: () => state.resources,
        BillingCodes: () => state.billingCodes,
        Services: () => state.services,
        Contracts: () => state.contracts,
        ContractServices: () => state.contractServices,
        ContractCharges: () => state.contractCharges ?? [],
        ContractServiceUnits: units,
      } as Record<string, () => readonly object[]>).map(([entity, list]) => [entity, () => list().map((row) => present(entity, row))]),
    ) as Record<string, () => readonly object[]>,

    createCompany(body: unknown): number {
      const input = parseBody(companyCreate, body, 'Companies');
      picklist(PICKLISTS.Companies.companyType, input.companyType, 'Companies', 'companyType');
      find(state.resources, input.ownerResourceID, 'Companies');
      const row: AtCompany = { id: nextId(), ...input, companyNumber: input.companyNumber ?? null, currencyID: input.currencyID ?? null, createDate: now() };
      state.companies.push(row);
      return row.id;
    },

    updateCompany(body: unknown, mode: UpdateMode): number {
      const { id } = parseBody(withId, body, 'Companies');
      const row = find(state.companies, id, 'Companies');
      const next = parseBody(companyCreate, merge(row, body, mode), 'Companies');
      picklist(PICKLISTS.Companies.companyType, next.companyType, 'Companies', 'companyType');
      Object.assign(row, next, { id, currencyID: next.currencyID ?? null });
      return id;
    },

    createContract(body: unknown): number {
      const input = parseBody(contractCreate, body, 'Contracts');
      const row: AtContract = { id: nextId(), ...input, contractPeriodType: input.contractPeriodType ?? null, description: input.description ?? null };
      checkContractRules(row);
      state.contracts.push(row);
      return row.id;
    },

    updateContract(body: unknown, mode: UpdateMode): number {
      const { id } = parseBody(withId, body, 'Contracts');
      const row = find(state.contracts, id, 'Contracts');
      const next = parseBody(contractCreate, merge(row, body, mode), 'Contracts');
      const hasServices = state.contractServices.some((cs) => cs.contractID === id);
      if (hasServices && next.startDate !== row.startDate) {
        throw new AutotaskRuleError(['Contracts: The start date of a recurring service contract cannot change once it has services.']);
      }
      const posted = state.posted[String(id)];
      if (posted && dateOf(next.endDate) < posted.through) {
        throw new AutotaskRuleError(['Contracts: The end date cannot be moved into a period that has been approved and posted.']);
      }
      const merged: AtContract = { ...row, ...next, id, contractPeriodType: next.contractPeriodType ?? null, description: next.description ?? null };
      checkContractRules(merged);
      Object.assign(row, merged);
      return id;
    },

    createService(body: unknown): number {
      const input = parseBody(serviceCreate, body, 'Services');
      const row: AtService = {
        id: nextId(),
        ...input,
        unitCost: input.unitCost ?? null,
        description: input.description ?? null,
        invoiceDescription: input.invoiceDescription ?? null,
        sku: input.sku ?? null,
        externalID: input.externalID ?? null,
        createDate: now(),
        lastModifiedDate: now(),
      };
      checkServiceRules(row);
      state.services.push(row);
      return row.id;
    },

    updateService(body: unknown, mode: UpdateMode): number {
      const { id } = parseBody(withId, body, 'Services');
      const row = find(state.services, id, 'Services');
      const next = parseBody(serviceCreate, merge(row, body, mode), 'Services');
      checkServiceRules(next, id);
      Object.assign(row, next, { id, lastModifiedDate: now() });
      return id;
    },

    createContractService(parentContractId: number, body: unknown): number {
      const input = parseBody(contractServiceCreate, body, 'ContractServices');
      if (input.contractID !== parentContractId) {
        throw new AutotaskRuleError([`ContractServices: contractID ${input.contractID} does not match the parent contract ${parentContractId}.`]);
      }
      const contract = recurringContract(parentContractId, 'ContractServices');
      const { serviceID, ...rest } = input;
      return addContractService(contract, serviceID, {
        adjustedPrice: rest.adjustedPrice ?? null,
        unitCost: rest.unitCost ?? null,
        invoiceDescription: rest.invoiceDescription ?? null,
        internalDescription: rest.internalDescription ?? null,
        quoteItemID: rest.quoteItemID ?? null,
      }).id;
    },

    /** Only `adjustedPrice` and `invoiceDescription` are writable on update (§2.8); others are ignored. */
    updateContractService(parentContractId: number, body: unknown): number {
      const input = parseBody(
        withId.extend({ adjustedPrice: amount.nullish(), invoiceDescription: z.string().nullish() }),
        body,
        'ContractServices',
      );
      const row = find(state.contractServices, input.id, 'ContractServices');
      if (row.contractID !== parentContractId) throw new AutotaskNotFoundError(`ContractService ${input.id} is not on contract ${parentContractId}.`);
      if (input.adjustedPrice !== undefined) {
        row.adjustedPrice = input.adjustedPrice;
        const contract = find(state.contracts, row.contractID, 'ContractServices');
        row.internalCurrencyAdjustedPrice = input.adjustedPrice === null ? null : toInternalCurrency(input.adjustedPrice, exchangeRateOf(contract));
      }
      if (input.invoiceDescription !== undefined) row.invoiceDescription = input.invoiceDescription;
      return row.id;
    },

    /** ContractCharges are created under their contract (`POST /Contracts/{id}/Charges`). */
    createContractCharge(parentContractId: number, body: unknown): number {
      const input = parseBody(contractChargeCreate, body, 'ContractCharges');
      if (input.contractID !== parentContractId) {
        throw new AutotaskRuleError([`ContractCharges: contractID ${input.contractID} does not match the parent contract ${parentContractId}.`]);
      }
      find(state.contracts, parentContractId, 'ContractCharges');
      picklist(PICKLISTS.ContractCharges.chargeType, input.chargeType, 'ContractCharges', 'chargeType');
      if (input.status != null) picklist(PICKLISTS.ContractCharges.status, input.status, 'ContractCharges', 'status');
      if (input.billingCodeID == null && input.productID == null) {
        throw new AutotaskRuleError(['ContractCharges: Either productID or billingCodeID is required.']);
      }
      if (input.billingCodeID != null && !find(state.billingCodes, input.billingCodeID, 'ContractCharges').isActive) {
        throw new AutotaskRuleError([`ContractCharges: billingCodeID ${input.billingCodeID} is not active.`]);
      }
      const row: AtContractCharge = {
        id: nextId(),
        contractID: input.contractID,
        name: input.name,
        description: input.description ?? null,
        chargeType: input.chargeType,
        status: input.status ?? null,
        billingCodeID: input.billingCodeID ?? null,
        productID: input.productID ?? null,
        datePurchased: input.datePurchased,
        unitQuantity: input.unitQuantity,
        unitCost: input.unitCost ?? null,
        unitPrice: input.unitPrice ?? null,
        isBillableToCompany: input.isBillableToCompany,
        isBilled: false,
        purchaseOrderNumber: input.purchaseOrderNumber ?? null,
        internalPurchaseOrderNumber: input.internalPurchaseOrderNumber ?? null,
        createDate: now(),
      };
      (state.contractCharges ??= []).push(row);
      return row.id;
    },

    createAdjustment(body: unknown, parentContractId?: number): number {
      const input = parseBody(adjustmentCreate, body, 'ContractServiceAdjustments');
      if (parentContractId !== undefined && input.contractID !== parentContractId) {
        throw new AutotaskRuleError([`ContractServiceAdjustments: contractID ${input.contractID} does not match the parent contract ${parentContractId}.`]);
      }
      const contract = recurringContract(input.contractID, 'ContractServiceAdjustments');
      if (input.serviceID === undefined && input.contractServiceID === undefined) {
        throw new AutotaskRuleError(['ContractServiceAdjustments: Missing Required Field: serviceID.']);
      }
      const day = dateOf(input.effectiveDate);
      if (day < dateOf(contract.startDate) || day > dateOf(contract.endDate)) {
        throw new AutotaskRuleError([
          `ContractServiceAdjustments: The effective date ${day} must be within the contract's start date (${dateOf(contract.startDate)}) and end date (${dateOf(contract.endDate)}).`,
        ]);
      }
      const posted = state.posted[String(contract.id)];
      if (posted && day <= posted.through) {
        throw new AutotaskRuleError([`ContractServiceAdjustments: The effective date ${day} falls in a period that has already been approved and posted.`]);
      }
      const existing =
        input.contractServiceID !== undefined
          ? find(state.contractServices, input.contractServiceID, 'ContractServiceAdjustments')
          : state.contractServices.find((cs) => cs.contractID === contract.id && cs.serviceID === input.serviceID);
      if (existing && existing.contractID !== contract.id) {
        throw new AutotaskRuleError([`ContractServiceAdjustments: ContractService ${existing.id} is not on contract ${contract.id}.`]);
      }
      // As documented: an adjustment for a service not yet on the contract adds it.
      const line = existing ?? addContractService(contract, input.serviceID!, {});
      const own = state.adjustments.filter((a) => a.contractServiceID === line.id);
      if (own.some((a) => dateOf(a.effectiveDate) === day)) {
        throw new AutotaskRuleError([
          `ContractServiceAdjustments: Cannot insert duplicate data into contract_service_period: contract service ${line.id} already has a unit period starting ${day}.`,
        ]);
      }
      const unitsAfter = own.filter((a) => dateOf(a.effectiveDate) <= day).reduce((s, a) => s + a.unitChange, 0) + input.unitChange;
      if (unitsAfter < 0) throw new AutotaskRuleError([`ContractServiceAdjustments: The adjustment would leave ${unitsAfter} units on ${day}.`]);
      const row: AtContractServiceAdjustment = {
        id: nextId(),
        contractID: contract.id,
        serviceID: line.serviceID,
        contractServiceID: line.id,
        effectiveDate: input.effectiveDate,
        unitChange: input.unitChange,
        adjustedUnitPrice: input.adjustedUnitPrice ?? null,
        adjustedUnitCost: input.adjustedUnitCost ?? null,
      };
      state.adjustments.push(row);
      return row.id;
    },

    /** `DELETE /Contracts/{id}/Charges/{chargeId}`: only a charge not billed yet. */
    deleteContractCharge(parentContractId: number, chargeId: number): number {
      const charges = state.contractCharges ?? [];
      const row = charges.find((c) => c.id === chargeId && c.contractID === parentContractId);
      if (!row) throw new AutotaskNotFoundError(`No ContractCharges record with id ${chargeId} on contract ${parentContractId}.`);
      if (row.isBilled) throw new AutotaskRuleError([`ContractCharges: Charge ${chargeId} has been billed and cannot be deleted.`]);
      charges.splice(charges.indexOf(row), 1);
      return chargeId;
    },

    /** Sandbox control: approve & post a contract's periods that end on or before `through`. */
    markInvoiced(contractId: number, through: IsoDate): void {
      find(state.contracts, contractId, 'Contracts');
      state.posted[String(contractId)] = { through, on: today() };
    },
  };
}
