/**
 * The operations admin surfaces end to end: the real `psa-connector` bin as a child process
 * against the admin API (with its operations routes) in this process — notifications, usage,
 * sync, schedules and catalog; bad input exits 2 with one line per problem.
 */
import type { FastifyInstance } from 'fastify';
import { createUsageCountRepository } from '../../activities/seat-count/usage-counts';
import { createGatewayRegistry } from '../../activities/psa/gateway-registry';
import { createServiceCatalog } from '../../activities/sync/service-catalog.activities';
import { createAdminApi } from '../../client/http/admin-api';
import { cwConnection, runCli, startHarness, type Harness } from '../api/harness';

const C = 'cw-ops';

describe('operations admin commands (CLI → HTTP)', () => {
  let h: Harness;
  let app: FastifyInstance;
  let api: string;

  const cli = (args: string[]) => runCli(args, { PSA_CONNECTOR_API: api, PSA_CONNECTOR_TOKEN: h.adminToken });

  beforeAll(async () => {
    h = await startHarness('ops_admin');
    await h.service.connections.add(cwConnection(h, C) as Parameters<typeof h.service.connections.add>[0]);
    app = createAdminApi({
      service: h.service,
      store: h.store,
      access: h.access,
      operations: {
        temporal: h.temporal, taskQueue: h.taskQueue, store: h.store, usage: createUsageCountRepository(h.db),
        catalog: createServiceCatalog({ store: h.store, gateways: createGatewayRegistry({ connections: h.store.connections, journal: h.store.journal }), db: h.db }),
        schedules: { taskQueue: h.taskQueue, idPrefix: `ops-${Date.now()}/` },
      },
    });
    api = await app.listen({ host: '127.0.0.1', port: 0 });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await h?.close();
  });

  it('notifications get / set, with per-problem exit 2', async () => {
    const set = await cli(['notifications', 'set', '-c', C, '--enabled', 'on', '--recipients', 'A@Example.com,b@example.com', '--service-mapping', 'on']);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ enabled: true, recipients: ['a@example.com', 'b@example.com'], templates: { serviceMapping: true, billingReconciliation: false, renewals: false }, renewalDays: 30 });
    expect(JSON.parse((await cli(['notifications', 'get', '-c', C])).stdout).recipients).toHaveLength(2);

    const bad = await cli(['notifications', 'set', '-c', C, '--recipients', 'not-an-email']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(['recipients[0]: must be an email address']);
    expect((await cli(['notifications', 'set', '-c', C, '--enabled', 'maybe'])).stderr.trim()).toBe('--enabled: must be on or off (got maybe)');
  });

  it('usage report / show: the month bills its highest count', async () => {
    for (const [date, count] of [['2026-05-01', '7'], ['2026-05-02', '11'], ['2026-05-03', '9']]) {
      expect((await cli(['usage', 'report', '-c', C, '--subscription', 'sub-9', '--date', date!, '--count', count!])).code).toBe(0);
    }
    const show = JSON.parse((await cli(['usage', 'show', '-c', C, '--subscription', 'sub-9', '--month', '2026-05'])).stdout);
    expect(show).toMatchObject({ month: '2026-05', highWaterMark: 11, billed: null });
    const bad = await cli(['usage', 'report', '-c', C, '--subscription', 'sub-9', '--date', '2026-02-30', '--count', '-1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(['counts[0].date: must be a calendar date YYYY-MM-DD', 'counts[0].count: must be a number']);
  });

  it('sync run validates the entity; schedules list answers; catalog push refuses a ConnectWise connection', async () => {
    const bad = await cli(['sync', 'run', '-c', C, '--entity', 'widget:1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^entity: must be <kind>:<platform id>/);
    expect((await cli(['sync', 'run', '--entity', 'customer:x'])).stderr.trim()).toBe('connectionId: is required with entity');
    expect((await cli(['sync', 'run', '-c', 'nope'])).stderr.trim()).toMatch(/connection "nope"/);

    const list = await cli(['schedules', 'list']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual({ items: [] });

    const push = await cli(['catalog', 'push', '-c', C, '--billing-code', '5']);
    expect(push.code).toBe(2);
    expect(push.stderr.trim()).toBe('connectionId: is a connectwise connection; the service catalog push is for Autotask only');
    expect(JSON.parse((await cli(['catalog', 'status', '-c', C])).stdout)).toEqual({ items: [] });
  });
});
