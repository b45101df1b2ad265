/**
 * §6 human decisions on a real run (time-skipping server, FerretDB, ConnectWise sandbox):
 * accept posts the delta line (SaaS) or the invoiced totals (IaaS), never quantity; reject;
 * bulk accept; an invoiced line refuses the post (failed with the PSA's message) and a retry
 * after the PSA allows it reconciles; the Update validators refuse bad requests.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { testServers } from '../setup/servers';
import { acceptUpdate, reconciliationStateQuery } from '../../workflows/reconciliation-messages';
import { reconciliationChunkWorkflowId, type DecisionRequest } from '../../contracts/reconciliation';
import { ConflictError, StoreInputError } from '../../activities/store';
import type { DecisionAction } from '../../workflows/reconciliation-decisions';
import { additionsOf, invoices, mappedSubscription, markInvoiced, startReconciliationHarness, type ReconciliationHarness } from './reconciliation-harness';

jest.setTimeout(180_000);

/** The message of a refused decision (the chunk's validator, or the routing before it). */
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) return err.cause?.message ?? err.message;
    if (err instanceof ConflictError || err instanceof StoreInputError) return err.message;
    throw err;
  }
  throw new Error('the update was accepted');
}

describe('reconciliation decisions (§6)', () => {
  let r: ReconciliationHarness;
  beforeAll(async () => {
    r = await startReconciliationHarness('recon_decisions');
  });
  afterAll(async () => {
    await r?.close();
  });

  it('accept, reject, bulk accept, IaaS accept refused by an invoiced line then retried; validators refuse bad input', async () => {
    const month = r.month;
    const a = await mappedSubscription(r, { subscriptionId: 'sub-a', quantity: 10, unitPrice: '22.00', unitCost: '18.70' });
    await mappedSubscription(r, { subscriptionId: 'sub-b', quantity: 5, unitPrice: '22.00', unitCost: '18.70' });
    const c = await mappedSubscription(r, { subscriptionId: 'sub-c', kind: 'iaas', productId: 'm365-e3', quantity: 1, unitPrice: '0.00', unitCost: '0.00' });
    await mappedSubscription(r, { subscriptionId: 'sub-d', quantity: 2, unitPrice: '22.00', unitCost: '18.70' });
    await mappedSubscription(r, { subscriptionId: 'sub-e', quantity: 4, unitPrice: '22.00', unitCost: '18.70' });
    await mappedSubscription(r, { subscriptionId: 'sub-ok', quantity: 1, unitPrice: '22.00', unitCost: '18.70' });
    await invoices(r, 'sub-a', { quantity: 10, usageQuantity: 9.5, cost: '190.50', price: '224.00' }); // PSA: 187.00 / 220.00
    await invoices(r, 'sub-b', { quantity: 5, cost: '80.00', price: '100.00' }); // PSA: 93.50 / 110.00
    await invoices(r, 'sub-c', { quantity: 1, cost: '120.50', price: '150.00' }); // IaaS line: 0 / 0
    await invoices(r, 'sub-d', { quantity: 2, cost: '40.00', price: '45.00' }); // PSA: 37.40 / 44.00
    await invoices(r, 'sub-e', { quantity: 4, cost: '74.80', price: '90.00' }); // PSA: 74.80 / 88.00
    await invoices(r, 'sub-ok', { quantity: 1, cost: '18.70', price: '22.00' });
    const baseIds = new Set(additionsOf(r).map((x) => x.id));

    await r.withWorker(async (taskQueue) => {
      const handle = await r.start(taskQueue);
      const runs = r.runs(taskQueue);
      const first = await r.skipTo(handle, (await handle.query(reconciliationStateQuery)).window.start, 1);
      const firstItems = await r.items(first);
      const status = Object.fromEntries(firstItems.map((i) => [i.subscriptionId, i.status]));
      expect(status).toEqual({ 'sub-a': 'pending-review', 'sub-b': 'pending-review', 'sub-c': 'pending-review', 'sub-d': 'pending-review', 'sub-e': 'pending-review', 'sub-ok': 'reconciled' });
      expect(first).toMatchObject({ total: 6, counts: { 'pending-review': 5, reconciled: 1 }, chunks: [{ chunk: 0, items: 6 }] });
      expect(firstItems.find((i) => i.subscriptionId === 'sub-a')!.reason).toBe('cost: platform 190.50, PSA 187.00; price: platform 224.00, PSA 220.00');

      // Validators: nothing reaches the chunk's history, the caller learns why (the chunk's own validator too).
      const chunk = r.env.client.workflow.getHandle(reconciliationChunkWorkflowId(r.h.connectionId, 'Microsoft CSP', month, 0));
      expect(await refusal(chunk.executeUpdate(acceptUpdate, { args: [{ subscriptionIds: ['sub-ok'] }] }))).toBe('sub-ok: is reconciled; only pending-review items can be accepted');
      const update = (action: DecisionAction, req: DecisionRequest) => runs.decide(r.ref, action, req);
      expect(await refusal(update('accept', { subscriptionIds: ['sub-zz'] }))).toBe(`sub-zz: not part of the ${month} Microsoft CSP reconciliation on ${r.h.connectionId}`);
      expect(await refusal(update('accept', { subscriptionIds: ['sub-ok'] }))).toBe('sub-ok: is reconciled; only pending-review items can be accepted');
      expect(await refusal(update('reject', { subscriptionIds: ['sub-a'], all: true }))).toBe('give either subscriptionIds or all: true (exactly one)');
      expect(await refusal(update('accept', { subscriptionIds: [] }))).toBe('subscriptionIds: must name at least one subscription');
      expect(await refusal(update('retry', { subscriptionIds: ['sub-a'] }))).toBe('sub-a: is pending-review; only failed or failed-review items can be retried');
      expect(await refusal(update('retry', { all: true }))).toBe(`nothing to retry: no item of ${month} Microsoft CSP is failed or failed-review`);
      expect(await refusal(update('reject', { subscriptionIds: ['sub-b'], note: 'x'.repeat(501) }))).toBe('note: is too long (at most 500 characters)');

      // SaaS accept: a new quantity-1 addition with the month's delta cost and price.
      expect(await update('accept', { subscriptionIds: ['sub-a'], by: 'ops@msp' })).toEqual({
        items: [{ subscriptionId: 'sub-a', status: 'reconciled', reason: 'accepted and posted: cost: platform 190.50, PSA 187.00; price: platform 224.00, PSA 220.00' }],
      });
      const posted = additionsOf(r).filter((x) => !baseIds.has(x.id));
      expect(posted).toHaveLength(1);
      expect(posted[0]).toMatchObject({ quantity: 1, unitCost: 3.5, unitPrice: 4, effectiveDate: `${month}-01T00:00:00Z` });
      expect(additionsOf(r).find((x) => x.id === a.psaId)).toMatchObject({ quantity: 10, unitPrice: 22, unitCost: 18.7 }); // untouched

      // Reject with a note: done, nothing posted; the note stays with the decision.
      expect(await update('reject', { subscriptionIds: ['sub-b'], note: 'credit note agreed with the distributor' })).toMatchObject({ items: [{ subscriptionId: 'sub-b', status: 'rejected' }] });
      expect(additionsOf(r).filter((x) => !baseIds.has(x.id))).toHaveLength(1);

      // IaaS accept on an invoiced line: ConnectWise refuses, the item is failed with its message.
      await markInvoiced(r, [c.psaId]);
      const failed = await update('accept', { subscriptionIds: ['sub-c'] });
      expect(failed.items[0]).toMatchObject({ subscriptionId: 'sub-c', status: 'failed' });
      expect(failed.items[0]!.reason).toContain('This addition has already been invoiced and cannot be changed or deleted.');
      expect(additionsOf(r).find((x) => x.id === c.psaId)).toMatchObject({ quantity: 1, unitPrice: 0, unitCost: 0 });

      // Bulk accept of every pending review left (sub-d, sub-e).
      const bulk = await update('accept', { all: true });
      expect(bulk.items.map((i) => [i.subscriptionId, i.status])).toEqual([['sub-d', 'reconciled'], ['sub-e', 'reconciled']]);
      const deltas = additionsOf(r).filter((x) => !baseIds.has(x.id)).map((x) => [x.quantity, x.unitCost, x.unitPrice]);
      expect(deltas).toEqual([[1, 3.5, 4], [1, 2.6, 1], [1, 0, 2]]);

      // Once the PSA allows it, a retry posts the invoiced totals on the quantity-1 line.
      await markInvoiced(r, [c.psaId], false);
      expect(await update('retry', { subscriptionIds: ['sub-c'] })).toMatchObject({ items: [{ subscriptionId: 'sub-c', status: 'reconciled' }] });
      expect(additionsOf(r).find((x) => x.id === c.psaId)).toMatchObject({ quantity: 1, unitPrice: 150, unitCost: 120.5 });

      // Every item is reconciled or rejected: the run ends without waiting for the window's end.
      const final = await handle.result();
      expect(final.finished).toBe(true);
      expect(final.checksDone).toBe(1);
      const memo = (await handle.describe()).memo?.summary;
      expect(memo).toMatch(/Microsoft CSP on .*: 5 reconciled, 1 rejected\.$/);

      // Deterministic: the recorded histories (the run's timers and signals; the chunk's updates and activities) replay on today's code.
      await Worker.runReplayHistory({ workflowBundle: { codePath: testServers().workflowBundle } }, await handle.fetchHistory(), handle.workflowId);
      await Worker.runReplayHistory({ workflowBundle: { codePath: testServers().workflowBundle } }, await chunk.fetchHistory(), chunk.workflowId);
    });

    const rec = (id: string) => r.h.store.reconciliations.get({ connectionId: r.h.connectionId, provider: 'Microsoft CSP', month, subscriptionId: id });
    expect(await rec('sub-b')).toMatchObject({ status: 'rejected', decision: { action: 'reject', by: 'admin', note: 'credit note agreed with the distributor' } });
    expect((await rec('sub-a'))?.decision).not.toHaveProperty('note');
    expect(await rec('sub-a')).toMatchObject({ status: 'reconciled', decision: { action: 'accept', by: 'ops@msp' }, platform: { quantity: 10, usageQuantity: 9.5, cost: '190.50', price: '224.00' }, psa: { quantity: 10, cost: '187.00', price: '220.00' } });
    expect(await rec('sub-b')).toMatchObject({ status: 'rejected', decision: { action: 'reject', by: 'admin' } });
    const subC = await rec('sub-c');
    expect(subC!.history.map((h) => h.status)).toEqual(['pending-review', 'failed', 'reconciled']);
    expect(subC!.error).toBeUndefined();
  });
});
