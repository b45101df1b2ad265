/**
 * The lines a subscription's workflow owns, compared with what the PSA really holds:
 *
 * - **Adoption at cutover** (`planAdoption`): an MSP that billed by hand already has an addition
 *   (ConnectWise) or contract service (Autotask) for the subscription. Instead of the first sync
 *   creating a second one, the workflow takes that line over: it records the line, with the
 *   values the PSA holds, as the one it holds for the ledger's key — and its next diff
 *   (psa-diff.ts) updates it to what the ledger bills.
 * - **Drift** (`findDrift`): a line the connector owns whose quantity, price, cost, end date or
 *   product was changed in the PSA by hand, or that was deleted there.
 *
 * Both compare a PSA line read now (`PsaLineFound`) with the ledger — what `plan` shows — so
 * "what differs" means the same thing in the adoption report and in a drift finding. Pure: the
 * gateways read the lines (PsaGateway.listLines), the callers decide what to do.
 * docs/adopt-and-drift.md is the user's walk-through and records the choices made here.
 */
import type { IsoDate } from './dates';
import { atUnitsOn } from './autotask-projection';
import { toCw } from './connectwise-projection';
import type { Ledger, LedgerAddition, LedgerService } from './ledger-types';
import { moneyEquals, type Money } from './money';
import type { HeldAtService, HeldCwLine, HeldLines } from './psa-diff';
import type { PsaKind } from './psa-operations';

/** One line of an agreement / contract as the PSA holds it now. */
export interface PsaLineFound {
  /** ConnectWise addition id / Autotask contract service id. */
  psaId: number;
  /** ConnectWise catalog item id / Autotask service id. */
  psaProductId: number;
  /** ConnectWise: the addition's quantity; Autotask: the units in force on the day read. */
  quantity: number;
  unitPrice: Money;
  unitCost: Money;
  /** ConnectWise: the addition's first and last billed days (Autotask: null). */
  effectiveDate: IsoDate | null;
  cancelledDate: IsoDate | null;
  description: string;
  /** Autotask: the dates holding a unit adjustment, with its change (from the unit periods). */
  adjustments?: Array<{ date: IsoDate; unitChange: number }>;
}

export type LineField = 'quantity' | 'unitPrice' | 'unitCost' | 'effectiveDate' | 'cancelledDate' | 'product' | 'description' | 'line';

/** One field where the PSA's line and the ledger disagree. */
export interface LineDifference {
  lineKey: string;
  psaId: number;
  field: LineField;
  /** What the ledger bills (`plan`). */
  expected: string | number | null;
  /** What the PSA holds. */
  found: string | number | null;
}

export interface AdoptionTarget {
  /** The ledger's line key (ConnectWise) / service key (Autotask) the first sync would create. */
  lineKey: string;
  productId: string;
  /**
   * `adopt`: one line fits (or the admin chose it); `ambiguous`: several fit, choose one;
   * `no-match`: none on the agreement for this product (the first sync creates the line);
   * `held`: the connector already holds a line for this key.
   */
  outcome: 'adopt' | 'ambiguous' | 'no-match' | 'held';
  /** The line taken over (adopt), or the connector's own line (held). */
  psaId?: number;
  /** Lines of this product on the agreement that no subscription owns. */
  candidates: PsaLineFound[];
  differences: LineDifference[];
  /** Hand-made look-alikes of a line the connector already holds: both bill (double billing). */
  lookAlikes?: number[];
  /** What the workflow records as held for this key when the adoption is applied. */
  held?: HeldCwLine | HeldAtService;
}

export interface AdoptionInput {
  psa: PsaKind;
  ledger: Ledger;
  held: HeldLines;
  /** Platform product id → PSA catalog item / service id. */
  productPsaIds: Readonly<Record<string, number>>;
  lines: readonly PsaLineFound[];
  /** PSA ids owned by any subscription of the connection (never adopted twice). */
  owned: ReadonlySet<number>;
  today: IsoDate;
  /** The admin's choice: line key → PSA id (or just a PSA id for the subscription's only target). */
  chosen?: Readonly<Record<string, number>>;
}

