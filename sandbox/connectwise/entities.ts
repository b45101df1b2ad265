/**
 * Create/update rules of the four entities the connector touches (docs/psa-apis.md §1.8-1.9):
 * required fields, lengths, uniqueness, references that must exist, and the addition rules
 * (effective date not before the agreement's billing start; no back-dating into an invoiced
 * period on a non-prorated agreement; invoiced additions are locked). Each builder returns
 * the record as ConnectWise would store and return it, or throws an `InvalidObject` error.
 */
import { parseInstant, type TenantClock } from '../shared/tenant-time';
import { cwDateTime, type CwRecord, type CwRef, type CwState } from './state';
import { CwHttpError, fieldError, invalidObject, type CwFieldError } from './vendor-errors';

export interface EntityRules {
  /**
   * What the tenant keeps of an addition's `description`. Its published model gives no maximum,
   * so by default (null) the sandbox keeps the whole text; a number makes it a tenant that CUTS a
   * longer text (the silent case a client's markers must survive, e.g. a catalog description's
   * 60), or with `overlongDescription: 'refuse'` answers 400 instead.
   */
  additionDescriptionMax: number | null;
  overlongDescription: 'truncate' | 'refuse';
  /** Refuse PUT/PATCH/DELETE of an invoiced addition (the connector's contract, §6). */
  lockInvoicedAdditions: boolean;
  /**
   * The tenant's (server's) time zone: date fields (agreement start/billing start/end, addition
   * effective/cancelled) are calendar days there, written from the instant sent and answered as
   * the instant that day starts (sandbox/README.md, "Dates and time zones").
   */
  clock: TenantClock;
}

type Input = Record<string, unknown>;

const BILL_CUSTOMER = ['Billable', 'DoNotBill', 'NoCharge'];
const PRODUCT_CLASSES = ['Agreement', 'Bundle', 'Inventory', 'NonInventory', 'Service'];
const ADDRESS_FIELDS = ['addressLine1', 'addressLine2', 'city', 'state', 'zip'];

const round2 = (n: number): number => Math.round(n * 100) / 100;
const isBlank = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** Collects field errors, then throws them together as ConnectWise does. */
class Check {
  readonly errors: CwFieldError[] = [];
  constructor(readonly resource: string) {}
  fail(field: string, code: string, message: string): void {
    this.errors.push(fieldError(this.resource, field, code, message));
  }
  required(input: Input, field: string): boolean {
    if (!isBlank(input[field])) return true;
    this.fail(field, 'MissingRequiredField', `${field} is required.`);
    return false;
  }
  maxLength(input: Input, field: string, max: number): void {
    const v = input[field];
    if (typeof v === 'string' && v.length > max) this.fail(field, 'InvalidField', `${field} cannot be longer than ${max} characters.`);
  }
  number(input: Input, field: string): void {
    const v = input[field];
    if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isFinite(v))) this.fail(field, 'InvalidField', `${field} must be a number.`);
  }
  datetime(input: Input, field: string): number | null {
    const v = input[field];
    if (v === undefined || v === null) return null;
    const ms = typeof v === 'string' ? (parseInstant(v) ?? NaN) : NaN;
    if (Number.isNaN(ms)) {
      this.fail(field, 'InvalidField', `${field} must be a datetime like 2026-03-01T00:00:00Z.`);
      return null;
    }
    const year = new Date(ms).getUTCFullYear();
    if (year < 1900 || year > 9999) this.fail(field, 'OutOfRange', `${field} must be between 1900 and 9999.`);
    return ms;
  }
  throwIfAny(): void {
    if (this.errors.length) throw invalidObject(this.resource, this.errors);
  }
}

