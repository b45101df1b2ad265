/**
 * docs/billing-modes.md end to end, the way an admin drives it: the admin API (HTTP) and the real
 * `psa-connector` CLI over a real connector — Temporal dev server, FerretDB, the PSA sandbox,
 * the worker. On each PSA:
 * - a seat-count subscription mapped with `psa-connector services map --billing-mode seat-count`,
 *   usage counts sent and the daily job run (API and `usage apply`): the sandbox holds exactly
 *   what `POST /api/plan` shows for the same counts — the high-water-mark line alone, no base line;
 * - a bundle created with `psa-connector bundles create --mode average` (a wrong one exits 2 with
 *   a line per field), its members reported and one of them changed through the API: the sandbox
 *   holds ONE line for them, exactly what `psa-connector plan` shows for the bundle scenario; the
 *   members hold no line of their own; `bundles show` / `list` show it.
 * With DOCS_TRANSCRIPT=<file> the commands and their answers are written there (the walk-through
 * in docs/billing-modes.md was taken from such a run).
 */
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createUsageCountRepository } from '../../activities/seat-count/usage-counts';
import { createServiceCatalog } from '../../activities/sync/service-catalog.activities';
import { createAdminApi } from '../../client/http/admin-api';
import type { PlanOutput } from '../../domain';
import { runCli } from '../api/harness';
import { acme, acmeReport, knownToPlatform, ownProduct } from './billing-mode-fixtures';
import { mapAcmeAndProducts } from './fixtures';
import { eventually, startHarness, type Harness } from './harness';

jest.setTimeout(180_000);
const day = (v: unknown) => String(v).slice(0, 10);
const transcript = process.env.DOCS_TRANSCRIPT;
const note = (text: string) => transcript && appendFileSync(transcript, `${text}\n`);

