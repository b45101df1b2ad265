/**
 * §3 The billed-quantity timeline (PSA-independent): per (subscription, product) the quantity
 * that must be billed on each day. Both projections (§4, §5) must bill exactly this.
 */
import { addDays, type IsoDate } from './dates';
import type { Lane, Ledger } from './ledger-types';

/** One maximal run of one quantity (docs/architecture.md "The `plan` command"). */
export interface TimelineSegment {
  subscriptionId: string;
  productId: string;
  from: IsoDate;
  /** Last billed day of the run; null while open-ended. */
  to: IsoDate | null;
  quantity: number;
}

/** The lane of the subscription's current product (the last one opened). */
export function currentLane(ledger: Ledger): Lane | undefined {
  const lane = ledger.lanes[ledger.lanes.length - 1];
  return lane && lane.productId === ledger.state.productId ? lane : undefined;
}

/** Adds Δ at `date` (merging with a change already dated that day). */
export function addPoint(lane: Lane, date: IsoDate, delta: number): void {
  if (delta === 0) return;
  let i = lane.points.length;
  while (i > 0 && lane.points[i - 1]!.date > date) i--;
  const prev = lane.points[i - 1];
  if (prev && prev.date === date) {
    prev.delta += delta;
    if (prev.delta === 0) lane.points.splice(i - 1, 1);
  } else {
    lane.points.splice(i, 0, { date, delta });
  }
}

/**
 * Billing of the lane stops from `stopDate` on (§3 full upgrade: "billed 0 from d";
 * cancellation: "billed 0 from d | FONM(d)"; "pending future changes after that point are
 * void"). Returns false when the lane never billed a day and should be dropped.
 */
export function stopLane(lane: Lane, stopDate: IsoDate): boolean {
  const last = addDays(stopDate, -1);
  if (lane.to === null || last < lane.to) lane.to = last;
  lane.points = lane.points.filter((p) => p.date <= last);
  return lane.to >= lane.from;
}

/** Quantity billed on `day` by this lane (0 outside [from, to]). */
export function laneQuantityOn(lane: Lane, day: IsoDate): number {
  if (day < lane.from || (lane.to !== null && day > lane.to)) return 0;
  let q = 0;
  for (const p of lane.points) {
    if (p.date > day) break;
    q += p.delta;
  }
  return q;
}

/** §3 billed quantity of the subscription on `day`, per product (all lanes of that product). */
export function billedQuantityOn(ledger: Ledger, productId: string, day: IsoDate): number {
  return ledger.lanes.filter((l) => l.productId === productId).reduce((s, l) => s + laneQuantityOn(l, day), 0);
}

/** Maximal runs of one quantity of each lane, in date order. */
export function timelineSegments(ledger: Ledger): TimelineSegment[] {
  const out: TimelineSegment[] = [];
  for (const lane of ledger.lanes) {
    const base = { subscriptionId: ledger.state.id, productId: lane.productId };
    let from = lane.from;
    let q = 0;
    let i = 0;
    const pts = lane.points;
    while (i < pts.length && pts[i]!.date <= from) q += pts[i++]!.delta;
    for (; i < pts.length; ) {
      const date = pts[i]!.date;
      if (lane.to !== null && date > lane.to) break;
      let next = q;
      while (i < pts.length && pts[i]!.date === date) next += pts[i++]!.delta;
      if (next === q) continue;
      out.push({ ...base, from, to: addDays(date, -1), quantity: q });
      from = date;
      q = next;
    }
    out.push({ ...base, from, to: lane.to, quantity: q });
  }
  return out;
}
