/**
 * Reconciliation at any size (issue 15) on the time-skipping server with the real store on
 * FerretDB and the ConnectWise sandbox: a month of 600 subscriptions spans two chunks (500 + 100)
 * and completes; decisions reach items in the second chunk, `all` spans both, a request naming a
 * bad item anywhere changes nothing; no payload of the run grows with the month (its state, its
 * history's payloads); the state pages across chunks; and the listing, killed after a page,
 * resumes from its heartbeat.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createReconciliationActivities, LISTING_PAGE, type ListingProgress, type SubjectListing } from '../../activities/reconciliation/reconciliation.activities';
import { ConflictError, type Store } from '../../activities/store';
import { CHUNK_SIZE, reconciliationChunkWorkflowId, type ReconciliationRunState } from '../../contracts/reconciliation';
import { reconciliationStateQuery } from '../../workflows/reconciliation-messages';
import { largestPayload } from './history-payloads';
import { additionsOf, invoices, mappedSubscription, PROVIDER, startReconciliationHarness, type ReconciliationHarness } from './reconciliation-harness';

jest.setTimeout(600_000);

const N = 600;
const id = (i: number) => `sub-${String(i).padStart(3, '0')}`;
/** Items that disagree with the PSA (price 224.00 invoiced, 220.00 billed): two in each chunk. */
const REVIEW = [id(10), id(20), id(510), id(520)];