describe.each(['connectwise', 'autotask'] as const)('billing modes through the API and the CLI on %s (real stack)', (psa) => {
  let h: Harness;
  let app: FastifyInstance;
  let url: string;
  let target: Awaited<ReturnType<typeof acme>>;
  let dir: string;
  const token = `bootstrap-${randomUUID()}-${randomUUID()}`;
  const conn = () => `/api/connections/${h.connectionId}`;

  async function api(method: string, path: string, body?: unknown): Promise<any> {
    const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    note(`$ curl -X ${method} $API${path}${body === undefined ? '' : ` -d '${JSON.stringify(body)}'`}\n${res.status} ${text}\n`);
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return text ? JSON.parse(text) : {};
  }
  async function cli(args: string[]): Promise<any> {
    const r = await runCli(args, { PSA_CONNECTOR_API: url, PSA_CONNECTOR_TOKEN: token });
    note(`$ psa-connector ${args.join(' ')}\n${r.stdout}${r.stderr}`);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(r.stdout);
  }
  const settled = (id: string, until: (w: any) => boolean) =>
    eventually(async () => {
      const s = await api('GET', `${conn()}/subscriptions/${id}/state`);
      return s.workflow && !s.workflow.syncing && until(s.workflow) ? s.workflow : undefined;
    }, `${id} to settle`, 30_000);

  /** ConnectWise: the lines on Acme's agreement for one catalog item, as the plan shows lines. */
  const cwHeld = (psaProductId: number) =>
    h.cw!.state.additions
      .filter((a) => a.agreementId === target.agreement.id && (a.product as { id: number }).id === psaProductId)
      .map((a) => ({ quantity: a.quantity as number, unitPrice: Number(a.unitPrice), effectiveDate: day(a.effectiveDate), cancelledDate: a.cancelledDate ? day(a.cancelledDate) : null }))
      .sort(byJson);
  /**
   * Autotask: the contract services on Acme's contract for one service, with their units per
   * date. Autotask takes one adjustment per service and day; the connector posts a second one on
   * the next free day and records the move (§5): `meant` maps such a posting day back to the day
   * it bills for, as the plan counts it.
   */
  const atHeld = (psaProductId: number, meant: Record<string, string> = {}) =>
    h.at!.state.contractServices
      .filter((cs) => cs.contractID === target.agreement.id && cs.serviceID === psaProductId)
      .map((cs) => {
        const units: Record<string, number> = {};
        for (const a of h.at!.state.adjustments.filter((x) => x.contractServiceID === cs.id)) {
          const d = meant[day(a.effectiveDate)] ?? day(a.effectiveDate);
          units[d] = (units[d] ?? 0) + Number(a.unitChange);
        }
        return { unitPrice: Number(cs.adjustedPrice ?? cs.unitPrice), units };
      });
  const held = (psaProductId: number, meant: Record<string, string> = {}) => (psa === 'connectwise' ? cwHeld(psaProductId) : atHeld(psaProductId, meant));
  /** The same view of a plan. */
  const planned = (p: PlanOutput) =>
    psa === 'connectwise'
      ? p.connectwise.additions.map((a) => ({ quantity: a.quantity, unitPrice: Number(a.unitPrice), effectiveDate: a.effectiveDate, cancelledDate: a.cancelledDate })).sort(byJson)
      : p.autotask.contractServices.map((cs) => ({ unitPrice: Number(cs.unitPrice), units: Object.fromEntries(cs.adjustments.map((a) => [a.effectiveDate, a.unitChange])) }));

  beforeAll(async () => {
    h = await startHarness(psa, `modes_api_${psa === 'connectwise' ? 'cw' : 'at'}`);
    await mapAcmeAndProducts(h);
    target = await acme(h);
    const usage = createUsageCountRepository(h.rt.db);
    app = createAdminApi({
      service: h.rt.mappingService(),
      store: h.store,
      access: { tokens: h.store.tokens, audit: h.store.audit, bootstrapToken: token, failureLimit: 10_000 },
      operations: {
        temporal: h.client, taskQueue: h.taskQueue, store: h.store, usage,
        catalog: createServiceCatalog({ store: h.store, gateways: h.gateways, db: h.rt.db }),
        schedules: { taskQueue: h.taskQueue, idPrefix: `${h.taskQueue}/` },
      },
      console: false,
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    dir = mkdtempSync(join(os.tmpdir(), 'psa-modes-'));
    await h.startWorker();
    note(`\n# ${psa}: API=${url}, connection ${h.connectionId}, Acme's agreement ${target.agreement.id}\n`);
  });
  afterAll(async () => {
    await app?.close();
    await h?.close();
  });

  it('seat count through the CLI and the API: the sandbox holds the high-water-mark line alone, as POST /api/plan shows', async () => {
    const seats = await ownProduct(h, 'seats', '4.00', '3.00');
    const report = acmeReport('seat-1', 'seats', 1, '4.00', '3.00');
    // Known to the platform records first, so it is mapped as seat-count before its first report could auto-map it.
    await knownToPlatform(h, report);
    const mapped = await cli(['services', 'map', 'seat-1', '-c', h.connectionId, '--agreement', String(target.agreement.id), '--description', 'Seats', '--billing-mode', 'seat-count']);
    expect(mapped.billing).toMatchObject({ mode: 'seat-count' });
    await api('POST', `${conn()}/subscriptions`, report);
    const state = await settled('seat-1', (w) => w.asOf !== null && w.placement?.billing?.mode === 'seat-count');
    expect(state).toMatchObject({ step: 0, lineIds: {}, ledger: null });

    const counts = [{ date: '2026-10-03', count: 10 }, { date: '2026-10-04', count: 17 }, { date: '2026-10-05', count: 12 }];
    await api('POST', `${conn()}/usage`, { subscriptionId: 'seat-1', counts });
    // The job's answer names an Autotask posting moved to a later free day (§5).
    const meant: Record<string, string> = {};
    for (const d of ['2026-10-03', '2026-10-04', '2026-10-05']) {
      const run = d === '2026-10-03' ? await api('POST', `${conn()}/seat-count/run`, { day: d }) : await cli(['usage', 'apply', '-c', h.connectionId, '--day', d]);
      for (const { reason } of run.details as Array<{ reason?: string }>) {
        const moved = /held an adjustment on (\S+); posted on (\S+)\)/.exec(reason ?? '');
        if (moved) meant[moved[2]!] = moved[1]!;
      }
    }

    const plan: PlanOutput = await api('POST', '/api/plan?asOf=2026-10-05', { agreement: state.placement.agreement, subscription: report.subscription, billingMode: 'seat-count', usage: counts });
    expect(held(seats, meant)).toEqual(planned(plan));
    // 17 for October, from the period start, and nothing for the reported quantity 1 (the "1 + 17" bug).
    expect(held(seats, meant)).toEqual(psa === 'connectwise' ? [{ quantity: 17, unitPrice: 4, effectiveDate: '2026-10-01', cancelledDate: '2026-10-31' }] : [{ unitPrice: 4, units: { '2026-10-01': 17 } }]);
    // The services list shows the mode.
    const listed = await api('GET', `${conn()}/subscriptions?search=seat-1`);
    expect(listed.items[0]).toMatchObject({ platformId: 'seat-1', billing: { mode: 'seat-count' } });
  });

  it('a bundle made with the CLI bills ONE line for its members, exactly what `psa-connector plan` shows, before and after a member’s change', async () => {
    const line = await ownProduct(h, 'office-pack', '0.00', '0.00');
    const a = acmeReport('pack-a', 'pack-a', 3, '10.00', '8.00');
    const b = acmeReport('pack-b', 'pack-b', 2, '20.00', '15.00');
    const own = { a: await ownProduct(h, 'pack-a', '10.00', '8.00'), b: await ownProduct(h, 'pack-b', '20.00', '15.00') };
    for (const r of [a, b]) await knownToPlatform(h, r);

    // A wrong definition: exit 2, one line per field.
    const wrong = await runCli(['bundles', 'create', '-c', h.connectionId, '--id', 'office', '--name', 'Office pack', '--agreement', String(target.agreement.id), '--product', String(line), '--mode', 'quantity-only', '--members', 'pack-a,pack-a'], { PSA_CONNECTOR_API: url, PSA_CONNECTOR_TOKEN: token });
    note(`$ psa-connector bundles create ... --mode quantity-only --members pack-a,pack-a\n${wrong.stderr}(exit ${wrong.code})\n`);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.trim().split('\n').sort()).toEqual([
      'members[1]: is pack-a, already members[0]',
      'unitCost: is required in mode quantity-only (the bundle line bills the summed quantity at this price)',
      'unitPrice: is required in mode quantity-only (the bundle line bills the summed quantity at this price)',
    ]);

    const created = await cli(['bundles', 'create', '-c', h.connectionId, '--id', 'office', '--name', 'Office pack', '--agreement', String(target.agreement.id), '--product', String(line), '--mode', 'average', '--members', 'pack-a,pack-b']);
    expect(created.bundle).toMatchObject({ id: 'office', mode: 'average', members: ['pack-a', 'pack-b'], companyId: target.companyId });
    for (const r of [a, b]) await api('POST', `${conn()}/subscriptions`, r);

    const bundleState = (until: (s: any) => boolean) =>
      eventually(async () => {
        const shown = await api('GET', `${conn()}/bundles/office`);
        return shown.state && !shown.state.syncing && until(shown.state) ? shown.state : undefined;
      }, 'the bundle to bill', 30_000);
    let shown = await bundleState((s) => s.status === 'billing' && s.step === 1);
    /** The bundle's record of where each Autotask adjustment was posted and the day it bills for (§5). */
    const meantOf = (state: any): Record<string, string> =>
      Object.fromEntries(Object.values(state.held.autotask as Record<string, { adjustments: Array<{ postedOn: string; forDate: string }> }>).flatMap((svc) => svc.adjustments.map((x) => [x.postedOn, x.forDate])));
    const rules = (await settled('pack-a', () => true)).placement.rules;

    const scenario = (events: unknown[]) => ({
      bundle: { id: 'office', mode: 'average' },
      agreement: { startDate: target.agreement.startDate, periodType: target.agreement.periodType },
      rules,
      members: [{ subscription: a.subscription, events }, { subscription: b.subscription }],
    });
    const plan = async (events: unknown[]): Promise<PlanOutput> => {
      const file = join(dir, `bundle-${events.length}.json`);
      writeFileSync(file, JSON.stringify(scenario(events), null, 2));
      return cli(['plan', '--scenario', file, '--as-of', new Date().toISOString().slice(0, 10)]);
    };
    expect(held(line, meantOf(shown))).toEqual(planned(await plan([])));
    // Average: 5 licences at (3 × 10.00 + 2 × 20.00) / 5.
    expect(held(line, meantOf(shown))).toEqual(expect.arrayContaining([expect.objectContaining({ unitPrice: 14 })]));
    // The members bill nothing of their own.
    expect([...held(own.a), ...held(own.b)]).toEqual([]);

    const change = { type: 'quantity-changed', date: '2026-10-15', quantity: 5 };
    await api('POST', `${conn()}/subscriptions/pack-a/events`, { id: 'pack-a-up', ...change });
    shown = await bundleState((s) => s.members['pack-a']?.revision >= 1 && s.step >= 2);
    expect(held(line, meantOf(shown))).toEqual(planned(await plan([change])));
    // `bundles show` (the CLI's view of the same state) and `bundles list`.
    const viaCli = await cli(['bundles', 'show', 'office', '-c', h.connectionId]);
    expect(viaCli.state).toMatchObject({ status: 'billing', step: shown.step, waitingFor: [] });
    expect((await cli(['bundles', 'list', '-c', h.connectionId])).items.map((x: { id: string }) => x.id)).toEqual(['office']);
    expect([...held(own.a), ...held(own.b)]).toEqual([]);
  });
});

const byJson = (x: unknown, y: unknown) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1);
