/**
 * The Autotask records the sandbox keeps, with Autotask's own field names (psa-apis.md §2.8).
 * Amounts are JSON numbers as on the wire; dates are `YYYY-MM-DDT00:00:00Z` strings.
 */

export interface Udf { name: string; value: string | null }

export interface AtCompany {
  id: number;
  companyName: string;
  companyType: number;
  phone: string;
  ownerResourceID: number;
  isActive: boolean;
  companyNumber: string | null;
  createDate: string;
  userDefinedFields: Udf[];
}

export interface AtResource { id: number; firstName: string; lastName: string; userName: string; email: string; isActive: boolean }

export interface AtBillingCode {
  id: number;
  name: string;
  description: string | null;
  billingCodeType: number;
  useType: number;
  isActive: boolean;
  unitPrice: number | null;
  unitCost: number | null;
}

export interface AtService {
  id: number;
  name: string;
  description: string | null;
  invoiceDescription: string | null;
  billingCodeID: number;
  periodType: number;
  unitPrice: number;
  unitCost: number | null;
  isActive: boolean;
  sku: string | null;
  externalID: string | null;
  createDate: string;
  lastModifiedDate: string;
}

export interface AtContract {
  id: number;
  contractName: string;
  companyID: number;
  contractType: number;
  status: number;
  startDate: string;
  endDate: string;
  contractPeriodType: number | null;
  timeReportingRequiresStartAndStopTimes: number;
  description: string | null;
  userDefinedFields: Udf[];
}

export interface AtContractService {
  id: number;
  contractID: number;
  serviceID: number;
  unitPrice: number;
  unitCost: number | null;
  /** Kept so PATCH can write it; read back through the internal-currency fields (§2.8). */
  adjustedPrice: number | null;
  internalCurrencyAdjustedPrice: number | null;
  internalCurrencyUnitPrice: number;
  invoiceDescription: string | null;
  internalDescription: string | null;
  quoteItemID: number | null;
}

/** A one-off charge on a contract (ContractCharges; the connector posts §6 accepted SaaS reconciliations). */
export interface AtContractCharge {
  id: number;
  contractID: number;
  name: string;
  description: string | null;
  internalDescription: string | null;
  chargeType: number;
  datePurchased: string;
  unitQuantity: number;
  unitCost: number | null;
  unitPrice: number | null;
  isBillableToCompany: boolean;
  createDate: string;
}

/** Create-only and not queryable in Autotask; the sandbox keeps them to derive units. */
export interface AtContractServiceAdjustment {
  id: number;
  contractID: number;
  serviceID: number;
  contractServiceID: number;
  effectiveDate: string;
  unitChange: number;
  adjustedUnitPrice: number | null;
  adjustedUnitCost: number | null;
}

/** Derived view: one row per service per billing period, split at adjustment dates. */
export interface AtContractServiceUnit {
  id: number;
  contractID: number;
  contractServiceID: number;
  serviceID: number;
  startDate: string;
  endDate: string;
  units: number;
  price: number;
  cost: number | null;
  internalCurrencyPrice: number;
  approveAndPostDate: string | null;
}

/**
 * Picklists. Only `contractType` 7 = Recurring Service is documented as fixed; every other value
 * here is this sandbox's choice (psa-apis.md §4.3) — clients must resolve them by label through
 * `entityInformation/fields`, as the gateway does.
 */
export const PICKLISTS = {
  Companies: {
    companyType: { 1: 'Customer', 2: 'Lead', 3: 'Prospect', 4: 'Dead', 6: 'Cancellation', 7: 'Vendor', 8: 'Partner' },
  },
  Contracts: {
    contractType: { 1: 'Time & Materials', 3: 'Fixed Price', 4: 'Block Hours', 6: 'Retainer', 7: 'Recurring Service', 8: 'Per Ticket' },
    status: { 0: 'Inactive', 1: 'Active' },
    contractPeriodType: { 1: 'Monthly', 2: 'Quarterly', 3: 'Semi-Annual', 4: 'Yearly' },
  },
  Services: {
    periodType: { 1: 'Monthly', 2: 'Quarterly', 3: 'Semi-Annual', 4: 'Yearly' },
  },
  BillingCodes: {
    useType: { 1: 'Work Type', 2: 'Material', 3: 'Internal Time', 4: 'Expense Category', 5: 'Milestone', 6: 'Recurring Contract Service' },
    billingCodeType: { 0: 'Normal', 1: 'System', 2: 'Non-Billable' },
  },
} as const satisfies Record<string, Record<string, Record<number, string>>>;

export const RECURRING_SERVICE_CONTRACT = 7;
export const RECURRING_CONTRACT_SERVICE_USE_TYPE = 6;
/** Months per contract/service period type. */
export const PERIOD_MONTHS: Record<number, number> = { 1: 1, 2: 3, 3: 6, 4: 12 };
