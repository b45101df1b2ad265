/**
 * Input shapes of a PSA connection (docs/billing-rules.md §2 rules, §8 notifications), shared by the
 * connections repository, the HTTP API and the CLI. Defaults are exactly §2's: effective-date
 * rules `actual-date` / `actual-date` / `cancellation-date`, every field toggle on, autoSync off;
 * notifications are opt-in (off, no recipients, both templates off).
 */
import { z } from 'zod';
import { CancellationRuleSchema, CommittedDecreaseRuleSchema, NegativeChangeRuleSchema, PositiveChangeRuleSchema, type RulesChange, type SyncRules } from '../../domain/schemas';

/** `cw-main`: lowercase letters, digits and dashes; it appears in workflow ids. */
export const ConnectionIdSchema = z
  .string({ required_error: 'is required', invalid_type_error: 'must be a string' })
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a slug: lowercase letters, digits and dashes, starting with a letter or digit, at most 63 characters');

export const PsaKindSchema = z.enum(['connectwise', 'autotask'], {
  errorMap: () => ({ message: 'must be "connectwise" or "autotask"' }),
});
export type PsaKind = z.infer<typeof PsaKindSchema>;

const text = (max = 200) =>
  z.string({ required_error: 'is required', invalid_type_error: 'must be a string' }).trim().min(1, 'must not be empty').max(max, 'is too long');
const httpUrl = z
  .string({ required_error: 'is required', invalid_type_error: 'must be a string' })
  .url('must be a URL such as https://api-na.myconnectwise.net')
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL')
  .transform((u) => u.replace(/\/+$/, ''));

/** ConnectWise: everything but the private key (that one is the connection's `secret`). */
export const ConnectWiseSettingsSchema = z
  .object({ baseUrl: httpUrl, companyId: text(100), publicKey: text(100), clientId: text(100) })
  .strict();
export type ConnectWiseSettings = z.infer<typeof ConnectWiseSettingsSchema>;

/** Autotask: everything but the API user's secret (that one is the connection's `secret`). */
export const AutotaskSettingsSchema = z
  .object({ discoveryUrl: httpUrl.default('https://webservices.autotask.net'), username: text(200), integrationCode: text(100) })
  .strict();
export type AutotaskSettings = z.infer<typeof AutotaskSettingsSchema>;

