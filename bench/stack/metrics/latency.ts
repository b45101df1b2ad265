/**
 * Metric 1 — one event → its line in the PSA, ours vs the bare baseline, on ConnectWise and
 * Autotask, one event at a time. Ours: a `quantity-changed` event through the client library's
 * `sendEvent` to a subscription already billing (so the step writes one delta line / one
 * adjustment). Baseline: a signal to its (running) bare workflow, whose activity POSTs one
 * addition / adjustment. Each sample is timed from just before the send to the moment the
 * sandbox finished answering the first successful write of a PSA line after it (the sandbox's
 * request log: the line is visible from then on). After each sample the driver waits until the
 * workflow is idle again (not timed), so samples never overlap. Ours and the baseline alternate
 * sample by sample, so both see the same machine load.
 */
import { addDays } from '../../../domain/dates';
import type { RunContext } from '../context';
import { finishedAt, sandboxTraffic, type TrafficRecord } from '../http';
import { bareAtWrite, bareCwWrite, lineRoute, onboard, sandboxOf } from '../onboarding';
import { planMismatches } from '../plan-check';
import { bareLanding, bareSend, eventsApplied, oursLanding } from '../sides';
import { distribution, ratio, sleep, type Distribution } from '../stats';
import { START_QUANTITY, type BenchConnection, type BenchSubscription, type Psa, type PsaSlot } from '../world';

export interface LatencySeries {
  ours: Distribution;
  baseline: Distribution;
  /** Ours ÷ baseline. */
  ratio: { p50: number; p99: number };
  oursMs: number[];
  baselineMs: number[];
  /** Which sandbox route answered the write each side's samples were timed to (method and route pattern → samples). */
  timedWrites: { ours: Record<string, number>; baseline: Record<string, number> };
  /** ConnectWise: the latency subscriptions' lines compared with `plan` afterwards. */
  planMismatches?: string[];
}

/** The subscriptions and bare workflows one PSA's latency is sampled on (kept for the "with every workflow open" samples). */
interface Rig {
  psa: Psa;
  conn: BenchConnection;
  subs: BenchSubscription[];
  bareSlots: PsaSlot[];
  bareKeys: string[];
  oursSent: number;
  bareSent: number;
  timedWrites: { ours: Record<string, number>; baseline: Record<string, number> };
}

const rigs = new Map<Psa, Rig>();

export const LATENCY_DEFINITION =
  'send → the sandbox finished answering the first successful write of a PSA line after it (its request log); ours: `sendEvent` of a quantity change to a billing subscription, baseline: a signal to a running bare workflow whose activity POSTs one line';

/** The days events can be dated on (this month, up to today), oldest first: each event of a subscription takes the next one. */
export function eventDays(ctx: RunContext): string[] {
  const days: string[] = [];
  for (let d = ctx.dates.monthStart; d <= ctx.dates.today; d = addDays(d, 1)) days.push(d);
  return days;
}

async function rigFor(ctx: RunContext, psa: Psa, eventsNeeded: number): Promise<Rig> {
  const known = rigs.get(psa);
  if (known) return known;
  // Enough subscriptions that each event gets a day of its own (one delta line / adjustment per event).
  const perSubscription = Math.max(1, eventDays(ctx).length);
  const count = Math.max(1, Math.ceil(eventsNeeded / perSubscription));
  const conn = await ctx.world.createConnection(psa === 'connectwise' ? 'cw-latency' : 'at-latency', psa);
  ctx.connections.set(conn.id, conn);
  const subs = await ctx.world.prepareSubscriptions(conn, count, psa === 'connectwise' ? 'cwl' : 'atl');
  const onboarded = await onboard(ctx, conn, subs);
  if (onboarded.notLanded.length) throw new Error(`latency (${psa}): subscriptions did not start billing: ${onboarded.notLanded.join(', ')}`);
  const bareSlots = await ctx.world.seedSlots(psa, count, `Bare latency ${psa}`);
  const rig: Rig = { psa, conn, subs, bareSlots, bareKeys: bareSlots.map((_, i) => `${psa}-latency/${i}`), oursSent: 0, bareSent: 0, timedWrites: { ours: {}, baseline: {} } };
  rigs.set(psa, rig);
  return rig;
}

/** The first successful line write the sandbox started at or after `t0` (polled from its request log). */
async function firstWriteAfter(ctx: RunContext, psa: Psa, t0: number): Promise<TrafficRecord> {
  const route = lineRoute(psa);
  const deadline = Date.now() + ctx.timeoutMs;
  for (;;) {
    const { log } = await sandboxTraffic(sandboxOf(ctx, psa), 100);
    const hits = log.filter((r) => route.test(r.route) && r.status < 300 && Date.parse(r.at) >= t0).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    if (hits[0]) return hits[0];
    if (Date.now() > deadline) throw new Error(`no ${psa} line was written within ${ctx.timeoutMs} ms of an event`);
    await sleep(20);
  }
}

