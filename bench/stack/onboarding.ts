/**
 * Subscriptions and bare workflows brought to life and waited for, as every phase needs them:
 * ours reported through the client library (the workflow maps itself and writes its base line),
 * the baseline's signal-with-started with one write each. Both timed from the first message to
 * the last line landed.
 */
import { addDays } from '../../domain/dates';
import type { BareWrite } from '../baseline/messages';
import type { RunContext } from './context';
import { requestCount, waitUntilLanded, WRITE_ROUTES } from './landing';
import { baseLanded, bareLanding, bareSend, oursLanding } from './sides';
import { mapLimit, percentile, round } from './stats';
import type { BenchConnection, BenchSubscription, PsaSlot, Psa } from './world';

/** A batch of work timed from its first message to its last PSA write (as the workflows record it). */
export interface Timed {
  items: number;
  /** First message sent → last one accepted. */
  sendSeconds: number;
  /** First message sent → last line landed. */
  seconds: number;
  /** First message sent → half of the items landed. */
  p50Seconds: number;
  perSecond: number;
  landed: number;
  notLanded: string[];
  timedOut: boolean;
}

export function timed(items: number, t0: number, sentAt: number, landedAt: Iterable<number>, notLanded: string[], timedOut: boolean): Timed {
  const at = [...landedAt];
  const last = Math.max(sentAt, ...at);
  const seconds = round((last - t0) / 1000, 2);
  const landed = items - notLanded.length;
  return {
    items,
    sendSeconds: round((sentAt - t0) / 1000, 2),
    seconds,
    p50Seconds: round((percentile(at, 50) - t0) / 1000, 2),
    perSecond: round(landed / seconds, 2),
    landed,
    notLanded: notLanded.slice(0, 20),
    timedOut,
  };
}

export const lineRoute = (psa: Psa) => (psa === 'connectwise' ? WRITE_ROUTES.cwLines : WRITE_ROUTES.atLines);
export const sandboxOf = (ctx: RunContext, psa: Psa) => (psa === 'connectwise' ? ctx.stack.cw.url : ctx.stack.at.url);

/** Reports `subs` through the client library and waits until each has its base line in the PSA. */
export async function onboard(ctx: RunContext, conn: BenchConnection, subs: BenchSubscription[], concurrency = 50): Promise<Timed> {
  const sandbox = sandboxOf(ctx, conn.psa);
  const route = lineRoute(conn.psa);
  const before = await requestCount(sandbox, route);
  const t0 = Date.now();
  await mapLimit(subs, concurrency, (s) => ctx.stack.platform.reportSubscription(conn.id, s.report));
  const sentAt = Date.now();
  const r = await waitUntilLanded({
    what: `onboarding ${subs.length} on ${conn.id}`,
    keys: subs.map((s) => s.id),
    check: (id) => oursLanding(ctx.stack, conn.id, id, baseLanded),
    writes: { count: () => requestCount(sandbox, route), expected: before + subs.length },
    timeoutMs: ctx.timeoutMs,
    log: ctx.log,
  });
  return timed(subs.length, t0, sentAt, r.landedAt.values(), r.notLanded, r.timedOut);
}

/** Bare workflows: one write each to `keys` (signal-with-start), timed until each has written `writesEach` times in all. */
export async function bareRound(ctx: RunContext, psa: Psa, keys: string[], writeOf: (key: string, i: number) => BareWrite, writesEach: number, concurrency = 50): Promise<Timed> {
  const sandbox = sandboxOf(ctx, psa);
  const route = lineRoute(psa);
  const before = await requestCount(sandbox, route);
  const t0 = Date.now();
  await mapLimit(keys, concurrency, (k, i) => bareSend(ctx.stack, k, writeOf(k, i)));
  const sentAt = Date.now();
  const r = await waitUntilLanded({
    what: `bare writes to ${keys.length} workflows`,
    keys,
    check: (k) => bareLanding(ctx.stack, k, writesEach),
    writes: { count: () => requestCount(sandbox, route), expected: before + keys.length },
    timeoutMs: ctx.timeoutMs,
    log: ctx.log,
  });
  return timed(keys.length, t0, sentAt, r.landedAt.values(), r.notLanded, r.timedOut);
}

/** A ConnectWise addition the baseline posts on `slot`'s agreement. */
export const bareCwWrite = (ctx: RunContext, slot: PsaSlot, key: string, n: number, effectiveDate = ctx.dates.today): BareWrite => ({
  psa: 'connectwise',
  agreementId: slot.agreementId,
  catalogItemId: ctx.world.productOn('connectwise'),
  quantity: 1,
  effectiveDate,
  description: `bare ${key} #${n}`,
});

/** An Autotask adjustment the baseline posts on `slot`'s contract: day `n` of the contract, so no two share a day. */
export const bareAtWrite = (ctx: RunContext, slot: PsaSlot, n: number): BareWrite => ({
  psa: 'autotask',
  contractId: slot.agreementId,
  serviceId: ctx.world.productOn('autotask'),
  unitChange: 1,
  effectiveDate: addDays(ctx.dates.contractStart, n),
});
