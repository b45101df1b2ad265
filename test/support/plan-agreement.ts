/**
 * "Live = plan", as a check: does what a PSA holds for some subscriptions bill exactly what
 * `plan` computes for their date-sorted, de-duplicated events?
 *
 * - ConnectWise: every line of the plan is there under its line key with the same product,
 *   quantity, prices and dates; any other line holds quantity 0 (a line that billed before a
 *   late event removed it stays as history, docs/billing-rules.md §4).
 * - Autotask: every contract service of the plan is there with its price and cost, and the units
 *   posted for each effective date net to the plan's; an adjustment posted on a later free day
 *   than its own (§5 shift) counts for the date it was meant for.
 */
import { netAdjustments, type CwAddition, type IsoDate, type Ledger } from '../../domain';

/** A ConnectWise line as the PSA holds it, with the planner key the connector wrote it under. */
export type LiveCwLine = Omit<CwAddition, 'subscriptionId' | 'kind'> & { lineKey: string };

/** An Autotask contract service as the PSA holds it, with the units posted per date they were meant for. */
export interface LiveAtService {
  serviceKey: string;
  productId: string;
  unitPrice: string;
  unitCost: string;
  netByDate: Record<IsoDate, number>;
}

export function cwDisagreements(plan: readonly Ledger[], live: readonly LiveCwLine[]): string[] {
  const out: string[] = [];
  const byKey = new Map(live.map((l) => [l.lineKey, l]));
  const planned = new Set<string>();
  for (const ledger of plan) {
    for (const a of ledger.additions) {
      planned.add(a.lineKey);
      const have = byKey.get(a.lineKey);
      if (!have) {
        out.push(`CW line ${a.lineKey} (${a.kind} ${a.quantity} from ${a.effectiveDate}) is missing`);
        continue;
      }
      for (const f of ['productId', 'quantity', 'unitPrice', 'unitCost', 'effectiveDate', 'cancelledDate'] as const) {
        if (have[f] !== a[f]) out.push(`CW line ${a.lineKey}: ${f} is ${String(have[f])}, plan says ${String(a[f])}`);
      }
    }
  }
  for (const l of live) if (!planned.has(l.lineKey) && l.quantity !== 0) out.push(`CW line ${l.lineKey} is not in the plan and bills ${l.quantity}`);
  return out;
}

export function atDisagreements(plan: readonly Ledger[], live: readonly LiveAtService[]): string[] {
  const out: string[] = [];
  const byKey = new Map(live.map((s) => [s.serviceKey, s]));
  const planned = new Set<string>();
  for (const ledger of plan) {
    for (const s of ledger.services) {
      planned.add(s.serviceKey);
      const have = byKey.get(s.serviceKey);
      const want = Object.fromEntries(netAdjustments(s).map((a) => [a.effectiveDate, a.unitChange]));
      if (!have) {
        if (Object.keys(want).length > 0) out.push(`AT service ${s.serviceKey} is missing`);
        continue;
      }
      if (have.unitPrice !== s.unitPrice) out.push(`AT service ${s.serviceKey}: unit price ${have.unitPrice}, plan says ${s.unitPrice}`);
      const got = Object.fromEntries(Object.entries(have.netByDate).filter(([, n]) => n !== 0));
      if (JSON.stringify(sorted(got)) !== JSON.stringify(sorted(want))) {
        out.push(`AT service ${s.serviceKey}: units per date ${JSON.stringify(sorted(got))}, plan says ${JSON.stringify(sorted(want))}`);
      }
    }
  }
  for (const s of live) {
    if (planned.has(s.serviceKey)) continue;
    const nonzero = Object.entries(s.netByDate).filter(([, n]) => n !== 0);
    if (nonzero.length > 0) out.push(`AT service ${s.serviceKey} is not in the plan and holds ${JSON.stringify(Object.fromEntries(nonzero))}`);
  }
  return out;
}

const sorted = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
