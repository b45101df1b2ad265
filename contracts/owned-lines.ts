/**
 * What the admin tools and the global sync tell a subscription workflow about the PSA lines it
 * owns (docs/adopt-and-drift.md):
 *
 * - `takeOverLines` (Update): "the PSA holds these lines with these values" — `adopt` a
 *   hand-made line at cutover as the one the workflow holds for a ledger key, or `restore` a
 *   drifted line (the workflow's next diff then writes the ledger's values back over it).
 *   The workflow is the one writer of its `held` lines, so nothing else writes them behind it.
 * - `driftFound` (signal): the daily global sync's comparison of the owned lines with the
 *   ledger, shown in the `state` query until the next comparison.
 */
import { z } from 'zod';
import { IsoDateSchema, MoneySchema } from '../domain/schemas';
import type { DriftFinding } from '../domain/owned-lines';
import type { HeldAtService, HeldCwLine } from '../domain/psa-diff';

const key = z.string({ required_error: 'is required' }).min(1, 'must not be empty').max(400, 'is too long');
const psaId = z.number({ required_error: 'is required', invalid_type_error: 'must be a number' }).int('must be a whole number').positive('must be positive');
const by = z.string().min(1).max(200).optional();

const HeldCwLineSchema: z.ZodType<HeldCwLine> = z
  .object({
    lineKey: key,
    subscriptionId: key,
    productId: key,
    kind: z.enum(['base', 'delta', 'reversal', 'reconciliation']),
    quantity: z.number().int('must be a whole number'),
    unitPrice: MoneySchema,
    unitCost: MoneySchema,
    effectiveDate: IsoDateSchema,
    cancelledDate: IsoDateSchema.nullable(),
    psaId,
  })
  .strict();

const HeldAtServiceSchema: z.ZodType<HeldAtService> = z
  .object({
    serviceKey: key,
    subscriptionId: key,
    productId: key,
    unitPrice: MoneySchema,
    unitCost: MoneySchema,
    psaId,
    adjustments: z.array(z.object({ forDate: IsoDateSchema, postedOn: IsoDateSchema, unitChange: z.number().int('must be a whole number') }).strict()).max(10_000),
  })
  .strict();

/** Lines by ledger key; null: the PSA no longer holds the line (restore creates it again). */
export const TakeOverLinesSchema = z
  .object({
    kind: z.enum(['adopt', 'restore'], { errorMap: () => ({ message: 'must be adopt or restore' }) }),
    /** The agreement / contract the lines are on (must be the subscription's). */
    agreementId: psaId,
    connectwise: z.record(HeldCwLineSchema.nullable()).optional(),
    autotask: z.record(HeldAtServiceSchema.nullable()).optional(),
    by,
  })
  .strict()
  .superRefine((v, ctx) => {
    const entries = [...Object.entries(v.connectwise ?? {}), ...Object.entries(v.autotask ?? {})];
    if (entries.length === 0) ctx.addIssue({ code: 'custom', path: ['connectwise'], message: 'names no line' });
    for (const [k, line] of entries) {
      const own = line && ('lineKey' in line ? line.lineKey : line.serviceKey);
      if (own && own !== k) ctx.addIssue({ code: 'custom', path: [k], message: `is filed under ${k} but is the line of ${own}` });
      if (v.kind === 'adopt' && line === null) ctx.addIssue({ code: 'custom', path: [k], message: 'cannot adopt a line that does not exist' });
    }
  });
export type TakeOverLines = z.infer<typeof TakeOverLinesSchema>;

/** The daily comparison of a subscription's owned lines with its ledger. */
export interface DriftReport {
  /** When the PSA was read (ISO timestamp) and the day compared. */
  at: string;
  asOf: string;
  findings: DriftFinding[];
}

export const DriftReportSchema: z.ZodType<DriftReport> = z
  .object({
    at: z.string().min(1).max(40),
    asOf: IsoDateSchema,
    findings: z
      .array(
        z
          .object({
            lineKey: key,
            psaId,
            productId: key,
            field: z.enum(['quantity', 'unitPrice', 'unitCost', 'effectiveDate', 'cancelledDate', 'product', 'description', 'line']),
            expected: z.union([z.string(), z.number(), z.null()]),
            found: z.union([z.string(), z.number(), z.null()]),
          })
          .strict(),
      )
      .max(1000),
  })
  .strict();