export const SecretInputSchema = z
  .string({ required_error: 'is required', invalid_type_error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(4096, 'is too long');

// §2 field toggles: which fields the scheduled global sync may overwrite in the PSA (seed 004, Global Sync Rules).
export const COMPANY_SYNC_FIELDS = ['name', 'address', 'city', 'state', 'zip', 'country'] as const;
export const PRODUCT_SYNC_FIELDS = ['provider', 'name', 'unitPrice', 'unitCost', 'partNumber', 'description'] as const;
export const ADDITION_SYNC_FIELDS = ['unitPrice', 'unitCost'] as const;
export type CompanySyncField = (typeof COMPANY_SYNC_FIELDS)[number];
export type ProductSyncField = (typeof PRODUCT_SYNC_FIELDS)[number];
export type AdditionSyncField = (typeof ADDITION_SYNC_FIELDS)[number];

const toggles = <K extends string>(fields: readonly K[]) =>
  z
    .object(Object.fromEntries(fields.map((f) => [f, z.boolean({ invalid_type_error: 'must be true or false' }).default(true)])) as Record<K, z.ZodDefault<z.ZodBoolean>>)
    .strict();
const togglesPatch = <K extends string>(fields: readonly K[]) =>
  z
    .object(Object.fromEntries(fields.map((f) => [f, z.boolean({ invalid_type_error: 'must be true or false' }).optional()])) as Record<K, z.ZodOptional<z.ZodBoolean>>)
    .strict();

/** A connection's §2 global sync rules; every field optional on input, defaults filled in. */
export const ConnectionRulesSchema = z
  .object({
    positiveChange: PositiveChangeRuleSchema.default('actual-date'),
    negativeChange: NegativeChangeRuleSchema.default('actual-date'),
    cancellation: CancellationRuleSchema.default('cancellation-date'),
    /** §3 "Commitment" (project rule): decreases of committed subscriptions wait for the renewal. Connections stored before it hold none: the same as the default. */
    committedDecrease: CommittedDecreaseRuleSchema.default('at-renewal'),
    fieldToggles: z
      .object({ company: toggles(COMPANY_SYNC_FIELDS).default({}), product: toggles(PRODUCT_SYNC_FIELDS).default({}), addition: toggles(ADDITION_SYNC_FIELDS).default({}) })
      .strict()
      .default({}),
    autoSync: z.boolean({ invalid_type_error: 'must be true or false' }).default(false),
  })
  .strict();
export type ConnectionRules = z.infer<typeof ConnectionRulesSchema>;
export type ConnectionRulesInput = z.input<typeof ConnectionRulesSchema>;

/** A partial change to the rules: only the given fields change (toggles one by one). */
export const ConnectionRulesPatchSchema = z
  .object({
    positiveChange: PositiveChangeRuleSchema.optional(),
    negativeChange: NegativeChangeRuleSchema.optional(),
    cancellation: CancellationRuleSchema.optional(),
    committedDecrease: CommittedDecreaseRuleSchema.optional(),
    fieldToggles: z
      .object({ company: togglesPatch(COMPANY_SYNC_FIELDS).optional(), product: togglesPatch(PRODUCT_SYNC_FIELDS).optional(), addition: togglesPatch(ADDITION_SYNC_FIELDS).optional() })
      .strict()
      .optional(),
    autoSync: z.boolean({ invalid_type_error: 'must be true or false' }).optional(),
  })
  .strict();
export type ConnectionRulesPatch = z.infer<typeof ConnectionRulesPatchSchema>;

export const DEFAULT_CONNECTION_RULES: ConnectionRules = ConnectionRulesSchema.parse({});

/** The two §8 digests, and renewals due (docs/renewals.md). */
export const NOTIFICATION_TEMPLATES = ['serviceMapping', 'billingReconciliation', 'renewals'] as const;
export type NotificationTemplate = (typeof NOTIFICATION_TEMPLATES)[number];
export const NotificationTemplateSchema = z.enum(NOTIFICATION_TEMPLATES, {
  errorMap: () => ({ message: `must be one of ${NOTIFICATION_TEMPLATES.join(', ')}` }),
});

const RecipientsSchema = z
  .array(z.string({ invalid_type_error: 'must be a string' }).trim().toLowerCase().email('must be an email address'), {
    invalid_type_error: 'must be a list of email addresses',
  })
  .max(50, 'at most 50 recipients')
  .transform((xs) => [...new Set(xs)]);

/** How many days ahead renewals are listed (the renewals mail, `renewals due`): 1 to 366. */
export const RenewalDaysSchema = z
  .number({ required_error: 'is required', invalid_type_error: 'must be a number of days' })
  .int('must be a whole number of days')
  .min(1, 'must be at least 1 day')
  .max(366, 'must be at most 366 days');
/** The renewals mail looks this many days ahead unless the connection says otherwise. */
export const DEFAULT_RENEWAL_DAYS = 30;

/** §8 notification preferences: opt-in, recipients chosen per connection, per-template toggles. */
export const NotificationSettingsSchema = z
  .object({
    enabled: z.boolean({ invalid_type_error: 'must be true or false' }).default(false),
    recipients: RecipientsSchema.default([]),
    templates: z
      .object({
        serviceMapping: z.boolean({ invalid_type_error: 'must be true or false' }).default(false),
        billingReconciliation: z.boolean({ invalid_type_error: 'must be true or false' }).default(false),
        renewals: z.boolean({ invalid_type_error: 'must be true or false' }).default(false),
      })
      .strict()
      .default({}),
    renewalDays: RenewalDaysSchema.default(DEFAULT_RENEWAL_DAYS),
  })
  .strict();
export type NotificationSettings = z.infer<typeof NotificationSettingsSchema>;

export const NotificationSettingsPatchSchema = z
  .object({
    enabled: z.boolean({ invalid_type_error: 'must be true or false' }).optional(),
    recipients: RecipientsSchema.optional(),
    templates: z
      .object({
        serviceMapping: z.boolean({ invalid_type_error: 'must be true or false' }).optional(),
        billingReconciliation: z.boolean({ invalid_type_error: 'must be true or false' }).optional(),
        renewals: z.boolean({ invalid_type_error: 'must be true or false' }).optional(),
      })
      .strict()
      .optional(),
    renewalDays: RenewalDaysSchema.optional(),
  })
  .strict();
export type NotificationSettingsPatch = z.infer<typeof NotificationSettingsPatchSchema>;

const common = {
  id: ConnectionIdSchema,
  name: text(200),
  secret: SecretInputSchema,
  rules: ConnectionRulesSchema.default({}),
  notifications: NotificationSettingsSchema.default({}),
};

/** What creating a connection takes; `secret` is the ConnectWise private key or the Autotask API user's secret. */
export const CreateConnectionInputSchema = z.discriminatedUnion(
  'psa',
  [
    z.object({ psa: z.literal('connectwise'), settings: ConnectWiseSettingsSchema, ...common }).strict(),
    z.object({ psa: z.literal('autotask'), settings: AutotaskSettingsSchema, ...common }).strict(),
  ],
  {
    errorMap: (issue, ctx) =>
      issue.code === 'invalid_union_discriminator' ? { message: 'must be "connectwise" or "autotask"' } : { message: ctx.defaultError },
  },
);
export type CreateConnectionInput = z.input<typeof CreateConnectionInputSchema>;

/** New credentials: any settings fields to change and/or a new secret. */
export const UpdateCredentialsInputSchema = z
  .object({
    name: text(200).optional(),
    settings: z.record(z.unknown(), { invalid_type_error: 'must be an object' }).optional(),
    secret: SecretInputSchema.optional(),
  })
  .strict();
export type UpdateCredentialsInput = z.input<typeof UpdateCredentialsInputSchema>;

/**
 * The effective-date rules alone, in the shape the billing planner takes. `committedDecrease`
 * only when it is not the default (absent means `at-renewal`), so placements made before the
 * rule existed read the same.
 */
export function effectiveDateRules(rules: ConnectionRules): Pick<ConnectionRules, 'positiveChange' | 'negativeChange' | 'cancellation'> & { committedDecrease?: 'negative-change' } {
  return {
    positiveChange: rules.positiveChange,
    negativeChange: rules.negativeChange,
    cancellation: rules.cancellation,
    ...(rules.committedDecrease === 'negative-change' ? { committedDecrease: 'negative-change' as const } : {}),
  };
}

/**
 * The effective-date rules over time (docs/mapping.md "Rules change"): those in force before the
 * first change, then each change with the day it applies from. The last one is `rules` itself.
 */
export interface ConnectionRulesHistory {
  initial: SyncRules;
  changes: RulesChange[];
}

/** What a placement carries of a connection's rules: the initial rules and, after a change, the history. */
export function placementRules(c: { rules: ConnectionRules; rulesHistory?: ConnectionRulesHistory }): { rules: SyncRules; rulesHistory?: RulesChange[] } {
  if (!c.rulesHistory || c.rulesHistory.changes.length === 0) return { rules: effectiveDateRules(c.rules) };
  return { rules: { ...c.rulesHistory.initial }, rulesHistory: c.rulesHistory.changes.map((x) => ({ from: x.from, rules: { ...x.rules } })) };
}
