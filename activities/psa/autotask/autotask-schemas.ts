/**
 * Shapes of Autotask REST answers (docs/psa-apis.md §2.1–2.8), validated at the boundary. Objects
 * keep only the fields we use and ignore the rest, so new vendor fields never break us.
 * Amounts stay JSON numbers here; the gateway converts them with moneyFromJsonNumber.
 */
import { z } from 'zod';

const id = z.number().int();
const nullableString = z.string().nullish().transform((v) => v ?? null);
const nullableNumber = z.number().nullish().transform((v) => v ?? null);

export const zoneInformationSchema = z.object({
  zoneName: z.string().optional(),
  url: z.string().url(),
  webUrl: z.string().optional(),
  ci: z.number().optional(),
});
export type ZoneInformation = z.infer<typeof zoneInformationSchema>;

export const itemIdSchema = z.object({ itemId: id });
export const queryCountSchema = z.object({ queryCount: z.number().int() });
export const errorBodySchema = z.object({ errors: z.array(z.unknown()) });

export const pageDetailsSchema = z.object({
  count: z.number().int(),
  requestCount: z.number().int().optional(),
  prevPageUrl: z.string().nullish(),
  nextPageUrl: z.string().nullish(),
});

export const itemsEnvelope = <T extends z.ZodTypeAny>(item: T) => z.object({ items: z.array(item), pageDetails: pageDetailsSchema });
export const itemEnvelope = <T extends z.ZodTypeAny>(item: T) => z.object({ item: item.nullable() });

export const thresholdInformationSchema = z.object({
  externalRequestThreshold: z.number(),
  requestThresholdTimeframe: z.number(),
  currentTimeframeRequestCount: z.number(),
});
export type ThresholdInformation = z.infer<typeof thresholdInformationSchema>;

export const fieldInfoSchema = z.object({
  name: z.string(),
  isPickList: z.boolean().optional(),
  picklistValues: z
    .array(z.object({ value: z.union([z.string(), z.number()]).transform(String), label: z.string(), isActive: z.boolean().optional() }))
    .nullish()
    .transform((v) => v ?? []),
});
export const fieldsSchema = z.object({ fields: z.array(fieldInfoSchema) });
export type FieldInfo = z.infer<typeof fieldInfoSchema>;

export const companySchema = z.object({ id, companyName: z.string(), companyNumber: nullableString, isActive: z.boolean().optional() });
export type AtCompanyRow = z.infer<typeof companySchema>;

export const resourceSchema = z.object({ id, isActive: z.boolean().optional() });

export const billingCodeSchema = z.object({ id, name: z.string(), useType: z.number().int().nullish(), isActive: z.boolean() });

export const serviceSchema = z.object({
  id,
  name: z.string(),
  sku: nullableString,
  externalID: nullableString,
  description: nullableString,
  unitPrice: z.number(),
  unitCost: nullableNumber,
  periodType: z.number().int().nullish(),
  billingCodeID: z.number().int().nullish(),
  isActive: z.boolean().optional(),
});
export type AtServiceRow = z.infer<typeof serviceSchema>;

export const contractSchema = z.object({
  id,
  contractName: z.string(),
  companyID: id,
  contractType: z.number().int(),
  status: z.number().int().nullish(),
  startDate: z.string(),
  endDate: z.string().nullish(),
  contractPeriodType: z.number().int().nullish(),
});
export type AtContractRow = z.infer<typeof contractSchema>;

export const contractServiceSchema = z.object({
  id,
  contractID: id,
  serviceID: id,
  unitPrice: nullableNumber,
  unitCost: nullableNumber,
  // The writable price is `adjustedPrice`; queries expose the internal-currency forms (§2.8).
  adjustedPrice: nullableNumber,
  internalCurrencyAdjustedPrice: nullableNumber,
  internalCurrencyUnitPrice: nullableNumber,
  internalDescription: nullableString,
});
export type AtContractServiceRow = z.infer<typeof contractServiceSchema>;

export const contractServiceUnitSchema = z.object({
  id,
  contractID: id,
  contractServiceID: id,
  serviceID: id.optional(),
  startDate: z.string(),
  endDate: z.string(),
  units: z.number(),
  price: nullableNumber,
  cost: nullableNumber,
  approveAndPostDate: nullableString,
});
export type AtContractServiceUnitRow = z.infer<typeof contractServiceUnitSchema>;
