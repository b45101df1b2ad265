/**
 * An ended subscription's workflow closes after a quiet month and leaves its state in MongoDB; a
 * late event reopens it from that state (never empty: no second set of lines). A workflow that
 * was terminated (so left no state) refuses to write until an admin has checked.
 */
import { subscriptionWorkflowId } from '../../contracts/subscription';
import { cwDisagreements } from '../support/plan-agreement';
import { planLedgers, type SentEvent } from '../support/plan-for';
import { cwLiveLines } from '../support/sandbox-view';
import { startTimeSkippingConnector, type TimeSkippingConnector } from '../support/time-skipping-connector';
import { eventually } from './harness';
import { mapAcmeAndProducts, wire, workedExampleReport, workedExampleRules } from './fixtures';

const DAY_MS = 86_400_000;
jest.setTimeout(180_000);

describe('a closed subscription reopens with its state (time-skipping)', () => {
  let c: TimeSkippingConnector;
  let catalog: Map<number, string>;
  let placement: Parameters<TimeSkippingConnector['platform']['place']>[2] & object;
  beforeAll(async () => {
    c = await startTimeSkippingConnector('connectwise', 'cw_reopen');
    const { companyId } = await mapAcmeAndProducts(c.h);
    catalog = new Map((await c.h.store.mappings.products.list(c.h.connectionId, {})).items.map((p) => [p.psaId!, p.platformId]));
    const gateway = await c.h.gateways.forConnection(c.h.connectionId);
    const [agreement] = (await gateway.listAgreements(companyId)).filter((a) => a.name.startsWith('Acme'));
    placement = { psa: 'connectwise', companyId, agreementId: agreement!.id, agreement: { startDate: agreement!.startDate, periodType: 'monthly' }, rules: workedExampleRules, description: 'x' };
    await c.startWorker();
  });
  afterAll(() => c?.close());

  it('closes 35 quiet days after the end, and a late back-dated event reopens it: billed once, as the plan says', async () => {
    const sub = 'sub-reopen';
    const events: SentEvent[] = [
      { id: 'r-1', event: { type: 'quantity-changed', date: '2026-04-15', quantity: 12 } },
      { id: 'r-2', event: { type: 'cancelled', date: '2026-06-10' } },
    ];
    await c.platform.reportSubscription(c.h.connectionId, workedExampleReport(sub));
    await c.platform.place(c.h.connectionId, sub, { ...placement, description: `${sub} M365` });
    for (const e of events) await c.platform.sendEvent(c.h.connectionId, sub, wire(e));
    const ended = await eventually(async () => {
      const s = await c.platform.state(c.h.connectionId, sub);
      return s.status === 'ended' && !s.syncing ? s : undefined;
    }, 'the subscription to end');
    const handle = c.env.client.workflow.getHandle(subscriptionWorkflowId(c.h.connectionId, sub));
    const firstRun = (await handle.describe()).runId;

    await c.env.sleep(36 * DAY_MS);
    await eventually(async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined), 'the workflow to close');
    expect(await c.h.store.archive.get(subscriptionWorkflowId(c.h.connectionId, sub))).toMatchObject({ version: 2, step: ended.step });

    // A late event, dated before the cancellation: a new run starts from the archived state.
    const late: SentEvent = { id: 'r-3', event: { type: 'quantity-changed', date: '2026-05-20', quantity: 9 } };
    expect(await c.platform.sendEvent(c.h.connectionId, sub, wire(late))).toMatchObject({ outcome: 'accepted' });
    expect(await c.platform.sendEvent(c.h.connectionId, sub, wire(events[0]!))).toMatchObject({ outcome: 'duplicate' });
    const reopened = await eventually(async () => {
      const s = await c.platform.state(c.h.connectionId, sub);
      return s.counts.applied === 3 && !s.syncing ? s : undefined;
    }, 'the late event to be billed on the reopened workflow', 30_000, () => c.platform.state(c.h.connectionId, sub));
    expect((await handle.describe()).runId).not.toBe(firstRun);
    expect(reopened.step).toBeGreaterThan(ended.step);
    const plan = planLedgers(workedExampleReport(sub), placement, [...events, late], reopened.asOf!);
    expect(cwDisagreements(plan, cwLiveLines(c.h.cw!, reopened, (id) => catalog.get(id)!))).toEqual([]);
  });

  it('a terminated workflow leaves no state: the new run writes nothing until an admin retries', async () => {
    const sub = 'sub-terminated';
    await c.platform.reportSubscription(c.h.connectionId, workedExampleReport(sub));
    await c.platform.place(c.h.connectionId, sub, { ...placement, description: `${sub} M365` });
    await eventually(async () => {
      const s = await c.platform.state(c.h.connectionId, sub);
      return s.step === 1 && !s.syncing ? true : undefined;
    }, 'the first step');
    await c.env.client.workflow.getHandle(subscriptionWorkflowId(c.h.connectionId, sub)).terminate('test');
    await c.platform.reportSubscription(c.h.connectionId, workedExampleReport(sub));
    const blocked = await eventually(async () => {
      const s = await c.platform.state(c.h.connectionId, sub);
      return s.status === 'failed' ? s : undefined;
    }, 'the new run to refuse writing blindly');
    expect(blocked.lastError?.message).toMatch(/an earlier run of this workflow wrote 1 PSA line\(s\) but left no state/);
    expect(c.h.cw!.state.additions.filter((a) => String(a.description).includes(` ${sub} `))).toHaveLength(1);
  });
});
