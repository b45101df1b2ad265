/**
 * zod schemas of the billing inputs (docs/billing-rules.md §2–§5, docs/architecture.md "The `plan`
 * command"), shared by the plan CLI, the HTTP API and the workflows' signal validators.
 * Types are inferred from the schemas so the two never drift.
 *
 * Structural checks live here; the checks that depend on the subscription's state as events
 * replay (upgrade to the same product, event after cancellation, ...) live in
 * subscription-state.ts and are wired into `ScenarioSchema` below.
 */
import { z } from 'zod';
import { isIsoDate } from './dates';
import { isMoney, normalizeMoney } from './money';

export const IsoDateSchema = z
  .string({ required_error: 'is required', invalid_type_error: 'must be a date string YYYY-MM-DD' })
  .refine(isIsoDate, { message: 'must be a calendar date YYYY-MM-DD' });

/** Decimal string, at most 4 decimals, normalized ("22" → "22.00"). Never a JSON number (§1). */
export const MoneySchema = z
  .string({ required_error: 'is required', invalid_type_error: 'must be a decimal string such as "22.00"' })
  .refine(isMoney, { message: 'must be a decimal string with at most 4 decimals, such as "22.00"' })
  .transform(normalizeMoney);

export const QuantitySchema = z
  .number({ required_error: 'is required', invalid_type_error: 'must be a number' })
  .int('must be a whole number')
  .nonnegative('must not be negative')
  .max(1_000_000_000, 'is implausibly large');

const IdSchema = z.string({ required_error: 'is required' }).min(1, 'must not be empty').max(200, 'is too long');

// §2 Global sync rules (per PSA connection).
export const PositiveChangeRuleSchema = z.enum(['actual-date', 'first-of-month'], {
  errorMap: () => ({ message: 'must be "actual-date" or "first-of-month"' }),
});
export const NegativeChangeRuleSchema = z.enum(['actual-date', 'first-of-next-month'], {
  errorMap: () => ({ message: 'must be "actual-date" or "first-of-next-month"' }),
});
export const CancellationRuleSchema = z.enum(['cancellation-date', 'end-of-month'], {
  errorMap: () => ({ message: 'must be "cancellation-date" or "end-of-month"' }),
});

/**
 * §2 / §3 "Commitment" (project rule): a decrease of a committed subscription takes effect at its
 * renewal (`at-renewal`, the meaning when absent) or like any other decrease (`negative-change`).
 * Optional so the rules' shape is unchanged for connections and scenarios that never set it.
 */
export const CommittedDecreaseRuleSchema = z.enum(['at-renewal', 'negative-change'], {
  errorMap: () => ({ message: 'must be "at-renewal" or "negative-change"' }),
});
export type CommittedDecreaseRule = z.infer<typeof CommittedDecreaseRuleSchema>;

export const SyncRulesSchema = z
  .object({
    positiveChange: PositiveChangeRuleSchema.default('actual-date'),
    negativeChange: NegativeChangeRuleSchema.default('actual-date'),
    cancellation: CancellationRuleSchema.default('cancellation-date'),
    committedDecrease: CommittedDecreaseRuleSchema.optional(),
  })
  .strict();
export type SyncRules = z.infer<typeof SyncRulesSchema>;
export const DEFAULT_SYNC_RULES: SyncRules = {
  positiveChange: 'actual-date',
  negativeChange: 'actual-date',
  cancellation: 'cancellation-date',
};

// §2 rules over time (our decision, docs/mapping.md "Rules change"; rules-history.ts).
/** One change: `rules` apply to events dated `from` or later (until the next change). */
export const RulesChangeSchema = z.object({ from: IsoDateSchema, rules: SyncRulesSchema }).strict();
export type RulesChange = z.infer<typeof RulesChangeSchema>;

/** The changes after the initial rules, oldest first, one per day at most. */
export const RulesHistorySchema = z
  .array(RulesChangeSchema, { invalid_type_error: 'must be a list of { from, rules }' })
  .max(500, 'holds more than 500 changes')
  .superRefine((changes, ctx) => {
    changes.forEach((c, i) => {
      const before = changes[i - 1];
      if (before && c.from <= before.from) {
        ctx.addIssue({ code: 'custom', path: [i, 'from'], message: `is ${c.from}, not after the change before it (${before.from}); changes are listed oldest first, one per day` });
      }
    });
  });
export type RulesHistory = z.infer<typeof RulesHistorySchema>;

// §2 field toggles and autoSync are connection settings, not billing inputs: see
// activities/store/connection-schemas.ts (ConnectionRulesSchema), which reuses the rules above.

/** `periodType` is the agreement's billing period (CW billingCycle / AT contract period type). */
export const PeriodTypeSchema = z.enum(['monthly', 'yearly']);
export const AgreementSchema = z
  .object({
    startDate: IsoDateSchema,
    periodType: PeriodTypeSchema,
  })
  .strict();
export type Agreement = z.infer<typeof AgreementSchema>;

/** §7 Bill customer, per mapping (ConnectWise `billCustomer`). */
export const BillCustomerSchema = z.enum(['Billable', 'DoNotBill', 'NoCharge']);
export type BillCustomer = z.infer<typeof BillCustomerSchema>;

export const SubscriptionKindSchema = z.enum(['saas', 'iaas']);
export type SubscriptionKind = z.infer<typeof SubscriptionKindSchema>;

