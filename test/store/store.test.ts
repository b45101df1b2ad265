import { connectMongo, createStore, ensureIndexes, generateEncryptionKey, parseEncryptionKey, STORE_INDEXES } from '../../activities/store';
import { testDbUrl, testServers } from '../setup/servers';

describe('createStore / ensureIndexes / connectMongo', () => {
  it('connects to the URL\'s database, creates every index idempotently, and composes the repositories', async () => {
    const { client, db } = await connectMongo(testDbUrl(testServers().mongoUrl, 'store_compose'));
    try {
      expect(db.databaseName).toBe('store_compose');
      await db.dropDatabase();
      await ensureIndexes(db);
      await ensureIndexes(db);
      for (const spec of STORE_INDEXES) {
        const indexes = await db.collection(spec.collection).indexes();
        expect(indexes).toContainEqual(expect.objectContaining({ name: spec.name, key: spec.key, ...(spec.unique ? { unique: true } : {}) }));
      }
      const store = createStore(db, { secretKeys: { current: parseEncryptionKey(generateEncryptionKey()) } });
      expect(Object.keys(store).sort()).toEqual(['archive', 'audit', 'bundles', 'commitments', 'connections', 'journal', 'mappings', 'notifications', 'platform', 'reconciliations', 'tokens']);
      await store.connections.create({ id: 'at-1', psa: 'autotask', name: 'AT', settings: { username: 'u', integrationCode: 'i' }, secret: 's3cret' });
      expect((await store.connections.getWithSecret('at-1'))?.secret).toBe('s3cret');
    } finally {
      await client.close();
    }
  });

  it('fails on an unreachable server instead of waiting (the connection error names it)', async () => {
    await expect(connectMongo('mongodb://127.0.0.1:9/x', { serverSelectionTimeoutMS: 300 })).rejects.toThrow(/127\.0\.0\.1:9/);
  });
});