function resolveRef(list: readonly (CwRef | CwRecord)[], ref: unknown): CwRef | CwRecord | undefined {
  if (!ref || typeof ref !== 'object') return undefined;
  const r = ref as { id?: unknown; identifier?: unknown; name?: unknown };
  if (typeof r.id === 'number') return list.find((x) => x.id === r.id);
  if (typeof r.identifier === 'string') return list.find((x) => String(x.identifier ?? '').toLowerCase() === (r.identifier as string).toLowerCase());
  if (typeof r.name === 'string') return list.find((x) => String(x.name ?? '').toLowerCase() === (r.name as string).toLowerCase());
  return undefined;
}

const refOf = (x: CwRef | CwRecord, href: string): Record<string, unknown> => ({
  id: x.id,
  ...(x.identifier === undefined ? {} : { identifier: x.identifier }),
  ...(x.name === undefined ? {} : { name: x.name }),
  _info: { [`${href.split('/')[0]}_href`]: `/${href}/${x.id}` },
});

const info = (existing: CwRecord | undefined, now: number): Record<string, string> => ({
  lastUpdated: cwDateTime(now),
  updatedBy: 'apiMember',
  dateEntered: String((existing?._info as Record<string, string> | undefined)?.dateEntered ?? cwDateTime(now)),
  enteredBy: 'apiMember',
});

export function buildCompany(state: CwState, input: Input, now: number, existing?: CwRecord): CwRecord {
  const c = new Check('company');
  if (c.required(input, 'identifier')) {
    c.maxLength(input, 'identifier', 30);
    const taken = state.companies.find(
      (x) => x.id !== existing?.id && String(x.identifier).toLowerCase() === String(input.identifier).toLowerCase(),
    );
    if (taken) c.fail('identifier', 'ObjectExists', `The identifier ${String(input.identifier)} is already in use.`);
  }
  if (c.required(input, 'name')) c.maxLength(input, 'name', 50);
  if (!existing && ADDRESS_FIELDS.every((f) => isBlank(input[f]))) {
    c.fail('addressLine1', 'MissingRequiredField', 'At least one address field is required.');
  }
  c.throwIfAny();
  return {
    status: { id: 1, name: 'Active' },
    types: [],
    deletedFlag: false,
    isVendorFlag: false,
    leadFlag: false,
    ...input,
    id: existing?.id ?? state.nextId++,
    _info: info(existing, now),
  };
}

/**
 * A manufacturer reference as ConnectWise returns it ({ id, name }): one given by name only is
 * matched to a manufacturer the catalog already uses, else registered with a new id.
 */
function manufacturerRef(state: CwState, ref: unknown): { id: number; name: string } {
  const r = ref as { id?: number; name?: string };
  const known = state.catalog.map((x) => x.manufacturer as { id?: number; name?: string } | undefined).find((m) => m?.id !== undefined && (m.id === r.id || (r.name !== undefined && m.name === r.name)));
  if (known?.id !== undefined) return { id: known.id, name: known.name ?? r.name ?? '' };
  return { id: r.id ?? state.nextId++, name: r.name ?? '' };
}

export function buildCatalogItem(state: CwState, input: Input, now: number, existing?: CwRecord): CwRecord {
  const c = new Check('catalogItem');
  if (c.required(input, 'identifier')) {
    c.maxLength(input, 'identifier', 60);
    const taken = state.catalog.find(
      (x) => x.id !== existing?.id && String(x.identifier).toLowerCase() === String(input.identifier).toLowerCase(),
    );
    if (taken) c.fail('identifier', 'ObjectExists', `The identifier ${String(input.identifier)} is already in use.`);
  }
  if (c.required(input, 'description')) c.maxLength(input, 'description', 60);
  c.required(input, 'customerDescription');
  const subcategory = c.required(input, 'subcategory') ? resolveRef(state.subcategories, input.subcategory) : undefined;
  if (input.subcategory && !subcategory) c.fail('subcategory', 'InvalidField', 'subcategory not found.');
  const type = c.required(input, 'type') ? resolveRef(state.productTypes, input.type) : undefined;
  if (input.type && !type) c.fail('type', 'InvalidField', 'type not found.');
  const productClass = input.productClass ?? 'NonInventory';
  if (!PRODUCT_CLASSES.includes(String(productClass))) c.fail('productClass', 'InvalidField', `productClass must be one of ${PRODUCT_CLASSES.join(', ')}.`);
  c.number(input, 'price');
  c.number(input, 'cost');
  c.throwIfAny();
  return {
    price: 0,
    cost: 0,
    taxableFlag: false,
    inactiveFlag: false,
    recurringFlag: false,
    ...input,
    ...(input.manufacturer ? { manufacturer: manufacturerRef(state, input.manufacturer) } : {}),
    productClass,
    subcategory: refOf(subcategory!, 'procurement/subcategories'),
    type: refOf(type!, 'procurement/types'),
    id: existing?.id ?? state.nextId++,
    _info: info(existing, now),
  };
}