const stillBilling = (l: PsaLineFound, today: IsoDate) => l.cancelledDate === null || l.cancelledDate >= today;
const sameMoney = (found: Money, wanted: Money): Money => (moneyEquals(found, wanted) ? wanted : found);

/**
 * The lines the first sync would create (the ledger's still-billing base lines, or contract
 * services, that the workflow does not hold), each with the PSA line it would take over.
 */
export function planAdoption(input: AdoptionInput): AdoptionTarget[] {
  return input.psa === 'connectwise' ? adoptConnectWise(input) : adoptAutotask(input);
}

function pick(candidates: PsaLineFound[], quantity: number, chosen: number | undefined): { outcome: AdoptionTarget['outcome']; line?: PsaLineFound } {
  if (chosen !== undefined) {
    const line = candidates.find((c) => c.psaId === chosen);
    return line ? { outcome: 'adopt', line } : { outcome: 'ambiguous' };
  }
  if (candidates.length === 0) return { outcome: 'no-match' };
  const sameQuantity = candidates.filter((c) => c.quantity === quantity);
  if (sameQuantity.length === 1) return { outcome: 'adopt', line: sameQuantity[0]! };
  if (sameQuantity.length === 0 && candidates.length === 1) return { outcome: 'adopt', line: candidates[0]! };
  return { outcome: 'ambiguous' };
}

function adoptConnectWise(input: AdoptionInput): AdoptionTarget[] {
  const { ledger, held, today } = input;
  const targets = ledger.additions.filter((a) => a.kind === 'base' && (a.cancelledDate === null || a.cancelledDate >= today));
  const heldIds = new Set(Object.values(held.connectwise).map((h) => h.psaId));
  return targets.map((a): AdoptionTarget => {
    const catalogId = input.productPsaIds[a.productId];
    const ofProduct = input.lines.filter((l) => l.psaProductId === catalogId && stillBilling(l, today));
    const free = ofProduct.filter((l) => !input.owned.has(l.psaId) && !heldIds.has(l.psaId));
    const mine = held.connectwise[a.lineKey];
    if (mine) {
      return { lineKey: a.lineKey, productId: a.productId, outcome: 'held', psaId: mine.psaId, candidates: free, differences: [], ...(free.length ? { lookAlikes: free.map((l) => l.psaId) } : {}) };
    }
    const quantity = cwBilledQuantity(ledger, a, today);
    const { outcome, line } = pick(free, quantity, chosenFor(input, a.lineKey, targets.length));
    if (!line) return { lineKey: a.lineKey, productId: a.productId, outcome, candidates: free, differences: [] };
    const want = toCw(a);
    const heldLine: HeldCwLine = {
      ...want,
      psaId: line.psaId,
      quantity: line.quantity,
      unitPrice: sameMoney(line.unitPrice, want.unitPrice),
      unitCost: sameMoney(line.unitCost, want.unitCost),
      // Its first day is billing history: it stays the PSA's (a diff never moves it).
      effectiveDate: line.effectiveDate ?? want.effectiveDate,
      cancelledDate: line.cancelledDate,
    };
    return {
      lineKey: a.lineKey,
      productId: a.productId,
      outcome,
      psaId: line.psaId,
      candidates: free,
      differences: [
        ...cwDifferences(a.lineKey, want, line, catalogId),
        ...(line.effectiveDate !== want.effectiveDate ? [diff(a.lineKey, line.psaId, 'effectiveDate', want.effectiveDate, line.effectiveDate)] : []),
        ...(line.description.includes(ledger.state.id) ? [] : [diff(a.lineKey, line.psaId, 'description', `contains ${ledger.state.id}`, line.description)]),
      ],
      held: heldLine,
    };
  });
}

