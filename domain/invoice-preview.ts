/**
 * What the customer's next invoice will hold for one subscription, before anything is written
 * (docs/console.md "Next invoice"). Pure: the same replay the subscription workflow runs
 * (replay.ts), read twice — as of the end of the current billing period and as of the end of
 * the next one — so scheduled (future-dated) events count when their date comes.
 *
 * "Next invoice" = the invoice of the agreement's next billing period: for a monthly agreement
 * the calendar month after today's, for a yearly one the agreement year after today's (years
 * start on the agreement start's month and day). It holds:
 * - **recurring** lines: every PSA line active in that period — ConnectWise additions (quantity ×
 *   unit price), Autotask contract services per unit period (units × unit price) — prorated by
 *   days when a line is active for part of the period only;
 * - **proration** lines: quantity changes made in the current period after its first day, for
 *   the rest of the current period (ConnectWise prorating agreements and Autotask bill these on
 *   the next invoice). They come from the §3 timeline, so they are the same on both PSAs, and
 *   the quantity on the current period's first day counts as invoiced already.
 * Amounts are quantity × unit price × active days ÷ days in the period, rounded half-even to
 * cents; cost likewise.
 */
import { addDays, daysBetween, firstOfMonth, firstOfNextMonth, maxDate, minDate, type IsoDate } from './dates';
import type { LoggedEvent } from './event-log';
import type { Ledger } from './ledger-types';
import { sumMoney, toMinor, fromMinor, type Money } from './money';
import type { AdditionKind, PsaKind } from './psa-operations';
import { replaySubscription } from './replay';
import type { Agreement, LedgerInitInput } from './schemas';
import { timelineSegments } from './timeline';

/** One billing period, first and last day included. */
export interface BillingPeriod {
  from: IsoDate;
  to: IsoDate;
}

export interface InvoicePreviewLine {
  subscriptionId: string;
  productId: string;
  /** `recurring`: the line's charge for the next period; `proration`: a change of the current period billed now. */
  kind: 'recurring' | 'proration';
  /** The PSA line: planner line key (ConnectWise addition) or service key (Autotask contract service); null for a proration. */
  lineKey: string | null;
  /** ConnectWise addition role (base, delta, reversal). */
  additionKind?: AdditionKind;
  from: IsoDate;
  to: IsoDate;
  /** Days billed, and days of the period they are a share of. */
  days: number;
  periodDays: number;
  quantity: number;
  unitPrice: Money;
  unitCost: Money;
  /** quantity × unit price × days ÷ periodDays, in cents. */
  amount: Money;
  cost: Money;
}

export interface InvoicePreview {
  psa: PsaKind;
  /** The period the next invoice bills. */
  period: BillingPeriod;
  /** The period whose changes after its first day are prorated onto the next invoice. */
  current: BillingPeriod;
  lines: InvoicePreviewLine[];
  total: Money;
  totalCost: Money;
}

/** Feb 29 of a year that has none is Feb 28. */
function anniversary(year: number, monthDay: string): IsoDate {
  const d = `${String(year).padStart(4, '0')}-${monthDay}`;
  return monthDay === '02-29' && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? `${String(year).padStart(4, '0')}-02-28` : d;
}

/** The agreement's billing period holding `day`: its calendar month (monthly) or its agreement year (yearly). */
export function billingPeriodOf(agreement: Agreement, day: IsoDate): BillingPeriod {
  if (agreement.periodType === 'monthly') return { from: firstOfMonth(day), to: addDays(firstOfNextMonth(day), -1) };
  const monthDay = agreement.startDate.slice(5);
  let year = Number(day.slice(0, 4));
  if (anniversary(year, monthDay) > day) year -= 1;
  return { from: anniversary(year, monthDay), to: addDays(anniversary(year + 1, monthDay), -1) };
}

/** The period after the one holding `today`. */
export function nextBillingPeriod(agreement: Agreement, today: IsoDate): BillingPeriod {
  return billingPeriodOf(agreement, addDays(billingPeriodOf(agreement, today).to, 1));
}

const CENT = 100n; // minor units (1/10 000) per cent

/** unit × quantity × days ÷ periodDays, rounded half-even to cents. */
function prorate(unit: Money, quantity: number, days: number, periodDays: number): Money {
  const v = toMinor(unit) * BigInt(quantity) * BigInt(days);
  const d = BigInt(periodDays) * CENT;
  let q = v / d;
  const r = v % d;
  const twice = 2n * (r < 0n ? -r : r);
  if (twice > d || (twice === d && q % 2n !== 0n)) q += v < 0n ? -1n : 1n;
  return fromMinor(q * CENT);
}

const overlap = (p: BillingPeriod, from: IsoDate, to: IsoDate | null): BillingPeriod | null => {
  const f = maxDate(p.from, from);
  const t = to === null ? p.to : minDate(p.to, to);
  return f <= t ? { from: f, to: t } : null;
};

function line(
  period: BillingPeriod,
  base: Pick<InvoicePreviewLine, 'subscriptionId' | 'productId' | 'kind' | 'lineKey' | 'quantity' | 'unitPrice' | 'unitCost'> & { additionKind?: AdditionKind },
  span: BillingPeriod,
): InvoicePreviewLine {
  const days = daysBetween(span.from, span.to) + 1;
  const periodDays = daysBetween(period.from, period.to) + 1;
  return {
    ...base,
    from: span.from,
    to: span.to,
    days,
    periodDays,
    amount: prorate(base.unitPrice, base.quantity, days, periodDays),
    cost: prorate(base.unitCost, base.quantity, days, periodDays),
  };
}

