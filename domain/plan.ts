/**
 * The dry-run plan (docs/architecture.md "The `plan` command"): replays a scenario with the code the
 * subscription workflow runs (replay.ts) and shows what the PSAs would hold.
 */
import { commitmentOf, type SubscriptionCommitment } from './commitment';
import { isIsoDate, type IsoDate } from './dates';
import { netAdjustments } from './autotask-projection';
import { toCw } from './connectwise-projection';
import type { LoggedEvent } from './event-log';
import type { Ledger, PsaOps } from './ledger-types';
import { BillingInputError } from './problems';
import { replaySubscription, type SubscriptionReplay } from './replay';
import type { LedgerInit, Subscription } from './schemas';
import { planSeatCount } from './seat-count-lines';
import { parseBundlePlan } from './bundle-plan';
import { memberValues, replayBundle } from './bundle-billing';
import type { AtContractService, CwAddition } from './psa-operations';
import { parseScenario, type Scenario, type ScenarioInput } from './scenario';
import { timelineSegments, type TimelineSegment } from './timeline';

/** An addition as the plan JSON shows it: the PSA line without the planner's line key. */
export type PlanAddition = Omit<CwAddition, 'lineKey'>;
/** A contract service with its (netted) adjustments, without the planner's service key. */
export type PlanContractService = Omit<AtContractService, 'serviceKey'> & {
  adjustments: Array<{ effectiveDate: IsoDate; unitChange: number }>;
};
export interface PlanOutput {
  timeline: TimelineSegment[];
  connectwise: { additions: PlanAddition[] };
  autotask: { contractServices: PlanContractService[] };
  /** Only when a subscription has a commitment term: its term, renewal and any decrease waiting for it, as of the plan's day (docs/renewals.md). */
  commitments?: Array<{ subscriptionId: string } & SubscriptionCommitment>;
}

export interface ReplayResult {
  asOf: IsoDate;
  /** Ledgers in the order they were opened (the scenario's subscription first, then S2s). */
  ledgers: Ledger[];
  /** Every operation, in order, per subscription id: applying them to empty PSAs gives the plan. */
  ops: Record<string, PsaOps>;
  /** Each subscription's replay with what it replayed (the values a bundle member sends, bundle-billing.ts). */
  replays: Array<{ subscription: Subscription; log: LoggedEvent[]; replay: SubscriptionReplay }>;
}

/**
 * Replays a validated scenario (folds at each month start up to asOf; later events ignored) the
 * way the connector bills it: each subscription's own events replayed as its log, in the
 * scenario's order (replay.ts, the code the subscription workflow runs), and each partial
 * upgrade's new subscription (S2) replayed from the init its parent's replay gives it.
 */
export function replayScenario(scenario: Scenario, asOfArg?: IsoDate): ReplayResult {
  const last = scenario.events[scenario.events.length - 1];
  const asOf = asOfArg ?? scenario.asOf ?? last?.date ?? scenario.subscription.startDate;
  const logs = new Map<string, LoggedEvent[]>();
  scenario.events.forEach((event, i) => {
    const id = event.subscriptionId ?? scenario.subscription.id;
    logs.set(id, [...(logs.get(id) ?? []), { id: `events[${i}]`, sequence: i, arrival: i, receivedAt: '', event }]);
  });
  const ledgers: Ledger[] = [];
  const ops: Record<string, PsaOps> = {};
  const replays: ReplayResult['replays'] = [];
  const pending: LedgerInit[] = [{ rules: scenario.rules, ...(scenario.rulesHistory.length ? { rulesHistory: scenario.rulesHistory } : {}), agreement: scenario.agreement, subscription: scenario.subscription, parentSubscriptionId: null }];
  for (let init = pending.shift(); init; init = pending.shift()) {
    const log = logs.get(init.subscription.id) ?? [];
    const r = replaySubscription({ init, log, asOf });
    ledgers.push(r.ledger);
    ops[r.ledger.state.id] = r.ops;
    replays.push({ subscription: init.subscription, log, replay: r });
    pending.push(...r.spawned.map((s) => s.init));
  }
  return { asOf, ledgers, ops, replays };
}

