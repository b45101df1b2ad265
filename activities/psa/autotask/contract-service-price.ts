/**
 * A contract service's sell price in the customer's currency (gap: multi-currency tenants).
 * The published model has no `adjustedPrice`: a query returns `unitPrice` (the service's price in
 * the customer's currency) and the internal-currency `internalCurrencyUnitPrice` and
 * `internalCurrencyAdjustedPrice`. With the Multi-currency module the two currencies differ, so
 * the internal adjusted price is scaled back by the service's own pair, unitPrice ÷
 * internalCurrencyUnitPrice, and rounded to the cent (what the exchange rate allows us to know).
 * Some tenants do return `adjustedPrice` (the help page documents it in the customer's
 * currency); then it is taken as it is.
 */
import { fromMinor, moneyFromJsonNumber, toMinor, type Money } from '../../../domain/money';

export interface ContractServicePrices {
  unitPrice: number | null;
  adjustedPrice?: number | null;
  internalCurrencyAdjustedPrice: number | null;
  internalCurrencyUnitPrice: number | null;
}

/** Ten-thousandths per cent. */
const CENT = 100n;

export function customerCurrencyPrice(cs: ContractServicePrices): Money {
  if (cs.adjustedPrice != null) return moneyFromJsonNumber(cs.adjustedPrice);
  const internal = cs.internalCurrencyAdjustedPrice ?? cs.internalCurrencyUnitPrice;
  if (internal == null) return moneyFromJsonNumber(cs.unitPrice ?? 0);
  const { unitPrice, internalCurrencyUnitPrice } = cs;
  // One currency (or nothing to scale by): the internal price is the customer's price.
  if (unitPrice == null || internalCurrencyUnitPrice == null || internalCurrencyUnitPrice === 0 || unitPrice === internalCurrencyUnitPrice) {
    return moneyFromJsonNumber(internal);
  }
  const scaled = (toMinor(moneyFromJsonNumber(internal)) * toMinor(moneyFromJsonNumber(unitPrice))) / toMinor(moneyFromJsonNumber(internalCurrencyUnitPrice));
  const cents = (scaled + (scaled >= 0n ? CENT / 2n : -CENT / 2n)) / CENT;
  return fromMinor(cents * CENT);
}
