/**
 * Metric 4 — a month start over N subscriptions. The dev server runs on real time, so the
 * month start cannot be made to happen; instead N subscriptions are made whose month start
 * has just passed, in two timed steps, each against N bare workflows writing one line each:
 *
 *   a. onboarding: N subscriptions starting on the first of the previous month are reported at
 *      once (client library, 50 in flight); each workflow maps itself, replays its log as of
 *      today — folding this month's start — and writes its base line. Timed until every base
 *      line has landed. (Baseline: N new bare workflows, signal-with-start, one POST each.)
 *   b. re-fold: each gets one event dated the 15th of the previous month (+5 licenses): a delta
 *      line in the previous month, and this month's start folded again into the base line
 *      (a PATCH) — the write a month-start fold makes, plus the delta line. Timed until every
 *      workflow reports the event applied and nothing under way. (Baseline: one more signal to
 *      each of the N bare workflows, one POST each.)
 *
 * A real month start differs in its trigger (every workflow's timer fires at 00:00 UTC; no
 * message comes in) and writes only the PATCH. Both steps report the PSA writes they made.
 * Afterwards every subscription is compared with `plan`.
 */
import { addDays } from '../../../domain/dates';
import type { RunContext } from '../context';
import { requestCount, waitUntilLanded, WRITE_ROUTES } from '../landing';
import { bareCwWrite, bareRound, onboard, timed, type Timed } from '../onboarding';
import { planMismatches } from '../plan-check';
import { eventsApplied, oursLanding } from '../sides';
import { mapLimit, ratio } from '../stats';
import { START_QUANTITY } from '../world';

export interface FoldFigures {
  n: number;
  onboarding: { ours: Timed; baseline: Timed; ratio: number; oursPsaWrites: number };
  refold: { ours: Timed; baseline: Timed; ratio: number; oursPsaWrites: number; eventDate: string };
  planCheck: { checked: number; mismatches: string[] };
}

export const REFOLD_EXTRA = 5;

export async function measureFold(ctx: RunContext, n: number): Promise<FoldFigures> {
  const conn = await ctx.world.createConnection(`cw-fold-${n}`, 'connectwise');
  ctx.connections.set(conn.id, conn);
  ctx.log(`fold ${n}: preparing ${n} customers, companies and agreements…`);
  const subs = await ctx.world.prepareSubscriptions(conn, n, `f${n}-`);
  const bareSlots = await ctx.world.seedSlots('connectwise', n, `Bare fold ${n}`);
  const bareKeys = bareSlots.map((_, i) => `fold-${n}/${i}`);
  const cwWrites = () => requestCount(ctx.stack.cw.url, WRITE_ROUTES.cwLines);

  ctx.log(`fold ${n}: onboarding (report → base line)…`);
  let before = await cwWrites();
  const oursOnboarding = await onboard(ctx, conn, subs);
  const onboardingWrites = (await cwWrites()) - before;
  ctx.log(`fold ${n}: baseline, ${n} new bare workflows…`);
  const bareOnboarding = await bareRound(ctx, 'connectwise', bareKeys, (k, i) => bareCwWrite(ctx, bareSlots[i]!, k, 0), 1);

  ctx.log(`fold ${n}: re-fold (an event in the previous month for each)…`);
  const eventDate = addDays(ctx.dates.previousMonthStart, 14);
  before = await cwWrites();
  const t0 = Date.now();
  await mapLimit(subs, 50, async (s) => {
    const id = `${s.id}-refold`;
    const event = { type: 'quantity-changed', date: eventDate, quantity: START_QUANTITY + REFOLD_EXTRA };
    s.sent.push({ id, event });
    await ctx.stack.platform.sendEvent(conn.id, s.id, { id, ...event });
    s.previousMonthQuantity = START_QUANTITY + REFOLD_EXTRA;
  });
  const sentAt = Date.now();
  const r = await waitUntilLanded({
    what: `re-fold of ${n}`,
    keys: subs.map((s) => s.id),
    check: (id) => oursLanding(ctx.stack, conn.id, id, eventsApplied([`${id}-refold`])),
    writes: { count: cwWrites, expected: before + 2 * n },
    timeoutMs: ctx.timeoutMs,
    log: ctx.log,
  });
  const refold = timed(n, t0, sentAt, r.landedAt.values(), r.notLanded, r.timedOut);
  const refoldWrites = (await cwWrites()) - before;
  ctx.log(`fold ${n}: baseline, one more write for each bare workflow…`);
  const bareRefold = await bareRound(ctx, 'connectwise', bareKeys, (k, i) => bareCwWrite(ctx, bareSlots[i]!, k, 1), 2);

  ctx.log(`fold ${n}: comparing every subscription with plan…`);
  const mismatches = await planMismatches(ctx, conn, subs);
  return {
    n,
    onboarding: { ours: oursOnboarding, baseline: bareOnboarding, ratio: ratio(oursOnboarding.seconds, bareOnboarding.seconds), oursPsaWrites: onboardingWrites },
    refold: { ours: refold, baseline: bareRefold, ratio: ratio(refold.seconds, bareRefold.seconds), oursPsaWrites: refoldWrites, eventDate },
    planCheck: { checked: subs.length, mismatches: mismatches.slice(0, 50) },
  };
}
