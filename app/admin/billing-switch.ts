/**
 * Switching a subscription's billing mode (docs/billing-modes.md "Switching"), decided here for
 * every surface (API, CLI, console):
 * - while nothing was billed in the current mode, the mode just changes;
 * - once it billed, the switch is refused (409) unless `force`; with `force` it takes effect on
 *   the first of next month: the old mode's lines bill through the month's last day and the
 *   new mode starts that day — never a day billed twice, never a billed day rewritten;
 * - standard billing that ended at such a switch does not start again (its lines are history);
 * - a bundle's member changes mode only with its bundle (`bundles delete`).
 */
import { billingOrStandard, switchDay, type Billing, type BillingMode } from '../../domain/billing-mode';
import { addDays, type IsoDate } from '../../domain/dates';
import type { SubscriptionMapping } from '../../activities/store';
import { ConflictError } from './mapping-errors';

export interface BillingSwitch {
  billing: Billing;
  /** Set when a billed subscription was switched: the first day of the new mode. */
  switchedOn?: IsoDate;
}

/** The billing a (re-)mapping gives the subscription; ConflictError when the switch is not allowed. */
export function nextBilling(current: Pick<SubscriptionMapping, 'platformId' | 'billing' | 'lineIds'> | null, requested: Exclude<BillingMode, 'bundled'> | undefined, force: boolean, today: IsoDate): BillingSwitch {
  const cur = billingOrStandard(current?.billing);
  const id = current?.platformId ?? 'this subscription';
  if (cur.mode === 'bundled') {
    throw new ConflictError(`subscription "${id}" bills through bundle "${cur.bundleId}"; it changes how it bills only with its bundle (bundles delete ${cur.bundleId})`);
  }
  const want = requested ?? cur.mode;
  if (want === cur.mode) return { billing: cur };
  if (want === 'standard' && cur.standardUntil) {
    throw new ConflictError(`subscription "${id}" stopped billing its own (standard) lines on ${cur.standardUntil} when it switched to ${cur.mode}; they stay as history and do not bill again`);
  }
  const lines = Object.keys(current?.lineIds ?? {}).length;
  if (lines === 0) return { billing: clean({ mode: want, from: cur.from, standardUntil: cur.standardUntil }) };
  const on = switchDay(today);
  if (!force) {
    throw new ConflictError(
      `subscription "${id}" already bills through ${lines} PSA line(s) in ${cur.mode} mode; switching it to ${want} ends them: give force (CLI --force) to switch on ${on} — the ${cur.mode} lines bill through ${addDays(on, -1)} and ${want} billing starts ${on}`,
    );
  }
  const billing: Billing = cur.mode === 'standard' ? { mode: want, from: on, standardUntil: on } : clean({ mode: want, from: on, standardUntil: cur.standardUntil });
  return { billing, switchedOn: on };
}

const clean = (b: Billing): Billing => Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined)) as Billing;
