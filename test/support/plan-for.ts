/**
 * The plan of what a test sent: the report's subscription on the placement's agreement and rules,
 * with the events de-duplicated by id and sorted by date (then sequence, then the order sent),
 * replayed as of a day — the ledgers `psa-connector plan` shows for the same input.
 */
import { parseScenario, replayScenario, type IsoDate, type Ledger, type SubscriptionEventInput } from '../../domain';
import type { SubscriptionPlacement, SubscriptionReportInput } from '../../contracts/subscription';

export interface SentEvent {
  id: string;
  sequence?: number;
  event: SubscriptionEventInput;
}

export function planLedgers(report: SubscriptionReportInput, placement: Pick<SubscriptionPlacement, 'rules' | 'rulesHistory' | 'agreement'>, sent: readonly SentEvent[], asOf: IsoDate): Ledger[] {
  const seen = new Set<string>();
  const events = sent
    .filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)))
    .map((e, i) => ({ ...e, i }))
    .sort((a, b) => (a.event.date < b.event.date ? -1 : a.event.date > b.event.date ? 1 : (a.sequence ?? Infinity) - (b.sequence ?? Infinity) || a.i - b.i))
    .map((e) => e.event);
  const parsed = parseScenario({ rules: placement.rules, ...(placement.rulesHistory ? { rulesHistory: placement.rulesHistory } : {}), agreement: placement.agreement, subscription: report.subscription, events, asOf });
  if (!parsed.ok) throw new Error(`the test's events are not a valid scenario:\n${parsed.problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`);
  return replayScenario(parsed.value, asOf).ledgers;
}
