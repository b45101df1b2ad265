/**
 * The subscription workflow's loop without Temporal: receive events in any order (repeats
 * included), and on each sync replay the log as of "today", diff against what the PSA holds and
 * apply the operations to an in-memory PSA that behaves like the real ones where it matters
 * (ConnectWise lines by id; Autotask create-only adjustments, one per contract service and day,
 * later days taken when a day is, units never below zero). Partial upgrades spawn, and withdraw,
 * their new subscription. Used to test the domain's replay + diff under every arrival order.
 */
import {
  diffLines,
  emptyHeld,
  heldAfter,
  type AppliedLine,
  type HeldLines,
} from '../../domain/psa-diff';
import { admit, insertLogged, type LoggedEvent, type PlatformEvent } from '../../domain/event-log';
import { replaySubscription } from '../../domain/replay';
import { addDays, type CwAddition, type IsoDate, type LedgerInit, type LedgerInitInput, type PsaKind, type PsaOperation } from '../../domain';
import type { LiveAtService, LiveCwLine } from './plan-agreement';

export interface MemoryPsa {
  nextId: number;
  cw: Map<number, CwAddition>;
  at: Map<number, { serviceKey: string; productId: string; unitPrice: string; unitCost: string; posted: Map<IsoDate, number> }>;
}

export const memoryPsa = (): MemoryPsa => ({ nextId: 1000, cw: new Map(), at: new Map() });

/** Applies operations as a PSA would; returns what the gateway reports for each. */
export function applyToMemory(psa: MemoryPsa, ops: readonly PsaOperation[], ids: Record<string, number>): AppliedLine[] {
  const known = { ...ids };
  return ops.map((op): AppliedLine => {
    switch (op.type) {
      case 'cw.create-addition': {
        const id = psa.nextId++;
        psa.cw.set(id, { ...op.addition });
        known[op.addition.lineKey] = id;
        return { lineKey: op.addition.lineKey, psaId: id };
      }
      case 'cw.update-addition': {
        const id = known[op.lineKey]!;
        const line = psa.cw.get(id);
        if (!line) throw new Error(`update of a missing addition ${op.lineKey}`);
        Object.assign(line, op.set);
        return { lineKey: op.lineKey, psaId: id };
      }
      case 'cw.delete-addition': {
        const id = known[op.lineKey]!;
        if (!psa.cw.delete(id)) throw new Error(`delete of a missing addition ${op.lineKey}`);
        return { lineKey: op.lineKey, psaId: null };
      }
      case 'at.create-contract-service': {
        const id = psa.nextId++;
        psa.at.set(id, { ...op.service, posted: new Map() });
        known[op.service.serviceKey] = id;
        return { lineKey: op.service.serviceKey, psaId: id };
      }
      case 'at.update-contract-service': {
        const s = psa.at.get(known[op.serviceKey]!)!;
        s.unitPrice = op.unitPrice;
        s.unitCost = op.unitCost;
        return { lineKey: op.serviceKey, psaId: known[op.serviceKey]! };
      }
      case 'at.adjust-units': {
        const s = psa.at.get(known[op.serviceKey]!);
        if (!s) throw new Error(`adjustment on a missing contract service ${op.serviceKey}`);
        let day = op.effectiveDate;
        while (s.posted.has(day)) day = addDays(day, 1); // §5: one adjustment per day
        s.posted.set(day, op.unitChange);
        let units = 0;
        for (const [d, n] of [...s.posted].sort(([a], [b]) => (a < b ? -1 : 1))) {
          units += n;
          if (units < 0) throw new Error(`contract service ${op.serviceKey} would hold ${units} units from ${d}`);
        }
        return { lineKey: op.serviceKey, psaId: known[op.serviceKey]!, effectiveDate: day };
      }
      case 'at.create-contract-charge':
        throw new Error('not a lifecycle operation');
    }
  });
}

export class SimulatedSubscription {
  log: LoggedEvent[] = [];
  held: HeldLines = emptyHeld();
  withdrawn = false;
  private arrivals = 0;
  /** Partial-upgrade event id → the new subscription's id. */
  spawned = new Map<string, string>();

  constructor(
    readonly psaKind: PsaKind,
    readonly psa: MemoryPsa,
    /** Not readonly: a rules change reaches a running subscription (docs/mapping.md "Rules change"). */
    public init: LedgerInitInput,
  ) {}

  receive(e: PlatformEvent): 'accepted' | 'duplicate' {
    const a = admit(this.log, e);
    if (a.kind === 'conflict') throw new Error(a.reason);
    if (a.kind === 'duplicate') return 'duplicate';
    this.log = insertLogged(this.log, { ...e, arrival: this.arrivals++, receivedAt: '' });
    return 'accepted';
  }

  /** One sync as of `today`; returns the partial upgrades the log applies now (S2 inits by event id). */
  sync(today: IsoDate): Map<string, LedgerInit> {
    const r = replaySubscription({ init: this.init, log: this.log, asOf: today });
    const ops = diffLines(this.psaKind, this.held, this.withdrawn ? null : r.ledger, today);
    const ids = Object.fromEntries([
      ...Object.entries(this.held.connectwise).map(([k, v]) => [k, v.psaId] as const),
      ...Object.entries(this.held.autotask).map(([k, v]) => [k, v.psaId] as const),
    ]);
    this.held = heldAfter(this.held, ops, applyToMemory(this.psa, ops, ids));
    return new Map(this.withdrawn ? [] : r.spawned.map((s) => [s.eventId, s.init]));
  }

  /** What the PSA holds for this subscription, normalised for the plan comparison. */
  live(): { cw: LiveCwLine[]; at: LiveAtService[] } {
    const cw = Object.values(this.held.connectwise).map((h) => {
      const line = this.psa.cw.get(h.psaId)!;
      return { lineKey: h.lineKey, productId: line.productId, quantity: line.quantity, unitPrice: line.unitPrice, unitCost: line.unitCost, effectiveDate: line.effectiveDate, cancelledDate: line.cancelledDate };
    });
    const at = Object.values(this.held.autotask).map((h) => {
      const s = this.psa.at.get(h.psaId)!;
      // The PSA's own postings, mapped back to the date each was meant for by the connector's record.
      const meant = new Map(h.adjustments.map((a) => [a.postedOn, a.forDate]));
      const netByDate: Record<IsoDate, number> = {};
      for (const [day, n] of s.posted) {
        const forDate = meant.get(day);
        if (forDate === undefined) throw new Error(`${h.serviceKey}: an adjustment on ${day} the connector does not know`);
        netByDate[forDate] = (netByDate[forDate] ?? 0) + n;
      }
      return { serviceKey: h.serviceKey, productId: s.productId, unitPrice: s.unitPrice, unitCost: s.unitCost, netByDate };
    });
    return { cw, at };
  }
}
