import { Worker } from '@temporalio/worker';
import { MessageConflictError } from '../../contracts/errors';
import { subscriptionWorkflowId, type SubscriptionPlacement, type SubscriptionWorkflowState } from '../../contracts/subscription';
import { BillingInputError } from '../../domain/problems';
import { testServers } from '../setup/servers';
import { cwDisagreements } from '../support/plan-agreement';
import { planLedgers, type SentEvent } from '../support/plan-for';
import { cwLiveLines } from '../support/sandbox-view';
import { eventually, startHarness, type Harness } from './harness';
import { mapAcmeAndProducts, wire, workedExampleEvents, workedExampleReport, workedExampleRules } from './fixtures';

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

/** Every event received has been looked at and nothing is being written. */
const settled = (s: SubscriptionWorkflowState) => s.asOf !== null && s.counts.waiting === 0 && s.step > 0 && !s.syncing && s.lastError === null;

describe('subscription workflow on ConnectWise (real Temporal, FerretDB, sandbox)', () => {
  let h: Harness;
  let catalog: Map<number, string>;
  beforeAll(async () => {
    h = await startHarness('connectwise', 'cw_lifecycle');
    await mapAcmeAndProducts(h);
    catalog = new Map((await h.store.mappings.products.list(h.connectionId, {})).items.map((p) => [p.psaId!, p.platformId]));
    await h.startWorker();
  });
  afterAll(() => h.close());

  it('performs the worked example of docs/billing-rules.md §4 and ends with exactly its additions', async () => {
    const sub = 'sub-we';
    await h.platform.reportSubscription(h.connectionId, workedExampleReport(sub));
    for (const e of workedExampleEvents) expect(await h.platform.sendEvent(h.connectionId, sub, wire(e))).toMatchObject({ eventId: e.id, outcome: 'accepted' });

    const state = await eventually(async () => {
      const s = await h.platform.state(h.connectionId, sub);
      return settled(s) && s.counts.applied === 5 ? s : undefined;
    }, 'the worked example to be applied');

    expect(additionsOf(h, sub)).toEqual([
      { product: 'M365-BP', quantity: 14, unitPrice: 22, unitCost: 18.7, effectiveDate: '2026-03-01', cancelledDate: '2026-04-30' },
      { product: 'M365-BP', quantity: 4, unitPrice: 22, unitCost: 18.7, effectiveDate: '2026-03-15', cancelledDate: '2026-03-31' },
      { product: 'M365-BP', quantity: -2, unitPrice: 22, unitCost: 18.7, effectiveDate: '2026-03-20', cancelledDate: '2026-03-31' },
      { product: 'M365-BP', quantity: -14, unitPrice: 22, unitCost: 18.7, effectiveDate: '2026-04-10', cancelledDate: '2026-04-30' },
    ]);
    // The state query explains every line: its PSA id, by planner key; and the status of each event.
    expect(Object.keys(state.lineIds)).toHaveLength(4);
    expect(state.events.map((e) => [e.id, e.status])).toEqual(workedExampleEvents.map((e) => [e.id, 'applied']));
    expect(state.status).toBe('ended');

    // The mapping document in MongoDB holds the same line ids and a sync time.
    const doc = await h.store.mappings.subscriptions.get(h.connectionId, sub);
    expect(doc).toMatchObject({ status: 'mapped', lineIds: state.lineIds });
    expect(doc!.lastSyncAt).toBeDefined();

    // Findable in the Web UI by its search attributes, with a memo that reads as a sentence.
    const handle = h.client.workflow.getHandle(subscriptionWorkflowId(h.connectionId, sub));
    const description = await handle.describe();
    expect(description.searchAttributes).toMatchObject({ PsaConnectionId: [h.connectionId], PsaSubscriptionId: [sub], PsaCustomerId: ['cust-acme'], PsaType: ['connectwise'], PsaMappingStatus: ['ended'] });
    expect(String(description.memo?.summary)).toContain(`Subscription ${sub} for customer cust-acme`);

    // Deterministic: the whole recorded history replays against today's workflow code.
    await Worker.runReplayHistory({ workflowBundle: { codePath: testServers().workflowBundle } }, await handle.fetchHistory(), handle.workflowId);
  });

  it('names the new product in the descriptions of the lines an upgrade writes (docs/mapping.md "Line descriptions")', async () => {
    const sub = 'sub-upgrade-named';
    await h.platform.reportSubscription(h.connectionId, workedExampleReport(sub)); // auto-mapped: Acme has one agreement
    await h.platform.sendEvent(h.connectionId, sub, { id: 'named-up', type: 'full-upgrade', date: '2026-04-01', productId: 'm365-e3', unitPrice: '36.00', unitCost: '30.60' });
    await eventually(async () => {
      const s = await h.platform.state(h.connectionId, sub);
      return settled(s) && s.counts.applied === 1 ? s : undefined;
    }, 'the upgrade to be applied');
    const lines = h.cw!.state.additions.filter((a) => String(a.description ?? '').includes(`sub ${sub} `));
    const text = (identifier: string) => lines.filter((a) => (a.product as { identifier: string }).identifier === identifier).map((a) => String(a.description).slice(20));
    expect(text('M365-E3').length).toBeGreaterThan(0);
    for (const t of text('M365-E3')) expect(t).toBe(`sub ${sub} | Microsoft 365 E3`);
    for (const t of text('M365-BP')) expect(t).toBe(`sub ${sub} | Microsoft 365 Business Premium`);
  });

  it('bills the plan whatever the arrival order, with repeats acknowledged as duplicates and conflicts refused', async () => {
    const sub = 'sub-shuffled';
    await h.platform.reportSubscription(h.connectionId, workedExampleReport(sub));
    const shuffled = [workedExampleEvents[4]!, workedExampleEvents[2]!, workedExampleEvents[0]!, workedExampleEvents[3]!, workedExampleEvents[1]!];
    for (const e of shuffled) await h.platform.sendEvent(h.connectionId, sub, wire(e));
    expect(await h.platform.sendEvent(h.connectionId, sub, wire(workedExampleEvents[1]!))).toMatchObject({ outcome: 'duplicate' });
    await expect(h.platform.sendEvent(h.connectionId, sub, { ...wire(workedExampleEvents[1]!), quantity: 99 })).rejects.toThrow(MessageConflictError);
    await expect(h.platform.sendEvent(h.connectionId, sub, { id: 'bad', type: 'quantity-changed', date: '2026-02-30', quantity: -1 })).rejects.toThrow(BillingInputError);

    const state = await eventually(async () => {
      const s = await h.platform.state(h.connectionId, sub);
      return settled(s) && s.counts.applied === 5 ? s : undefined;
    }, 'the shuffled events to be applied', 20_000, () => h.platform.state(h.connectionId, sub));
    const plan = planLedgers(workedExampleReport(sub), { rules: workedExampleRules, agreement: state.placement!.agreement }, workedExampleEvents, state.asOf!);
    expect(cwDisagreements(plan, cwLiveLines(h.cw!, state, (id) => catalog.get(id)!))).toEqual([]);
    expect(state.events).toHaveLength(5);
  });
});

