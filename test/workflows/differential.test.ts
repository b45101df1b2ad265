/**
 * Live = plan, differential, on a real worker: fast-check generates subscription histories and
 * delivers their events to the running connector in a random order, with repeats, back-dated
 * across month-start folds and dated in the future, and with the worker stopped in the middle
 * while more events arrive (they are queued and checked when it is back). Time then moves on
 * (time-skipping server) until every event's date has come. For every case, what the sandbox
 * holds equals what `plan` computes for the date-sorted, de-duplicated events — on ConnectWise
 * and on Autotask (an adjustment moved to the next free day counts for the day it belongs to).
 *
 * `DIFF_CASES` sets the number of cases per PSA (default 50, so 100 in `npm test`); the longer
 * run is `npm run test:differential` (docs/testing.md).
 */
import fc from 'fast-check';
import type { SubscriptionPlacement, SubscriptionReportInput, SubscriptionWorkflowState } from '../../contracts/subscription';
import { addDays, daysBetween, type LedgerInitInput, type SubscriptionEventInput } from '../../domain';
import type { AutotaskGateway } from '../../activities/psa/autotask/autotask-gateway';
import { arbCase, build } from '../support/scenario-arbitrary';
import { atDisagreements, cwDisagreements } from '../support/plan-agreement';
import { planLedgers, type SentEvent } from '../support/plan-for';
import { atLiveServices, cwAgreementLines } from '../support/sandbox-view';
import { startTimeSkippingConnector, type TimeSkippingConnector } from '../support/time-skipping-connector';
import { eventually } from './harness';
import { wire } from './fixtures';

const CASES = Number(process.env.DIFF_CASES ?? 50);
const SEED = Number(process.env.DIFF_SEED ?? 20261129);
const DAY_MS = 86_400_000;
jest.setTimeout(Math.max(600_000, CASES * 12_000));

const arbDelivery = fc.record({
  c: arbCase,
  order: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 20, maxLength: 20 }),
  repeats: fc.array(fc.nat(19), { maxLength: 3 }),
  /** Where the worker stops: deliveries after this fraction wait for it. */
  restartAt: fc.double({ min: 0, max: 1, noNaN: true }),
});
type Delivery = typeof arbDelivery extends fc.Arbitrary<infer T> ? T : never;

interface Case {
  id: string;
  report: SubscriptionReportInput;
  placement: SubscriptionPlacement;
  events: SentEvent[];
  /** In delivery order, repeats included; `late` ones are sent while the worker is stopped. */
  deliveries: Array<{ sent: SentEvent; late: boolean }>;
}

/** Moves every date of a generated history by `days`, and gives ids that are unique across cases. */
function shifted(id: string, init: LedgerInitInput, events: SubscriptionEventInput[], days: number): { init: LedgerInitInput; events: SubscriptionEventInput[] } {
  const d = (x: string) => addDays(x, days);
  const dn = (x: string | null) => (x === null ? null : d(x));
  return {
    init: {
      ...init,
      agreement: { ...init.agreement, startDate: d(init.agreement.startDate) },
      subscription: { ...init.subscription, id, startDate: d(init.subscription.startDate), endDate: dn(init.subscription.endDate) },
    },
    events: events.map((e, i): SubscriptionEventInput => {
      switch (e.type) {
        case 'renewed':
          return { ...e, date: d(e.date), endDate: d(e.endDate) };
        case 'partial-upgrade':
          // Its own product per partial upgrade: Autotask keeps one contract service per service and contract.
          return { ...e, date: d(e.date), newSubscription: { ...e.newSubscription, id: `${id}-n${i}`, productId: `p9x${i}`, endDate: dn(e.newSubscription.endDate) } };
        default:
          return { ...e, date: d(e.date) };
      }
    }),
  };
}

