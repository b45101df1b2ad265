/**
 * A committed subscription on the real stack (docs/renewals.md, docs/billing-rules.md §3
 * "Commitment"): Temporal dev server, FerretDB, the ConnectWise sandbox, the real activities and
 * worker. A decrease requested in the middle of an annual term is written to the PSA dated the
 * renewal date — exactly the lines `psa-connector plan` computes for the same input — and the
 * subscription's commitment (end, renewal, the decrease waiting for it) reaches the state query,
 * the store, and `renewals due`.
 */
import type { SubscriptionReport, SubscriptionWorkflowState } from '../../contracts/subscription';
import { addDays, addMonths, daysBetween, endOfMonth, firstOfMonth, isoDateOf } from '../../domain/dates';
import { planScenario } from '../../domain/plan';
import { cwDisagreements } from '../support/plan-agreement';
import { planLedgers, type SentEvent } from '../support/plan-for';
import { cwLiveLines } from '../support/sandbox-view';
import { mapAcmeAndProducts, wire } from './fixtures';
import { eventually, startHarness, type Harness } from './harness';

const settled = (s: SubscriptionWorkflowState) => s.asOf !== null && s.counts.waiting === 0 && s.step > 0 && !s.syncing && s.lastError === null;

describe('commitment terms on ConnectWise (real Temporal, FerretDB, sandbox)', () => {
  let h: Harness;
  let catalog: Map<number, string>;
  beforeAll(async () => {
    h = await startHarness('connectwise', 'cw_commitment');
    await mapAcmeAndProducts(h);
    catalog = new Map((await h.store.mappings.products.list(h.connectionId, {})).items.map((p) => [p.psaId!, p.platformId]));
    await h.startWorker();
  });
  afterAll(() => h.close());

  it("a decrease requested mid-term lands in the PSA on the renewal date, as `plan` says; the commitment shows in the state, the store and `renewals due`", async () => {
    const sub = 'sub-committed';
    const today = isoDateOf(Date.now());
    // Rolling annual terms from the first of the month six months ago (on the demo agreement, which bills from 2026-03-01).
    const start = addMonths(firstOfMonth(today), -6);
    const renewal = addMonths(start, 12);
    const report: SubscriptionReport = {
      customerId: 'cust-acme',
      provider: 'Microsoft CSP',
      subscription: { id: sub, productId: 'm365-bp', quantity: 10, unitPrice: '22.00', unitCost: '18.70', startDate: start, endDate: null, billingFrequency: 'monthly', autoRenew: true, kind: 'saas', commitmentTerm: 'annual' },
    };
    await h.platform.reportSubscription(h.connectionId, report);
    await eventually(async () => {
      const s = await h.platform.state(h.connectionId, sub);
      return settled(s) ? s : undefined;
    }, 'the committed subscription to be placed and billed');

    const decrease: SentEvent = { id: 'fewer', event: { type: 'quantity-changed', date: addDays(today, -3), quantity: 7 } };
    expect(await h.platform.sendEvent(h.connectionId, sub, wire(decrease))).toMatchObject({ outcome: 'accepted' });
    const state = await eventually(async () => {
      const s = await h.platform.state(h.connectionId, sub);
      return settled(s) && s.counts.applied === 1 ? s : undefined;
    }, 'the decrease to be applied', 20_000, () => h.platform.state(h.connectionId, sub));

    // What `psa-connector plan` prints for the same subscription, agreement, rules and event.
    const plan = planScenario({ rules: state.placement!.rules, agreement: state.placement!.agreement, subscription: report.subscription, events: [decrease.event], asOf: state.asOf! }, state.asOf!);
    const planned = plan.connectwise.additions.map((a) => ({ quantity: a.quantity, effectiveDate: a.effectiveDate, cancelledDate: a.cancelledDate }));
    // The renewal month's delta line; the month after, the base line carries 7 (§4 fold).
    expect(planned).toEqual(expect.arrayContaining([{ quantity: -3, effectiveDate: renewal, cancelledDate: endOfMonth(renewal) }]));
    expect(planned.filter((a) => a.effectiveDate > start && a.effectiveDate < renewal)).toEqual([]); // nothing changes before the renewal
    expect(plan.commitments).toEqual([{ subscriptionId: sub, term: 'annual', termStart: start, commitmentEnd: addDays(renewal, -1), nextRenewal: renewal, autoRenew: true, scheduledDecrease: { date: renewal, from: 10, to: 7 } }]);

    // The sandbox holds exactly those lines: the -3 is in ConnectWise now, effective on the renewal date.
    const live = cwLiveLines(h.cw!, state, (id) => catalog.get(id)!);
    expect(cwDisagreements(planLedgers(report, state.placement!, [decrease], state.asOf!), live)).toEqual([]);
    expect(live.filter((l) => l.quantity !== 0).map((l) => [l.quantity, l.effectiveDate, l.cancelledDate]).sort()).toEqual(
      plan.connectwise.additions.filter((a) => a.quantity !== 0).map((a) => [a.quantity, a.effectiveDate, a.cancelledDate]).sort(),
    );

    // The state query explains it; the store and `renewals due` show it.
    expect(state.events.map((e) => [e.id, e.status, e.note])).toEqual([['fewer', 'applied', `scheduled for ${renewal} (commitment)`]]);
    const { subscriptionId: _planned, ...planCommitment } = plan.commitments![0]!;
    expect(state.commitment).toEqual(planCommitment);
    const recorded = await eventually(async () => {
      const r = await h.store.commitments.get(h.connectionId, sub);
      return r?.scheduledDecrease ? r : undefined;
    }, 'the commitment to be recorded');
    expect(recorded).toMatchObject({ customerId: 'cust-acme', customerName: 'Acme Ltd', productName: 'Microsoft 365 Business Premium', quantity: 7, commitmentEnd: addDays(renewal, -1), scheduledDecrease: { date: renewal, from: 10, to: 7 } });
    const due = await h.rt.mappingService().renewals.due(h.connectionId, { days: String(daysBetween(today, renewal)) });
    expect(due.items).toEqual([expect.objectContaining({ subscriptionId: sub, commitmentEnd: addDays(renewal, -1), scheduledDecrease: { date: renewal, from: 10, to: 7 } })]);
    expect((await h.rt.mappingService().renewals.due(h.connectionId, { days: String(daysBetween(today, renewal) - 2) })).items).toEqual([]);
  });
});
