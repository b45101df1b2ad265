/**
 * §7 Bundled billing: several platform products billed on one PSA product, sending either the
 * summed quantity only, the average unit cost/price with the summed quantity, or the total
 * cost/price with quantity 1. Averages round half-even to the money scale (divMoney).
 */
import { z } from 'zod';
import { divMoney, sumMoney, mulMoney, type Money } from './money';
import { MoneySchema, QuantitySchema } from './schemas';

export const BundleModeSchema = z.enum(['quantity-only', 'average', 'total'], { errorMap: () => ({ message: 'must be one of quantity-only, average, total' }) });
export type BundleMode = z.infer<typeof BundleModeSchema>;
export const BundleLineSchema = z.object({ quantity: QuantitySchema, unitCost: MoneySchema, unitPrice: MoneySchema }).strict();
export type BundleLine = z.infer<typeof BundleLineSchema>;

/** What is written to the PSA line; cost/price absent in `quantity-only` (the MSP's own prices stay). */
export interface BundledValues {
  quantity: number;
  unitCost?: Money;
  unitPrice?: Money;
}

export function bundle(lines: readonly BundleLine[], mode: BundleMode): BundledValues {
  const quantity = lines.reduce((s, l) => s + l.quantity, 0);
  const totalCost = sumMoney(lines.map((l) => mulMoney(l.unitCost, l.quantity)));
  const totalPrice = sumMoney(lines.map((l) => mulMoney(l.unitPrice, l.quantity)));
  switch (mode) {
    case 'quantity-only':
      return { quantity };
    case 'average':
      // With no licenses at all there is nothing to average: 0.00 rather than a division by 0.
      return quantity === 0
        ? { quantity, unitCost: '0.00', unitPrice: '0.00' }
        : { quantity, unitCost: divMoney(totalCost, quantity), unitPrice: divMoney(totalPrice, quantity) };
    case 'total':
      return { quantity: 1, unitCost: totalCost, unitPrice: totalPrice };
  }
}
