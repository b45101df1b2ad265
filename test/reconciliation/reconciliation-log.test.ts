/**
 * §6 reconciliation log: the columns, the date-range (billing month) and status filters, the CSV
 * export (money as decimal strings), and the HTTP routes that serve them (400 with problems).
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import Fastify, { type FastifyInstance } from 'fastify';
import type { MongoClient } from 'mongodb';
import { createReconciliationLog, reconciliationCsv } from '../../app/admin/reconciliation-log';
import { connectMongo, createStore, ensureIndexes, parseEncryptionKey, type Store } from '../../activities/store';
import { errorReply } from '../../client/http/error-reply';
import { reconciliationRoutes } from '../../client/http/routes/reconciliation.routes';
import { testDbUrl, testServers } from '../setup/servers';

const CONN = 'cw-log';

describe('reconciliation log (§6)', () => {
  let mongo: MongoClient;
  let store: Store;
  let app: FastifyInstance;
  let url: string;
  let temporal: Connection;
  // Over real HTTP: fastify's inject() pulls in an ESM-only module jest cannot load.
  const call = async (method: 'GET' | 'POST', path: string, payload?: unknown) => {
    const res = await fetch(`${url}${path}`, { method, ...(payload === undefined ? {} : { body: JSON.stringify(payload), headers: { 'content-type': 'application/json' } }) });
    const body = await res.text();
    return { statusCode: res.status, headers: Object.fromEntries(res.headers), body, json: () => JSON.parse(body) as unknown };
  };

  beforeAll(async () => {
    const { client, db } = await connectMongo(testDbUrl(testServers().mongoUrl, `recon_log_${randomUUID().slice(0, 6)}`));
    mongo = client;
    await ensureIndexes(db);
    store = createStore(db, { secretKeys: { current: parseEncryptionKey(Buffer.alloc(32, 3).toString('base64')) } });
    await store.connections.create({
      id: CONN, psa: 'connectwise', name: 'log test',
      settings: { baseUrl: 'http://127.0.0.1:9/v4_6_release/apis/3.0', companyId: 'acme', publicKey: 'pub', clientId: 'client' },
      secret: 'priv',
    });
    const rec = (month: string, subscriptionId: string, status: Parameters<Store['reconciliations']['record']>[1]['status'], extra: object) =>
      store.reconciliations.record({ connectionId: CONN, provider: 'Microsoft CSP', month, subscriptionId }, { status, customerName: 'Acme Ltd', customerId: 'cust-acme', plan: 'Microsoft 365 E3', kind: 'saas', ...extra });
    await rec('2026-09', 'sub-1', 'reconciled', { reason: 'no discrepancy', platform: { quantity: 3, usageQuantity: 2.5, cost: '91.80', price: '108.00' }, psa: { quantity: 3, cost: '91.80', price: '108.00' } });
    await rec('2026-10', 'sub-1', 'pending-review', { reason: 'price: platform 110.00, PSA 108.00', platform: { quantity: 3, cost: '91.80', price: '110.00' }, psa: { quantity: 3, cost: '91.80', price: '108.00' } });
    await rec('2026-10', 'sub-2', 'pending', { reason: 'customer invoice missing', customerName: 'Globex, "West"', plan: 'Azure plan' });
    await rec('2026-10', 'sub-3', 'failed', { reason: 'connectwise PATCH … already been invoiced', error: 'already been invoiced' });

    app = Fastify({ logger: false });
    app.setErrorHandler((error, _req, reply) => {
      const { status, body } = errorReply(error);
      return reply.status(status).send(body);
    });
    temporal = await Connection.connect({ address: testServers().temporalAddress });
    await app.register(reconciliationRoutes, { temporal: new Client({ connection: temporal }), taskQueue: `recon-log-${randomUUID().slice(0, 6)}`, store });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await mongo?.close();
    await temporal?.close();
  });

  it('starts a month\'s run on demand under its business id; asking again finds the same run', async () => {
    const path = `/api/connections/${CONN}/reconciliation/runs/Microsoft%20CSP/2026-10`;
    const first = await call('POST', path);
    expect(first.statusCode).toBe(202);
    const started = first.json() as { workflowId: string; runId: string };
    expect(started.workflowId).toBe(`reconciliation/${CONN}/microsoft-csp/2026-10`);
    expect((await call('POST', path)).json()).toEqual(started);
    expect((await call('POST', `/api/connections/${CONN}/reconciliation/runs/Microsoft%20CSP/2026-13`)).statusCode).toBe(400);
    expect((await call('POST', `/api/connections/nobody/reconciliation/runs/Microsoft%20CSP/2026-10`)).statusCode).toBe(404);
    await new Client({ connection: temporal }).workflow.getHandle(started.workflowId).terminate('test over');
  });

  it('lists the §6 columns per subscription, newest month first, filtered by billing months and status', async () => {
    const log = createReconciliationLog(store);
    const all = await log.list(CONN);
    // newest month first, then customer name, then subscription
    expect(all.map((r) => [r.month, r.subscriptionId, r.status])).toEqual([
      ['2026-10', 'sub-1', 'pending-review'],
      ['2026-10', 'sub-3', 'failed'],
      ['2026-10', 'sub-2', 'pending'],
      ['2026-09', 'sub-1', 'reconciled'],
    ]);
    expect(all[3]).toMatchObject({
      customer: 'Acme Ltd', provider: 'Microsoft CSP', plan: 'Microsoft 365 E3', platformQuantity: 3, usageQuantity: 2.5,
      platformCost: '91.80', platformPrice: '108.00', psaCost: '91.80', psaPrice: '108.00', status: 'reconciled', reason: 'no discrepancy',
    });
    expect((await log.list(CONN, { from: '2026-09', to: '2026-09-30' })).map((r) => r.subscriptionId)).toEqual(['sub-1']);
    expect((await log.list(CONN, { from: '2026-10' })).length).toBe(3);
    expect((await log.list(CONN, { status: ['pending', 'failed'] })).map((r) => r.subscriptionId).sort()).toEqual(['sub-2', 'sub-3']);
  });

  it('exports CSV with a header line, decimal-string money and quoted text', async () => {
    const rows = await createReconciliationLog(store).list(CONN, { from: '2026-09', to: '2026-09', status: ['reconciled'] });
    const csv = reconciliationCsv(rows);
    const [header, line, end] = csv.split('\n');
    expect(header).toBe('Billing month,Customer,Provider,Plan,Subscription ID,Platform quantity,Usage quantity,Platform cost,Platform price,PSA cost,PSA price,Status,Reason,Decided by,Updated at,Invoice amendments,Decision note');
    expect(line).toMatch(/^2026-09,Acme Ltd,Microsoft CSP,Microsoft 365 E3,sub-1,3,2.5,91.80,108.00,91.80,108.00,reconciled,no discrepancy,,\d{4}-\d\d-\d\dT/);
    expect(end).toBe('');
    const globex = reconciliationCsv(await createReconciliationLog(store).list(CONN, { status: ['pending'] }));
    expect(globex.split('\n')[1]).toMatch(/^2026-10,"Globex, ""West""",Microsoft CSP,Azure plan,sub-2,,,,,,,pending,customer invoice missing,,/);
  });

  it('serves the log as JSON and CSV; bad filters answer 400 with one problem per field', async () => {
    const json = await call('GET', `/api/connections/${CONN}/reconciliation/log?status=pending-review,failed&from=2026-10`);
    expect(json.statusCode).toBe(200);
    expect((json.json() as { rows: Array<{ subscriptionId: string }> }).rows.map((r) => r.subscriptionId).sort()).toEqual(['sub-1', 'sub-3']);

    const csv = await call('GET', `/api/connections/${CONN}/reconciliation/log.csv?status=reconciled`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.body.split('\n')[1]).toMatch(/^2026-09,Acme Ltd,Microsoft CSP,Microsoft 365 E3,sub-1,3,2.5,91.80,108.00,/);

    const bad = await call('GET', `/api/connections/${CONN}/reconciliation/log?status=done&from=2026-13&to=2026-01&colour=red`);
    expect(bad.statusCode).toBe(400);
    const body = bad.json() as { error: string; problems: Array<{ path: string; message: string }> };
    expect(body.error).toBe('invalid input');
    expect(body.problems).toEqual([
      { path: 'from', message: 'must be a month YYYY-MM or a date YYYY-MM-DD' },
      { path: 'status[0]', message: 'must be one of pending, failed-review, pending-review, reconciled, rejected, failed' },
      { path: 'colour', message: 'is not a known field' },
    ]);

    const missing = await call('GET', '/api/connections/nope/reconciliation/log');
    expect(missing.statusCode).toBe(404);

    const badDecision = await call('POST', `/api/connections/${CONN}/reconciliation/runs/microsoft-csp/2026-10/accept`, { subscriptionIds: [] });
    expect(badDecision.statusCode).toBe(400);
    expect((badDecision.json() as { problems: unknown[] }).problems).toEqual([{ path: 'subscriptionIds', message: 'must name at least one subscription' }]);
  });
});
