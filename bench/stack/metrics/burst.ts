/**
 * Metrics 2 and 3 — a sustained burst of events over many subscriptions, all landed, and the
 * admin API's accept rate.
 *
 * On ConnectWise, `subscriptions` subscriptions already billing (onboarded first, timed too)
 * each get `events / subscriptions` quantity changes on days of their own: all subscriptions
 * at once, each one's events one after the other (the next sent when the previous was
 * accepted). Three bursts, one after the other on the same server:
 *   1. ours through the client library's `sendEvent` (event ids);
 *   2. the baseline: signal-with-start of each bare workflow (running already), one POST each;
 *   3. ours again through the admin API (`POST …/events`, admin token), new events on the same
 *      subscriptions — the answer waits for the workflow (accepted / duplicate / 409);
 *   4. the same with `Prefer: respond-async`: answered once Temporal holds the event.
 * Accept rate = events ÷ (first send → last acknowledgement); landed rate = events ÷ (first
 * send → the last line written, as the workflows record it). Afterwards every subscription's
 * lines are compared with `plan`.
 */
import type { RunContext } from '../context';
import { requestJson } from '../http';
import { requestCount, waitUntilLanded, WRITE_ROUTES } from '../landing';
import { bareCwWrite, bareRound, onboard, timed, type Timed } from '../onboarding';
import { planMismatches } from '../plan-check';
import { bareLanding, bareSend, eventsApplied, oursLanding } from '../sides';
import { distribution, ratio, round, type Distribution } from '../stats';
import { START_QUANTITY, type BenchSubscription } from '../world';
import { eventDays } from './latency';

export interface BurstSide extends Timed {
  acceptedPerSecond: number;
  /** Time to acknowledge one event (ms). */
  ack: Distribution;
  outcomes: Record<string, number>;
}

export interface BurstFigures {
  subscriptions: number;
  events: number;
  onboarding: { ours: Timed; baseline: Timed };
  client: { ours: BurstSide; baseline: BurstSide; ratio: { eventsPerSecond: number; acceptedPerSecond: number } };
  api: { ours: BurstSide; baselineSignalWithStart: BurstSide; ratio: { acceptedPerSecond: number; eventsPerSecond: number } };
  /** The admin API with `Prefer: respond-async` (absent in runs before it existed). */
  apiAsync?: { ours: BurstSide; ratio: { acceptedPerSecond: number; eventsPerSecond: number } };
  planCheck: { checked: number; mismatches: string[] };
}

interface Sent {
  ackMs: number;
  outcome: string;
}

/**
 * Every lane sends its items one after the other; all lanes at once. A send that fails is sent
 * again (same event id: harmless, as for a platform) up to 3 times; the acknowledgement time
 * covers every attempt. Items never acknowledged are returned in `failed`.
 */
async function lanes<T>(items: T[][], send: (item: T) => Promise<string>): Promise<{ t0: number; sentAt: number; sent: Sent[]; failed: Set<T> }> {
  const sent: Sent[] = [];
  const failed = new Set<T>();
  const t0 = Date.now();
  await Promise.all(
    items.map(async (lane) => {
      for (const item of lane) {
        const t = Date.now();
        let outcome = '';
        for (let attempt = 1; attempt <= 3; attempt++) {
          try {
            outcome = await send(item);
            break;
          } catch (e) {
            outcome = `error: ${(e as Error).message.slice(0, 120)}`;
          }
        }
        if (outcome.startsWith('error: ')) failed.add(item);
        sent.push({ ackMs: Date.now() - t, outcome });
      }
    }),
  );
  return { t0, sentAt: Date.now(), sent, failed };
}

function side(base: Timed, sent: Sent[]): BurstSide {
  const outcomes: Record<string, number> = {};
  for (const s of sent) outcomes[s.outcome] = (outcomes[s.outcome] ?? 0) + 1;
  return { ...base, acceptedPerSecond: round(sent.length / base.sendSeconds, 2), ack: distribution(sent.map((s) => s.ackMs)), outcomes };
}

