import { Worker } from '@temporalio/worker';
import { isoDateOf } from '../../domain/dates';
import { testServers } from '../setup/servers';
import { subscriptionWorkflowId, type SubscriptionWorkflowState } from '../../workflows/messages';

/** Every fold due by today has been done. */
const caughtUp = (s: SubscriptionWorkflowState) => s.ledger !== null && (s.nextFoldDate === null || s.nextFoldDate > isoDateOf(Date.now()));
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

    // Deterministic: the whole recorded history replays against today's workflow code.
    const history = await h.client.workflow.getHandle(subscriptionWorkflowId(h.connectionId, sub)).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: { codePath: testServers().workflowBundle } }, history, subscriptionWorkflowId(h.connectionId, sub));
  });
});

describe('subscription workflow: waiting for mapping, and retries (ConnectWise)', () => {
  let h: Harness;
  let umbrella: { companyId: number; agreementId: number; startDate: string };
  beforeAll(async () => {
    h = await startHarness('connectwise', 'cw_pending');
    await mapAcmeAndProducts(h);
    const gateway = await h.gateways.forConnection(h.connectionId);
    const [company] = await gateway.findCompanies('Umbrella Health GmbH');
    const [agreement] = await gateway.listAgreements(company!.id);
    umbrella = { companyId: company!.id, agreementId: agreement!.id, startDate: agreement!.startDate };
    await h.startWorker();
  });
  afterAll(() => h.close());

  const report = (id: string) => ({
    customerId: 'cust-umbrella',
    subscription: {
      id, productId: 'm365-bp', quantity: 5, unitPrice: '22.00', unitCost: '18.70',
      startDate: '2026-05-01', endDate: '2027-04-30', billingFrequency: 'monthly' as const, autoRenew: false, kind: 'saas' as const,
    },
  });
  const mapping = (id: string) => ({
    psa: 'connectwise' as const, companyId: umbrella.companyId, agreementId: umbrella.agreementId,
    agreement: { startDate: umbrella.startDate, periodType: 'monthly' as const },
    rules: { positiveChange: 'actual-date' as const, negativeChange: 'actual-date' as const, cancellation: 'cancellation-date' as const },
    description: `${id} M365 BP`,
  });

  it('keeps events sent before the subscription is mapped, then applies them in order once it is', async () => {
    const sub = 'sub-early';
    await h.platform.reportSubscription(h.connectionId, report(sub)); // customer not mapped: no auto-mapping
    await h.platform.sendEvent(h.connectionId, sub, { type: 'quantity-changed', date: '2026-05-10', quantity: 8 });
    await h.platform.sendEvent(h.connectionId, sub, { type: 'quantity-changed', date: '2026-05-20', quantity: 6 });

    const waiting = await eventually(async () => {
      const s = await h.platform.state(h.connectionId, sub);
      return s.report && s.pendingEvents.length === 2 ? s : undefined;
    }, 'the events to be queued');
    expect(waiting.mappingStatus).toBe('unmapped');
    expect(h.cw!.state.additions.filter((a) => String(a.description).includes(sub))).toHaveLength(0);
    const doc = await eventually(async () => (await h.store.mappings.subscriptions.get(h.connectionId, sub)) ?? undefined, 'the mapping document');
    expect(doc).toMatchObject({ status: 'unmapped', customerId: 'cust-umbrella' });

    await h.platform.mapSubscription(h.connectionId, sub, mapping(sub));
    const done = await eventually(async () => {
      const s = await h.platform.state(h.connectionId, sub);
      return s.pendingEvents.length === 0 && caughtUp(s) ? s : undefined;
    }, 'the queued events to be applied', 20_000, () => h.platform.state(h.connectionId, sub));
    // In order, and folded at the June month start (today is later than that).
    expect(done.history.map((e) => e.what)).toEqual(['mapped', 'quantity-changed 2026-05-10', 'quantity-changed 2026-05-20', 'fold 2026-06-01']);
    const lines = h.cw!.state.additions
      .filter((a) => String(a.description).includes(sub))
      .map((a) => [a.quantity, String(a.effectiveDate).slice(0, 10)]);
    expect(lines).toEqual([[6, '2026-05-01'], [3, '2026-05-10'], [-2, '2026-05-20']]);
  });

  it('creates no duplicate line when the activity fails after the PSA write and is retried', async () => {
    await h.stopWorker();
    let failures = 0;
    await h.startWorker((a) => ({
      ...a,
      // The PSA write and the journal both happen, then the activity "crashes" before
      // returning: Temporal retries it, and the retry must find the lines, not add more.
      async applyOperations(input) {
        const applied = await a.applyOperations(input);
        if (failures++ < 2) throw new Error('simulated crash after the PSA write');
        return applied;
      },
    }));
    const sub = 'sub-retry';
    await h.platform.reportSubscription(h.connectionId, report(sub));
    await h.platform.mapSubscription(h.connectionId, sub, mapping(sub));
    await h.platform.sendEvent(h.connectionId, sub, { type: 'quantity-changed', date: '2026-06-10', quantity: 9 });
    const s = await eventually(async () => {
      const st = await h.platform.state(h.connectionId, sub);
      return st.pendingEvents.length === 0 && caughtUp(st) ? st : undefined;
    }, 'the retried steps to finish', 30_000);
    expect(failures).toBeGreaterThanOrEqual(2);
    const lines = h.cw!.state.additions.filter((a) => String(a.description).includes(sub));
    // One base line (5, +4 folded on 07-01) and one delta: nothing written twice.
    expect(lines.map((a) => a.quantity)).toEqual([9, 4]);
    expect(Object.values(s.lineIds).sort()).toEqual(lines.map((a) => a.id).sort());
  });

  it('shows a PSA refusal as a failed sync with the PSA message, and applies the event after an admin retry', async () => {
    const sub = 'sub-refused';
    await h.platform.reportSubscription(h.connectionId, report(sub));
    await h.platform.mapSubscription(h.connectionId, sub, mapping(sub));
    await eventually(async () => ((await h.platform.state(h.connectionId, sub)).seq === 1 ? true : undefined), 'the mapping step');
    // Lock the base line as invoiced: the PSA refuses to change it.
    const base = h.cw!.state.additions.find((a) => String(a.description).includes(sub))!;
    h.cw!.state.invoicedAdditionIds.push(base.id);
    await h.platform.sendEvent(h.connectionId, sub, { type: 'quantity-changed', date: '2026-05-02', quantity: 7 }); // in the purchase window: updates the base
    const failed = await eventually(async () => {
      const st = await h.platform.state(h.connectionId, sub);
      return st.mappingStatus === 'failed' ? st : undefined;
    }, 'the refusal to surface');
    expect(failed.lastError?.message).toMatch(/connectwise PATCH .* failed with validation/);
    expect(failed.pendingEvents).toHaveLength(1);
    expect(await h.store.mappings.subscriptions.get(h.connectionId, sub)).toMatchObject({ status: 'failed', error: { message: failed.lastError!.message } });

    h.cw!.state.invoicedAdditionIds.splice(h.cw!.state.invoicedAdditionIds.indexOf(base.id), 1);
    await h.platform.retry(h.connectionId, sub);
    const ok = await eventually(async () => {
      const st = await h.platform.state(h.connectionId, sub);
      return st.mappingStatus === 'mapped' && st.pendingEvents.length === 0 ? st : undefined;
    }, 'the retried event');
    expect(ok.lastError).toBeNull();
    expect(h.cw!.state.additions.find((a) => a.id === base.id)!.quantity).toBe(7);
  });
});
