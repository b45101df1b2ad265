/**
 * Generated subscription histories as cases for the tests that run the real connector
 * (differential, chaos): each with its own agreement / contract, its report and placement, its
 * events with platform ids, a delivery order with repeats, and the check that what the sandbox
 * holds is what `plan` computes for the date-sorted, de-duplicated events.
 */
import fc from 'fast-check';
import type { SubscriptionPlacement, SubscriptionReportInput, SubscriptionWorkflowState } from '../../contracts/subscription';
import { addDays, daysBetween, type LedgerInitInput, type SubscriptionEventInput } from '../../domain';
import type { AutotaskGateway } from '../../activities/psa/autotask/autotask-gateway';
import type { PlatformClient } from '../../client/platform-client';
import type { Harness } from '../workflows/harness';
import { eventually } from '../workflows/harness';
import { arbCase, build } from './scenario-arbitrary';
import { atDisagreements, cwDisagreements } from './plan-agreement';
import { planLedgers, type SentEvent } from './plan-for';
import { atLiveServices, cwAgreementLines } from './sandbox-view';

export const arbDelivery = fc.record({
  c: arbCase,
  order: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 20, maxLength: 20 }),
  repeats: fc.array(fc.nat(19), { maxLength: 3 }),
  /** Where the worker stops: deliveries after this fraction wait for it. */
  restartAt: fc.double({ min: 0, max: 1, noNaN: true }),
});
export type Delivery = typeof arbDelivery extends fc.Arbitrary<infer T> ? T : never;

export interface Case {
  id: string;
  report: SubscriptionReportInput;
  placement: SubscriptionPlacement;
  events: SentEvent[];
  /** In delivery order, repeats included; `late` ones are sent while the worker is stopped. */
  deliveries: Array<{ sent: SentEvent; late: boolean }>;
}

