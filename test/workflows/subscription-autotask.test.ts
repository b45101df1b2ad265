import { subscriptionWorkflowId, type SubscriptionWorkflowState } from '../../contracts/subscription';
import { atDisagreements } from '../support/plan-agreement';
import { planLedgers } from '../support/plan-for';
import { atLiveServices } from '../support/sandbox-view';
import { eventually, startHarness, type Harness } from './harness';
import { mapAcmeAndProducts, wire, workedExampleEvents, workedExampleReport, workedExampleRules } from './fixtures';

const settled = (s: SubscriptionWorkflowState) => s.asOf !== null && s.counts.waiting === 0 && s.step > 0 && !s.syncing && s.lastError === null;

describe('subscription workflow on Autotask (real Temporal, FerretDB, sandbox)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('autotask', 'at_lifecycle');
    await mapAcmeAndProducts(h);
    await h.startWorker();
  });
  afterAll(() => h.close());

  const adjustmentsOf = (serviceId: number) =>
    h.at!.state.adjustments.filter((a) => a.contractServiceID === serviceId).map((a) => [a.effectiveDate.slice(0, 10), a.unitChange] as const);

  it('performs the worked example: one contract service whose units per date are the plan', async () => {
    const sub = 'sub-at';
    await h.platform.reportSubscription(h.connectionId, workedExampleReport(sub));
    for (const e of workedExampleEvents) await h.platform.sendEvent(h.connectionId, sub, wire(e));
    const state = await eventually(async () => {
      const s = await h.platform.state(h.connectionId, sub);
      return settled(s) && s.counts.applied === 5 ? s : undefined;
    }, 'the worked example to be applied', 30_000, () => h.platform.state(h.connectionId, sub));

    const plan = planLedgers(workedExampleReport(sub), { rules: workedExampleRules, agreement: state.placement!.agreement }, workedExampleEvents, state.asOf!);
    expect(atDisagreements(plan, atLiveServices(h.at!, state))).toEqual([]);
    const serviceId = state.lineIds[`${sub}/m365-bp`]!;
    expect(h.at!.state.contractServices.find((cs) => cs.id === serviceId)).toMatchObject({ adjustedPrice: 22 });
    // The units on each day follow the timeline (12 → 16 → 14 → 0), shifted days aside.
    const adjustments = adjustmentsOf(serviceId);
    const unitsOn = (d: string) => adjustments.filter(([date]) => date <= d).reduce((n, [, u]) => n + u, 0);
    expect([unitsOn('2026-03-19'), unitsOn('2026-03-20'), unitsOn('2026-04-09'), unitsOn('2026-04-10'), unitsOn('2026-06-01')]).toEqual([16, 14, 14, 0, 0]);
    // Every adjustment the sandbox holds off its own date is in the history (§5 shift).
    const shifted = state.history.flatMap((e) => e.shifted ?? []);
    for (const a of state.held.autotask[`${sub}/m365-bp`]!.adjustments.filter((x) => x.forDate !== x.postedOn)) {
      expect(shifted).toContainEqual({ lineKey: `${sub}/m365-bp`, from: a.forDate, to: a.postedOn });
    }

    const description = await h.client.workflow.getHandle(subscriptionWorkflowId(h.connectionId, sub)).describe();
    expect(description.searchAttributes).toMatchObject({ PsaType: ['autotask'], PsaMappingStatus: ['ended'] });
    expect(await h.store.mappings.subscriptions.get(h.connectionId, sub)).toMatchObject({ status: 'mapped', lineIds: state.lineIds });
  });

  it('§5: a change for a day that already holds an adjustment lands on the next free day, and the history says so', async () => {
    // Another product: Autotask keeps one contract service per service and contract.
    const sub = 'sub-at-shift';
    const base = workedExampleReport(sub);
    await h.platform.reportSubscription(h.connectionId, { ...base, subscription: { ...base.subscription, productId: 'm365-e3', unitPrice: '36.00', unitCost: '30.60' } });
    await eventually(async () => ((await h.platform.state(h.connectionId, sub)).step === 1 && !(await h.platform.state(h.connectionId, sub)).syncing ? true : undefined), 'the mapping step (+10 on 03-01)');
    await h.platform.sendEvent(h.connectionId, sub, wire(workedExampleEvents[0]!)); // 03-02, in the purchase window: +2 for 03-01
    const state = await eventually(async () => {
      const s = await h.platform.state(h.connectionId, sub);
      return settled(s) && s.counts.applied === 1 ? s : undefined;
    }, 'the window change');
    expect(adjustmentsOf(state.lineIds[`${sub}/m365-e3`]!)).toEqual([['2026-03-01', 10], ['2026-03-02', 2]]);
    expect(state.history.flatMap((e) => e.shifted ?? [])).toEqual([{ lineKey: `${sub}/m365-e3`, from: '2026-03-01', to: '2026-03-02' }]);
  });
});
