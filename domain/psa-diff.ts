/**
 * From desired billing to PSA writes: what the PSA holds for a subscription (as this connector
 * wrote it), the operations that turn it into what the ledger says it should hold, and what it
 * holds once they are applied. Used by the subscription workflow after every replay (replay.ts).
 *
 * Only operations the PSA allows, and billed history is never rewritten (docs/billing-rules.md §4,
 * §5; domain/README.md "Corrections"):
 * - ConnectWise: a missing line is created (a correction of a past period is a new, back-dated
 *   delta or reversal line, exactly the line `plan` shows); a line whose quantity, prices,
 *   cancelled date or product differ is updated, as the rules update lines (§4 rules 2–8); a line
 *   the ledger no longer has is deleted only while it has not billed (its effective date is
 *   today or later — §4 "nets to 0 before it ever billed"); one that has billed stays, with
 *   quantity 0, as history.
 * - Autotask: contract services are created once and re-priced; units change only through new
 *   adjustments — per effective date, the difference between the net units the ledger wants on
 *   that date and the units already posted for it, on that date or, when it already holds one,
 *   on the next free day (§5; see postingDays). Increases are posted before decreases, so a
 *   contract service never dips below zero units on the way.
 */
import { addDays, type IsoDate } from './dates';
import { netAdjustments } from './autotask-projection';
import { toCw } from './connectwise-projection';
import type { Ledger } from './ledger-types';
import type { AtContractService, AtOperation, CwAddition, CwOperation, PsaKind, PsaOperation } from './psa-operations';

/** A ConnectWise addition as last written, with its PSA id. */
export interface HeldCwLine extends CwAddition {
  psaId: number;
}

/** One Autotask adjustment posted: the date it was meant for and the date it landed on (§5 shift). */
export interface HeldAtAdjustment {
  forDate: IsoDate;
  postedOn: IsoDate;
  unitChange: number;
}

/** An Autotask contract service as last written, with its adjustments. */
export interface HeldAtService extends AtContractService {
  psaId: number;
  adjustments: HeldAtAdjustment[];
}

/** What the PSA holds for one subscription, keyed by the planner's line / service keys. */
export interface HeldLines {
  connectwise: Record<string, HeldCwLine>;
  autotask: Record<string, HeldAtService>;
}

export const emptyHeld = (): HeldLines => ({ connectwise: {}, autotask: {} });

/** The operations that make the PSA hold what `desired` bills (null: nothing, e.g. a withdrawn S2). */
export function diffLines(psa: PsaKind, held: HeldLines, desired: Ledger | null, today: IsoDate): PsaOperation[] {
  return psa === 'connectwise' ? diffConnectWise(held, desired, today) : diffAutotask(held, desired);
}

function cwChanges(want: CwAddition, have: HeldCwLine): Extract<CwOperation, { type: 'cw.update-addition' }>['set'] {
  const set: Extract<CwOperation, { type: 'cw.update-addition' }>['set'] = {};
  if (want.quantity !== have.quantity) set.quantity = want.quantity;
  if (want.unitPrice !== have.unitPrice) set.unitPrice = want.unitPrice;
  if (want.unitCost !== have.unitCost) set.unitCost = want.unitCost;
  if (want.cancelledDate !== have.cancelledDate) set.cancelledDate = want.cancelledDate;
  if (want.productId !== have.productId) set.productId = want.productId;
  return set;
}

export function diffConnectWise(held: HeldLines, desired: Ledger | null, today: IsoDate): CwOperation[] {
  const want = new Map((desired?.additions ?? []).map((a) => [a.lineKey, toCw(a)]));
  const updates: CwOperation[] = [];
  const creates: CwOperation[] = [];
  const retires: CwOperation[] = [];
  for (const [key, line] of want) {
    const have = held.connectwise[key];
    if (!have) {
      creates.push({ type: 'cw.create-addition', addition: line });
      continue;
    }
    const set = cwChanges(line, have);
    if (Object.keys(set).length > 0) updates.push({ type: 'cw.update-addition', lineKey: key, set });
  }
  for (const [key, have] of Object.entries(held.connectwise)) {
    if (want.has(key)) continue;
    // Not billed yet (its first day is today or later): gone. Billed: kept at 0 as history.
    if (have.effectiveDate >= today) retires.push({ type: 'cw.delete-addition', lineKey: key });
    else if (have.quantity !== 0) retires.push({ type: 'cw.update-addition', lineKey: key, set: { quantity: 0 } });
  }
  return [...updates, ...creates, ...retires];
}