function adoptAutotask(input: AdoptionInput): AdoptionTarget[] {
  const { ledger, held, today } = input;
  const heldIds = new Set(Object.values(held.autotask).map((h) => h.psaId));
  const targets = ledger.services;
  return targets.map((s): AdoptionTarget => {
    const serviceId = input.productPsaIds[s.productId];
    const free = input.lines.filter((l) => l.psaProductId === serviceId && !input.owned.has(l.psaId) && !heldIds.has(l.psaId));
    const mine = held.autotask[s.serviceKey];
    if (mine) return { lineKey: s.serviceKey, productId: s.productId, outcome: 'held', psaId: mine.psaId, candidates: free, differences: [] };
    const units = atUnitsOn(s, today);
    const { outcome, line } = pick(free, units, chosenFor(input, s.serviceKey, targets.length));
    if (!line) return { lineKey: s.serviceKey, productId: s.productId, outcome, candidates: free, differences: [] };
    // The units the contract service holds count as posted for the ledger's first date, so the
    // diff posts only the difference (for that date) — never the whole quantity a second time.
    const firstDate = s.adjustments.map((x) => x.effectiveDate).sort()[0] ?? today;
    const heldService: HeldAtService = {
      serviceKey: s.serviceKey,
      subscriptionId: s.subscriptionId,
      productId: s.productId,
      unitPrice: sameMoney(line.unitPrice, s.unitPrice),
      unitCost: sameMoney(line.unitCost, s.unitCost),
      psaId: line.psaId,
      adjustments: (line.adjustments ?? []).map((x) => ({ forDate: firstDate, postedOn: x.date, unitChange: x.unitChange })),
    };
    return {
      lineKey: s.serviceKey,
      productId: s.productId,
      outcome,
      psaId: line.psaId,
      candidates: free,
      differences: [
        ...atDifferences(s.serviceKey, s, line, today),
        ...(line.description.includes(ledger.state.id) ? [] : [diff(s.serviceKey, line.psaId, 'description', `contains ${ledger.state.id}`, line.description)]),
      ],
      held: heldService,
    };
  });
}

function chosenFor(input: AdoptionInput, key: string, targets: number): number | undefined {
  const c = input.chosen ?? {};
  return c[key] ?? (targets === 1 && Object.keys(c).length === 1 ? Object.values(c)[0] : undefined);
}

/** ConnectWise: what a line bills today — the base plus the open deltas of its product. */
function cwBilledQuantity(ledger: Ledger, base: LedgerAddition, today: IsoDate): number {
  return ledger.additions
    .filter((a) => a.productId === base.productId && a.kind !== 'reconciliation' && !a.folded && a.effectiveDate <= today && (a.cancelledDate === null || today <= a.cancelledDate))
    .reduce((q, a) => q + a.quantity, 0);
}

const diff = (lineKey: string, psaId: number, field: LineField, expected: LineDifference['expected'], found: LineDifference['found']): LineDifference => ({
  lineKey,
  psaId,
  field,
  expected,
  found,
});

/** The fields of a ConnectWise addition the connector writes (§4 rule 10), compared. */
function cwDifferences(lineKey: string, want: { quantity: number; unitPrice: Money; unitCost: Money; cancelledDate: IsoDate | null }, line: PsaLineFound, catalogId: number | undefined): LineDifference[] {
  const out: LineDifference[] = [];
  if (line.quantity !== want.quantity) out.push(diff(lineKey, line.psaId, 'quantity', want.quantity, line.quantity));
  if (!moneyEquals(line.unitPrice, want.unitPrice)) out.push(diff(lineKey, line.psaId, 'unitPrice', want.unitPrice, line.unitPrice));
  if (!moneyEquals(line.unitCost, want.unitCost)) out.push(diff(lineKey, line.psaId, 'unitCost', want.unitCost, line.unitCost));
  if (line.cancelledDate !== want.cancelledDate) out.push(diff(lineKey, line.psaId, 'cancelledDate', want.cancelledDate, line.cancelledDate));
  if (catalogId !== undefined && line.psaProductId !== catalogId) out.push(diff(lineKey, line.psaId, 'product', catalogId, line.psaProductId));
  return out;
}

