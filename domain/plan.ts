/**
 * The dry-run plan (architecture.md "The `plan` command"): replays a scenario through the same
 * reducer the subscription workflow uses (openLedger / applyEvent / foldAt) and shows what the
 * PSAs would hold.
 */
import { firstOfMonth, isIsoDate, type IsoDate } from './dates';
import { netAdjustments } from './autotask-projection';
import { toCw } from './connectwise-projection';
import { emptyOps, type Ledger, type PsaOps } from './ledger-types';
import { applyParsed, foldParsed, openParsed } from './ledger';
import { BillingInputError } from './problems';
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

/** Replays a validated scenario (folds at each month start up to asOf; later events ignored). */
export function replayScenario(scenario: Scenario, asOfArg?: IsoDate): ReplayResult {
  const last = scenario.events[scenario.events.length - 1];
  const asOf = asOfArg ?? scenario.asOf ?? last?.date ?? scenario.subscription.startDate;
  const ledgers = new Map<string, Ledger>();
  const ops: Record<string, PsaOps> = {};
  const open = (ledger: Ledger, o: PsaOps) => {
    ledgers.set(ledger.state.id, ledger);
    ops[ledger.state.id] = o;
  };
  const mainOps = emptyOps();
  open(openParsed({ rules: scenario.rules, agreement: scenario.agreement, subscription: scenario.subscription, parentSubscriptionId: null }, mainOps), mainOps);
  // §4 rule 4: applyParsed folds the target ledger up to its event's month first (folds are
  // cumulative, so one catch-up fold equals the month-by-month timer ones); the rest happens here.
  const foldAll = (through: IsoDate) => {
    for (const ledger of ledgers.values()) foldParsed(ledger, through, ops[ledger.state.id]!);
  };
  for (const event of scenario.events) {
    if (event.date > asOf) break;
    const id = event.subscriptionId ?? scenario.subscription.id;
    const ledger = ledgers.get(id)!;
    const spawned = applyParsed(ledger, event, ops[id]!);
    if (spawned) {
      const o = emptyOps();
      open(openParsed(spawned, o), o);
    }
  }
  foldAll(firstOfMonth(asOf));
  return { asOf, ledgers: [...ledgers.values()], ops };
}

/** The plan JSON of one or more ledgers (field names of architecture.md). */
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
