/**
 * Adoption at cutover and drift, end to end (docs/adopt-and-drift.md): the admin API and CLI, a
 * real worker on the Temporal dev server, FerretDB, the ConnectWise sandbox.
 *
 * - A line the MSP made by hand is adopted while mapping: the first sync UPDATES it to what the
 *   ledger bills, and no second line appears.
 * - A quantity edited by hand in the PSA is reported as drift by the daily global sync (result,
 *   state query, GET …/drift); restore puts the ledger's value back; both writes are audited.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createConnectWiseClient } from '../../activities/psa/connectwise/connectwise-client';
import type { SubscriptionWorkflowState } from '../../contracts/subscription';
import type { GlobalSyncResult } from '../../workflows/global-sync.workflow';
import { testServers } from '../setup/servers';
import { eventually } from '../workflows/harness';
import { cwConnection, demoCustomers, demoProducts, report, request, runCli, startHarness, type Harness } from './harness';

const C = 'cw-adopt';
const base = `/api/connections/${C}`;

describe('adopt at cutover and drift (ConnectWise sandbox, real worker)', () => {
  let h: Harness;
  let native: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  let agreementId: number;
  let catalogId: number;
  let handId: number;
  const call = (method: string, path: string, payload?: unknown) => request(h, method, path, payload);
  const cw = () => createConnectWiseClient({ baseUrl: h.cw.apiUrl, credentials: h.cw.credentials });
  const linesOfProduct = () => h.cw.state.additions.filter((a) => a.agreementId === agreementId && (a.product as { id: number }).id === catalogId);
  const state = async (): Promise<SubscriptionWorkflowState> => (await call('GET', `${base}/subscriptions/sub-adopt/state`)).body.workflow as SubscriptionWorkflowState;

  beforeAll(async () => {
    h = await startHarness('adopt_drift', { operations: true });
    native = await NativeConnection.connect({ address: testServers().temporalAddress });
    worker = await Worker.create({ connection: native, taskQueue: h.taskQueue, workflowBundle: { codePath: testServers().workflowBundle }, activities: h.rt.activities() });
    running = worker.run();
    expect((await call('POST', '/api/connections', cwConnection(h, C))).status).toBe(201);
    await call('PUT', '/api/platform/customers', { customers: demoCustomers });
    await call('PUT', '/api/platform/products', { products: demoProducts });
    const acme = h.cw.state.companies.find((c) => c.name === 'Acme Ltd')!.id as number;
    agreementId = h.cw.state.agreements.find((a) => String(a.name).startsWith('Acme'))!.id as number;
    catalogId = h.cw.state.catalog.find((c) => c.identifier === 'M365-BP')!.id as number;
    expect((await call('POST', `${base}/customers/c-acme/mapping`, { psaId: acme, mode: 'map-only' })).status).toBe(200);
    expect((await call('POST', `${base}/products/p-m365bp/mapping`, { psaId: catalogId, mode: 'map-only' })).status).toBe(200);
    // The MSP's own line from before the connector: 10 seats at 20.00, no end, its own text.
    handId = (await cw().additions.create(agreementId, {
      product: { id: catalogId }, billCustomer: 'Billable', quantity: 10, unitPrice: 20, unitCost: 18.7, effectiveDate: '2026-03-01T12:00:00Z', description: 'M365 BP Acme (by hand)',
    })).id;
    expect((await call('POST', `${base}/subscriptions`, report('sub-adopt', 'c-acme', 'p-m365bp'))).status).toBe(202);
  }, 60_000);
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await native?.close();
    expect(h.errors).toEqual([]);
    await h?.close();
  });

  it('adopts the hand-made line while mapping: the first sync updates it, no second line', async () => {
    // Customer and product are mapped and Acme has one agreement, but a line of the product is
    // already there: the subscription is not mapped automatically (it would bill twice).
    const waiting = await eventually(async () => {
      const m = await h.store.mappings.subscriptions.get(C, 'sub-adopt');
      return m?.status === 'failed' ? m : undefined;
    }, 'the auto-mapping refusal');
    expect(waiting).toMatchObject({ linked: false, error: { message: expect.stringContaining(`already has line(s) ${handId} of this product that no subscription owns`) } });
    expect(linesOfProduct().map((a) => a.id)).toEqual([handId]);
    expect((await call('GET', `${base}/subscriptions/sub-adopt/adoption`)).status).toBe(409); // not mapped yet: map with adopt
    expect((await call('POST', `${base}/subscriptions/sub-adopt/mapping`, { description: 'M365 for Acme', adoptLine: 5 })).body.problems).toEqual([{ path: 'adoptLine', message: 'needs adopt: true' }]);

    const mapped = await call('POST', `${base}/subscriptions/sub-adopt/mapping`, { description: 'M365 for Acme', adopt: true });
    expect(mapped).toMatchObject({ status: 200 });
    const [target] = mapped.body.adoption.targets;
    expect(target).toMatchObject({ lineKey: 'sub-adopt/p-m365bp/base/2026-03-01', outcome: 'adopt', psaId: handId });
    expect(target.differences).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'unitPrice', expected: '22.00', found: '20.00' }),
        expect.objectContaining({ field: 'cancelledDate', expected: '2027-02-28', found: null }),
        expect.objectContaining({ field: 'description', found: 'M365 BP Acme (by hand)' }),
      ]),
    );

    const s = await eventually(async () => {
      const x = await state();
      return x?.step === 1 && !x.syncing ? x : undefined;
    }, 'the first sync');
    expect(s.lineIds).toEqual({ 'sub-adopt/p-m365bp/base/2026-03-01': handId });
    expect(linesOfProduct().map((a) => a.id)).toEqual([handId]);
    expect(linesOfProduct()[0]).toMatchObject({ quantity: 10, unitPrice: 22, cancelledDate: expect.stringMatching(/^2027-02-28/) });

    // Per connection, the dry run now finds the line held and nothing to adopt (the CLI, as an admin runs it).
    const cli = await runCli(['services', 'adopt', '--all', '-c', C], { PSA_CONNECTOR_API: h.url, PSA_CONNECTOR_TOKEN: h.adminToken });
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ applied: false, totals: { held: 1, adopt: 0, lookAlikes: 0, failed: 0 } });
    const bad = await runCli(['services', 'adopt', 'sub-adopt', '-c', C, '--line', 'x'], { PSA_CONNECTOR_API: h.url, PSA_CONNECTOR_TOKEN: h.adminToken });
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('--line: must be a positive whole number (got x)') });
  });

  it('a quantity edited by hand is drift in the daily sync, the state and GET …/drift; restore writes the ledger value back', async () => {
    await cw().additions.update(agreementId, handId, [{ op: 'replace', path: 'quantity', value: 14 }]);
    const sync: GlobalSyncResult = await h.temporal.workflow.execute('globalSyncWorkflow', { taskQueue: h.taskQueue, workflowId: `global-sync/${C}/drift-test`, args: [{ connectionId: C }] });
    const finding = { subscriptionId: 'sub-adopt', lineKey: 'sub-adopt/p-m365bp/base/2026-03-01', psaId: handId, productId: 'p-m365bp', field: 'quantity', expected: 10, found: 14 };
    expect(sync.drift).toEqual({ checked: 1, drifted: 1, findings: [finding] });
    const { subscriptionId: _sub, ...inState } = finding;
    void _sub;
    expect((await eventually(async () => ((await state()).drift?.findings.length ? state() : undefined), 'drift in the state')).drift!.findings).toEqual([inState]);
    expect((await call('GET', `${base}/subscriptions/sub-adopt/drift`)).body.findings).toEqual([inState]);

    expect((await call('POST', `${base}/subscriptions/sub-adopt/drift/accept`, { lineKey: inState.lineKey, field: 'colour' })).body.problems).toEqual([
      { path: 'field', message: 'must be quantity, unitPrice or unitCost (other fields can only be restored)' },
    ]);
    const restored = await call('POST', `${base}/subscriptions/sub-adopt/drift/restore`, {});
    expect(restored).toMatchObject({ status: 200, body: { restored: [inState.lineKey] } });
    await eventually(async () => (linesOfProduct()[0]?.quantity === 10 ? true : undefined), 'the ledger quantity back in the PSA');
    expect(linesOfProduct().map((a) => a.id)).toEqual([handId]);
    const after = await eventually(async () => {
      const x = await state();
      return !x.syncing && x.step === 2 ? x : undefined;
    }, 'the restore step');
    expect(after.drift!.findings).toEqual([]);
    expect((await call('GET', `${base}/subscriptions/sub-adopt/drift`)).body.findings).toEqual([]);

    const audit = (await call('GET', `/api/audit?connection=${C}&action=drift`)).body.items as Array<{ action: string; outcome: string }>;
    expect(audit.map((a) => [a.action, a.outcome])).toEqual([
      ['POST /api/connections/:id/subscriptions/:pid/drift/restore', 'ok'],
      ['POST /api/connections/:id/subscriptions/:pid/drift/accept', 'failed'],
    ]);
  });
});