/** An Autotask contract service: its price (the cost is the service's, never written) and today's units. */
function atDifferences(serviceKey: string, want: LedgerService, line: PsaLineFound, today: IsoDate): LineDifference[] {
  const out: LineDifference[] = [];
  const units = atUnitsOn(want, today);
  if (line.quantity !== units) out.push(diff(serviceKey, line.psaId, 'quantity', units, line.quantity));
  if (!moneyEquals(line.unitPrice, want.unitPrice)) out.push(diff(serviceKey, line.psaId, 'unitPrice', want.unitPrice, line.unitPrice));
  return out;
}

/** A line the connector owns that the PSA no longer holds as the ledger bills it. */
export interface DriftFinding extends LineDifference {
  /** The platform product the line bills. */
  productId: string;
}

/**
 * Drift: every owned line (the workflow's `held`) compared with the ledger — quantity, prices,
 * end date and product of ConnectWise additions; price and today's units of Autotask contract
 * services; a line deleted by hand (`field: 'line'`). A held line the ledger no longer has is
 * history kept at quantity 0 (psa-diff.ts), and is compared with that. First days and
 * descriptions are not drift: the connector never rewrites them.
 */
export function findDrift(psa: PsaKind, ledger: Ledger | null, held: HeldLines, lines: readonly PsaLineFound[], productPsaIds: Readonly<Record<string, number>>, today: IsoDate): DriftFinding[] {
  const byId = new Map(lines.map((l) => [l.psaId, l]));
  const out: DriftFinding[] = [];
  if (psa === 'connectwise') {
    const want = new Map((ledger?.additions ?? []).map((a) => [a.lineKey, toCw(a)]));
    for (const [key, have] of Object.entries(held.connectwise)) {
      const expected = want.get(key) ?? { ...have, quantity: 0 };
      const line = byId.get(have.psaId);
      if (!line) {
        out.push({ ...diff(key, have.psaId, 'line', 'present', null), productId: have.productId });
        continue;
      }
      out.push(...cwDifferences(key, expected, line, productPsaIds[expected.productId]).map((d) => ({ ...d, productId: expected.productId })));
    }
  } else {
    const services = new Map((ledger?.services ?? []).map((s) => [s.serviceKey, s]));
    for (const [key, have] of Object.entries(held.autotask)) {
      const line = byId.get(have.psaId);
      if (!line) {
        out.push({ ...diff(key, have.psaId, 'line', 'present', null), productId: have.productId });
        continue;
      }
      const expected: LedgerService = services.get(key) ?? { ...have, adjustments: [] };
      out.push(...atDifferences(key, expected, line, today).map((d) => ({ ...d, productId: have.productId })));
    }
  }
  return out;
}

/**
 * What the workflow must believe the PSA holds so that its next diff writes the ledger's values
 * back over a drifted line (restore): the held line with the PSA's values — or, for a line
 * deleted by hand, nothing (the diff creates it again). Autotask units changed by hand are
 * recorded as the adjustments the PSA shows and the workflow did not post, so the diff posts
 * the opposite change on the next free day.
 */
export function observedHeld(psa: PsaKind, held: HeldLines, lineKey: string, line: PsaLineFound | null): HeldCwLine | HeldAtService | null {
  if (psa === 'connectwise') {
    const have = held.connectwise[lineKey];
    if (!have || !line) return null;
    return {
      ...have,
      quantity: line.quantity,
      unitPrice: sameMoney(line.unitPrice, have.unitPrice),
      unitCost: sameMoney(line.unitCost, have.unitCost),
      cancelledDate: line.cancelledDate,
    };
  }
  const have = held.autotask[lineKey];
  if (!have || !line) return null;
  const posted = new Map<IsoDate, number>();
  for (const a of have.adjustments) posted.set(a.postedOn, (posted.get(a.postedOn) ?? 0) + a.unitChange);
  const extra = (line.adjustments ?? [])
    .map((a) => ({ date: a.date, change: a.unitChange - (posted.get(a.date) ?? 0) }))
    .filter((a) => a.change !== 0)
    .map((a) => ({ forDate: a.date, postedOn: a.date, unitChange: a.change }));
  return { ...have, unitPrice: sameMoney(line.unitPrice, have.unitPrice), adjustments: [...have.adjustments, ...extra] };
}