describe('subscription workflow: waiting for mapping, retries, refusals and skips (ConnectWise)', () => {
  let h: Harness;
  let catalog: Map<number, string>;
  let umbrella: { companyId: number; agreementId: number; startDate: string };
  beforeAll(async () => {
    h = await startHarness('connectwise', 'cw_pending');
    await mapAcmeAndProducts(h);
    catalog = new Map((await h.store.mappings.products.list(h.connectionId, {})).items.map((p) => [p.psaId!, p.platformId]));
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
  const placement = (id: string): SubscriptionPlacement => ({
    psa: 'connectwise', companyId: umbrella.companyId, agreementId: umbrella.agreementId,
    agreement: { startDate: umbrella.startDate, periodType: 'monthly' },
    rules: workedExampleRules,
    description: `${id} M365 BP`,
  });
  const linesOf = (sub: string) => h.cw!.state.additions.filter((a) => String(a.description).includes(sub));

  it('keeps events sent before the subscription is mapped, then bills them as the plan does once it is', async () => {
    const sub = 'sub-early';
    const events: SentEvent[] = [
      { id: 'early-2', event: { type: 'quantity-changed', date: '2026-05-20', quantity: 6 } },
      { id: 'early-1', event: { type: 'quantity-changed', date: '2026-05-10', quantity: 8 } },
    ];
    await h.platform.reportSubscription(h.connectionId, report(sub)); // customer not mapped: no auto-mapping
    for (const e of events) await h.platform.sendEvent(h.connectionId, sub, wire(e));

    const waiting = await eventually(async () => {
      const s = await h.platform.state(h.connectionId, sub);
      return s.report && s.counts.waiting === 2 ? s : undefined;
    }, 'the events to wait');
    expect(waiting.status).toBe('unmapped');
    expect(waiting.events.map((e) => e.id)).toEqual(['early-1', 'early-2']); // billing order, not arrival order
    expect(linesOf(sub)).toHaveLength(0);
    const doc = await eventually(async () => (await h.store.mappings.subscriptions.get(h.connectionId, sub)) ?? undefined, 'the mapping document');
    expect(doc).toMatchObject({ status: 'unmapped', customerId: 'cust-umbrella' });

    expect(await h.platform.place(h.connectionId, sub, placement(sub))).toEqual({ outcome: 'placed' });
    const done = await eventually(async () => {
      const s = await h.platform.state(h.connectionId, sub);
      return settled(s) && s.counts.applied === 2 ? s : undefined;
    }, 'the waiting events to be billed', 20_000, () => h.platform.state(h.connectionId, sub));
    expect(done.history[0]!.what).toMatch(/^mapped, quantity-changed 2026-05-10, quantity-changed 2026-05-20/);
    const plan = planLedgers(report(sub), placement(sub), events, done.asOf!);
    expect(cwDisagreements(plan, cwLiveLines(h.cw!, done, (id) => catalog.get(id)!))).toEqual([]);
  });

  it('mapping the customer releases its waiting subscription, as the README says (no re-report needed)', async () => {
    const sub = 'sub-released';
    await h.store.platform.upsertCustomer({ id: 'cust-globex', name: 'Globex Corporation' });
    await h.platform.reportSubscription(h.connectionId, { ...report(sub), customerId: 'cust-globex' });
    await h.platform.sendEvent(h.connectionId, sub, wire({ id: 'released-1', event: { type: 'quantity-changed', date: '2026-05-10', quantity: 8 } }));
    await eventually(async () => {
      const s = await h.platform.state(h.connectionId, sub);
      return s.report && s.status === 'unmapped' && s.counts.waiting === 1 ? s : undefined;
    }, 'the event to wait');

    const gateway = await h.gateways.forConnection(h.connectionId);
    const [globex] = await gateway.findCompanies('Globex Corporation');
    const outcome = await h.rt.mappingService().customers.map(h.connectionId, 'cust-globex', { psaId: globex!.id });
    expect(outcome.released).toMatchObject({ total: 1, outcomes: { placed: 1 }, failedCount: 0, waitingCount: 0 });

    const done = await eventually(async () => {
      const s = await h.platform.state(h.connectionId, sub);
      return settled(s) && s.counts.applied === 1 ? s : undefined;
    }, 'the released subscription to be billed', 20_000, () => h.platform.state(h.connectionId, sub));
    expect(done.status).not.toBe('unmapped');
    expect(linesOf(sub).length).toBeGreaterThan(0);
    expect(await h.store.mappings.subscriptions.get(h.connectionId, sub)).toMatchObject({ status: 'mapped', companyId: globex!.id });
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
    const events: SentEvent[] = [{ id: 'retry-1', event: { type: 'quantity-changed', date: '2026-06-10', quantity: 9 } }];
    await h.platform.reportSubscription(h.connectionId, report(sub));
    await h.platform.place(h.connectionId, sub, placement(sub));
    await h.platform.sendEvent(h.connectionId, sub, wire(events[0]!));
    const s = await eventually(async () => {
      const st = await h.platform.state(h.connectionId, sub);
      return settled(st) && st.counts.applied === 1 ? st : undefined;
    }, 'the retried steps to finish', 30_000);
    expect(failures).toBeGreaterThanOrEqual(2);
    expect(cwDisagreements(planLedgers(report(sub), placement(sub), events, s.asOf!), cwLiveLines(h.cw!, s, (id) => catalog.get(id)!))).toEqual([]);
    expect(Object.values(s.lineIds).sort()).toEqual(linesOf(sub).map((a) => a.id).sort());
  });

  it('shows a PSA refusal as a failed sync with the PSA message, and bills the event after an admin retry', async () => {
    const sub = 'sub-refused';
    await h.platform.reportSubscription(h.connectionId, report(sub));
    await h.platform.place(h.connectionId, sub, placement(sub));
    await eventually(async () => ((await h.platform.state(h.connectionId, sub)).step === 1 ? true : undefined), 'the mapping step');
    // Lock the base line as invoiced: the PSA refuses to change it.
    const base = linesOf(sub)[0]!;
    h.cw!.state.invoicedAdditionIds.push(base.id);
    await h.platform.sendEvent(h.connectionId, sub, { id: 'refused-1', type: 'quantity-changed', date: '2026-05-02', quantity: 7 }); // purchase window: updates the base
    const failed = await eventually(async () => {
      const st = await h.platform.state(h.connectionId, sub);
      return st.status === 'failed' ? st : undefined;
    }, 'the refusal to surface');
    expect(failed.lastError?.message).toMatch(/connectwise PATCH .* failed with validation/);
    expect(await h.store.mappings.subscriptions.get(h.connectionId, sub)).toMatchObject({ status: 'failed', error: { message: failed.lastError!.message } });
    const description = await h.client.workflow.getHandle(subscriptionWorkflowId(h.connectionId, sub)).describe();
    expect(description.memo?.lastError).toBe(failed.lastError!.message);

    h.cw!.state.invoicedAdditionIds.splice(h.cw!.state.invoicedAdditionIds.indexOf(base.id), 1);
    expect(await h.platform.retry(h.connectionId, sub)).toEqual({ outcome: 'retrying' });
    const ok = await eventually(async () => {
      const st = await h.platform.state(h.connectionId, sub);
      return st.status === 'mapped' && settled(st) ? st : undefined;
    }, 'the retried event');
    expect(ok.lastError).toBeNull();
    expect(h.cw!.state.additions.find((a) => a.id === base.id)!.quantity).toBe(7);
  });

  it('an event that can never apply (an upgrade to an unmapped product) is skipped by an admin, and billing goes on', async () => {
    const sub = 'sub-skip';
    await h.platform.reportSubscription(h.connectionId, report(sub));
    await h.platform.place(h.connectionId, sub, placement(sub));
    await h.platform.sendEvent(h.connectionId, sub, { id: 'up-1', type: 'full-upgrade', date: '2026-07-01', productId: 'm365-nowhere', unitPrice: '40.00', unitCost: '30.00' });
    const failed = await eventually(async () => {
      const st = await h.platform.state(h.connectionId, sub);
      return st.status === 'failed' ? st : undefined;
    }, 'the unmapped product to fail the step', 20_000, () => h.platform.state(h.connectionId, sub));
    expect(failed.lastError?.message).toMatch(/product m365-nowhere is not mapped/);
    // A later event waits behind the failure, visibly.
    await h.platform.sendEvent(h.connectionId, sub, { id: 'qty-1', type: 'quantity-changed', date: '2026-08-10', quantity: 3 });
    await expect(h.platform.skipEvent(h.connectionId, sub, { eventId: 'nope', reason: 'typo' })).rejects.toThrow(BillingInputError);
    expect(await h.platform.skipEvent(h.connectionId, sub, { eventId: 'up-1', reason: 'product retired, never sold here', by: 'admin@msp' })).toEqual({ outcome: 'skipped' });

    const ok = await eventually(async () => {
      const st = await h.platform.state(h.connectionId, sub);
      return settled(st) && st.counts.applied === 1 ? st : undefined;
    }, 'billing to go on without the skipped event', 20_000, () => h.platform.state(h.connectionId, sub));
    expect(ok.events.find((e) => e.id === 'up-1')).toMatchObject({ status: 'skipped', reason: 'product retired, never sold here', skippedBy: 'admin@msp' });
    const plan = planLedgers(report(sub), placement(sub), [{ id: 'qty-1', event: { type: 'quantity-changed', date: '2026-08-10', quantity: 3 } }], ok.asOf!);
    expect(cwDisagreements(plan, cwLiveLines(h.cw!, ok, (id) => catalog.get(id)!))).toEqual([]);
  });
});
