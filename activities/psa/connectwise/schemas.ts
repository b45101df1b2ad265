/**
 * ConnectWise REST 3.0 records at the client boundary (docs/psa-apis.md §1.8). Only the fields the
 * connector reads are declared; everything else passes through untouched, so a newer API
 * version adding fields never breaks the client.
 */
import { z } from 'zod';

const id = z.number().int();
const info = z.record(z.string(), z.unknown()).optional();
const dateTime = z.string().nullish();

/** A reference to another record: `{ id, identifier?, name?, _info? }`. */
export const cwRefSchema = z.object({ id, identifier: z.string().nullish(), name: z.string().nullish(), _info: info }).passthrough();

export const cwCompanySchema = z.object({ id, identifier: z.string(), name: z.string(), _info: info }).passthrough();

export const cwCatalogItemSchema = z
  .object({
    id,
    identifier: z.string(),
    description: z.string(),
    price: z.number().nullish(),
    cost: z.number().nullish(),
    manufacturer: cwRefSchema.nullish(),
    manufacturerPartNumber: z.string().nullish(),
    inactiveFlag: z.boolean().nullish(),
    _info: info,
  })
  .passthrough();

export const cwAgreementSchema = z
  .object({
    id,
    name: z.string(),
    company: cwRefSchema,
    startDate: dateTime,
    endDate: dateTime,
    billStartDate: dateTime,
    nextInvoiceDate: z.string().nullish(),
    billingCycle: cwRefSchema.nullish(),
    prorateFlag: z.boolean().nullish(),
    agreementStatus: z.string().nullish(),
    _info: info,
  })
  .passthrough();

export const cwAdditionSchema = z
  .object({
    id,
    agreementId: id.nullish(),
    product: cwRefSchema,
    quantity: z.number(),
    unitPrice: z.number().nullish(),
    unitCost: z.number().nullish(),
    billCustomer: z.string(),
    effectiveDate: dateTime,
    cancelledDate: dateTime,
    description: z.string().nullish(),
    _info: info,
  })
  .passthrough();

/** `ErrorResponseMessage` (docs/psa-apis.md §1.7). */
export const cwErrorSchema = z
  .object({
    code: z.string().nullish(),
    message: z.string().nullish(),
    errors: z
      .array(z.object({ code: z.string().nullish(), message: z.string().nullish(), field: z.string().nullish(), resource: z.string().nullish() }).passthrough())
      .nullish(),
  })
  .passthrough();

export const cwSystemInfoSchema = z.object({ version: z.string().nullish(), isCloud: z.boolean().nullish() }).passthrough();
export const cwCountSchema = z.object({ count: z.number().int() }).passthrough();

export type CwRef = z.infer<typeof cwRefSchema>;
export type CwCompany = z.infer<typeof cwCompanySchema>;
export type CwCatalogItem = z.infer<typeof cwCatalogItemSchema>;
export type CwAgreement = z.infer<typeof cwAgreementSchema>;
export type CwAddition = z.infer<typeof cwAdditionSchema>;
export type CwSystemInfo = z.infer<typeof cwSystemInfoSchema>;

/** A reference as sent on writes: by id (certain) or, for companies, by identifier. */
export type CwRefInput = { id: number } | { identifier: string };

export interface CwCompanyInput {
  identifier: string;
  name: string;
  [field: string]: unknown;
}

export interface CwCatalogItemInput {
  identifier: string;
  description: string;
  customerDescription: string;
  subcategory: CwRefInput;
  type: CwRefInput;
  [field: string]: unknown;
}

export interface CwAdditionInput {
  product: CwRefInput;
  billCustomer: 'Billable' | 'DoNotBill' | 'NoCharge';
  quantity: number;
  unitPrice?: number;
  unitCost?: number;
  effectiveDate?: string;
  cancelledDate?: string | null;
  description?: string;
  invoiceDescription?: string;
  [field: string]: unknown;
}

/** One RFC 6902 operation on a top-level field (ConnectWise PATCH). */
export interface CwPatchOp {
  op: 'replace' | 'add' | 'remove';
  path: string;
  value?: unknown;
}
