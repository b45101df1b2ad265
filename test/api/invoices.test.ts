/**
 * Invoice and usage intake through every public surface: the HTTP route, the client library
 * (client/platform-invoices.ts) and the CLI (`platform invoices import`, `usage import`, JSON
 * and CSV). Idempotent by invoice id, amendments kept and attributed to the token, decimal
 * money only, and every problem named by field (or by CSV line).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createPlatformIntakeClient, IntakeError } from '../../client/platform-invoices';
import { cwConnection, request, runCli, startHarness, type Harness } from './harness';

const C = 'cw-intake';

const invoice = (over: Record<string, unknown> = {}) => ({
  id: 'RI-1001', kind: 'reseller', subscriptionId: 'sub-1', customerId: 'c-acme', provider: 'Microsoft CSP', month: '2026-10', quantity: 12, amount: '224.40', issuedOn: '2026-11-08', ...over,
});

describe('invoice and usage intake', () => {
  let h: Harness;
  let operator: string;
  let dir: string;
  const cli = (args: string[], input = '') => runCli(args, { PSA_CONNECTOR_API: h.url, PSA_CONNECTOR_TOKEN: operator }, input);

  beforeAll(async () => {
    h = await startHarness('invoice_intake', { operations: true });
    operator = (await h.store.tokens.create({ name: 'platform-billing', role: 'operator' }, 'test')).token;
    await h.service.connections.add(cwConnection(h, C) as Parameters<typeof h.service.connections.add>[0]);
    dir = mkdtempSync(join(os.tmpdir(), 'psa-intake-'));
  }, 60_000);
  afterAll(async () => {
    expect(h.errors).toEqual([]);
    await h.close();
  });

  it('HTTP: created, then unchanged when re-sent, amended when the content changes — attributed to the token', async () => {
    const send = (invoices: unknown[]) => request(h, 'POST', '/api/platform/invoices', { invoices }, undefined, operator);
    expect((await send([invoice(), invoice({ id: 'CI-1001', kind: 'customer', amount: '264.00' })])).body).toMatchObject({ received: 2, created: 2, unchanged: 0, amended: 0 });
    expect((await send([invoice()])).body).toEqual({ received: 1, created: 0, unchanged: 1, amended: 0, results: [{ id: 'RI-1001', outcome: 'unchanged' }] });
    expect((await send([invoice({ amount: '230.00' })])).body).toMatchObject({ amended: 1, results: [{ id: 'RI-1001', outcome: 'amended', changed: ['amount'] }] });

    const listed = await request(h, 'GET', '/api/platform/invoices?month=2026-10&subscriptionId=sub-1', undefined, undefined, operator);
    expect(listed.body.items).toEqual([
      expect.objectContaining({ id: 'CI-1001', kind: 'customer', amount: '264.00', receivedBy: 'platform-billing', amendments: [] }),
      expect.objectContaining({ id: 'RI-1001', amount: '230.00', amendments: [expect.objectContaining({ by: 'platform-billing', changes: [{ field: 'amount', from: '224.40', to: '230.00' }] })] }),
    ]);
    const [audited] = await h.store.audit.list({ who: 'platform-billing', action: 'POST /api/platform/invoices', limit: 1 });
    expect(audited).toMatchObject({ outcome: 'ok', status: 200 });
  });

  it('HTTP: every problem named by field; money only as decimal text; identity conflicts are 409', async () => {
    const bad = await request(h, 'POST', '/api/platform/invoices', { invoices: [invoice({ id: 'X-1', amount: 224.4, month: '2026-13', kind: 'refund', quantity: -1, extra: 1 })] }, undefined, operator);
    expect(bad.status).toBe(400);
    expect(bad.body.problems).toEqual(
      expect.arrayContaining([
        { path: 'invoices[0].amount', message: 'must be a decimal string such as "22.00"' },
        { path: 'invoices[0].month', message: 'must be a month YYYY-MM' },
        { path: 'invoices[0].kind', message: 'must be "reseller" or "customer"' },
        { path: 'invoices[0].quantity', message: 'must not be negative' },
        { path: 'invoices[0].extra', message: 'is not a known field' },
      ]),
    );
    const twice = await request(h, 'POST', '/api/platform/invoices', { invoices: [invoice({ id: 'D-1', subscriptionId: 'sub-d' }), invoice({ id: 'D-1', subscriptionId: 'sub-d', amount: '1.00' })] }, undefined, operator);
    expect(twice.body.problems).toEqual([{ path: 'invoices[1].id', message: 'repeats invoices[0].id "D-1"; send one version of an invoice per call' }]);
    const other = await request(h, 'POST', '/api/platform/invoices', { invoices: [invoice({ id: 'RI-2002' })] }, undefined, operator);
    expect(other).toMatchObject({ status: 409, body: { error: 'invoices[0]: sub-1 already has a reseller invoice for 2026-10: "RI-1001"; send a correction as an amendment under that id' } });
    // A viewer may read invoices but not deliver them.
    const viewer = await h.tokenFor('viewer');
    expect((await request(h, 'POST', '/api/platform/invoices', { invoices: [invoice()] }, undefined, viewer)).status).toBe(403);
    expect((await request(h, 'GET', '/api/platform/invoices?month=2026-10', undefined, undefined, viewer)).status).toBe(200);
  });

  it('client library: checks input before sending (named fields), then delivers idempotently', async () => {
    const intake = createPlatformIntakeClient({ baseUrl: h.url, token: operator });
    const err = await intake.sendInvoices([invoice({ id: 'L-1', amount: 12 }) as never]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntakeError);
    expect((err as IntakeError).problems).toEqual([{ path: 'invoices[0].amount', message: 'must be a decimal string such as "22.00"' }]);
    const inv = invoice({ id: 'L-2', subscriptionId: 'sub-lib' }) as Parameters<typeof intake.sendInvoices>[0][number];
    expect(await intake.sendInvoices([inv])).toMatchObject({ created: 1 });
    expect(await intake.sendInvoices([inv])).toMatchObject({ unchanged: 1 });
    expect((await intake.listInvoices({ month: '2026-10', subscriptionId: 'sub-lib' })).map((i) => i.id)).toEqual(['L-2']);
    const refused = await createPlatformIntakeClient({ baseUrl: h.url, token: 'psat_wrong' }).listInvoices({ month: '2026-10' }).catch((e: IntakeError) => e);
    expect(refused).toMatchObject({ status: 401, message: 'the API token is not valid (unknown or revoked)' });
    expect(await intake.reportUsage(C, { subscriptionId: 'sub-seat', counts: [{ date: '2026-10-01', count: 4 }] })).toEqual({ stored: 1 });
  });

  it('CLI: platform invoices import from CSV (stdin) and JSON; problems named by CSV line or list index', async () => {
    const csv = [
      'id,kind,subscriptionId,customerId,provider,month,quantity,amount,issuedOn',
      'RI-3001,reseller,sub-3,c-acme,Microsoft CSP,2026-10,5,93.50,2026-11-08',
      'CI-3001,customer,sub-3,c-acme,Microsoft CSP,2026-10,5,110.00,2026-11-08',
    ].join('\n');
    const first = await cli(['platform', 'invoices', 'import', '-'], csv);
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(first.stdout)).toMatchObject({ received: 2, created: 2 });
    expect(JSON.parse((await cli(['platform', 'invoices', 'import', '-'], csv)).stdout)).toMatchObject({ unchanged: 2 });

    const badCsv = `${csv.split('\n')[0]}\nRI-3002,reseller,sub-4,c-acme,Microsoft CSP,2026-10,five,9.5.0,2026-11-31\n`;
    const bad = await cli(['platform', 'invoices', 'import', '-'], badCsv);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n').sort()).toEqual([
      'line 2: amount: must be a decimal string with at most 4 decimals, such as "22.00"',
      'line 2: issuedOn: must be a calendar date YYYY-MM-DD',
      'line 2: quantity: must be a number',
    ]);

    const file = join(dir, 'amend.json');
    writeFileSync(file, JSON.stringify({ invoices: [invoice({ id: 'CI-3001', kind: 'customer', subscriptionId: 'sub-3', quantity: 5, amount: '115.00' })] }));
    expect(JSON.parse((await cli(['platform', 'invoices', 'import', file])).stdout)).toMatchObject({ amended: 1 });
    writeFileSync(file, JSON.stringify([invoice({ id: 'J-1', subscriptionId: 'sub-j' }), invoice({ id: 'J-2', subscriptionId: 'sub-j2', amount: 5 })]));
    const badJson = await cli(['platform', 'invoices', 'import', file]);
    expect([badJson.code, badJson.stderr]).toEqual([2, 'invoices[1].amount: must be a decimal string such as "22.00"\n']);
    const listed = JSON.parse((await cli(['platform', 'invoices', 'list', '-m', '2026-10', '--subscription', 'sub-3'])).stdout) as { items: Array<{ id: string; amendments: unknown[] }> };
    expect(listed.items.map((i) => [i.id, i.amendments.length])).toEqual([['CI-3001', 1], ['RI-3001', 0]]);
  });

  it('CLI: usage import from CSV, grouped per subscription; a bad day is named', async () => {
    const csv = 'subscriptionId,date,count\nsub-s1,2026-10-01,7\nsub-s1,2026-10-02,11\nsub-s2,2026-10-01,3\n';
    const ok = await cli(['usage', 'import', '-', '-c', C], csv);
    expect({ code: ok.code, stderr: ok.stderr, out: JSON.parse(ok.stdout) as unknown }).toEqual({ code: 0, stderr: '', out: { subscriptions: 2, stored: 3 } });
    const show = await request(h, 'GET', `/api/connections/${C}/usage/sub-s1?month=2026-10`, undefined, undefined, operator);
    expect(show.body).toMatchObject({ highWaterMark: 11 });
    const bad = await cli(['usage', 'import', '-', '-c', C], 'subscriptionId,date,count\nsub-s3,2026-02-30,x\n');
    expect([bad.code, bad.stderr.trim().split('\n')]).toEqual([2, ['subscription sub-s3: counts[0].date: must be a calendar date YYYY-MM-DD', 'subscription sub-s3: counts[0].count: must be a number']]);
  });
});