describe.each(['connectwise', 'autotask'] as const)('live = plan on a real worker (%s, differential)', (psa) => {
  let c: TimeSkippingConnector;
  let cases: Case[];
  const productOfCatalog = new Map<number, string>();

  beforeAll(async () => {
    c = await startTimeSkippingConnector(psa, `diff_${psa === 'connectwise' ? 'cw' : 'at'}`);
    const gateway = await c.h.gateways.forConnection(c.h.connectionId);
    for (const p of ['p1', 'p2', 'p3', ...Array.from({ length: 14 }, (_, i) => `p9x${i}`)]) {
      await c.h.store.platform.upsertProduct({ id: p, name: `Product ${p}`, partNumber: `PN-${p}`, provider: 'Microsoft CSP', unitPrice: '10.00', unitCost: '8.00', billingFrequency: 'monthly' });
      const { id } = await gateway.createCatalogItem({ name: `Product ${p}`, partNumber: `PN-${p}`.toUpperCase(), unitPrice: '10.00', unitCost: '8.00', periodType: 'monthly' });
      await c.h.store.mappings.products.markMapped(c.h.connectionId, p, { psaId: id });
      productOfCatalog.set(id, p);
    }
    const [company] = await gateway.findCompanies(psa === 'connectwise' ? 'Acme Ltd' : 'Acme Corporation');
    const today = await c.today();
    const shift = daysBetween('2026-01-01', today) - 300;
    const samples = fc.sample(arbDelivery, { numRuns: CASES, seed: SEED + (psa === 'connectwise' ? 0 : 1) });
    cases = [];
    for (const [n, sample] of samples.entries()) {
      const id = `${psa === 'connectwise' ? 'dcw' : 'dat'}${n}`;
      const built = build((sample as Delivery).c);
      const { init, events } = shifted(id, built.init, built.events, shift);
      const agreementId = await newAgreement(c, psa, company!.id, init.agreement.startDate, id);
      const sent: SentEvent[] = events.map((event, i) => ({ id: `${id}-e${i}`, sequence: i, event }));
      const order = sent.map((e, i) => ({ e, key: (sample as Delivery).order[i % 20]! })).sort((a, b) => a.key - b.key).map((x) => x.e);
      const withRepeats = [...order, ...(sample as Delivery).repeats.map((r) => sent[r]).filter((x): x is SentEvent => x !== undefined)];
      const cut = Math.floor(withRepeats.length * (sample as Delivery).restartAt);
      cases.push({
        id,
        report: { customerId: 'cust-diff', provider: 'Microsoft CSP', subscription: init.subscription },
        placement: { psa, companyId: company!.id, agreementId, agreement: { startDate: init.agreement.startDate, periodType: 'monthly' }, rules: { ...init.rules } as SubscriptionPlacement['rules'], description: `${id} differential` },
        events: sent,
        deliveries: withRepeats.map((s, i) => ({ sent: s, late: i >= cut })),
      });
    }
  });
  afterAll(() => c?.close());

  it(`bills exactly the plan for ${CASES} generated histories`, async () => {
    await c.startWorker();
    await inBatches(cases, 10, async (k) => {
      await c.platform.reportSubscription(c.h.connectionId, k.report);
      await c.platform.place(c.h.connectionId, k.id, k.placement);
      for (const d of k.deliveries.filter((x) => !x.late)) await c.platform.sendEvent(c.h.connectionId, k.id, wire(d.sent));
    });
    // The worker goes away; events keep arriving and are queued.
    await c.stopWorker();
    await inBatches(cases, 20, async (k) => {
      for (const d of k.deliveries.filter((x) => x.late)) {
        const receipt = await c.platform.sendEvent(c.h.connectionId, k.id, wire(d.sent));
        expect(receipt.outcome).toBe('queued');
      }
    });
    await c.startWorker();
    // Time moves on past every event's date: scheduled events come due, months fold.
    const last = cases.flatMap((k) => k.events.map((e) => e.event.date)).sort().pop()!;
    const ms = (daysBetween(await c.today(), last) + 2) * DAY_MS;
    if (ms > 0) await c.env.sleep(ms);
    const end = await c.today();

    const failures: string[] = [];
    await inBatches(cases, 10, async (k) => {
      const states = await settledStates(c, k, end);
      const asOf = states.map((s) => s.asOf!).sort().pop()!;
      for (const s of states) if (s.nextWake !== null && s.nextWake <= asOf) failures.push(`${s.subscriptionId}: a wake on ${s.nextWake} is still due`);
      const plan = planLedgers(k.report, k.placement, k.events, asOf);
      const problems =
        psa === 'connectwise'
          ? cwDisagreements(plan, cwAgreementLines(c.h.cw!, k.placement.agreementId, states, (id) => productOfCatalog.get(id) ?? `catalog:${id}`))
          : atDisagreements(plan, states.flatMap((s) => atLiveServices(c.h.at!, s)));
      for (const p of problems) failures.push(`${k.id}: ${p}`);
      for (const s of states) if (s.counts.rejected > 0) failures.push(`${s.subscriptionId}: ${s.counts.rejected} event(s) rejected: ${s.events.filter((e) => e.status === 'rejected').map((e) => e.reason).join(' | ')}`);
    });
    expect(failures).toEqual([]);
  });
});

async function newAgreement(c: TimeSkippingConnector, psa: 'connectwise' | 'autotask', companyId: number, startDate: string, name: string): Promise<number> {
  if (psa === 'connectwise') {
    const res = await fetch(`${c.h.cw!.url}/__sandbox/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agreements: [{ name: `${name} agreement`, company: { id: companyId }, type: { id: c.h.cw!.state.agreementTypes[0]!.id }, startDate: `${startDate}T00:00:00Z`, billStartDate: `${startDate}T00:00:00Z` }] }),
    });
    if (!res.ok) throw new Error(`seed agreement: HTTP ${res.status} ${await res.text()}`);
    return ((await res.json()) as { agreements: Array<{ id: number }> }).agreements[0]!.id;
  }
  const gateway = (await c.h.gateways.forConnection(c.h.connectionId)) as AutotaskGateway;
  return gateway.client.create('/Contracts', {
    contractName: `${name} contract`, companyID: companyId, contractType: 7, status: 1, contractPeriodType: 1,
    startDate: `${startDate}T12:00:00Z`, endDate: '2031-12-31T12:00:00Z', timeReportingRequiresStartAndStopTimes: 0,
  });
}

/** The states of a case's subscription and of the new subscriptions its partial upgrades created, once they are quiet at `end`. */
async function settledStates(c: TimeSkippingConnector, k: Case, end: string): Promise<SubscriptionWorkflowState[]> {
  const quiet = (s: SubscriptionWorkflowState) => s.asOf !== null && !s.syncing && s.counts.waiting === 0 && s.lastError === null && s.status !== 'failed';
  return eventually(
    async () => {
      const main = await c.platform.state(c.h.connectionId, k.id);
      if (!quiet(main) || main.events.length !== k.events.length) return undefined;
      const spawned = await Promise.all(Object.values(main.spawned).map((x) => c.platform.state(c.h.connectionId, x.subscriptionId)));
      if (!spawned.every(quiet)) return undefined;
      return [main, ...spawned];
    },
    `case ${k.id} to settle by ${end}`,
    120_000,
    async () => c.platform.state(c.h.connectionId, k.id),
  );
}

async function inBatches<T>(items: readonly T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}
