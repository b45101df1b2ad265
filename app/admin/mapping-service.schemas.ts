/**
 * Input shapes of the mapping service's operations. Connection, rules and platform-record
 * shapes are the store's (connection-schemas.ts, platform.ts) and lifecycle events the domain's
 * (schemas.ts); only what is new to mapping is defined here.
 */
import { z } from 'zod';
import { IsoDateSchema } from '../../domain/schemas';
import { DESCRIPTION_PARTS, type DescriptionPart } from '../../domain/line-description';
import { isTimeZone } from './tenant-day';
import {
  COMPANY_SYNC_FIELDS,
  ConnectionRulesPatchSchema,
  MAPPING_STATUSES,
  PlatformCustomerSchema,
  PlatformProductSchema,
  PRODUCT_SYNC_FIELDS,
  type MappingStatus,
} from '../../activities/store';

const bool = z.boolean({ invalid_type_error: 'must be true or false' });
const psaRecordId = z
  .number({ required_error: 'is required', invalid_type_error: 'must be a PSA record id (a whole number)' })
  .int('must be a whole number')
  .positive('must be a positive PSA record id');

/** Platform record ids as they appear in URLs and bodies. */
export const PlatformIdSchema = z
  .string({ required_error: 'is required', invalid_type_error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(200, 'is too long');

/** List filters shared by the three mapping pages: `status` may be a comma list. */
export const MappingListQuerySchema = z
  .object({
    status: z
      .union([z.string(), z.array(z.string())])
      .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
      .pipe(
        z.array(
          z.enum(MAPPING_STATUSES as [MappingStatus, ...MappingStatus[]], {
            errorMap: () => ({ message: `must be one of ${MAPPING_STATUSES.join(', ')}` }),
          }),
        ),
      )
      .optional(),
    search: z.string().trim().max(200, 'is too long').optional(),
    customerId: PlatformIdSchema.optional(),
    limit: z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').optional(),
    skip: z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(0, 'must not be negative').optional(),
  })
  .strict();
export type MappingListQueryInput = z.input<typeof MappingListQuerySchema>;

const suggestLimit = z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(50, 'must be at most 50').optional();

/** Customer → company search; `search` replaces the customer's name (the vendor's search bar). */
export const CustomerSuggestQuerySchema = z.object({ search: z.string().trim().min(1, 'must not be empty').max(200).optional(), limit: suggestLimit }).strict();
/** Product → catalog item search by name and/or manufacturer part number (defaults: the product's own). */
export const ProductSuggestQuerySchema = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(200).optional(),
    partNumber: z.string().trim().min(1, 'must not be empty').max(100).optional(),
    limit: suggestLimit,
  })
  .strict();

export const MAP_MODES = ['map-only', 'map-and-sync'] as const;
export type MapMode = (typeof MAP_MODES)[number];
const MapModeSchema = z.enum(MAP_MODES, { errorMap: () => ({ message: 'must be "map-only" or "map-and-sync"' }) });

/**
 * Map a customer / product to an existing PSA record. `fields` narrows what Map & Sync pushes;
 * it can only name fields the connection's global toggles allow (seed 004: "for unselected
 * checkboxes you cannot override the choice made from the Global Sync Rules").
 */
const mapRecord = <F extends string>(fields: readonly F[]) =>
  z
    .object({
      psaId: psaRecordId,
      mode: MapModeSchema.default('map-only'),
      fields: z
        .array(z.enum(fields as unknown as [F, ...F[]], { errorMap: () => ({ message: `must be one of ${fields.join(', ')}` }) }), {
          invalid_type_error: 'must be a list of field names',
        })
        .optional(),
    })
    .strict();
export const MapCustomerInputSchema = mapRecord(COMPANY_SYNC_FIELDS);
export const MapProductInputSchema = mapRecord(PRODUCT_SYNC_FIELDS);
export type MapCustomerInput = z.input<typeof MapCustomerInputSchema>;
export type MapProductInput = z.input<typeof MapProductInputSchema>;

/** Create the record in the PSA from the platform's values, then map it. */
export const CreateRecordInputSchema = z.object({}).strict().default({});

/** What may go into a service's line description besides the admin's text (seed 004 "Include Subscription Information"). */
export { DESCRIPTION_PARTS, type DescriptionPart } from '../../domain/line-description';

export const BILL_CUSTOMER = ['Billable', 'DoNotBill', 'NoCharge'] as const;

/**
 * Map a subscription (a "service"): company (default: the customer's mapped company) and
 * agreement (default: the company's only one), line description and effective date (both
 * required on the vendor's screens; we default them and say so), bill customer (§7).
 */
export const MapServiceInputSchema = z
  .object({
    companyId: psaRecordId.optional(),
    agreementId: psaRecordId.optional(),
    description: z
      .string({ required_error: 'is required', invalid_type_error: 'must be a string' })
      .trim()
      .min(1, 'must not be empty')
      .max(500, 'is too long'),
    include: z
      .object(Object.fromEntries(DESCRIPTION_PARTS.map((p) => [p, bool.default(false)])) as Record<DescriptionPart, z.ZodDefault<z.ZodBoolean>>)
      .strict()
      .default({}),
    effectiveDate: IsoDateSchema.optional(),
    billCustomer: z.enum(BILL_CUSTOMER, { errorMap: () => ({ message: `must be one of ${BILL_CUSTOMER.join(', ')}` }) }).optional(),
    /** docs/billing-modes.md: `seat-count` bills the usage counts' high-water mark (the daily job) and no lines from events. */
    billingMode: z.enum(['standard', 'seat-count'], { errorMap: () => ({ message: 'must be "standard" or "seat-count" (bundles are made with the bundles routes)' }) }).optional(),
    /** Switch the mode of a subscription that already billed (from the first of next month). */
    force: bool.optional(),
    /** Take over the MSP's own line for the subscription instead of creating one (docs/adopt-and-drift.md). */
    adopt: bool.optional(),
    /** With adopt: the PSA line to take over when several fit. */
    adoptLine: psaRecordId.optional(),
  })
  .strict()
  .refine((m) => m.adoptLine === undefined || m.adopt === true, { path: ['adoptLine'], message: 'needs adopt: true' });
export type MapServiceInput = z.input<typeof MapServiceInputSchema>;

/** The store's rules patch plus what the store does not hold (mapping-settings.ts): the §7 switch and the tenant's time zone. */
export const RulesPatchSchema = ConnectionRulesPatchSchema.extend({
  oneAgreementPerCompany: bool.optional(),
  timeZone: z
    .string({ invalid_type_error: 'must be a string' })
    .trim()
    .min(1, 'must not be empty')
    .max(64, 'is too long')
    .refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin or UTC')
    .optional(),
});
export type RulesPatch = z.input<typeof RulesPatchSchema>;

/** Bulk platform intake: one or many records. */
export const CustomersIntakeSchema = z.object({ customers: z.array(PlatformCustomerSchema, { invalid_type_error: 'must be a list' }).min(1, 'must hold at least one customer').max(1000, 'at most 1000 per call') }).strict();
export const ProductsIntakeSchema = z.object({ products: z.array(PlatformProductSchema, { invalid_type_error: 'must be a list' }).min(1, 'must hold at least one product').max(1000, 'at most 1000 per call') }).strict();
