/**
 * A reconciliation month end to end through the public surfaces only: the connection, the
 * platform's records, the mapping and the subscription go in over the admin API; the month's
 * invoices arrive through the CLI's `platform invoices import` (CSV); the run is started over
 * the API, the discrepancy is accepted with the CLI under an operator token, and the log shows
 * who decided and, after the platform amends an invoice, the amendment. A real worker runs the
 * workflows against the ConnectWise sandbox.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { testServers } from '../setup/servers';
import { cwConnection, request, runCli, startHarness, type Harness } from './harness';
import { eventually, pastMonth } from '../support/eventually';

const C = 'cw-month';
const PROVIDER = 'Microsoft CSP';

describe('a reconciliation month through the public surfaces', () => {
  let h: Harness;
  let native: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  let operator: string;
  const month = pastMonth();
  const cli = (args: string[], input = '') => runCli(args, { PSA_CONNECTOR_API: h.url, PSA_CONNECTOR_TOKEN: operator }, input);
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await request(h, method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  };

  beforeAll(async () => {
    h = await startHarness('recon_month', { operations: true });
    operator = (await h.store.tokens.create({ name: 'billing-ops', role: 'operator' }, 'test')).token;
    native = await NativeConnection.connect({ address: testServers().temporalAddress });
    worker = await Worker.create({
      connection: native,
      taskQueue: h.taskQueue,
      workflowBundle: { codePath: testServers().workflowBundle },
      activities: h.rt.activities(),
    });
    running = worker.run();
  }, 60_000);
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await native?.close();
    expect(h.errors).toEqual([]);
    await h.close();
  });

  it('runs from invoices delivered through the intake to an accepted, logged month', async () => {
    // The MSP's set-up and the platform's records, over the API.
    await api('POST', '/api/connections', cwConnection(h, C));
    await api('PUT', '/api/platform/customers', { customers: [{ id: 'c-acme', name: 'Acme Ltd.' }] });
    await api('PUT', '/api/platform/products', { products: [{ id: 'p-bp', name: 'Microsoft 365 Business Premium', partNumber: 'M365-BP', provider: PROVIDER, unitPrice: '22.00', unitCost: '18.70', billingFrequency: 'monthly' }] });
    const company = (await api('GET', `/api/connections/${C}/customers/c-acme/suggestions`)).matches[0].id as number;
    await api('POST', `/api/connections/${C}/customers/c-acme/mapping`, { psaId: company });
    const item = (await api('GET', `/api/connections/${C}/products/p-bp/suggestions`)).matches[0].id as number;
    await api('POST', `/api/connections/${C}/products/p-bp/mapping`, { psaId: item });
    await api('POST', `/api/connections/${C}/subscriptions`, {
      customerId: 'c-acme',
      provider: PROVIDER,
      subscription: { id: 'sub-month', productId: 'p-bp', quantity: 10, unitPrice: '22.00', unitCost: '18.70', startDate: '2026-03-01', endDate: null, billingFrequency: 'monthly', autoRenew: true },
    });
    await eventually(async () => ((await request(h, 'GET', `/api/connections/${C}/subscriptions/sub-month/suggestions`)).status === 200 ? true : undefined), 'the reported subscription', 30_000);
    await api('POST', `/api/connections/${C}/subscriptions/sub-month/mapping`, { description: 'M365 for Acme' });
    await eventually(async () => {
      const s = await api('GET', `/api/connections/${C}/subscriptions/sub-month/state`);
      return Object.keys(s.mapping?.lineIds ?? {}).length > 0 ? true : undefined;
    }, 'the base line in the PSA', 30_000);

    // The month's final invoices, as the platform delivers them: CSV through the CLI.
    const csv = [
      'id,kind,subscriptionId,customerId,provider,month,quantity,amount',
      `R-${month},reseller,sub-month,c-acme,${PROVIDER},${month},10,187.00`,
      `C-${month},customer,sub-month,c-acme,${PROVIDER},${month},10,230.00`,
    ].join('\n');
    const imported = await cli(['platform', 'invoices', 'import', '-'], csv);
    expect({ code: imported.code, stderr: imported.stderr }).toEqual({ code: 0, stderr: '' });

    // The run, started on demand; its check finds the customer invoice 10.00 above the PSA.
    const run = `/api/connections/${C}/reconciliation/runs/${encodeURIComponent(PROVIDER)}/${month}`;
    await api('POST', run);
    const review = await eventually(async () => {
      const s = await request(h, 'GET', run);
      const it = s.status === 200 ? (s.body.items as Array<{ subscriptionId: string; status: string; reason?: string }>).find((i) => i.subscriptionId === 'sub-month') : undefined;
      return it && it.status !== 'pending' ? it : undefined;
    }, 'the check', 30_000);
    expect(review).toMatchObject({ status: 'pending-review' });

    const accepted = await cli(['reconciliation', 'accept', '-c', C, '-p', PROVIDER, '-m', month, '--sub', 'sub-month']);
    expect({ code: accepted.code, stderr: accepted.stderr }).toEqual({ code: 0, stderr: '' });
    const row = await eventually(async () => {
      const rows = (await api('GET', `/api/connections/${C}/reconciliation/log?from=${month}&to=${month}`)).rows as Array<Record<string, unknown>>;
      return rows[0]?.status === 'reconciled' ? rows[0] : undefined;
    }, 'the accepted item', 30_000);
    expect(row).toMatchObject({ subscriptionId: 'sub-month', platformCost: '187.00', platformPrice: '230.00', decidedBy: 'billing-ops', decision: 'accept' });

    // The platform corrects the customer invoice: the log shows the amendment.
    await cli(['platform', 'invoices', 'import', '-'], csv.replace('230.00', '231.00'));
    const log = (await api('GET', `/api/connections/${C}/reconciliation/log?from=${month}&to=${month}`)).rows as Array<Record<string, unknown>>;
    expect(log[0]!.invoiceAmendments).toMatch(new RegExp(`^customer invoice C-${month} amended \\d{4}-\\d\\d-\\d\\d by billing-ops: amount 230\\.00 → 231\\.00$`));
    const exported = await cli(['reconciliation', 'export', '-c', C, '--from', month, '--to', month]);
    expect(exported.stdout.split('\n')[0]).toMatch(/,Invoice amendments,Decision note$/);
    expect(exported.stdout).toContain('amount 230.00 → 231.00');
  }, 120_000);
});
