/**
 * The dry-run plan (docs/architecture.md "The `plan` command"): replays a scenario with the code the
 * subscription workflow runs (replay.ts) and shows what the PSAs would hold.
 */
import { isIsoDate, type IsoDate } from './dates';
import { netAdjustments } from './autotask-projection';
import { toCw } from './connectwise-projection';
import type { LoggedEvent } from './event-log';
import type { Ledger, PsaOps } from './ledger-types';
import { BillingInputError } from './problems';
import { replaySubscription } from './replay';
import type { LedgerInitInput } from './schemas';
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
}

export interface ReplayResult {
  asOf: IsoDate;
  /** Ledgers in the order they were opened (the scenario's subscription first, then S2s). */
  ledgers: Ledger[];
  /** Every operation, in order, per subscription id: applying them to empty PSAs gives the plan. */
  ops: Record<string, PsaOps>;
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
  const pending: LedgerInitInput[] = [{ rules: scenario.rules, agreement: scenario.agreement, subscription: scenario.subscription, parentSubscriptionId: null }];
  for (let init = pending.shift(); init; init = pending.shift()) {
    const r = replaySubscription({ init, log: logs.get(init.subscription.id) ?? [], asOf });
    ledgers.push(r.ledger);
    ops[r.ledger.state.id] = r.ops;
    pending.push(...r.spawned.map((s) => s.init));
  }
  return { asOf, ledgers, ops };
}

/** The plan JSON of one or more ledgers (field names of docs/architecture.md). */
export function planOutput(ledgers: readonly Ledger[]): PlanOutput {
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
  };
}

/**
 * `psa-connector plan`: validates the scenario (throws BillingInputError listing every problem)
 * and returns what the PSAs would hold as of `asOf` (default: scenario.asOf, else the last
 * event's date).
 */
export function planScenario(scenario: ScenarioInput | unknown, asOf?: IsoDate): PlanOutput {
  const parsed = parseScenario(scenario);
  if (!parsed.ok) throw new BillingInputError(parsed.problems);
  if (asOf !== undefined && !isIsoDate(asOf)) {
    throw new BillingInputError([{ path: 'asOf', message: 'must be a calendar date YYYY-MM-DD' }]);
  }
  return planOutput(replayScenario(parsed.value, asOf).ledgers);
}
