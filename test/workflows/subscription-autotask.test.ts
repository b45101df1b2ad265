import { addDays } from '../../domain/dates';
import { subscriptionWorkflowId } from '../../workflows/messages';
import { eventually, startHarness, type Harness } from './harness';
import { mapAcmeAndProducts, workedExampleEvents, workedExampleReport } from './fixtures';

describe('subscription workflow on Autotask (real Temporal, FerretDB, sandbox)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('autotask', 'at_lifecycle');
    await mapAcmeAndProducts(h);
    await h.startWorker();
  });
  afterAll(() => h.close());

  it('performs the worked example through signals: one contract service whose units follow the timeline', async () => {
    const sub = 'sub-at';
    await h.platform.reportSubscription(h.connectionId, workedExampleReport(sub));
    for (const e of workedExampleEvents) await h.platform.sendEvent(h.connectionId, sub, e);
    const state = await eventually(async () => {
      const s = await h.platform.state(h.connectionId, sub);
      return s.pendingEvents.length === 0 && s.ledger?.state.cancelledOn ? s : undefined;
    }, 'the worked example to be applied', 30_000, () => h.platform.state(h.connectionId, sub));

    const serviceId = state.lineIds[`${sub}/m365-bp`];
    const service = h.at!.state.contractServices.find((cs) => cs.id === serviceId)!;
    expect(service).toMatchObject({ unitPrice: 22, unitCost: 18.7 });
    const adjustments = h.at!.state.adjustments
      .filter((a) => a.contractServiceID === serviceId)
      .map((a) => [a.effectiveDate.slice(0, 10), a.unitChange]);
    // Autotask takes one adjustment per service and day (§5): a change on a day that already
    // holds one is posted on the next free day, and the history says so.
    expect(adjustments).toEqual([
      ['2026-03-01', 10], ['2026-03-02', 2], ['2026-03-15', 3], ['2026-03-16', 1], ['2026-03-20', -2], ['2026-04-10', -14],
    ]);
    expect(state.history.flatMap((e) => e.shifted ?? [])).toEqual([
      { lineKey: `${sub}/m365-bp`, from: '2026-03-01', to: '2026-03-02' },
      { lineKey: `${sub}/m365-bp`, from: '2026-03-15', to: '2026-03-16' },
    ]);
    // The units on every day from 03-16 match the billed-quantity timeline (12 → 16 → 14 → 0).
    const unitsOn = (d: string) => adjustments.filter(([date]) => String(date) <= d).reduce((n, [, u]) => n + Number(u), 0);
    expect([unitsOn('2026-03-16'), unitsOn('2026-03-19'), unitsOn('2026-03-20'), unitsOn('2026-04-09'), unitsOn('2026-04-10')]).toEqual([16, 16, 14, 14, 0]);
    expect(unitsOn(addDays('2026-04-10', 30))).toBe(0);

    const description = await h.client.workflow.getHandle(subscriptionWorkflowId(h.connectionId, sub)).describe();
    expect(description.searchAttributes).toMatchObject({ PsaType: ['autotask'], PsaMappingStatus: ['ended'] });
    expect(await h.store.mappings.subscriptions.get(h.connectionId, sub)).toMatchObject({ status: 'mapped', lineIds: state.lineIds });
  });
});
