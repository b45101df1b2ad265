/**
 * Billing modes (docs/billing-modes.md) in the workflows, fast: the time-skipping test server and
 * typed mocked activities writing to an in-memory PSA (test/support/mocked-connector.ts).
 * - seat-count: the subscription's workflow writes no line at all (the "1 + 17" bug: it used to
 *   write a base line for the reported quantity beside the seat-count job's line);
 * - a switch away from standard ends the subscription's own lines on the switch day and refuses
 *   its events from that day;
 * - a bundle: members write nothing of their own, send their billed values, and the bundle's
 *   workflow writes ONE line that is what `plan` shows for the members' events, in each of the
 *   three §7 modes, on both PSAs, before and after a member's change.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { BundleSpec, BundleWorkflowState } from '../../contracts/bundle';
import type { SubscriptionPlacement } from '../../contracts/subscription';
import { planBundle, type BundleTerms, type PlanOutput } from '../../domain';
import { addDays, firstOfNextMonth, isoDateOf, type IsoDate } from '../../domain/dates';
import { mockedConnector, samplePlacement, sampleReport, wire, type MockedConnector } from '../support/mocked-connector';
import type { SentEvent } from '../support/plan-for';
import { temporalTestServer, workflowBundle } from '../setup/workflow-setup-env';
import { startTimeSkippingEnv } from '../support/time-skipping-env';

jest.setTimeout(120_000);

describe('billing modes in the workflows (time skipping, mocked activities)', () => {
  let env: TestWorkflowEnvironment;
  let c: MockedConnector;
  const today = async (): Promise<IsoDate> => isoDateOf(await env.currentTimeMs());
  beforeAll(async () => {
    env = await startTimeSkippingEnv(temporalTestServer());
  });
  beforeEach(async () => {
    c = await mockedConnector(env, workflowBundle());
  });
  afterEach(async () => {
    for (const id of [...c.reported, ...c.bundleIds]) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
    await c.stop();
  });
  afterAll(() => env?.teardown());

  it('seat-count: the subscription’s workflow writes no line of its own (no base line beside the high-water mark)', async () => {
    const start = addDays(await today(), -20);
    await c.platform.reportSubscription('conn', sampleReport('s-seat', start));
    await c.platform.place('conn', 's-seat', { ...samplePlacement(start), billing: { mode: 'seat-count' } });
    await c.platform.sendEvent('conn', 's-seat', wire({ id: 'q', event: { type: 'quantity-changed', date: addDays(start, 3), quantity: 17 } }));
    const s = await c.quiet('conn', 's-seat', (x) => x.asOf !== null && x.counts.applied === 1);
    expect(c.keysSeen).toEqual([]);
    expect(c.psa.cw.size + c.psa.at.size).toBe(0);
    expect(s).toMatchObject({ step: 0, ledger: null, lineIds: {}, billing: { mode: 'seat-count', note: expect.stringContaining('this workflow writes no lines') } });
  });

  it('a switch from standard ends its own lines on the switch day and refuses its events from then', async () => {
    const now = await today();
    const start = addDays(now, -20);
    const placement = samplePlacement(start);
    await c.platform.reportSubscription('conn', sampleReport('s-switch', start));
    await c.platform.place('conn', 's-switch', placement);
    await c.quiet('conn', 's-switch', (x) => x.step === 1);
    expect([...c.psa.cw.values()].map((l) => [l.quantity, l.cancelledDate])).toEqual([[10, addDays(start, 364)]]);

    const on = firstOfNextMonth(now);
    await c.platform.place('conn', 's-switch', { ...placement, billing: { mode: 'seat-count', from: on, standardUntil: on } });
    const s = await c.quiet('conn', 's-switch', (x) => x.step === 2);
    expect([...c.psa.cw.values()].map((l) => [l.quantity, l.effectiveDate, l.cancelledDate])).toEqual([[10, start, addDays(on, -1)]]);
    expect(s.billing).toMatchObject({ mode: 'seat-count', standardUntil: on, note: expect.stringContaining(`its standard lines stop billing on ${on}`) });

    await c.platform.sendEvent('conn', 's-switch', wire({ id: 'late', event: { type: 'quantity-changed', date: addDays(on, 3), quantity: 40 } }));
    const after = await c.quiet('conn', 's-switch', (x) => x.counts.rejected === 1);
    expect(after.events.find((e) => e.id === 'late')).toMatchObject({ status: 'rejected', reason: expect.stringContaining(`dated on or after ${on}`) });
    expect([...c.psa.cw.values()].map((l) => l.quantity)).toEqual([10]);
  });

  const cases: Array<[BundleTerms['mode'], SubscriptionPlacement['psa'], Partial<BundleTerms>]> = [
    ['quantity-only', 'connectwise', { unitPrice: '9.00', unitCost: '7.00' }],
    ['average', 'autotask', {}],
    ['total', 'connectwise', {}],
    ['average', 'connectwise', {}],
  ];
  it.each(cases)('bundle in mode %s on %s: members write nothing; ONE line bills what plan shows, before and after a member’s change', async (mode, psa, prices) => {
    const now = await today();
    const start = addDays(now, -40);
    const placement = samplePlacement(start, psa);
    const terms: BundleTerms = { id: 'pack', mode, ...prices };
    c.bundles.pack = bundleSpec(terms, placement);
    const members = [
      { id: 'm-1', quantity: 10, unitPrice: '22.00', unitCost: '18.70' },
      { id: 'm-2', quantity: 4, unitPrice: '31.00', unitCost: '25.00' },
    ].map((m) => ({ ...sampleReport(m.id, start), subscription: { ...sampleReport(m.id, start).subscription, ...m } }));
    const sent: Record<string, SentEvent[]> = { 'm-1': [], 'm-2': [] };
    for (const r of members) {
      await c.platform.reportSubscription('conn', r);
      await c.platform.place('conn', r.subscription.id, { ...placement, billing: { mode: 'bundled', bundleId: 'pack' } });
    }
    await c.bundleClient.changed('conn', 'pack');

    const plan = (): PlanOutput =>
      planBundle({ bundle: terms, agreement: placement.agreement, rules: placement.rules, members: members.map((r) => ({ subscription: r.subscription, events: sent[r.subscription.id]!.map((e) => e.event) })), asOf: now });
    const settled = async (revisions: number) => {
      for (const r of members) await c.quiet('conn', r.subscription.id, (x) => x.billing.bundle !== undefined && x.billing.bundle.revision === (r.subscription.id === 'm-1' ? revisions : 0));
      return c.quietBundle('conn', 'pack', (b) => b.status === 'billing' && Object.values(b.members).length === 2 && b.members['m-1']!.revision === revisions);
    };

    let b = await settled(0);
    expect(held(psa, b)).toEqual(planned(psa, plan()));
    expect(held(psa, b).length).toBe(1);
    // Only the bundle's line: no member wrote one of its own, and every written key is the bundle workflow's.
    expect(c.keysSeen.flat().every((k) => k.startsWith('bundle/conn/pack/'))).toBe(true);
    for (const r of members) expect(await c.platform.state('conn', r.subscription.id)).toMatchObject({ step: 0, lineIds: {}, ledger: null, billing: { mode: 'bundled', bundleId: 'pack' } });
    const billedNow = (x: BundleWorkflowState) => x.values.filter((v) => v.from <= now).at(-1);
    const first = billedNow(b);
    if (mode === 'quantity-only') expect(first).toMatchObject({ quantity: 14, unitPrice: '9.00', unitCost: '7.00' });
    if (mode === 'average') expect(first).toMatchObject({ quantity: 14, unitPrice: '24.5714', unitCost: '20.50' }); // (220 + 124) / 14, (187 + 100) / 14
    if (mode === 'total') expect(first).toMatchObject({ quantity: 1, unitPrice: '344.00', unitCost: '287.00' });

    // A member's change: the bundle line moves as plan says (a §4 delta / re-price and a §5 adjustment).
    const change: SentEvent = { id: 'up', event: { type: 'quantity-changed', date: addDays(now, -3), quantity: 16 } };
    sent['m-1']!.push(change);
    await c.platform.sendEvent('conn', 'm-1', wire(change));
    b = await settled(1);
    expect(held(psa, b)).toEqual(planned(psa, plan()));
    expect(billedNow(b)).toMatchObject(mode === 'total' ? { quantity: 1, unitPrice: '476.00' } : { quantity: 20 });
  });

  function bundleSpec(terms: BundleTerms, placement: SubscriptionPlacement): BundleSpec {
    return { terms, placement: { ...placement, description: 'bundle-pack Pack' }, psaProductId: 77, members: ['m-1', 'm-2'], endFrom: null };
  }

  /**
   * What the memory PSA holds, in plan terms: CW lines; AT services with their net units per
   * date, each posting counted for the date it was meant for (the bundle's record of it, as
   * test/support/live-simulator.ts does for a subscription).
   */
  function held(psa: SubscriptionPlacement['psa'], b: BundleWorkflowState): unknown[] {
    if (psa === 'connectwise') return [...c.psa.cw.values()].map(({ lineKey: _k, subscriptionId: _s, ...l }) => l).sort(byJson);
    return Object.values(b.held.autotask).map((h) => {
      const s = c.psa.at.get(h.psaId)!;
      const meant = new Map(h.adjustments.map((a) => [a.postedOn, a.forDate]));
      const net = new Map<string, number>();
      for (const [day, n] of s.posted) net.set(meant.get(day) ?? `unknown:${day}`, (net.get(meant.get(day) ?? `unknown:${day}`) ?? 0) + n);
      const adjustments = [...net].filter(([, n]) => n !== 0).sort(([a], [x]) => (a < x ? -1 : 1)).map(([effectiveDate, unitChange]) => ({ effectiveDate, unitChange }));
      return { productId: s.productId, unitPrice: s.unitPrice, unitCost: s.unitCost, adjustments };
    });
  }
  function planned(psa: SubscriptionPlacement['psa'], p: PlanOutput): unknown[] {
    if (psa === 'connectwise') return p.connectwise.additions.map(({ subscriptionId: _s, ...l }) => l).sort(byJson);
    return p.autotask.contractServices.map(({ subscriptionId: _s, ...s }) => s);
  }
});

const byJson = (a: unknown, b: unknown) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
