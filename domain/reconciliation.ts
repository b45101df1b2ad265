/**
 * §6 Monthly billing reconciliation: the status machine as a pure function, and the operation
 * an accepted review posts. The cutover calendar is in cutover-calendar.ts.
 */
import { z } from 'zod';
import { endOfMonth } from './dates';
import { compareMoney, subMoney, type Money } from './money';
import type { PsaOps } from './ledger-types';
import { MoneySchema, QuantitySchema, SubscriptionKindSchema, type SubscriptionKind } from './schemas';

export const ReconciliationStatusSchema = z.enum(['pending', 'failed-review', 'pending-review', 'reconciled', 'rejected', 'failed']);
export type ReconciliationStatus = z.infer<typeof ReconciliationStatusSchema>;
export const ReconciliationDecisionSchema = z.enum(['accept', 'reject']);
export type ReconciliationDecision = z.infer<typeof ReconciliationDecisionSchema>;

/** Quantity and the month's cost/price totals, as the platform or the PSA sees them. */
export const ChargeValuesSchema = z.object({ quantity: QuantitySchema, cost: MoneySchema, price: MoneySchema }).strict();
export type ChargeValues = z.infer<typeof ChargeValuesSchema>;

export interface ReconciliationInput {
  invoices: { reseller: boolean; customer: boolean };
  /** The PSA line's values, or why they could not be read. */
  psa: { ok: true; values: ChargeValues } | { ok: false; error: string };
  platform: ChargeValues;
  decision?: ReconciliationDecision | null;
  /** Result of posting the accepted charges (absent until a post was tried). */
  post?: { ok: true } | { ok: false; error: string } | null;
  /** False once the last daily check of the cutover window has run (§6: up to 15 days). */
  withinWindow?: boolean;
}

export interface Discrepancy {
  field: 'quantity' | 'cost' | 'price';
  platform: string;
  psa: string;
}

export type ReconciliationNext =
  | 'retry-tomorrow' // pending / failed-review inside the window
  | 'window-closed' // pending / failed-review after the last check: a human must look
  | 'await-decision' // pending-review
  | 'post' // accepted: post the charges (planAcceptedReconciliation), then call again with `post`
  | 'retry-post' // failed: posting can be retried
  | 'done';

export interface ReconciliationOutcome {
  status: ReconciliationStatus;
  reason: string;
  next: ReconciliationNext;
  discrepancies: Discrepancy[];
}

export function discrepancies(platform: ChargeValues, psa: ChargeValues): Discrepancy[] {
  const out: Discrepancy[] = [];
  if (platform.quantity !== psa.quantity) out.push({ field: 'quantity', platform: String(platform.quantity), psa: String(psa.quantity) });
  if (compareMoney(platform.cost, psa.cost) !== 0) out.push({ field: 'cost', platform: platform.cost, psa: psa.cost });
  if (compareMoney(platform.price, psa.price) !== 0) out.push({ field: 'price', platform: platform.price, psa: psa.price });
  return out;
}

const describe = (ds: Discrepancy[]) => ds.map((d) => `${d.field}: platform ${d.platform}, PSA ${d.psa}`).join('; ');