/** The plan JSON of one or more ledgers (field names of docs/architecture.md); `asOf` adds the commitments section. */
export function planOutput(ledgers: readonly Ledger[], asOf?: IsoDate): PlanOutput {
  const committed = asOf === undefined ? [] : ledgers.filter((l) => l.state.commitmentTerm !== undefined);
  return {
    timeline: ledgers.flatMap(timelineSegments),
    connectwise: {
      additions: ledgers.flatMap((l) =>
        l.additions.map((a) => {
          const { lineKey: _lineKey, ...line } = toCw(a); // the plan JSON has no line keys
          return line;
        }),
      ),
    },
    autotask: {
      contractServices: ledgers.flatMap((l) =>
        l.services.map((s) => ({
          subscriptionId: s.subscriptionId,
          productId: s.productId,
          unitPrice: s.unitPrice,
          unitCost: s.unitCost,
          adjustments: netAdjustments(s),
        })),
      ),
    },
    ...(committed.length > 0 ? { commitments: committed.map((l) => ({ subscriptionId: l.state.id, ...commitmentOf(l.state, asOf!, l) })) } : {}),
  };
}

/**
 * `psa-connector plan`: validates the scenario (throws BillingInputError listing every problem)
 * and returns what the PSAs would hold as of `asOf` (default: scenario.asOf, else the last
 * event's date). Billing modes (docs/billing-modes.md): `billingMode: "seat-count"` with
 * `usage` counts shows the seat-count job's lines; a scenario with `bundle` and `members` shows
 * the bundle's line (bundle-plan.ts).
 */
export function planScenario(scenario: ScenarioInput | unknown, asOf?: IsoDate): PlanOutput {
  if (asOf !== undefined && !isIsoDate(asOf)) {
    throw new BillingInputError([{ path: 'asOf', message: 'must be a calendar date YYYY-MM-DD' }]);
  }
  if (typeof scenario === 'object' && scenario !== null && 'bundle' in scenario) return planBundle(scenario, asOf);
  const parsed = parseScenario(scenario);
  if (!parsed.ok) throw new BillingInputError(parsed.problems);
  const s = parsed.value;
  if (s.billingMode === 'seat-count') {
    const end = asOf ?? s.asOf ?? s.usage.map((c) => c.date).sort().pop() ?? s.subscription.startDate;
    const { id, productId, unitPrice, unitCost, endDate } = s.subscription;
    return planSeatCount({ subscriptionId: id, productId, unitPrice, unitCost, endDate, agreement: s.agreement }, s.usage, end);
  }
  const replayed = replayScenario(s, asOf);
  return planOutput(replayed.ledgers, replayed.asOf);
}

/**
 * `plan` for a bundle (docs/billing-modes.md "Bundles"): the bundle's ONE line as of `asOf`
 * (default: input.asOf, else the last event or start), computed as live computes it: each
 * member replayed as its workflow replays it, its billed values taken with `memberValues`, the
 * line with `replayBundle`.
 */
export function planBundle(input: unknown, asOfArg?: IsoDate): PlanOutput {
  const parsed = parseBundlePlan(input);
  if (!parsed.ok) throw new BillingInputError(parsed.problems);
  const { scenarios, bundle, agreement } = parsed.value;
  const dates = scenarios.flatMap((s) => [s.subscription.startDate, ...s.events.map((e) => e.date)]).sort();
  const asOf = asOfArg ?? parsed.value.asOf ?? dates[dates.length - 1]!;
  const members = scenarios.flatMap((s) => replayScenario(s, asOf).replays.map((r) => memberValues(r.subscription, r.log, r.replay)));
  const { ledger } = replayBundle({ terms: bundle, agreement, members, asOf });
  return planOutput(ledger ? [ledger] : []);
}