/** The tenant's calendar day of a date field, or null when absent (errors go to `c`). */
const dayOf = (c: Check, clock: TenantClock, input: Input, field: string): string | null => {
  const ms = c.datetime(input, field);
  return ms === null ? null : clock.localDateOf(ms);
};

export function buildAgreement(state: CwState, input: Input, now: number, clock: TenantClock, existing?: CwRecord): CwRecord {
  const c = new Check('agreement');
  if (c.required(input, 'name')) c.maxLength(input, 'name', 100);
  const company = c.required(input, 'company') ? resolveRef(state.companies, input.company) : undefined;
  if (input.company && !company) c.fail('company', 'InvalidField', 'company not found.');
  const type = c.required(input, 'type') ? resolveRef(state.agreementTypes, input.type) : undefined;
  if (input.type && !type) c.fail('type', 'InvalidField', 'type not found.');
  const billingCycle = input.billingCycle ? resolveRef(state.billingCycles, input.billingCycle) : state.billingCycles[0];
  if (!billingCycle) c.fail('billingCycle', 'InvalidField', 'billingCycle not found.');
  const start = dayOf(c, clock, input, 'startDate');
  const billStart = dayOf(c, clock, input, 'billStartDate') ?? start;
  const end = dayOf(c, clock, input, 'endDate');
  c.throwIfAny();
  const billStartText = billStart === null ? null : clock.startOfDay(billStart);
  return {
    prorateFlag: false,
    invoiceProratedAdditionsFlag: false,
    noEndingDateFlag: input.endDate === undefined || input.endDate === null,
    cancelledFlag: false,
    billTime: 'Billable',
    billExpenses: 'Billable',
    billProducts: 'Billable',
    invoicingCycle: 'ContractYear',
    ...input,
    startDate: start === null ? billStartText : clock.startOfDay(start),
    endDate: end === null ? null : clock.startOfDay(end),
    billStartDate: billStartText,
    nextInvoiceDate: input.nextInvoiceDate ?? billStart ?? null,
    agreementStatus: input.cancelledFlag ? 'Cancelled' : 'Active',
    company: refOf(company!, 'company/companies'),
    type: refOf(type!, 'finance/agreements/types'),
    billingCycle: refOf(billingCycle!, 'finance/billingCycles'),
    id: existing?.id ?? state.nextId++,
    _info: info(existing, now),
  };
}

