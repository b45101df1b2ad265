/**
 * The plan scenario (docs/architecture.md "The `plan` command"): rules, agreement, subscription and
 * its events. `ScenarioSchema` checks the structure and every billing rule an event must obey
 * against the subscription's state at that point, each problem with its field path.
 */
import { z } from 'zod';
import { mappingProblems } from './connectwise-projection';
import { formatPath, zodProblems, type Problem } from './problems';
import { DailyCountSchema } from './seat-count';
import {
  AgreementSchema,
  IsoDateSchema,
  PsaKindSchema,
  RulesHistorySchema,
  SubscriptionEventSchema,
  SubscriptionSchema,
  SyncRulesSchema,
} from './schemas';
import { advanceState, eventProblems, initialState, spawnedSubscription, type SubscriptionState } from './subscription-state';

const ScenarioShape = z
  .object({
    /** Informational: the plan always shows both projections. */
    psa: PsaKindSchema.optional(),
    rules: SyncRulesSchema.default({}),
    /** Later changes of `rules` (`[{ from, rules }]`, oldest first): each for events dated on or after its day. */
    rulesHistory: RulesHistorySchema.default([]),
    agreement: AgreementSchema,
    subscription: SubscriptionSchema,
    events: z.array(SubscriptionEventSchema).default([]),
    /** Events after it are ignored; folds happen at each month start up to it. */
    asOf: IsoDateSchema.optional(),
    /** docs/billing-modes.md: `seat-count` bills the high-water mark of `usage` (§7) instead of the events. */
    billingMode: z.enum(['standard', 'seat-count'], { errorMap: () => ({ message: 'must be "standard" or "seat-count" (bundles: give "bundle" and "members")' }) }).default('standard'),
    /** Daily usage counts of a seat-count subscription. */
    usage: z.array(DailyCountSchema).default([]),
  })
  .strict();

/** Rule checks that need the state as events replay; paths are absolute in the scenario. */
export function scenarioRuleProblems(s: z.infer<typeof ScenarioShape>): Problem[] {
  const problems: Problem[] = [];
  for (const p of mappingProblems(s.agreement, s.subscription)) problems.push(p);
  if (s.billingMode === 'seat-count' && s.events.length > 0) {
    problems.push({ path: 'events', message: 'must be empty for billingMode seat-count: its usage counts are billed, not lifecycle events' });
  }
  if (s.billingMode === 'standard' && s.usage.length > 0) problems.push({ path: 'usage', message: 'is only for billingMode seat-count' });
  const states = new Map<string, SubscriptionState>([[s.subscription.id, initialState(s.subscription)]]);
  s.events.forEach((event, i) => {
    const at = (path: string) => formatPath(['events', i]) + (path ? `.${path}` : '');
    const prev = s.events[i - 1];
    const unsorted = prev !== undefined && event.date < prev.date;
    if (unsorted) {
      problems.push({ path: at('date'), message: `is before events[${i - 1}].date (${prev.date}); events must be sorted by date` });
    }
    const id = event.subscriptionId ?? s.subscription.id;
    const state = states.get(id);
    if (!state) {
      problems.push({
        path: at('subscriptionId'),
        message: `is ${id}, not a subscription of this scenario at that point (known: ${[...states.keys()].join(', ')})`,
      });
      return;
    }
    const own = eventProblems(state, event).filter((p) => !(unsorted && p.path === 'date' && p.message.includes('sorted')));
    if (event.type === 'partial-upgrade' && states.has(event.newSubscription.id) && event.newSubscription.id !== state.id) {
      own.push({ path: 'newSubscription.id', message: `is ${event.newSubscription.id}, already a subscription of this scenario` });
    }
    for (const p of own) problems.push({ path: at(p.path), message: p.message });
    if (own.length > 0) {
      states.set(id, { ...state, lastEventDate: event.date > (state.lastEventDate ?? '') ? event.date : state.lastEventDate });
      return;
    }
    states.set(id, advanceState(state, event));
    if (event.type === 'partial-upgrade') {
      states.set(event.newSubscription.id, initialState(spawnedSubscription(state, event)));
    }
  });
  return problems;
}

export const ScenarioSchema = ScenarioShape.superRefine((s, ctx) => {
  // zod still runs this after non-fatal issues (a bad date, a negative number): those are
  // already reported, so a rule check tripping over such a value adds nothing.
  let problems: Problem[];
  try {
    problems = scenarioRuleProblems(s);
  } catch {
    return;
  }
  for (const p of problems) {
    ctx.addIssue({ code: 'custom', path: p.path.split(/\.|\[(\d+)\]/).filter(Boolean).map((x) => (/^\d+$/.test(x) ? Number(x) : x)), message: p.message });
  }
});
export type Scenario = z.infer<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

/** Validates a scenario; on failure, one problem per line (field path + reason). */
export function parseScenario(input: unknown): ParseResult<Scenario> {
  const r = ScenarioSchema.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, problems: zodProblems(r.error) };
}
