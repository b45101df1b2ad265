/**
 * A reconciliation month of N subscriptions on the real stack (docs/reconciliation.md "At any
 * size"): Temporal dev server, FerretDB, the ConnectWise sandbox, the real worker.
 *
 *   node --import tsx bench/scale/reconciliation-month.ts [N=10000] [reviewEvery=100]
 *
 * Seeds N mapped subscriptions of one provider with a base line each in the sandbox and both
 * final invoices of a past month (every `reviewEvery`-th one's customer invoice is 4.00 above the
 * PSA: pending-review), starts the month's run, waits until every chunk has checked, accepts
 * `all` (one request over every chunk), and waits for the run to end. Prints the phases, the
 * largest payloads of the run and of a chunk, the state query's size and memory, as JSON.
 *
 * Seeding writes the mapping, line and invoice documents straight into their collections in
 * shapes the repositories read back (checked on the first subscription), because the
 * one-at-a-time intake paths would take longer than the run being measured.
 */
import { createReconciliationRuns } from '../../client/reconciliation-runs';
import { mapConcurrent } from '../../activities/parallel';
import { encodeKeys } from '../../activities/store/line-keys';
import { PLATFORM_INVOICES, SUBSCRIPTION_LINES, SUBSCRIPTION_MAPPINGS } from '../../activities/store';
import { reconciliationChunkWorkflowId, reconciliationWorkflowId } from '../../contracts/reconciliation';
import { reconciliationStateQuery } from '../../workflows/reconciliation-messages';
import { loadAverage, runScale, secondsSince } from './scale-stack';
import { largestPayload } from '../../test/reconciliation/history-payloads';

const N = Number(process.argv[2] ?? 10_000);
const REVIEW_EVERY = Number(process.argv[3] ?? 100);
const PROVIDER = 'Microsoft CSP';
const MONTH = '2026-09'; // its cutover window is over: the run checks once, at its start
const sub = (i: number) => `sub-${String(i).padStart(6, '0')}`;

