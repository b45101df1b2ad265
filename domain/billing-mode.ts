/**
 * How one subscription is billed (docs/billing-modes.md): `standard` — its own lines, from its
 * lifecycle events (§3–§5); `seat-count` — the daily seat-count job's high-water-mark lines
 * alone (§7); `bundled` — no lines of its own, its billed values go into one bundle line (§7).
 *
 * A forced switch of an already billed subscription takes effect on the first of the next
 * month: the old mode stops billing that day and the new one starts (project decision). The
 * dates travel with the mode, so every writer knows which days are its own:
 * - `from`: the first day the current mode bills (absent: from the subscription's start);
 * - `standardUntil`: the first day its standard lines no longer bill (set when it left standard
 *   billing after they billed; they are then ended as a §4 rule 7 end-of-month cancellation).
 */
import { z } from 'zod';
import { firstOfMonth, firstOfNextMonth, type IsoDate } from './dates';
import { IsoDateSchema } from './schemas';

export const BILLING_MODES = ['standard', 'seat-count', 'bundled'] as const;
export type BillingMode = (typeof BILLING_MODES)[number];
export const BillingModeSchema = z.enum(BILLING_MODES, { errorMap: () => ({ message: `must be one of ${BILLING_MODES.join(', ')}` }) });

const FirstOfMonthSchema = IsoDateSchema.refine((d) => firstOfMonth(d) === d, 'must be the first day of a month');

export const BillingSchema = z
  .object({
    mode: BillingModeSchema,
    /** The bundle whose line carries this subscription's values (mode `bundled` only). */
    bundleId: z.string().min(1, 'must not be empty').max(100, 'is too long').optional(),
    from: FirstOfMonthSchema.optional(),
    standardUntil: FirstOfMonthSchema.optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.mode === 'bundled' && b.bundleId === undefined) ctx.addIssue({ code: 'custom', path: ['bundleId'], message: 'is required for a bundled subscription' });
    if (b.mode !== 'bundled' && b.bundleId !== undefined) ctx.addIssue({ code: 'custom', path: ['bundleId'], message: `is only for mode bundled (mode is ${b.mode})` });
    if (b.mode === 'standard' && b.standardUntil !== undefined) ctx.addIssue({ code: 'custom', path: ['standardUntil'], message: 'cannot be set while the mode is standard' });
  });
export type Billing = z.infer<typeof BillingSchema>;

export const STANDARD_BILLING: Billing = { mode: 'standard' };

/** The billing of a placement or mapping that says none (everything mapped before modes existed). */
export const billingOrStandard = (b: Billing | undefined | null): Billing => b ?? STANDARD_BILLING;

/** The first day a switch requested on `today` takes effect (docs/billing-modes.md "Switching"). */
export const switchDay = (today: IsoDate): IsoDate => firstOfNextMonth(today);

/**
 * The subscription's own standard lines: the days they cover, or null when it never bills
 * standard lines (a seat-count or bundled subscription that never billed on its own).
 */
export function standardRange(b: Billing): { from?: IsoDate; until?: IsoDate } | null {
  if (b.mode === 'standard') return b.from ? { from: b.from } : {};
  return b.standardUntil ? { until: b.standardUntil } : null;
}

/** One sentence for the state query and lists: why the subscription's workflow writes (or does not write) lines. */
export function billingNote(b: Billing): string {
  const since = b.from ? ` since ${b.from}` : '';
  const ended = b.standardUntil ? `; its standard lines stop billing on ${b.standardUntil}` : '';
  switch (b.mode) {
    case 'standard':
      return `standard${since}: this workflow writes the subscription's lines from its lifecycle events`;
    case 'seat-count':
      return `seat-count${since}: billed by the daily seat-count job (high-water mark of the usage counts); this workflow writes no lines${ended}`;
    case 'bundled':
      return `bundled: billed through the line of bundle ${b.bundleId}; this workflow writes no lines of its own and sends its billed values to the bundle${ended}`;
  }
}
