/**
 * docs/billing-modes.md "Seat count" through the real path on both PSAs (Temporal, FerretDB, the
 * sandbox, the worker, the admin service): the usage counts of a standard subscription are
 * skipped with a reason; switching a billed subscription is refused without force, and with
 * force its standard lines end at the month's end. (A seat-count subscription billing its
 * high-water mark alone, as `plan` shows: billing-modes-api.test.ts, through the API.)
 */
import { ConflictError } from '../../activities/store';
import { createUsageCountRepository, type UsageCountRepository } from '../../activities/seat-count/usage-counts';
import type { MappingService } from '../../app/admin/mapping-service';
import { addDays, switchDay } from '../../domain';
import type { SeatCountRunResult } from '../../workflows/seat-count.workflow';
import { acme, acmeReport, ownProduct } from './billing-mode-fixtures';
import { mapAcmeAndProducts } from './fixtures';
import { eventually, startHarness, type Harness } from './harness';

const day = (v: unknown) => String(v).slice(0, 10);

describe.each(['connectwise', 'autotask'] as const)('billing mode seat-count on %s (real Temporal, FerretDB, sandbox)', (psa) => {
  let h: Harness;
  let service: MappingService;
  let usage: UsageCountRepository;
  let target: Awaited<ReturnType<typeof acme>>;
  let n = 0;
  const runFor = (d: string): Promise<SeatCountRunResult> =>
    h.client.workflow.execute('seatCountWorkflow', { taskQueue: h.taskQueue, workflowId: `seat-count/${h.connectionId}/${d}/${++n}`, args: [{ connectionId: h.connectionId, day: d }] });

  /** ConnectWise: the lines on Acme's agreement for one catalog item. */
  const cwHeld = (psaProductId: number) =>
    h.cw!.state.additions
      .filter((a) => a.agreementId === target.agreement.id && (a.product as { id: number }).id === psaProductId)
      .map((a) => ({ quantity: a.quantity as number, unitPrice: a.unitPrice as number, effectiveDate: day(a.effectiveDate), cancelledDate: a.cancelledDate ? day(a.cancelledDate) : null }));
  /** Autotask: the contract services on Acme's contract for one service, with their units per date. */
  const atHeld = (psaProductId: number) =>
    h.at!.state.contractServices
      .filter((cs) => cs.contractID === target.agreement.id && cs.serviceID === psaProductId)
      .map((cs) => {
        const units: Record<string, number> = {};
        for (const a of h.at!.state.adjustments.filter((x) => x.contractServiceID === cs.id)) units[day(a.effectiveDate)] = (units[day(a.effectiveDate)] ?? 0) + Number(a.unitChange);
        return { unitPrice: Number(cs.unitPrice), units };
      });
  /** What the PSA holds for one catalog item / service on Acme's agreement. */
  const held = (psaProductId: number) => (psa === 'connectwise' ? cwHeld(psaProductId) : atHeld(psaProductId));

  beforeAll(async () => {
    h = await startHarness(psa, `seat_mode_${psa === 'connectwise' ? 'cw' : 'at'}`);
    await mapAcmeAndProducts(h);
    service = h.rt.mappingService();
    usage = createUsageCountRepository(h.rt.db);
    target = await acme(h);
    await h.startWorker();
  });
  afterAll(() => h.close());

  it('usage counts of a standard subscription are skipped with the reason; it bills its own line only', async () => {
    const std = await ownProduct(h, 'std', '5.00', '4.00');
    await h.platform.reportSubscription(h.connectionId, acmeReport('std-1', 'std', 3, '5.00', '4.00')); // auto-mapped: standard
    await eventually(async () => {
      const s = await h.platform.state(h.connectionId, 'std-1');
      return s.step > 0 && !s.syncing ? s : undefined;
    }, 'the standard subscription to bill its base line');
    await usage.report(h.connectionId, { subscriptionId: 'std-1', counts: [{ date: '2026-10-06', count: 40 }] });
    const run = await runFor('2026-10-06');
    expect(run.details).toContainEqual({ subscriptionId: 'std-1', outcome: 'skipped', reason: 'billing mode is standard: its usage counts are not billed (map it with billing mode seat-count to bill them)' });
    if (psa === 'connectwise') expect(cwHeld(std).map((l) => l.quantity)).toEqual([3]);
    else expect(atHeld(std)).toEqual([{ unitPrice: 5, units: { [target.agreement.startDate > '2026-03-01' ? target.agreement.startDate : '2026-03-01']: 3 } }]);
  });

  it('switching a billed subscription: 409 without force; with force its lines end at the month’s end and seat count starts on the 1st', async () => {
    const map = (extra: Record<string, unknown>) => service.services.map(h.connectionId, 'std-1', { description: 'std', ...extra });
    await expect(map({ billingMode: 'seat-count' })).rejects.toThrow(ConflictError);
    await expect(map({ billingMode: 'seat-count' })).rejects.toThrow(/already bills through 1 PSA line\(s\) in standard mode; switching it to seat-count ends them: give force/);
    const on = switchDay(new Date().toISOString().slice(0, 10));
    const switched = await map({ billingMode: 'seat-count', force: true });
    expect(switched.billing).toMatchObject({ mode: 'seat-count', from: on, standardUntil: on, switchedOn: on });

    const std = (await h.store.mappings.products.get(h.connectionId, 'std'))!.psaId!;
    const state = await eventually(async () => {
      const s = await h.platform.state(h.connectionId, 'std-1');
      return s.billing.mode === 'seat-count' && s.step > 1 && !s.syncing ? s : undefined;
    }, 'the standard lines to be ended', 20_000, () => h.platform.state(h.connectionId, 'std-1'));
    expect(state.lastError).toBeNull();
    if (psa === 'connectwise') expect(held(std)).toEqual([{ quantity: 3, unitPrice: 5, effectiveDate: '2026-03-01', cancelledDate: addDays(on, -1) }]);
    else expect(Object.entries(atHeld(std)[0]!.units).filter(([d]) => d >= on)).toEqual([[on, -3]]);

    // Seat count bills it only from the switch day; the month in progress stays standard.
    await usage.report(h.connectionId, { subscriptionId: 'std-1', counts: [{ date: '2026-10-07', count: 40 }] });
    expect((await runFor('2026-10-07')).details).toContainEqual(expect.objectContaining({ subscriptionId: 'std-1', outcome: 'skipped', reason: expect.stringContaining(`seat-count billing starts on ${on}`) }));
    // Switching back to standard is refused: its standard lines are history now.
    await expect(map({ billingMode: 'standard', force: true })).rejects.toThrow(/stopped billing its own \(standard\) lines on/);
  });
});
