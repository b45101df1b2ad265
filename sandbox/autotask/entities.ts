/**
 * The Autotask records the sandbox keeps, with Autotask's own field names (docs/psa-apis.md §2.8).
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
  /** Billing currency (Multi-currency module); null = the internal currency. */
  currencyID: number | null;
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

/**
 * As stored. `adjustedPrice` (customer currency) is written through POST/PATCH but is not a field
 * of the published model, so answers leave it out: prices read back as `unitPrice` (the service's
 * price in the customer's currency) and the internal-currency `internalCurrencyUnitPrice` /
 * `internalCurrencyAdjustedPrice` (fixture README).
 */
export interface AtContractService {
  id: number;
  contractID: number;
  serviceID: number;
  unitPrice: number;
  unitCost: number | null;
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
  chargeType: number;
  status: number | null;
  billingCodeID: number | null;
  productID: number | null;
  datePurchased: string;
  unitQuantity: number;
  unitCost: number | null;
  unitPrice: number | null;
  isBillableToCompany: boolean;
  isBilled: boolean;
  purchaseOrderNumber: string | null;
  internalPurchaseOrderNumber: string | null;
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