/** Units posted per date the adjustment was meant for. */
function heldNet(service: HeldAtService | undefined): Map<IsoDate, number> {
  const net = new Map<IsoDate, number>();
  for (const a of service?.adjustments ?? []) net.set(a.forDate, (net.get(a.forDate) ?? 0) + a.unitChange);
  return net;
}

type AdjustUnits = Extract<AtOperation, { type: 'at.adjust-units' }>;

export function diffAutotask(held: HeldLines, desired: Ledger | null): AtOperation[] {
  const services: AtOperation[] = [];
  const adjustments: AdjustUnits[] = [];
  const wantNet = new Map<string, Map<IsoDate, number>>();
  for (const s of desired?.services ?? []) {
    const have = held.autotask[s.serviceKey];
    if (!have) {
      services.push({
        type: 'at.create-contract-service',
        service: { serviceKey: s.serviceKey, subscriptionId: s.subscriptionId, productId: s.productId, unitPrice: s.unitPrice, unitCost: s.unitCost },
      });
    } else if (have.unitPrice !== s.unitPrice || have.unitCost !== s.unitCost) {
      services.push({ type: 'at.update-contract-service', serviceKey: s.serviceKey, unitPrice: s.unitPrice, unitCost: s.unitCost });
    }
    wantNet.set(s.serviceKey, new Map(netAdjustments(s).map((a) => [a.effectiveDate, a.unitChange])));
  }
  const keys = new Set([...wantNet.keys(), ...Object.keys(held.autotask)]);
  for (const serviceKey of keys) {
    const want = wantNet.get(serviceKey) ?? new Map<IsoDate, number>();
    const have = heldNet(held.autotask[serviceKey]);
    const changes = [...new Set([...want.keys(), ...have.keys()])]
      .sort()
      .map((date) => ({ date, unitChange: (want.get(date) ?? 0) - (have.get(date) ?? 0) }))
      .filter((c) => c.unitChange !== 0);
    adjustments.push(...postingDays(serviceKey, held.autotask[serviceKey]?.adjustments ?? [], changes));
  }
  // Increases first: the running units never go below what the end state holds on any day.
  const ups = adjustments.filter((a) => a.unitChange > 0);
  const downs = adjustments.filter((a) => a.unitChange < 0);
  return [...services, ...ups, ...downs];
}

/**
 * The day each change is posted on (§5): its own date when free, else the first later day that
 * holds no adjustment. Posting later leaves the units of the days in between short by the
 * change, so two repairs keep a contract service from ever holding fewer than zero units (which
 * Autotask refuses), at the price of a day or two billed early or late next to taken days:
 * - an increase that would land too late goes to the last free day before its date instead;
 * - a stretch still below zero (a shifted posting of an earlier step now meets a decrease) is
 *   covered by a pair: +n on the last free day before it, −n on the first free day after it.
 *   The pair nets to zero for the date it belongs to, so the units per date stay the plan's.
 */
function postingDays(serviceKey: string, posted: readonly HeldAtAdjustment[], changes: ReadonlyArray<{ date: IsoDate; unitChange: number }>): AdjustUnits[] {
  const taken = new Set(posted.map((a) => a.postedOn));
  const freeFrom = (day: IsoDate, step: 1 | -1): IsoDate => {
    let d = day;
    while (taken.has(d)) d = addDays(d, step);
    taken.add(d);
    return d;
  };
  const out = changes.map((c) => ({ date: c.date, unitChange: c.unitChange, day: freeFrom(c.date, 1) }));
  const postings = () => [...posted.map((a) => ({ day: a.postedOn, unitChange: a.unitChange })), ...out];
  for (let guard = 0; guard < 2 * out.length + 4; guard++) {
    const low = firstNegativeStretch(postings());
    if (low === null) break;
    const late = out.find((c) => c.unitChange > 0 && c.date <= low.from && low.from < c.day);
    if (late) {
      taken.delete(late.day);
      late.day = freeFrom(addDays(late.date, -1), -1);
      continue;
    }
    out.push({ date: low.from, unitChange: low.short, day: freeFrom(low.from, -1) });
    if (low.until !== null) out.push({ date: low.from, unitChange: -low.short, day: freeFrom(low.until, 1) });
  }
  return out.map((c) => ({
    type: 'at.adjust-units' as const,
    serviceKey,
    effectiveDate: c.day,
    unitChange: c.unitChange,
    ...(c.day !== c.date ? { forDate: c.date } : {}),
  }));
}

