/**
 * Outages: while the database is down the API answers 503 with Retry-After and its one-line
 * error shape (a retry will work), /api/health names what is down, and once the database is
 * back the same calls succeed. The test starts its own FerretDB and stops it; Temporal's side
 * is a connection to an address where nothing listens.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { MongoClient } from 'mongodb';
import { createMappingService } from '../../app/admin/mapping-service';
import { createMappingSettingsRepository } from '../../app/admin/mapping-settings';
import { createGatewayRegistry } from '../../activities/psa/gateway-registry';
import { connectMongo, createStore, ensureIndexes, generateEncryptionKey, parseEncryptionKey } from '../../activities/store';
import { createAdminApi } from '../../client/http/admin-api';
import { errorReply } from '../../client/http/error-reply';
import { createPlatformClient } from '../../client/platform-client';
import { startFerretDb } from '../../sandbox/stack/ferretdb';
import { freePort } from '../../sandbox/stack/ports';

describe('outages: 503 with Retry-After, health names the dependency', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'psa-outage-'));
  let port: number;
  let ferret: Awaited<ReturnType<typeof startFerretDb>>;
  let mongo: MongoClient;
  let temporal: Connection;
  let app: FastifyInstance;
  let url: string;
  const token = `outage-${'x'.repeat(40)}`;
  const startDb = async () => {
    ferret = await startFerretDb({ port, dataDir: path.join(dir, 'db'), logFile: path.join(dir, 'ferretdb.log') });
  };
  const get = async (p: string) => {
    const res = await fetch(`${url}${p}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    port = await freePort();
    await startDb();
    // Short server selection: an outage is noticed in a second, not 30.
    ({ client: mongo } = await connectMongo(`mongodb://127.0.0.1:${port}/outage?directConnection=true`, { serverSelectionTimeoutMS: 1_000 }));
    const db = mongo.db('outage');
    await ensureIndexes(db);
    const store = createStore(db, { secretKeys: { current: parseEncryptionKey(generateEncryptionKey()) } });
    temporal = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
    const client = new Client({ connection: temporal });
    const service = createMappingService({
      store,
      gateways: createGatewayRegistry({ connections: store.connections, journal: store.journal }),
      journal: store.journal,
      platform: createPlatformClient(client, { taskQueue: 'outage' }),
      settings: createMappingSettingsRepository(db),
    });
    app = createAdminApi({
      service,
      store,
      access: { tokens: store.tokens, audit: store.audit, bootstrapToken: token },
      health: { mongo: () => db.command({ ping: 1 }), temporal: () => temporal.withDeadline(Date.now() + 1_000, () => temporal.healthService.check({})) },
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await mongo?.close();
    await temporal?.close();
    await ferret?.stop();
  });

  it('answers 503 + Retry-After while FerretDB is stopped, and works again once it is back', async () => {
    expect((await get('/api/connections')).status).toBe(200);
    const up = await get('/api/health');
    expect(up).toMatchObject({ status: 503, retryAfter: '5', body: { status: 'unavailable', mongo: 'ok', temporal: expect.stringMatching(/^down: /) } });

    await ferret.stop();
    const down = await get('/api/connections');
    expect(down).toEqual({ status: 503, retryAfter: '5', body: { error: 'MongoDB is unreachable; try again shortly (GET /api/health says what is down)' } });
    // Stored tokens cannot be checked either: still 503, not 401 (the bootstrap token needs no database).
    const res = await fetch(`${url}/api/connections`, { headers: { authorization: 'Bearer psat_some-stored-token' } });
    expect([res.status, res.headers.get('retry-after')]).toEqual([503, '5']);
    const health = await get('/api/health');
    expect(health).toMatchObject({ status: 503, retryAfter: '5', body: { status: 'unavailable', error: 'mongo and temporal are unreachable', mongo: expect.stringMatching(/^down: /) } });

    await startDb();
    const back = await (async () => {
      for (let i = 0; i < 40; i++) {
        const r = await get('/api/connections');
        if (r.status === 200) return r;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      return get('/api/connections');
    })();
    expect(back.status).toBe(200);
  }, 60_000);

  it('maps an unreachable Temporal to 503 too', async () => {
    const client = new Client({ connection: temporal });
    const err = await temporal.withDeadline(Date.now() + 500, () => client.workflow.getHandle('nothing').describe()).catch((e: unknown) => e);
    expect(errorReply(err)).toEqual({ status: 503, body: { error: 'Temporal is unreachable; try again shortly (GET /api/health says what is down)' }, retryAfter: 5 });
  });
});
