/**
 * ContractServiceUnits derived from adjustments (psa-apis.md §2.8–2.9): the contract's billing
 * periods, each split at every adjustment's effective date; units are the running sum of
 * `unitChange`. Pure, so the rules are testable without HTTP.
 */
import { addDays, daysBetween, type IsoDate } from '../../domain/dates';
import { divMoney, moneyFromJsonNumber, moneyToJsonNumber, mulMoney, type Money } from '../../domain/money';
import {
  PERIOD_MONTHS,
  type AtContract,
  type AtContractService,
  type AtContractServiceAdjustment,
  type AtContractServiceUnit,
} from './entities';

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

/** Units rows of one contract service; each slice's price is prorated over its period. */
export function contractServiceUnits(
  contract: AtContract,
  service: AtContractService,
  adjustments: readonly AtContractServiceAdjustment[],
  posted: PostedState | undefined,
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
      const end = i + 1 < starts.length ? addDays(starts[i + 1]!, -1) : period.end;
      const applied = inForce(start);
      const units = applied.reduce((s, a) => s + a.unitChange, 0);
      const withPrice = applied.filter((a) => a.adjustedUnitPrice !== null).at(-1);
      const withCost = applied.filter((a) => a.adjustedUnitCost !== null).at(-1);
      const unitPrice = withPrice?.adjustedUnitPrice ?? service.adjustedPrice ?? service.unitPrice;
      const unitCost = withCost?.adjustedUnitCost ?? service.unitCost;
      const share = (amount: number): Money =>
        divMoney(mulMoney(mulMoney(moneyFromJsonNumber(amount), units), daysBetween(start, end) + 1), daysBetween(period.start, period.end) + 1);
      const price = moneyToJsonNumber(share(unitPrice));
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
        internalCurrencyPrice: price,
        approveAndPostDate: posted && end <= posted.through ? dateTimeOf(posted.on) : null,
      });
    });
  }
  return rows;
}