/** Moves every date of a generated history by `days`, and gives ids that are unique across cases. */
export function shifted(id: string, init: LedgerInitInput, events: SubscriptionEventInput[], days: number): { init: LedgerInitInput; events: SubscriptionEventInput[] } {
  const d = (x: string) => addDays(x, days);
  const dn = (x: string | null) => (x === null ? null : d(x));
  return {
    init: {
      ...init,
      agreement: { ...init.agreement, startDate: d(init.agreement.startDate) },
      ...(init.rulesHistory ? { rulesHistory: init.rulesHistory.map((c) => ({ ...c, from: d(c.from) })) } : {}),
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


/** Products every case may use: p1–p3 for the subscription, p9x<i> for the new subscription of the i-th event. */
export const CASE_PRODUCTS = ['p1', 'p2', 'p3', ...Array.from({ length: 14 }, (_, i) => `p9x${i}`)];

/** Maps every case product to a new catalog item / service; returns catalog id → product id. */
export async function mapCaseProducts(h: Harness): Promise<Map<number, string>> {
  const gateway = await h.gateways.forConnection(h.connectionId);
  const out = new Map<number, string>();
  for (const p of CASE_PRODUCTS) {
    await h.store.platform.upsertProduct({ id: p, name: `Product ${p}`, partNumber: `PN-${p}`, provider: 'Microsoft CSP', unitPrice: '10.00', unitCost: '8.00', billingFrequency: 'monthly' });
    const { id } = await gateway.createCatalogItem({ name: `Product ${p}`, partNumber: `PN-${p}`.toUpperCase(), unitPrice: '10.00', unitCost: '8.00', periodType: 'monthly' });
    await h.store.mappings.products.markMapped(h.connectionId, p, { psaId: id });
    out.set(id, p);
  }
  return out;
}

/**
 * `count` cases from `seed`, their dates moved so the histories start about `daysBack` days
 * before `today`; each gets its own agreement (ConnectWise) or contract (Autotask) on Acme.
 */
export async function generatedCases(h: Harness, opts: { prefix: string; count: number; seed: number; today: string; daysBack: number }): Promise<Case[]> {
  const gateway = await h.gateways.forConnection(h.connectionId);
  const [company] = await gateway.findCompanies(h.psa === 'connectwise' ? 'Acme Ltd' : 'Acme Corporation');
  const shift = daysBetween('2026-01-01', opts.today) - opts.daysBack;
  const samples = fc.sample(arbDelivery, { numRuns: opts.count, seed: opts.seed });
  const cases: Case[] = [];
  for (const [n, sample] of samples.entries()) {
    const id = `${opts.prefix}${n}`;
    const built = build(sample.c);
    const { init, events } = shifted(id, built.init, built.events, shift);
    const agreementId = await newAgreement(h, company!.id, init.agreement.startDate, id);
    const sent: SentEvent[] = events.map((event, i) => ({ id: `${id}-e${i}`, sequence: i, event }));
    const order = sent.map((e, i) => ({ e, key: sample.order[i % 20]! })).sort((a, b) => a.key - b.key).map((x) => x.e);
    const withRepeats = [...order, ...sample.repeats.map((r) => sent[r]).filter((x): x is SentEvent => x !== undefined)];
    const cut = Math.floor(withRepeats.length * sample.restartAt);
    cases.push({
      id,
      report: { customerId: 'cust-diff', provider: 'Microsoft CSP', subscription: init.subscription },
      placement: { psa: h.psa, companyId: company!.id, agreementId, agreement: { startDate: init.agreement.startDate, periodType: 'monthly' }, rules: { ...init.rules } as SubscriptionPlacement['rules'], ...(init.rulesHistory ? { rulesHistory: init.rulesHistory as SubscriptionPlacement['rulesHistory'] } : {}), description: `${id} generated` },
      events: sent,
      deliveries: withRepeats.map((s, i) => ({ sent: s, late: process.env.DIFF_NO_LATE ? false : i >= cut })),
    });
  }
  return cases;
}

/** What is wrong with a case once its workflows are quiet: disagreements with the plan, rejected events, wakes still due. */
export async function caseProblems(h: Harness, platform: PlatformClient, k: Case, productOfCatalog: Map<number, string>, timeoutMs = 120_000): Promise<string[]> {
  const states = await settledStates(platform, h.connectionId, k, timeoutMs);
  const asOf = states.map((s) => s.asOf!).sort().pop()!;
  const out: string[] = [];
  for (const s of states) if (s.nextWake !== null && s.nextWake <= asOf) out.push(`${s.subscriptionId}: a wake on ${s.nextWake} is still due`);
  const plan = planLedgers(k.report, k.placement, k.events, asOf);
  const problems =
    h.psa === 'connectwise'
      ? cwDisagreements(plan, cwAgreementLines(h.cw!, k.placement.agreementId, states, (id) => productOfCatalog.get(id) ?? `catalog:${id}`))
      : atDisagreements(plan, states.flatMap((s) => atLiveServices(h.at!, s)));
  for (const p of problems) out.push(`${k.id}: ${p}`);
  if (problems.length > 0 && process.env.CASE_DUMP_DIR) {
    const { writeFileSync } = await import('node:fs');
    const lines = h.psa === 'connectwise' ? h.cw!.state.additions.filter((a) => a.agreementId === k.placement.agreementId) : h.at!.state.adjustments;
    writeFileSync(`${process.env.CASE_DUMP_DIR}/${k.id}.json`, JSON.stringify({ case: k, states, lines }, null, 1));
  }
  for (const s of states) {
    if (s.counts.rejected > 0) out.push(`${s.subscriptionId}: ${s.counts.rejected} event(s) rejected: ${s.events.filter((e) => e.status === 'rejected').map((e) => e.reason).join(' | ')}`);
  }
  return out;
}

async function newAgreement(h: Harness, companyId: number, startDate: string, name: string): Promise<number> {
  if (h.psa === 'connectwise') {
    const res = await fetch(`${h.cw!.url}/__sandbox/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agreements: [{ name: `${name} agreement`, company: { id: companyId }, type: { id: h.cw!.state.agreementTypes[0]!.id }, startDate: `${startDate}T00:00:00Z`, billStartDate: `${startDate}T00:00:00Z` }] }),
    });
    if (!res.ok) throw new Error(`seed agreement: HTTP ${res.status} ${await res.text()}`);
    return ((await res.json()) as { agreements: Array<{ id: number }> }).agreements[0]!.id;
  }
  const gateway = (await h.gateways.forConnection(h.connectionId)) as AutotaskGateway;
  return gateway.client.create('/Contracts', {
    contractName: `${name} contract`, companyID: companyId, contractType: 7, status: 1, contractPeriodType: 1,
    startDate: `${startDate}T12:00:00Z`, endDate: '2031-12-31T12:00:00Z', timeReportingRequiresStartAndStopTimes: 0,
  });
}

/** The states of a case's subscription and of the new subscriptions its partial upgrades created, once they are quiet at `end`. */
async function settledStates(platform: PlatformClient, connectionId: string, k: Case, timeoutMs: number): Promise<SubscriptionWorkflowState[]> {
  const quiet = (s: SubscriptionWorkflowState) => s.asOf !== null && !s.syncing && s.counts.waiting === 0 && s.lastError === null && s.status !== 'failed';
  return eventually(
    async () => {
      const main = await platform.state(connectionId, k.id);
      if (!quiet(main) || main.events.length !== k.events.length) return undefined;
      const spawned = await Promise.all(Object.values(main.spawned).map((x) => platform.state(connectionId, x.subscriptionId)));
      if (!spawned.every(quiet)) return undefined;
      return [main, ...spawned];
    },
    `case ${k.id} to settle`,
    timeoutMs,
    async () => platform.state(connectionId, k.id),
  );
}

export async function inBatches<T>(items: readonly T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}