/** Recurring lines of `period` from the PSA lines of `ledger` (as of the period's end). */
export function recurringLines(ledger: Ledger, psa: PsaKind, period: BillingPeriod): InvoicePreviewLine[] {
  const out: InvoicePreviewLine[] = [];
  if (psa === 'connectwise') {
    for (const a of ledger.additions) {
      if (a.kind === 'reconciliation' || a.quantity === 0) continue;
      const span = overlap(period, a.effectiveDate, a.cancelledDate);
      if (!span) continue;
      const { subscriptionId, productId, lineKey, quantity, unitPrice, unitCost } = a;
      out.push(line(period, { subscriptionId, productId, kind: 'recurring', lineKey, additionKind: a.kind, quantity, unitPrice, unitCost }, span));
    }
    return out;
  }
  for (const s of ledger.services) {
    // Unit periods: the units in force change only on an adjustment's effective date.
    const cuts = [...new Set(s.adjustments.map((a) => a.effectiveDate).filter((d) => d > period.from && d <= period.to))].sort();
    const starts = [period.from, ...cuts];
    starts.forEach((from, i) => {
      const to = i + 1 < starts.length ? addDays(starts[i + 1]!, -1) : period.to;
      const units = s.adjustments.reduce((n, a) => (a.effectiveDate <= from ? n + a.unitChange : n), 0);
      if (units === 0) return;
      const { subscriptionId, productId, serviceKey, unitPrice, unitCost } = s;
      out.push(line(period, { subscriptionId, productId, kind: 'recurring', lineKey: serviceKey, quantity: units, unitPrice, unitCost }, { from, to }));
    });
  }
  return out;
}

/** The unit price and cost a product bills at on this ledger (its base line / contract service). */
function pricesOf(ledger: Ledger, psa: PsaKind, productId: string): { unitPrice: Money; unitCost: Money } | null {
  if (psa === 'connectwise') {
    const lines = ledger.additions.filter((a) => a.productId === productId && a.kind !== 'reconciliation');
    return lines.find((a) => a.kind === 'base') ?? lines[0] ?? null;
  }
  return ledger.services.find((s) => s.productId === productId) ?? null;
}

/**
 * Proration lines: per product, each run of the §3 timeline inside the current period, after its
 * first day, whose quantity differs from the first day's (already invoiced), for the difference.
 */
export function prorationLines(ledger: Ledger, psa: PsaKind, current: BillingPeriod): InvoicePreviewLine[] {
  const out: InvoicePreviewLine[] = [];
  const segments = timelineSegments(ledger);
  const invoicedOn = (productId: string): number =>
    segments.filter((g) => g.productId === productId && g.from <= current.from && (g.to === null || g.to >= current.from)).reduce((n, g) => n + g.quantity, 0);
  for (const g of segments) {
    const span = overlap(current, g.from, g.to);
    if (!span || span.from === current.from) continue;
    const delta = g.quantity - invoicedOn(g.productId);
    const prices = pricesOf(ledger, psa, g.productId);
    if (delta === 0 || !prices) continue;
    out.push(line(current, { subscriptionId: g.subscriptionId, productId: g.productId, kind: 'proration', lineKey: null, quantity: delta, unitPrice: prices.unitPrice, unitCost: prices.unitCost }, span));
  }
  return out;
}

/** The preview from the two ledgers: as of the current period's end and as of the next period's end. */
export function invoicePreviewOf(input: { psa: PsaKind; agreement: Agreement; today: IsoDate; atCurrentEnd: Ledger | null; atNextEnd: Ledger | null }): InvoicePreview {
  const current = billingPeriodOf(input.agreement, input.today);
  const period = nextBillingPeriod(input.agreement, input.today);
  const lines = [
    ...(input.atCurrentEnd ? prorationLines(input.atCurrentEnd, input.psa, current) : []),
    ...(input.atNextEnd ? recurringLines(input.atNextEnd, input.psa, period) : []),
  ];
  return { psa: input.psa, period, current, lines, total: sumMoney(lines.map((l) => l.amount)), totalCost: sumMoney(lines.map((l) => l.cost)) };
}

/**
 * The next invoice of a subscription from what its workflow keeps: the ledger init (report +
 * placement), the event log in billing order and the skipped event ids. Throws
 * BillingInputError when the init cannot be billed (as the workflow would fail).
 */
export function nextInvoicePreview(input: { psa: PsaKind; init: LedgerInitInput; log: readonly LoggedEvent[]; skipped?: ReadonlySet<string>; today: IsoDate; agreement: Agreement }): InvoicePreview {
  const current = billingPeriodOf(input.agreement, input.today);
  const period = nextBillingPeriod(input.agreement, input.today);
  const at = (asOf: IsoDate): Ledger => replaySubscription({ init: input.init, log: input.log, asOf, ...(input.skipped ? { skipped: input.skipped } : {}) }).ledger;
  return invoicePreviewOf({ psa: input.psa, agreement: input.agreement, today: input.today, atCurrentEnd: at(current.to), atNextEnd: at(period.to) });
}