/** §6 status table: invoices present? PSA readable? values agree? decision? post result? */
export function reconciliationStatus(input: ReconciliationInput): ReconciliationOutcome {
  const open = input.withinWindow ?? true;
  const missing = [!input.invoices.reseller && 'reseller', !input.invoices.customer && 'customer'].filter(Boolean) as string[];
  if (missing.length > 0) {
    const what = missing.length === 2 ? 'reseller and customer invoices missing' : `${missing[0]} invoice missing`;
    return { status: 'pending', reason: open ? what : `${what}; cutover window closed`, next: open ? 'retry-tomorrow' : 'window-closed', discrepancies: [] };
  }
  if (!input.psa.ok) {
    return {
      status: 'failed-review',
      reason: `PSA values could not be read: ${input.psa.error}`,
      next: open ? 'retry-tomorrow' : 'window-closed',
      discrepancies: [],
    };
  }
  const ds = discrepancies(input.platform, input.psa.values);
  if (input.post && !input.post.ok) {
    // §6 "A PSA line that is already invoiced is never modified; that is a failed with the PSA's message."
    return { status: 'failed', reason: input.post.error, next: 'retry-post', discrepancies: ds };
  }
  if (ds.length === 0) return { status: 'reconciled', reason: 'no discrepancy', next: 'done', discrepancies: ds };
  if (input.decision === 'reject') return { status: 'rejected', reason: `rejected: ${describe(ds)}`, next: 'done', discrepancies: ds };
  if (input.decision === 'accept') {
    // §6 "Accept posts cost and price, never quantity."
    return input.post?.ok
      ? { status: 'reconciled', reason: `accepted and posted: ${describe(ds)}`, next: 'done', discrepancies: ds }
      : { status: 'reconciled', reason: `accepted: ${describe(ds)}; posting`, next: 'post', discrepancies: ds };
  }
  return { status: 'pending-review', reason: describe(ds), next: 'await-decision', discrepancies: ds };
}

export const AcceptedReconciliationSchema = z
  .object({
    kind: SubscriptionKindSchema,
    subscriptionId: z.string().min(1),
    productId: z.string().min(1),
    billingMonth: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM'),
    /** Month totals. */
    platform: z.object({ cost: MoneySchema, price: MoneySchema }).strict(),
    psa: z.object({ cost: MoneySchema, price: MoneySchema }).strict(),
    /** IaaS: the quantity-1 ConnectWise addition and the Autotask contract service to set. */
    lineKey: z.string().min(1).optional(),
    serviceKey: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.kind !== 'iaas') return;
    if (!a.lineKey) ctx.addIssue({ code: 'custom', path: ['lineKey'], message: 'is required for an IaaS subscription (the quantity-1 line to set)' });
    if (!a.serviceKey) ctx.addIssue({ code: 'custom', path: ['serviceKey'], message: 'is required for an IaaS subscription (the contract service to set)' });
  });
export type AcceptedReconciliation = z.infer<typeof AcceptedReconciliationSchema>;

/**
 * §6 the operation an accepted review posts (cost and price, never quantity).
 * - SaaS: a new quantity-1 line carrying the month's delta cost and delta price (platform − PSA):
 *   a ConnectWise `reconciliation` addition dated over the billing month, an Autotask one-off
 *   contract charge.
 * - IaaS: the quantity-1 line's cost/price set to the invoiced totals.
 * Both projections are returned; the caller applies the one of its PSA.
 */
export function planAcceptedReconciliation(a: AcceptedReconciliation): PsaOps {
  const kind: SubscriptionKind = a.kind;
  const first = `${a.billingMonth}-01`;
  if (kind === 'iaas') {
    const { lineKey, serviceKey } = a;
    if (!lineKey || !serviceKey) throw new RangeError('IaaS reconciliation needs lineKey and serviceKey');
    return {
      connectwise: [{ type: 'cw.update-addition', lineKey, set: { unitCost: a.platform.cost, unitPrice: a.platform.price } }],
      autotask: [{ type: 'at.update-contract-service', serviceKey, unitCost: a.platform.cost, unitPrice: a.platform.price }],
    };
  }
  const unitCost: Money = subMoney(a.platform.cost, a.psa.cost);
  const unitPrice: Money = subMoney(a.platform.price, a.psa.price);
  const key = `${a.subscriptionId}/${a.productId}/reconciliation/${a.billingMonth}`;
  return {
    connectwise: [
      {
        type: 'cw.create-addition',
        addition: {
          lineKey: key,
          subscriptionId: a.subscriptionId,
          productId: a.productId,
          kind: 'reconciliation',
          quantity: 1,
          unitPrice,
          unitCost,
          effectiveDate: first,
          cancelledDate: endOfMonth(first),
        },
      },
    ],
    autotask: [
      {
        type: 'at.create-contract-charge',
        charge: { chargeKey: key, subscriptionId: a.subscriptionId, productId: a.productId, date: endOfMonth(first), quantity: 1, unitCost, unitPrice },
      },
    ],
  };
}
