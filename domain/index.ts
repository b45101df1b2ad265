/**
 * domain/ — the pure billing rules (docs/billing-rules.md). No I/O, no Node built-ins, no Temporal.
 * See domain/README.md for the section → file → function map and our interpretations.
 *
 * The engine is an incremental reducer over a JSON-serializable per-subscription ledger, so the
 * same code serves the plan CLI (replay) and the subscription workflow (one event per signal):
 *
 *   openLedger(init: LedgerInitInput)            → { ledger, ops }             ledger.ts
 *       maps a subscription (§4 rule 1, §5 Mapped); validates it (zod, §4 rule 9).
 *   applyEvent(ledger, event)                    → { ledger, ops, spawned? }   ledger.ts
 *       quantity-changed | full-upgrade | partial-upgrade | cancelled | renewed | price-changed.
 *       `spawned` (partial upgrade) is S2's LedgerInit: open it as its own ledger/workflow.
 *       Throws BillingInputError (all problems) for an event that breaks a rule.
 *   checkEvent(ledger, event)                    → Problem[]                   ledger.ts
 *       the same checks without applying (signal/update validators).
 *   foldAt(ledger, firstOfMonth)                 → { ledger, ops }             ledger.ts (§4 rule 4)
 *   nextFoldDate(ledger, today?)                 → IsoDate | null              ledger.ts
 *   planScenario(scenario, asOf?)                → PlanOutput                  plan.ts
 *   replayScenario(scenario, asOf?)              → { asOf, ledgers, ops }      plan.ts
 *   planOutput(ledgers)                          → PlanOutput                  plan.ts
 *
 * `ops` is `{ connectwise: CwOperation[]; autotask: AtOperation[] }` (psa-operations.ts) with
 * stable line keys `${subscriptionId}/${productId}/${kind}/${effectiveDate}` (ConnectWise) and
 * `${subscriptionId}/${productId}` (Autotask service); applying every op in order to empty
 * PSAs yields the plan's lines.
 *
 * Other rules: reconciliationStatus / planAcceptedReconciliation (§6, reconciliation.ts),
 * cutoverWindow / cutoverCalendar / DEFAULT_CUTOVER_CALENDAR (§6, cutover-calendar.ts),
 * seatCountUpdate / highWaterMark / currentBillingPeriodStart (§7, seat-count.ts),
 * bundle (§7, bundling.ts), agreementMappingProblems (§7, agreement-check.ts),
 * BillCustomer (§7, schemas.ts), commitmentOf / commitmentDecreaseDate (§3 "Commitment",
 * commitment.ts).
 */
export * from './dates';
export * from './money';
export * from './psa-operations';
export * from './problems';
export * from './schemas';
export * from './scenario';
export * from './subscription-state';
export * from './effective-date';
export { rulesOn, withRulesChange } from './rules-history';
export * from './line-description';
export * from './ledger-types';
export { currentLane, billedQuantityOn, laneQuantityOn, timelineSegments, type TimelineSegment } from './timeline';
export { cwQuantityOn, currentBase, lineKey, mappingProblems } from './connectwise-projection';
export { atUnitsOn, netAdjustments, serviceKey } from './autotask-projection';
export { openLedger, applyEvent, checkEvent, foldAt, nextFoldDate, type StepResult, type EventResult } from './ledger';
export { planScenario, replayScenario, planOutput, type PlanOutput, type PlanAddition, type PlanContractService, type ReplayResult } from './plan';
export * from './reconciliation';
export * from './cutover-calendar';
export * from './seat-count';
export * from './bundling';
export * from './agreement-check';
export * from './billing-mode';
export * from './seat-count-lines';
export { BundleTermsSchema, bundleLineOwner, bundleValues, memberValues, replayBundle, type BilledValues, type BundleReplay, type BundleTerms } from './bundle-billing';
export { parseBundlePlan } from './bundle-plan';
export { planBundle } from './plan';
export { endStandardBilling } from './ledger';
export { replaySubscription, type SubscriptionReplay, type EventOutcome } from './replay';
export { commitmentOf, commitmentDecreaseDate, commitmentNote, TERM_MONTHS, type SubscriptionCommitment } from './commitment';
