/**
 * ContractServiceUnits derived from adjustments (docs/psa-apis.md §2.8–2.9): the contract's billing
 * periods, each split at every adjustment's effective date; units are the running sum of
 * `unitChange`. Pure, so the rules are testable without HTTP.
 */
import { addDays, daysBetween, type IsoDate } from '../../domain/dates';
import { divMoney, moneyFromJsonNumber, moneyToJsonNumber, mulMoney, type Money } from '../../domain/money';
import type { AtContract, AtContractService, AtContractServiceAdjustment, AtContractServiceUnit } from './entities';
import { PERIOD_MONTHS, type AutotaskTenantProfile } from './tenant';

export const dateOf = (isoDateTime: string): IsoDate => isoDateTime.slice(0, 10);
export const dateTimeOf = (d: IsoDate): string => `${d}T00:00:00Z`;

/** Calendar months later, clamping the day (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(d: IsoDate, months: number): IsoDate {
  const [y, m, day] = d.split('-').map(Number) as [number, number, number];
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${year}-${String(month).padStart(2, '0')}-${String(Math.min(day, last)).padStart(2, '0')}`;
}

/** Billing periods of a contract, anchored on its start date. */
export function billingPeriods(contract: Pick<AtContract, 'startDate' | 'endDate' | 'contractPeriodType'>): { start: IsoDate; end: IsoDate }[] {
  const months = PERIOD_MONTHS[contract.contractPeriodType ?? 1] ?? 1;
  const first = dateOf(contract.startDate);
  const last = dateOf(contract.endDate);
  const periods: { start: IsoDate; end: IsoDate }[] = [];
  for (let k = 0; ; k++) {
    const start = addMonths(first, k * months);
    if (start > last) return periods;
    const end = addDays(addMonths(first, (k + 1) * months), -1);
    periods.push({ start, end: end > last ? last : end });
  }
}

export interface PostedState {
  /** Last day of the approved & posted periods. */
  through: IsoDate;
  /** When "Approve and Post" ran. */
  on: IsoDate;
}

/** An amount in the customer's currency converted to the internal one, kept to 4 decimals as Autotask keeps amounts. */
export const toInternalCurrency = (amount: number, exchangeRate: number): number => Math.round((amount * 10_000) / exchangeRate) / 10_000;
/** The other way round. */
export const toCustomerCurrency = (amount: number, exchangeRate: number): number => Math.round(amount * exchangeRate * 10_000) / 10_000;

export interface UnitsOptions {
  boundary: AutotaskTenantProfile['unitPeriodBoundary'];
  /** Customer-currency units per internal unit (1 in a single-currency tenant). */
  exchangeRate: number;
}

/**
 * Units rows of one contract service; each slice's price is prorated over its period (the day a
 * slice ends on when it ends on the next adjustment's date is billed once, by the later slice).
 * Prices are in the customer's currency, `internalCurrencyPrice` in the internal one.
 */
export function contractServiceUnits(
  contract: AtContract,
  service: AtContractService,
  adjustments: readonly AtContractServiceAdjustment[],
  posted: PostedState | undefined,
  options: UnitsOptions = { boundary: 'adjustment-date', exchangeRate: 1 },
): AtContractServiceUnit[] {
  const own = adjustments
    .filter((a) => a.contractServiceID === service.id)
    .sort((a, b) => (a.effectiveDate < b.effectiveDate ? -1 : a.effectiveDate > b.effectiveDate ? 1 : a.id - b.id));
  const inForce = (day: IsoDate) => own.filter((a) => dateOf(a.effectiveDate) <= day);
  const rows: AtContractServiceUnit[] = [];
  for (const period of billingPeriods(contract)) {
    const cuts = [...new Set(own.map((a) => dateOf(a.effectiveDate)).filter((d) => d > period.start && d <= period.end))].sort();
    const starts = [period.start, ...cuts];
    starts.forEach((start, i) => {
      const next = starts[i + 1];
      const end = next === undefined ? period.end : options.boundary === 'adjustment-date' ? next : addDays(next, -1);
      const billedDays = next === undefined ? daysBetween(start, period.end) + 1 : daysBetween(start, next);
      const applied = inForce(start);
      const units = applied.reduce((s, a) => s + a.unitChange, 0);
      const withPrice = applied.filter((a) => a.adjustedUnitPrice !== null).at(-1);
      const withCost = applied.filter((a) => a.adjustedUnitCost !== null).at(-1);
      const unitPrice = withPrice?.adjustedUnitPrice ?? service.adjustedPrice ?? service.unitPrice;
      const unitCost = withCost?.adjustedUnitCost ?? service.unitCost;
      const share = (amount: number): Money =>
        divMoney(mulMoney(mulMoney(moneyFromJsonNumber(amount), units), billedDays), daysBetween(period.start, period.end) + 1);
      const price = moneyToJsonNumber(share(unitPrice));
      const internalPrice = toInternalCurrency(price, options.exchangeRate);
      rows.push({
        id: service.id * 10_000 + rows.length + 1,
        contractID: contract.id,
        contractServiceID: service.id,
        serviceID: service.serviceID,
        startDate: dateTimeOf(start),
        endDate: dateTimeOf(end),
        units,
        price,
        cost: unitCost === null ? null : moneyToJsonNumber(share(unitCost)),
        internalCurrencyPrice: internalPrice,
        approveAndPostDate: posted && end <= posted.through ? dateTimeOf(posted.on) : null,
      });
    });
  }
  return rows;
}
