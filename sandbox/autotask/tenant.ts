/**
 * What differs from one Autotask tenant to the next, as the sandbox models it: picklist labels
 * (admins rename them; only contract type 7 = Recurring Service is fixed), the time zone of its
 * calendar days, currencies (the Multi-currency module), and which reading of the unit-period
 * boundary applies (sandbox/README.md). Tests start sandboxes with other profiles to prove the
 * connector reads these from the tenant instead of assuming them.
 */
export type Picklists = Record<string, Record<string, Record<number, string>>>;

export interface AtCurrency {
  id: number;
  name: string;
  /** Customer-currency units per internal-currency unit. */
  exchangeRate: number;
  isInternalCurrency: boolean;
  isActive: boolean;
}

export interface AutotaskTenantProfile {
  /** IANA zone of the tenant's calendar days (Autotask: "internal location" time zone). */
  timeZone: string;
  /**
   * Where a unit period ends when an adjustment splits a billing period. The ContractServiceUnits
   * help page: "The end date for the ContractServiceUnit will be the end date of the current
   * billing period or, if another adjustment is made in the same billing period, the effective
   * date of that adjustment" → `adjustment-date` (documented, the default). `day-before` is the
   * other reading (the period ends the day before the next one starts).
   */
  unitPeriodBoundary: 'adjustment-date' | 'day-before';
  picklists: Picklists;
  currencies: AtCurrency[];
}

/** The sandbox's default labels: Autotask's stock ones as integrators quote them (values are the sandbox's choice). */
export const DEFAULT_PICKLISTS: Picklists = {
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
  ContractCharges: {
    chargeType: { 1: 'Operational', 2: 'Capitalized' },
    status: { 1: 'Pending Approval', 2: 'Approved', 3: 'Shipped' },
  },
};

/**
 * A tenant whose admins use their own words, as real tenants do: "Client" companies, "Annually"
 * and "Monthly Billing" periods, a "Recurring Service Code" use type. The values stay the same.
 */
export const RENAMED_PICKLISTS: Picklists = {
  ...DEFAULT_PICKLISTS,
  Companies: { companyType: { 1: 'Client', 2: 'Lead', 3: 'Prospect', 7: 'Vendor' } },
  Contracts: {
    ...DEFAULT_PICKLISTS.Contracts,
    contractPeriodType: { 1: 'Monthly Billing', 2: 'Quarterly', 3: 'Semi-Annually', 4: 'Annually' },
  },
  Services: { periodType: { 1: 'Monthly Billing', 2: 'Quarterly', 3: 'Semi-Annually', 4: 'Annually' } },
  BillingCodes: {
    ...DEFAULT_PICKLISTS.BillingCodes,
    useType: { 1: 'Labor', 2: 'Material Cost Code', 3: 'Internal Allocation', 4: 'Expense', 5: 'Milestone', 6: 'Recurring Service Code' },
  },
};

export const DEFAULT_CURRENCIES: AtCurrency[] = [
  { id: 1, name: 'USD', exchangeRate: 1, isInternalCurrency: true, isActive: true },
  { id: 2, name: 'EUR', exchangeRate: 0.92, isInternalCurrency: false, isActive: true },
];

export const DEFAULT_TENANT: AutotaskTenantProfile = {
  timeZone: 'UTC',
  unitPeriodBoundary: 'adjustment-date',
  picklists: DEFAULT_PICKLISTS,
  currencies: DEFAULT_CURRENCIES,
};

export const RECURRING_SERVICE_CONTRACT = 7;
/** The sandbox's value of the "Recurring Contract Service" use type (its label is the tenant's). */
export const RECURRING_CONTRACT_SERVICE_USE_TYPE = 6;
/** Months per contract/service period type value. */
export const PERIOD_MONTHS: Record<number, number> = { 1: 1, 2: 3, 3: 6, 4: 12 };
