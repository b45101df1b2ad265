/**
 * The ConnectWise sandbox's records, kept in the API's own JSON shape (so a GET returns them
 * as stored) plus the few things ConnectWise keeps out of sight (which additions are invoiced).
 */
export type CwRecord = { id: number } & Record<string, unknown>;

export interface CwRef {
  id: number;
  identifier?: string;
  name?: string;
}

export interface CwState {
  nextId: number;
  companies: CwRecord[];
  catalog: CwRecord[];
  agreements: CwRecord[];
  additions: CwRecord[];
  /** Reference data: product types, subcategories, billing cycles, agreement types. */
  productTypes: CwRef[];
  subcategories: CwRef[];
  billingCycles: CwRef[];
  agreementTypes: CwRef[];
  /** Additions locked by an invoice: PUT/PATCH/DELETE on them is refused. */
  invoicedAdditionIds: number[];
}

export function emptyState(): CwState {
  return {
    nextId: 1000,
    companies: [],
    catalog: [],
    agreements: [],
    additions: [],
    productTypes: [{ id: 1, name: 'Cloud Subscription' }, { id: 2, name: 'Hardware' }],
    subcategories: [{ id: 1, name: 'Cloud Services' }, { id: 2, name: 'Licensing' }],
    billingCycles: [{ id: 1, name: 'Monthly' }, { id: 2, name: 'Annual' }, { id: 3, name: 'Quarterly' }],
    agreementTypes: [{ id: 1, name: 'Managed Services' }, { id: 2, name: 'Cloud Licensing' }],
    invoicedAdditionIds: [],
  };
}

/** ConnectWise datetimes: `yyyy-MM-ddTHH:mm:ssZ`. */
export const cwDateTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