runScale(`recon_${N}`, async (stack, report) => {
  const { rt, connectionId } = stack;
  const { store, db } = rt;
  Object.assign(report, { subscriptions: N, pendingReview: Math.floor((N - 1) / REVIEW_EVERY) + 1 });
  // The world: Acme's agreement in the sandbox, the product mapped to its catalog item, 50 customers.
  const gateway = await rt.gateways.forConnection(connectionId);
  const [company] = await gateway.findCompanies('Acme Ltd');
  const [agreement] = (await gateway.listAgreements(company!.id)).filter((a) => a.name.startsWith('Acme'));
  const [item] = await gateway.findCatalogItems({ name: 'Microsoft 365 Business Premium' });
  await store.platform.upsertProduct({ id: 'm365-bp', name: 'Microsoft 365 Business Premium', partNumber: 'M365-BP', provider: PROVIDER, unitPrice: '22.00', unitCost: '18.70', billingFrequency: 'monthly' });
  await store.mappings.products.markMapped(connectionId, 'm365-bp', { psaId: item!.id, psaName: item!.name });
  for (let c = 0; c < 50; c++) await store.platform.upsertCustomer({ id: `cust-${c}`, name: `Customer ${c}` });
  const target = { companyId: company!.id, agreementId: agreement!.id, productIds: { 'm365-bp': item!.id } };
  const start = agreement!.startDate.slice(0, 10); // the lines bill from the agreement's start, before the month

  const t0 = Date.now();
  const now = new Date();
  const ids = [...Array(N).keys()];
  await mapConcurrent(ids, 8, async (i) => {
    const id = sub(i);
    const lineKey = `${id}/m365-bp/base/${start}`;
    await store.platform.upsertSubscription({
      connectionId, id, customerId: `cust-${i % 50}`, productId: 'm365-bp', provider: PROVIDER, quantity: 10, unitPrice: '22.00', unitCost: '18.70',
      startDate: start, endDate: null, billingFrequency: 'monthly', status: 'active', kind: 'saas',
    });
    const [applied] = await gateway.apply({ ...target, description: `Subscription ${id}` }, [{
      idempotencyKey: `seed/${id}`,
      operation: { type: 'cw.create-addition', addition: { lineKey, subscriptionId: id, productId: 'm365-bp', kind: 'base', quantity: 10, unitPrice: '22.00', unitCost: '18.70', effectiveDate: start, cancelledDate: null } },
    }], {});
    await db.collection(SUBSCRIPTION_MAPPINGS).insertOne({
      _id: `${connectionId}/${id}` as never, connectionId, platformId: id, status: 'mapped', linked: true, label: `M365 ${id}`,
      companyId: target.companyId, agreementId: target.agreementId, productIds: encodeKeys(target.productIds), description: `Subscription ${id}`,
      customerId: `cust-${i % 50}`, customerName: `Customer ${i % 50}`, productId: 'm365-bp', createdAt: now, updatedAt: now,
    });
    await db.collection(SUBSCRIPTION_LINES).insertOne({ _id: JSON.stringify([connectionId, id, lineKey]) as never, connectionId, subscriptionId: id, lineKey, psaId: applied!.psaId, updatedAt: now });
    const price = i % REVIEW_EVERY === 0 ? '224.00' : '220.00';
    await db.collection(PLATFORM_INVOICES).insertMany(
      (['reseller', 'customer'] as const).map((kind) => ({
        _id: `${id}|${MONTH}|${kind}` as never, invoiceId: `${kind === 'reseller' ? 'R' : 'C'}-${id}`, subscriptionId: id, customerId: `cust-${i % 50}`, provider: PROVIDER, month: MONTH,
        kind, quantity: 10, amount: kind === 'reseller' ? '187.00' : price, receivedAt: now, receivedBy: 'bench', amendments: [], updatedAt: now,
      })),
    );
  });
  report.seedSeconds = secondsSince(t0);
  // The seeded documents read back as the repositories' own.
  const check = await store.mappings.subscriptions.get(connectionId, sub(0));
  if (!check?.linked || Object.keys(check.lineIds).length !== 1) throw new Error(`seeded mapping reads back wrong: ${JSON.stringify(check)}`);
  if (!(await store.platform.getInvoice(sub(0), MONTH, 'customer'))) throw new Error('seeded invoice does not read back');

  const runs = createReconciliationRuns({ temporal: rt.temporal, taskQueue: stack.taskQueue, store });
  const ref = { connectionId, provider: PROVIDER, month: MONTH };
  const handle = rt.temporal.workflow.getHandle(reconciliationWorkflowId(connectionId, PROVIDER, MONTH));
  report.loadAverageAtStart = loadAverage();
  const t1 = Date.now();
  await runs.start(ref);
  let checked = await handle.query(reconciliationStateQuery);
  while (!(checked.chunks.length > 0 && checked.chunks.every((c) => c.finished || c.checksDone >= 1))) {
    await new Promise((r) => setTimeout(r, 1000));
    checked = await handle.query(reconciliationStateQuery);
  }
  report.firstCheckSeconds = secondsSince(t1);
  report.afterCheck = { total: checked.total, counts: checked.counts, chunks: checked.chunks.length };
  report.stateQueryBytes = JSON.stringify(checked).length;
  report.firstPageBytes = JSON.stringify(await runs.view(ref)).length;
  report.memoryAfterCheck = stack.memory();

  const t2 = Date.now();
  const accepted = await runs.decide(ref, 'accept', { all: true, by: 'bench' });
  report.acceptAll = { items: accepted.items.length, reconciled: accepted.items.filter((i) => i.status === 'reconciled').length, seconds: secondsSince(t2) };
  const final = await handle.result();
  report.totalSeconds = secondsSince(t1);
  report.final = { finished: final.finished, counts: final.counts };
  report.loadAverageAfter = loadAverage();

  // Where the run's time went: the listing activity, from the run's history.
  const history = await handle.fetchHistory();
  const at = (e: { eventTime?: { seconds?: unknown; nanos?: number | null } | null }) => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
  const scheduled = history.events!.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'listReconciliationSubjects');
  const completed = history.events!.find((e) => e.activityTaskCompletedEventAttributes && Number(e.activityTaskCompletedEventAttributes.scheduledEventId) === Number(scheduled?.eventId));
  report.listingSeconds = scheduled && completed ? Math.round((at(completed) - at(scheduled)) / 100) / 10 : null;
  const largest = async (workflowId: string) => {
    const h = await rt.temporal.workflow.getHandle(workflowId).fetchHistory();
    const max = largestPayload(h);
    // Seconds spent in each activity type (scheduled → completed), summed.
    const scheduledAt = new Map<number, { type: string; at: number }>();
    const activitySeconds: Record<string, number> = {};
    for (const e of h.events ?? []) {
      const sch = e.activityTaskScheduledEventAttributes;
      if (sch) scheduledAt.set(Number(e.eventId), { type: sch.activityType?.name ?? '?', at: at(e) });
      const done = e.activityTaskCompletedEventAttributes;
      const from = done ? scheduledAt.get(Number(done.scheduledEventId)) : undefined;
      if (from) activitySeconds[from.type] = Math.round(((activitySeconds[from.type] ?? 0) + (at(e) - from.at) / 1000) * 10) / 10;
    }
    return { events: h.events?.length ?? 0, largestPayloadBytes: max, activitySeconds };
  };
  report.runHistory = await largest(handle.workflowId);
  report.chunk0History = await largest(reconciliationChunkWorkflowId(connectionId, PROVIDER, MONTH, 0));
  report.memoryAtEnd = stack.memory();
});
