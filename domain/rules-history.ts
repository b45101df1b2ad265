/**
 * A connection's §2 rules over time (docs/mapping.md "Rules change", a project
 * decision): the rules a subscription was mapped under, then each change with the day it
 * applies from. An event is billed under the rules in force on its own date, so a change never
 * touches what events dated before it billed, and `plan` given the same history bills exactly
 * what the subscription workflow bills.
 */
import type { IsoDate } from './dates';
import type { RulesChange, SyncRules } from './schemas';

const sameRules = (a: SyncRules, b: SyncRules): boolean =>
  a.positiveChange === b.positiveChange && a.negativeChange === b.negativeChange && a.cancellation === b.cancellation;

/** The rules in force on `date`: the last change dated on or before it, else the initial rules. */
export function rulesOn(initial: SyncRules, history: readonly RulesChange[], date: IsoDate): SyncRules {
  let rules = initial;
  for (const change of history) {
    if (change.from > date) break;
    rules = change.rules;
  }
  return rules;
}

/**
 * The history after the rules become `rules` from `from` on: a change on a day that already
 * holds one replaces it, and a change back to the rules in force the day before leaves no entry
 * (so setting the same rules twice changes nothing). `from` before the last change's day is
 * taken as that day: a change is never back-dated past an earlier one.
 */
export function withRulesChange(initial: SyncRules, history: readonly RulesChange[], from: IsoDate, rules: SyncRules): RulesChange[] {
  const last = history[history.length - 1];
  const day = last && last.from > from ? last.from : from;
  const kept = history.filter((c) => c.from < day);
  const before = kept.length > 0 ? kept[kept.length - 1]!.rules : initial;
  return sameRules(before, rules) ? kept : [...kept, { from: day, rules: { ...rules } }];
}
