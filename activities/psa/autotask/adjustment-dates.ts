/**
 * Same-date rules for Autotask unit adjustments (docs/billing-rules.md §5). Autotask keeps one unit
 * period per contract service per date and refuses a second adjustment on a date, and
 * adjustments cannot be queried. What can be read is ContractServiceUnits, split at every
 * adjustment's date — enough to tell which dates already hold one. Pure functions.
 */
import { addDays, type IsoDate } from '../../../domain/dates';

export interface UnitsSlice { startDate: IsoDate; endDate: IsoDate; units: number }

/**
 * Dates that hold an adjustment, with its unit change. A slice whose units differ from the slice
 * before it starts at an adjustment; a slice that merely starts a new billing period does not.
 * Two slices touch when the later one starts the day after the earlier one ends — or ON the day
 * it ends: Autotask's ContractServiceUnits page says a split period ends on the next adjustment's
 * effective date, and this must hold under either reading of that sentence.
 * Limit: an adjustment that changed only the price (unitChange 0) is invisible here; the
 * gateway never writes one, and Autotask would refuse our write on that date anyway.
 */
export function adjustmentDates(slices: readonly UnitsSlice[]): Map<IsoDate, number> {
  const dates = new Map<IsoDate, number>();
  let previous: UnitsSlice | undefined;
  for (const slice of [...slices].sort((a, b) => (a.startDate < b.startDate ? -1 : a.startDate > b.startDate ? 1 : 0))) {
    const touches = previous !== undefined && previous.startDate < slice.startDate && slice.startDate <= addDays(previous.endDate, 1);
    const before = touches ? previous!.units : 0;
    if (slice.units !== before) dates.set(slice.startDate, slice.units - before);
    previous = slice;
  }
  return dates;
}

/** The first day on or after `date` that holds no adjustment. */
export function firstFreeDate(date: IsoDate, taken: ReadonlyMap<IsoDate, number>): IsoDate {
  let d = date;
  while (taken.has(d)) d = addDays(d, 1);
  return d;
}

export interface DatedChange<K> { key: K; effectiveDate: IsoDate; unitChange: number }

export interface PlannedAdjustment<K> {
  /** The date written: the first free day on or after every member's own date. */
  postDate: IsoDate;
  unitChange: number;
  /** Members in plan order, with the date each asked for. */
  members: DatedChange<K>[];
}

/**
 * Nets one contract service's changes into the adjustments to write: changes that map to one
 * date — their own date, or the first free day after it when their date is taken — become one
 * adjustment. Groups whose net is 0 are kept (nothing is written for them, but their keys are
 * settled).
 */
export function planAdjustments<K>(changes: readonly DatedChange<K>[], taken: ReadonlyMap<IsoDate, number>): PlannedAdjustment<K>[] {
  const byDate = new Map<IsoDate, PlannedAdjustment<K>>();
  const sorted = [...changes].sort((a, b) => (a.effectiveDate < b.effectiveDate ? -1 : a.effectiveDate > b.effectiveDate ? 1 : 0));
  for (const change of sorted) {
    const postDate = firstFreeDate(change.effectiveDate, taken);
    const group = byDate.get(postDate) ?? { postDate, unitChange: 0, members: [] };
    group.unitChange += change.unitChange;
    group.members.push(change);
    byDate.set(postDate, group);
  }
  const order = new Map(changes.map((c, i) => [c, i]));
  for (const g of byDate.values()) g.members.sort((a, b) => order.get(a)! - order.get(b)!);
  return [...byDate.values()].sort((a, b) => (a.postDate < b.postDate ? -1 : 1));
}

/**
 * The units in force on `day`: the slice that starts last on or before it (under the documented
 * reading two slices contain an adjustment's date; the one starting that day wins). 0 before
 * the first slice, and on days after the last one's end.
 */
export function unitsOn(day: IsoDate, slices: readonly UnitsSlice[]): number {
  const inForce = slices.filter((s) => s.startDate <= day && day <= s.endDate).sort((a, b) => (a.startDate < b.startDate ? 1 : -1))[0];
  return inForce?.units ?? 0;
}

/**
 * Crash recovery: did an adjustment of `unitChange`, meant for the first free day on or after
 * `from`, already land? If it did, it sits on the last day of the run of taken days starting at
 * `from` (that day was free when it was written). Limits: if someone else wrote the same unit
 * change at that spot, we would wrongly believe ours landed; writes to one contract service
 * come from one subscription workflow at a time, which makes that practically impossible.
 */
export function landedOn(from: IsoDate, unitChange: number, taken: ReadonlyMap<IsoDate, number>): IsoDate | null {
  let last: IsoDate | null = null;
  for (let d = from; taken.has(d); d = addDays(d, 1)) last = d;
  return last !== null && taken.get(last) === unitChange ? last : null;
}