export function buildAddition(
  state: CwState,
  rules: EntityRules,
  agreement: CwRecord,
  input: Input,
  now: number,
  existing?: CwRecord,
): CwRecord {
  const c = new Check('addition');
  let product: CwRecord | undefined;
  if (c.required(input, 'product')) {
    product = resolveRef(state.catalog, input.product) as CwRecord | undefined;
    if (!product) c.fail('product', 'InvalidField', 'The product could not be found in the catalog.');
    else if (product.productClass === 'Bundle') c.fail('product', 'InvalidField', 'Bundle products cannot be added to an agreement.');
    else if (product.inactiveFlag === true) c.fail('product', 'InvalidField', 'The product is inactive.');
  }
  if (c.required(input, 'billCustomer') && !BILL_CUSTOMER.includes(String(input.billCustomer))) {
    c.fail('billCustomer', 'InvalidField', `billCustomer must be one of ${BILL_CUSTOMER.join(', ')}.`);
  }
  for (const f of ['quantity', 'lessIncluded', 'unitPrice', 'unitCost']) c.number(input, f);
  if (rules.overlongDescription === 'refuse' && rules.additionDescriptionMax !== null) c.maxLength(input, 'description', rules.additionDescriptionMax);
  c.maxLength(input, 'serialNumber', 50);
  c.maxLength(input, 'invoiceDescription', 6000);
  const { clock } = rules;
  const effective = dayOf(c, clock, input, 'effectiveDate');
  const cancelled = dayOf(c, clock, input, 'cancelledDate');
  const billStartMs = parseInstant(String(agreement.billStartDate ?? ''));
  const billStart = billStartMs === null ? null : clock.localDateOf(billStartMs);
  if (effective !== null && billStart !== null && effective < billStart) {
    c.fail('effectiveDate', 'InvalidField', 'effectiveDate cannot be less than the agreement billing start date');
  }
  if (effective !== null && cancelled !== null && cancelled < effective) {
    c.fail('cancelledDate', 'InvalidField', 'cancelledDate cannot be less than effectiveDate');
  }
  const nextInvoice = typeof agreement.nextInvoiceDate === 'string' ? agreement.nextInvoiceDate.slice(0, 10) : null;
  const effectiveChanged = !existing || existing.effectiveDate !== input.effectiveDate;
  if (effectiveChanged && effective !== null && agreement.prorateFlag !== true && nextInvoice !== null && effective < nextInvoice) {
    c.fail(
      'effectiveDate',
      'InvalidField',
      `This period has already been invoiced. Prorate the agreement or start the addition on or after the Next Invoice Date (${String(agreement.nextInvoiceDate)}).`,
    );
  }
  c.throwIfAny();

  const quantity = (input.quantity as number | undefined) ?? 0;
  const lessIncluded = (input.lessIncluded as number | undefined) ?? 0;
  const unitPrice = (input.unitPrice as number | undefined) ?? (product!.price as number);
  const unitCost = (input.unitCost as number | undefined) ?? (product!.cost as number);
  const billed = quantity - lessIncluded;
  const sequence = existing?.sequenceNumber ?? state.additions.filter((a) => a.agreementId === agreement.id).length + 1;
  return {
    taxableFlag: false,
    purchaseItemFlag: false,
    specialOrderFlag: false,
    prorateCurrentPeriodFlag: false,
    ...input,
    id: existing?.id ?? state.nextId++,
    agreementId: agreement.id,
    product: { id: product!.id, identifier: product!.identifier, _info: { product_href: `/procurement/catalog/${product!.id}` } },
    quantity,
    lessIncluded,
    billedQuantity: billed,
    unitPrice,
    unitCost,
    extPrice: round2(billed * unitPrice),
    extCost: round2(billed * unitCost),
    margin: round2(billed * (unitPrice - unitCost)),
    description: String(input.description ?? product!.description).slice(0, rules.additionDescriptionMax ?? undefined),
    effectiveDate: effective === null ? agreement.billStartDate : clock.startOfDay(effective),
    cancelledDate: cancelled === null ? null : clock.startOfDay(cancelled),
    sequenceNumber: sequence,
    uom: 'Each',
    agreementStatus: agreement.agreementStatus,
    _info: info(existing, now),
  };
}

/** Refuses a change to an addition that has been invoiced (when the sandbox locks them). */
export function assertEditable(state: CwState, rules: EntityRules, addition: CwRecord): void {
  if (rules.lockInvoicedAdditions && state.invoicedAdditionIds.includes(addition.id)) {
    throw new CwHttpError(400, {
      code: 'InvalidObject',
      message: 'addition object is invalid',
      errors: [fieldError('addition', 'id', 'InvalidField', 'This addition has already been invoiced and cannot be changed or deleted.')],
    });
  }
}