/**
 * The length of one commitment term (docs/renewals.md): the licences are committed for the
 * whole term and a decrease takes effect at the renewal (§3 "Commitment"). `none` (the meaning
 * when absent): no commitment, decreases follow §3 at once. Independent of billingFrequency: an
 * annual commitment is often billed monthly.
 */
export const CommitmentTermSchema = z.enum(['none', 'monthly', 'annual', 'triennial'], {
  errorMap: () => ({ message: 'must be "none", "monthly", "annual" or "triennial"' }),
});
export type CommitmentTerm = z.infer<typeof CommitmentTermSchema>;

export const SubscriptionSchema = z
  .object({
    id: IdSchema,
    productId: IdSchema,
    quantity: QuantitySchema,
    unitPrice: MoneySchema,
    unitCost: MoneySchema,
    startDate: IsoDateSchema,
    /** Last day of the term; null = open-ended (no end date). */
    endDate: IsoDateSchema.nullable(),
    billingFrequency: PeriodTypeSchema,
    autoRenew: z.boolean().default(false),
    kind: SubscriptionKindSchema.default('saas'),
    billCustomer: BillCustomerSchema.optional(),
    commitmentTerm: CommitmentTermSchema.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.endDate !== null && s.endDate < s.startDate) {
      ctx.addIssue({ code: 'custom', path: ['endDate'], message: `must not be before startDate (${s.startDate})` });
    }
  });
export type Subscription = z.infer<typeof SubscriptionSchema>;

/** What a partial upgrade creates (§3): S2 with its own product, prices and end date. */
export const NewSubscriptionSchema = z
  .object({
    id: IdSchema,
    productId: IdSchema,
    unitPrice: MoneySchema,
    unitCost: MoneySchema,
    endDate: IsoDateSchema.nullable(),
    billingFrequency: PeriodTypeSchema.optional(),
    autoRenew: z.boolean().optional(),
    /** Default: the upgraded subscription's commitment term. */
    commitmentTerm: CommitmentTermSchema.optional(),
  })
  .strict();
export type NewSubscription = z.infer<typeof NewSubscriptionSchema>;

/** Optional on every event: which subscription it targets (default: the scenario's own). */
const target = { subscriptionId: IdSchema.optional() };

export const QuantityChangedEventSchema = z
  .object({ type: z.literal('quantity-changed'), date: IsoDateSchema, quantity: QuantitySchema, ...target })
  .strict();
export const FullUpgradeEventSchema = z
  .object({
    type: z.literal('full-upgrade'),
    date: IsoDateSchema,
    productId: IdSchema,
    unitPrice: MoneySchema,
    unitCost: MoneySchema,
    ...target,
  })
  .strict();
export const PartialUpgradeEventSchema = z
  .object({
    type: z.literal('partial-upgrade'),
    date: IsoDateSchema,
    quantity: QuantitySchema.refine((k) => k >= 1, 'must move at least one license'),
    newSubscription: NewSubscriptionSchema,
    ...target,
  })
  .strict();
export const CancelledEventSchema = z.object({ type: z.literal('cancelled'), date: IsoDateSchema, ...target }).strict();
export const RenewedEventSchema = z
  .object({ type: z.literal('renewed'), date: IsoDateSchema, endDate: IsoDateSchema, ...target })
  .strict();
/** Not in docs/billing-rules.md; behaviour chosen by us, see ledger.ts (price-changed). */
export const PriceChangedEventSchema = z
  .object({ type: z.literal('price-changed'), date: IsoDateSchema, unitPrice: MoneySchema, unitCost: MoneySchema, ...target })
  .strict();

export const SubscriptionEventSchema = z.discriminatedUnion(
  'type',
  [
    QuantityChangedEventSchema,
    FullUpgradeEventSchema,
    PartialUpgradeEventSchema,
    CancelledEventSchema,
    RenewedEventSchema,
    PriceChangedEventSchema,
  ],
  {
    errorMap: (issue, ctx) =>
      issue.code === 'invalid_union_discriminator'
        ? {
            message:
              'must be one of quantity-changed, full-upgrade, partial-upgrade, cancelled, renewed, price-changed',
          }
        : { message: ctx.defaultError },
  },
);
export type SubscriptionEvent = z.infer<typeof SubscriptionEventSchema>;
export type SubscriptionEventInput = z.input<typeof SubscriptionEventSchema>;

export const PsaKindSchema = z.enum(['connectwise', 'autotask']);

/** What openLedger takes: a subscription being mapped onto an agreement under given rules. */
export const LedgerInitSchema = z
  .object({
    rules: SyncRulesSchema.default({}),
    agreement: AgreementSchema,
    subscription: SubscriptionSchema,
    /** Set for S2 of a partial upgrade: rides on its parent's agreement (§4 rule 6). */
    parentSubscriptionId: IdSchema.nullable().default(null),
    /** Later changes of `rules`, each for events dated on or after its day (rules-history.ts). */
    rulesHistory: RulesHistorySchema.optional(),
    /**
     * Billing starts no earlier than this day (docs/billing-modes.md: a subscription switched to
     * standard billing from another mode is billed on its own only from the switch).
     */
    billedFrom: IsoDateSchema.optional(),
  })
  .strict();
export type LedgerInit = z.infer<typeof LedgerInitSchema>;
export type LedgerInitInput = z.input<typeof LedgerInitSchema>;