export async function measureBurst(ctx: RunContext): Promise<BurstFigures> {
  const { burstSubscriptions: count, burstEvents: events } = ctx.options;
  const perSub = events / count;
  const days = eventDays(ctx);
  const conn = await ctx.world.createConnection('cw-burst', 'connectwise');
  ctx.connections.set(conn.id, conn);
  const subs = await ctx.world.prepareSubscriptions(conn, count, 'cwb');
  ctx.log(`burst: onboarding ${count} subscriptions…`);
  const oursOnboarding = await onboard(ctx, conn, subs);
  const bareSlots = await ctx.world.seedSlots('connectwise', count, 'Bare burst');
  const bareKeys = bareSlots.map((_, i) => `burst/${i}`);
  const bareOnboarding = await bareRound(ctx, 'connectwise', bareKeys, (k, i) => bareCwWrite(ctx, bareSlots[i]!, k, 0), 1);

  const eventsOf = (sub: BenchSubscription, tag: string, from: number) =>
    Array.from({ length: perSub }, (_, j) => {
      const k = from + j;
      const event = { type: 'quantity-changed', date: days[k % days.length]!, quantity: START_QUANTITY + k + 1 };
      return { sub, id: `${sub.id}-${tag}${k}`, event };
    });
  const cwWrites = () => requestCount(ctx.stack.cw.url, WRITE_ROUTES.cwLines);

  const oursBurst = async (tag: string, from: number, send: (e: { sub: BenchSubscription; id: string; event: Record<string, unknown> }) => Promise<string>): Promise<BurstSide> => {
    const plan = subs.map((s) => eventsOf(s, tag, from));
    const before = await cwWrites();
    const { t0, sentAt, sent, failed } = await lanes(plan, send);
    // What was acknowledged is what must land (and what `plan` is computed from).
    const landing = new Map(subs.map((s, i) => [s.id, plan[i]!.filter((e) => !failed.has(e))]));
    for (const e of plan.flat()) if (!failed.has(e)) e.sub.sent.push({ id: e.id, event: e.event });
    const r = await waitUntilLanded({
      what: `burst ${tag}`,
      keys: subs.map((s) => s.id),
      check: (id) => oursLanding(ctx.stack, conn.id, id, eventsApplied(landing.get(id)!.map((e) => e.id))),
      writes: { count: cwWrites, expected: before + events - failed.size },
      timeoutMs: ctx.timeoutMs,
      log: ctx.log,
    });
    return side(timed(events, t0, sentAt, r.landedAt.values(), r.notLanded, r.timedOut), sent);
  };

  ctx.log(`burst: ${events} events through the client library…`);
  const client = await oursBurst('c', 0, async (e) => (await ctx.stack.platform.sendEvent(conn.id, e.sub.id, { id: e.id, ...e.event })).outcome);

  ctx.log(`burst: ${events} signals to the bare workflows…`);
  const before = await cwWrites();
  const barePlan = bareKeys.map((key, i) => Array.from({ length: perSub }, (_, j) => ({ key, write: bareCwWrite(ctx, bareSlots[i]!, key, j + 1) })));
  const bareSent = await lanes(barePlan, async (x) => {
    await bareSend(ctx.stack, x.key, x.write);
    return 'signalled';
  });
  const bareFailed = (key: string) => barePlan.flat().filter((x) => x.key === key && bareSent.failed.has(x)).length;
  const bareLanded = await waitUntilLanded({
    what: 'bare burst',
    keys: bareKeys,
    check: (k) => bareLanding(ctx.stack, k, 1 + perSub - bareFailed(k)),
    writes: { count: cwWrites, expected: before + events - bareSent.failed.size },
    timeoutMs: ctx.timeoutMs,
    log: ctx.log,
  });
  const baseline = side(timed(events, bareSent.t0, bareSent.sentAt, bareLanded.landedAt.values(), bareLanded.notLanded, bareLanded.timedOut), bareSent.sent);

  const viaApi = (headers: Record<string, string>) => async (e: { sub: BenchSubscription; id: string; event: Record<string, unknown> }) => {
    const r = await requestJson<{ outcome: string }>('POST', `${ctx.stack.api.url}/api/connections/${conn.id}/subscriptions/${e.sub.id}/events`, headers, { id: e.id, ...e.event });
    return r.outcome;
  };
  const headers = { authorization: `Bearer ${ctx.stack.api.token}` };
  ctx.log(`burst: ${events} events through the admin API…`);
  const api = await oursBurst('a', perSub, viaApi(headers));
  ctx.log(`burst: ${events} events through the admin API with Prefer: respond-async…`);
  const apiAsync = await oursBurst('q', 2 * perSub, viaApi({ ...headers, prefer: 'respond-async' }));

  ctx.log('burst: comparing every subscription with plan…');
  const mismatches = await planMismatches(ctx, conn, subs);
  return {
    subscriptions: count,
    events,
    onboarding: { ours: oursOnboarding, baseline: bareOnboarding },
    client: { ours: client, baseline, ratio: { eventsPerSecond: ratio(client.perSecond, baseline.perSecond), acceptedPerSecond: ratio(client.acceptedPerSecond, baseline.acceptedPerSecond) } },
    api: { ours: api, baselineSignalWithStart: baseline, ratio: { acceptedPerSecond: ratio(api.acceptedPerSecond, baseline.acceptedPerSecond), eventsPerSecond: ratio(api.perSecond, baseline.perSecond) } },
    apiAsync: { ours: apiAsync, ratio: { acceptedPerSecond: ratio(apiAsync.acceptedPerSecond, baseline.acceptedPerSecond), eventsPerSecond: ratio(apiAsync.perSecond, baseline.perSecond) } },
    planCheck: { checked: subs.length, mismatches: mismatches.slice(0, 50) },
  };
}