/** The first run of days on which these postings sum below zero: where it starts, how far below, and the day it ends (null: never). */
function firstNegativeStretch(postings: ReadonlyArray<{ day: IsoDate; unitChange: number }>): { from: IsoDate; short: number; until: IsoDate | null } | null {
  const byDay = new Map<IsoDate, number>();
  for (const p of postings) byDay.set(p.day, (byDay.get(p.day) ?? 0) + p.unitChange);
  let units = 0;
  let from: IsoDate | null = null;
  let short = 0;
  for (const [day, n] of [...byDay].sort(([a], [b]) => (a < b ? -1 : 1))) {
    units += n;
    if (from === null && units < 0) {
      from = day;
      short = -units;
    } else if (from !== null && units < 0) {
      short = Math.max(short, -units);
    } else if (from !== null && units >= 0) {
      return { from, short, until: day };
    }
  }
  return from === null ? null : { from, short, until: null };
}

/** What a gateway reports for one applied operation (the fields the held state needs). */
export interface AppliedLine {
  lineKey: string;
  psaId: number | null;
  /** Autotask: the date an adjustment actually landed on (a later free day when its own was taken, §5). */
  effectiveDate?: IsoDate;
}

/** The held lines after `applied[i]` (the outcome of `operations[i]`), for every i given. */
export function heldAfter(held: HeldLines, operations: readonly PsaOperation[], applied: readonly (AppliedLine | null | undefined)[]): HeldLines {
  const next: HeldLines = {
    connectwise: Object.fromEntries(Object.entries(held.connectwise).map(([k, v]) => [k, { ...v }])),
    autotask: Object.fromEntries(Object.entries(held.autotask).map(([k, v]) => [k, { ...v, adjustments: [...v.adjustments] }])),
  };
  operations.forEach((op, i) => {
    const r = applied[i];
    if (!r) return;
    switch (op.type) {
      case 'cw.create-addition':
        if (r.psaId !== null) next.connectwise[op.addition.lineKey] = { ...op.addition, psaId: r.psaId };
        break;
      case 'cw.update-addition': {
        const line = next.connectwise[op.lineKey];
        if (line) next.connectwise[op.lineKey] = { ...line, ...op.set };
        break;
      }
      case 'cw.delete-addition':
        delete next.connectwise[op.lineKey];
        break;
      case 'at.create-contract-service':
        if (r.psaId !== null) next.autotask[op.service.serviceKey] = { ...op.service, psaId: r.psaId, adjustments: [] };
        break;
      case 'at.update-contract-service': {
        const s = next.autotask[op.serviceKey];
        if (s) next.autotask[op.serviceKey] = { ...s, unitPrice: op.unitPrice, unitCost: op.unitCost };
        break;
      }
      case 'at.adjust-units': {
        const s = next.autotask[op.serviceKey];
        if (s) s.adjustments.push({ forDate: op.forDate ?? op.effectiveDate, postedOn: r.effectiveDate ?? op.effectiveDate, unitChange: op.unitChange });
        break;
      }
      case 'at.create-contract-charge':
        break; // reconciliation charges are not lifecycle lines
    }
  });
  return next;
}

/** Planner key → PSA id of every held line and service. */
export function heldLineIds(held: HeldLines): Record<string, number> {
  const ids: Record<string, number> = {};
  for (const [k, v] of Object.entries(held.connectwise)) ids[k] = v.psaId;
  for (const [k, v] of Object.entries(held.autotask)) ids[k] = v.psaId;
  return ids;
}

/** The keys of the existing lines `operations` touch (the lines they update or delete, the services they adjust): those whose PSA ids the gateway needs. */
export function lineKeysTouched(operations: readonly PsaOperation[]): string[] {
  const keys = operations.flatMap((op) => ('lineKey' in op ? [op.lineKey] : 'serviceKey' in op ? [op.serviceKey] : []));
  return [...new Set(keys)];
}

/** The PSA ids the gateway needs for `operations` (lineKeysTouched), from the lines held. */
export function lineIdsFor(held: HeldLines, operations: readonly PsaOperation[]): Record<string, number> {
  const all = heldLineIds(held);
  const ids: Record<string, number> = {};
  for (const key of lineKeysTouched(operations)) if (all[key] !== undefined) ids[key] = all[key]!;
  return ids;
}

/** Dates each Autotask service already holds an adjustment on (where a new one cannot land, §5). */
export function takenDates(held: HeldLines): Record<string, IsoDate[]> {
  return Object.fromEntries(Object.entries(held.autotask).map(([k, s]) => [k, [...new Set(s.adjustments.map((a) => a.postedOn))].sort()]));
}