async function until(ctx: RunContext, probe: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + ctx.timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not finish within ${ctx.timeoutMs} ms`);
    await sleep(50);
  }
}

async function oursSample(ctx: RunContext, rig: Rig): Promise<number> {
  const n = rig.oursSent++;
  const sub = rig.subs[n % rig.subs.length]!;
  const k = Math.floor(n / rig.subs.length);
  const days = eventDays(ctx);
  const id = `${sub.id}-l${k}`;
  const event = { type: 'quantity-changed', date: days[k % days.length]!, quantity: START_QUANTITY + k + 1 };
  sub.sent.push({ id, event });
  const t0 = Date.now();
  await ctx.stack.platform.sendEvent(rig.conn.id, sub.id, { id, ...event });
  const write = await firstWriteAfter(ctx, rig.psa, t0);
  await until(ctx, async () => (await oursLanding(ctx.stack, rig.conn.id, sub.id, eventsApplied([id]))).done, `event ${id}`);
  rig.timedWrites.ours[write.route] = (rig.timedWrites.ours[write.route] ?? 0) + 1;
  return finishedAt(write) - t0;
}

async function bareSample(ctx: RunContext, rig: Rig): Promise<number> {
  const n = rig.bareSent++;
  const i = n % rig.bareKeys.length;
  const key = rig.bareKeys[i]!;
  const k = Math.floor(n / rig.bareKeys.length);
  const write = rig.psa === 'connectwise' ? bareCwWrite(ctx, rig.bareSlots[i]!, key, k) : bareAtWrite(ctx, rig.bareSlots[i]!, k);
  const t0 = Date.now();
  await bareSend(ctx.stack, key, write);
  const rec = await firstWriteAfter(ctx, rig.psa, t0);
  await until(ctx, async () => (await bareLanding(ctx.stack, key, k + 1)).done, `bare write ${key} #${k}`);
  rig.timedWrites.baseline[rec.route] = (rig.timedWrites.baseline[rec.route] ?? 0) + 1;
  return finishedAt(rec) - t0;
}

/** `samples` timed samples per side, alternating which side goes first; a first untimed round warms every subscription and bare workflow. */
async function sample(ctx: RunContext, rig: Rig, samples: number, warm: boolean): Promise<LatencySeries> {
  if (warm) {
    for (let i = 0; i < rig.subs.length; i++) {
      await oursSample(ctx, rig);
      await bareSample(ctx, rig);
    }
  }
  rig.timedWrites = { ours: {}, baseline: {} };
  const oursMs: number[] = [];
  const baselineMs: number[] = [];
  for (let i = 0; i < samples; i++) {
    if (i % 2 === 0) {
      oursMs.push(await oursSample(ctx, rig));
      baselineMs.push(await bareSample(ctx, rig));
    } else {
      baselineMs.push(await bareSample(ctx, rig));
      oursMs.push(await oursSample(ctx, rig));
    }
  }
  const ours = distribution(oursMs);
  const baseline = distribution(baselineMs);
  const planCheck = rig.psa === 'connectwise' ? { planMismatches: await planMismatches(ctx, rig.conn, rig.subs) } : {};
  return { ours, baseline, ratio: { p50: ratio(ours.p50, baseline.p50), p99: ratio(ours.p99, baseline.p99) }, oursMs, baselineMs, timedWrites: rig.timedWrites, ...planCheck };
}

export async function measureLatency(ctx: RunContext, psa: Psa): Promise<LatencySeries> {
  const o = ctx.options;
  const rig = await rigFor(ctx, psa, o.latencySamples + (psa === 'connectwise' ? o.openLatencySamples : 0) + 1);
  ctx.log(`latency (${psa}): ${o.latencySamples} samples per side on ${rig.subs.length} subscription(s)…`);
  return sample(ctx, rig, o.latencySamples, true);
}

/** The ConnectWise latency again, late in the run, with every workflow the run created still open. */
export async function measureOpenLatency(ctx: RunContext): Promise<LatencySeries> {
  const o = ctx.options;
  const fresh = !rigs.has('connectwise');
  const rig = await rigFor(ctx, 'connectwise', o.openLatencySamples + 1);
  return sample(ctx, rig, o.openLatencySamples, fresh);
}
