import { subscriptionWorkflowId } from '../../workflows/messages';
import { eventually, startHarness, type Harness } from './harness';
import { mapAcmeAndProducts, workedExampleEvents, workedExampleReport } from './fixtures';

/** What the ConnectWise sandbox holds for one subscription, in the plan's shape. */
function additionsOf(h: Harness, subscriptionId: string) {
  return h.cw!.state.additions
    .filter((a) => String(a.description ?? '').includes(subscriptionId))
    .map((a) => ({
      product: (a.product as { identifier: string }).identifier,
      quantity: a.quantity,
      unitPrice: a.unitPrice,
      unitCost: a.unitCost,
      effectiveDate: String(a.effectiveDate).slice(0, 10),
      cancelledDate: a.cancelledDate ? String(a.cancelledDate).slice(0, 10) : null,
    }))
    .sort((x, y) => `${x.effectiveDate}${x.quantity}`.localeCompare(`${y.effectiveDate}${y.quantity}`));
}

describe('subscription workflow on ConnectWise (real Temporal, FerretDB, sandbox)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('connectwise', 'cw_lifecycle');
    await mapAcmeAndProducts(h);
    await h.startWorker();
  });
  afterAll(() => h.close());

  it('performs the worked example of billing-rules.md §4 through signals and ends with exactly its additions', async () => {
    const sub = 'sub-we';
    await h.platform.reportSubscription(h.connectionId, workedExampleReport(sub));
    for (const e of workedExampleEvents) await h.platform.sendEvent(h.connectionId, sub, e);

    const state = await eventually(async () => {
      const s = await h.platform.state(h.connectionId, sub);
      return s.pendingEvents.length === 0 && s.ledger?.state.cancelledOn ? s : undefined;
    }, 'the worked example to be applied');

    expect(additionsOf(h, sub)).toEqual([
      { product: 'M365-BP', quantity: 14, unitPrice: 22, unitCost: 18.7, effectiveDate: '2026-03-01', cancelledDate: '2026-04-30' },
      { product: 'M365-BP', quantity: 4, unitPrice: 22, unitCost: 18.7, effectiveDate: '2026-03-15', cancelledDate: '2026-03-31' },
      { product: 'M365-BP', quantity: -2, unitPrice: 22, unitCost: 18.7, effectiveDate: '2026-03-20', cancelledDate: '2026-03-31' },
      { product: 'M365-BP', quantity: -14, unitPrice: 22, unitCost: 18.7, effectiveDate: '2026-04-10', cancelledDate: '2026-04-30' },
    ]);
    // The state query explains every line: its PSA id, by planner key.
    expect(Object.keys(state.lineIds)).toHaveLength(4);
    expect(state.lastError).toBeNull();
    expect(state.rejectedEvents).toEqual([]);

    // The mapping document in MongoDB holds the same line ids and a sync time.
    const doc = await h.store.mappings.subscriptions.get(h.connectionId, sub);
    expect(doc).toMatchObject({ status: 'mapped', lineIds: state.lineIds });
    expect(doc!.lastSyncAt).toBeDefined();

    // Findable in the Web UI by its search attributes, with a memo that reads as a sentence.
    const description = await h.client.workflow.getHandle(subscriptionWorkflowId(h.connectionId, sub)).describe();
    expect(description.searchAttributes).toMatchObject({ PsaConnectionId: [h.connectionId], PsaSubscriptionId: [sub], PsaCustomerId: ['cust-acme'], PsaType: ['connectwise'] });
    expect(String(description.memo?.summary)).toContain(`Subscription ${sub} for customer cust-acme`);
  });
});