async function inBatches<T>(items: T[], size: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

describe('reconciliation at any size', () => {
  let r: ReconciliationHarness;
  beforeAll(async () => {
    r = await startReconciliationHarness('recon_scale');
    // 600 mapped subscriptions with a base line each (10 × 22.00 / 18.70) and both invoices:
    // every one agrees with the PSA except REVIEW, whose customer invoice is 4.00 higher.
    await inBatches([...Array(N).keys()], 10, async (i) => {
      await mappedSubscription(r, { subscriptionId: id(i), quantity: 10, unitPrice: '22.00', unitCost: '18.70' });
      await invoices(r, id(i), { quantity: 10, cost: '187.00', price: REVIEW.includes(id(i)) ? '224.00' : '220.00' });
    });
  });
  afterAll(async () => {
    await r?.close();
  });

  it('a month of 600 spans two chunks, pages across them, takes decisions in either chunk and `all` across both, and completes', async () => {
    const baseIds = new Set(additionsOf(r).map((x) => x.id));
    const posted = () => additionsOf(r).filter((x) => !baseIds.has(x.id));

    await r.withWorker(async (taskQueue) => {
      const runs = r.runs(taskQueue);
      const handle = await r.start(taskQueue);
      const first = await r.skipTo(handle, (await handle.query(reconciliationStateQuery)).window.start, 1);
      expect(first).toMatchObject({
        total: N,
        counts: { reconciled: N - REVIEW.length, 'pending-review': REVIEW.length },
        chunks: [
          { chunk: 0, items: CHUNK_SIZE, workflowId: reconciliationChunkWorkflowId(r.h.connectionId, PROVIDER, r.month, 0), counts: { 'pending-review': 2 } },
          { chunk: 1, items: N - CHUNK_SIZE, workflowId: reconciliationChunkWorkflowId(r.h.connectionId, PROVIDER, r.month, 1), counts: { 'pending-review': 2 } },
        ],
      });

      // The run's state does not hold the items: its size depends on the number of chunks only.
      expect(JSON.stringify(first).length).toBeLessThan(2_000);
      // A page that spans both chunks, in chunk order.
      const page = await runs.view(r.ref, { offset: 495, limit: 10 });
      expect(page.items.map((i) => i.subscriptionId)).toEqual([...Array(10).keys()].map((k) => id(495 + k)));
      expect(page.page).toEqual({ offset: 495, limit: 10, total: N });
      expect((await runs.view(r.ref)).items).toHaveLength(100);

      // A request naming an item the run refuses (in chunk 0) alongside a good one (chunk 1): nothing happens.
      const refused = await runs.decide(r.ref, 'accept', { subscriptionIds: [id(510), id(30), 'sub-nope'] }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ConflictError);
      expect((refused as Error).message).toBe(
        `${id(30)}: is reconciled; only pending-review items can be accepted; sub-nope: not part of the ${r.month} ${PROVIDER} reconciliation on ${r.h.connectionId}`,
      );
      expect(posted()).toHaveLength(0);

      // One item of the second chunk.
      expect(await runs.decide(r.ref, 'accept', { subscriptionIds: [id(510)], by: 'ops@msp' })).toEqual({
        items: [{ subscriptionId: id(510), status: 'reconciled', reason: 'accepted and posted: price: platform 224.00, PSA 220.00' }],
      });
      expect(posted()).toHaveLength(1);

      // `all` that no chunk has anything for; then `all` across both chunks: the three left, in chunk order.
      await expect(runs.decide(r.ref, 'retry', { all: true })).rejects.toThrow(`nothing to retry: no item of ${r.month} ${PROVIDER} is failed or failed-review`);
      const bulk = await runs.decide(r.ref, 'reject', { all: true, note: 'credit notes' });
      expect(bulk.items.map((i) => [i.subscriptionId, i.status])).toEqual([[id(10), 'rejected'], [id(20), 'rejected'], [id(520), 'rejected']]);

      // Every item is reconciled or rejected: both chunks end, then the run.
      const final: ReconciliationRunState = await handle.result();
      expect(final).toMatchObject({ finished: true, checksDone: 1, total: N, counts: { reconciled: N - 3, rejected: 3, 'pending-review': 0 } });
      expect(final.chunks.every((c) => c.finished)).toBe(true);
      expect((await handle.describe()).memo?.summary).toMatch(/: 597 reconciled, 3 rejected\.$/);

      // No payload of the run grows with the month; a chunk's stay within its batch sizes.
      expect(largestPayload(await handle.fetchHistory())).toBeLessThan(4_000);
      for (const n of [0, 1]) {
        const chunk = r.env.client.workflow.getHandle(reconciliationChunkWorkflowId(r.h.connectionId, PROVIDER, r.month, n));
        expect(largestPayload(await chunk.fetchHistory())).toBeLessThan(200_000);
      }
    });

    const rec = (sub: string) => r.h.store.reconciliations.get({ connectionId: r.h.connectionId, provider: PROVIDER, month: r.month, subscriptionId: sub });
    expect(await rec(id(510))).toMatchObject({ status: 'reconciled', decision: { action: 'accept', by: 'ops@msp' } });
    expect(await rec(id(520))).toMatchObject({ status: 'rejected', decision: { action: 'reject', note: 'credit notes' } });
    expect(await rec(id(599))).toMatchObject({ status: 'reconciled', customerName: 'Acme Ltd', plan: 'Microsoft 365 Business Premium' });
    expect((await r.h.store.reconciliations.listForLog({ connectionId: r.h.connectionId })).length).toBe(N);
  });

  it('the listing, killed after its first page, resumes from its heartbeat and lists each subscription once', async () => {
    const month = '2026-01'; // a run of its own
    const key = { connectionId: r.h.connectionId, provider: PROVIDER, month };
    const starts: Array<string | undefined> = [];
    let kill = true;
    const store: Store = {
      ...r.h.store,
      platform: {
        ...r.h.store.platform,
        async *streamSubscriptions(q) {
          starts.push(q.after);
          let n = 0;
          for await (const sub of r.h.store.platform.streamSubscriptions(q)) {
            // The worker dies while reading the second page.
            if (kill && ++n > LISTING_PAGE) throw new Error('worker killed');
            yield sub;
          }
        },
      },
    };
    const activities = createReconciliationActivities({ store, gateways: r.h.gateways });

    const first = new MockActivityEnvironment();
    const beats: ListingProgress[] = [];
    first.on('heartbeat', (d: ListingProgress) => beats.push(d));
    await expect(first.run(activities.listReconciliationSubjects, key)).rejects.toThrow('worker killed');
    expect(beats).toEqual([{ after: id(LISTING_PAGE - 1) }]);
    // What the first page found is in the database already.
    expect((await r.h.store.reconciliations.chunks(key)).map((c) => c.subjects.length)).toEqual([CHUNK_SIZE]);

    kill = false;
    starts.length = 0;
    const retried = new MockActivityEnvironment({ heartbeatDetails: beats.at(-1), attempt: 2 });
    const listed: SubjectListing = await retried.run(activities.listReconciliationSubjects, key);
    expect(starts).toEqual([id(LISTING_PAGE - 1)]); // not from the start
    expect(listed).toMatchObject({ psa: 'connectwise', chunks: [{ chunk: 0, items: CHUNK_SIZE }, { chunk: 1, items: N - CHUNK_SIZE }], added: N - CHUNK_SIZE });
    const all = (await r.h.store.reconciliations.chunks(key)).flatMap((c) => c.subjects.map((s) => s.subscriptionId));
    expect(all).toHaveLength(N);
    expect(new Set(all).size).toBe(N);

    // Listed again (the next day): memberships stay, nothing is added; a closed chunk takes no newcomer.
    await r.h.store.platform.upsertSubscription({
      connectionId: r.h.connectionId, id: 'sub-late', customerId: 'cust-acme', productId: 'm365-bp', provider: PROVIDER, quantity: 1,
      unitPrice: '22.00', unitCost: '18.70', startDate: `${r.month}-01`, endDate: null, billingFrequency: 'monthly', status: 'active', kind: 'saas',
    });
    await r.h.store.mappings.subscriptions.markMapped(r.h.connectionId, 'sub-late', { companyId: r.companyId, agreementId: r.agreementId, productIds: {}, description: 'late' });
    const again: SubjectListing = await new MockActivityEnvironment().run(activities.listReconciliationSubjects, { ...key, closedChunks: [1] });
    expect(again.chunks).toEqual([{ chunk: 0, items: CHUNK_SIZE }, { chunk: 1, items: N - CHUNK_SIZE }, { chunk: 2, items: 1 }]);
    expect(again.added).toBe(1);
  });
});
