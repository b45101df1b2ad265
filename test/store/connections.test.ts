import type { Db, MongoClient } from 'mongodb';
import {
  CONNECTIONS,
  ConflictError,
  createConnectionRepository,
  DEFAULT_CONNECTION_RULES,
  effectiveDateRules,
  generateEncryptionKey,
  NotFoundError,
  parseEncryptionKey,
  SecretDecryptionError,
  StoreInputError,
  type ConnectionRepository,
} from '../../activities/store';
import { openTestDb } from './store-db';

const CW_PRIVATE = 'cw-PRIVATE-key-7f3a9b2c';
const AT_SECRET = 'at-SECRET-4d5e6f7a8b';
const key1 = parseEncryptionKey(generateEncryptionKey(), 1);

const cwInput = {
  id: 'cw-main',
  psa: 'connectwise' as const,
  name: 'ConnectWise (main)',
  settings: { baseUrl: 'https://api-na.myconnectwise.net/', companyId: 'acme', publicKey: 'PUBKEY', clientId: 'client-1' },
  secret: CW_PRIVATE,
};
const atInput = {
  id: 'at-main',
  psa: 'autotask' as const,
  name: 'Autotask',
  settings: { username: 'api@acme.test', integrationCode: 'INT-CODE' },
  secret: AT_SECRET,
};

describe('connections repository', () => {
  let client: MongoClient;
  let db: Db;
  let repo: ConnectionRepository;
  beforeAll(async () => {
    ({ client, db } = await openTestDb('store_connections'));
    repo = createConnectionRepository(db, { current: key1 });
  });
  afterAll(async () => {
    await client.close();
  });

  it('creates a connection with the §2 defaults and opt-in notifications, without exposing the secret', async () => {
    const c = await repo.create(cwInput);
    expect(c).toMatchObject({
      id: 'cw-main',
      psa: 'connectwise',
      settings: { baseUrl: 'https://api-na.myconnectwise.net', companyId: 'acme', publicKey: 'PUBKEY', clientId: 'client-1' },
      rules: {
        positiveChange: 'actual-date',
        negativeChange: 'actual-date',
        cancellation: 'cancellation-date',
        committedDecrease: 'at-renewal',
        autoSync: false,
        fieldToggles: {
          company: { name: true, address: true, city: true, state: true, zip: true, country: true },
          product: { provider: true, name: true, unitPrice: true, unitCost: true, partNumber: true, description: true },
          addition: { unitPrice: true, unitCost: true },
        },
      },
      notifications: { enabled: false, recipients: [], templates: { serviceMapping: false, billingReconciliation: false, renewals: false }, renewalDays: 30 },
    });
    expect(c.rules).toEqual(DEFAULT_CONNECTION_RULES);
    expect(effectiveDateRules(c.rules)).toEqual({ positiveChange: 'actual-date', negativeChange: 'actual-date', cancellation: 'cancellation-date' });
    expect(c).not.toHaveProperty('secret');
    expect(typeof c.createdAt).toBe('string');
    await repo.create(atInput);
  });

  it('refuses a second connection with the same id', async () => {
    await expect(repo.create({ ...cwInput, name: 'again' })).rejects.toThrow(new ConflictError('connection "cw-main" already exists'));
  });

  it('no public view carries the secret, sealed or plain; getWithSecret decrypts it', async () => {
    const views = [await repo.get('cw-main'), ...(await repo.list()), await repo.updateRules('cw-main', {}), await repo.updateNotifications('cw-main', {})];
    for (const v of views) {
      const json = JSON.stringify(v);
      expect(json).not.toContain(CW_PRIVATE);
      expect(json).not.toContain(AT_SECRET);
      expect(v).not.toHaveProperty('secret');
    }
    expect((await repo.getWithSecret('cw-main'))?.secret).toBe(CW_PRIVATE);
    expect((await repo.getWithSecret('at-main'))).toMatchObject({ psa: 'autotask', secret: AT_SECRET, settings: { discoveryUrl: 'https://webservices.autotask.net' } });
    expect(await repo.getWithSecret('nope')).toBeNull();
    expect((await repo.list({ psa: 'autotask' })).map((c) => c.id)).toEqual(['at-main']);
  });

  it('the stored document holds only ciphertext', async () => {
    const raw = await db.collection(CONNECTIONS).findOne({ _id: 'cw-main' as never });
    const json = JSON.stringify(raw);
    expect(json).not.toContain(CW_PRIVATE);
    expect(raw?.secret).toEqual({ v: 1, iv: expect.any(String), tag: expect.any(String), data: expect.any(String) });
    const all = JSON.stringify(await db.collection(CONNECTIONS).find().toArray());
    expect(all).not.toContain(CW_PRIVATE);
    expect(all).not.toContain(AT_SECRET);
  });

  it('a sealed secret copied onto another connection does not open (bound to its connection id)', async () => {
    const cw = await db.collection(CONNECTIONS).findOne({ _id: 'cw-main' as never });
    await db.collection(CONNECTIONS).updateOne({ _id: 'at-main' as never }, { $set: { secret: cw?.secret } });
    await expect(repo.getWithSecret('at-main')).rejects.toThrow(SecretDecryptionError);
    await repo.updateCredentials('at-main', { secret: AT_SECRET });
    expect((await repo.getWithSecret('at-main'))?.secret).toBe(AT_SECRET);
  });

  it('with the wrong key, getWithSecret fails clearly and says nothing secret', async () => {
    const other = createConnectionRepository(db, { current: parseEncryptionKey(generateEncryptionKey(), 1) });
    const err = await other.getWithSecret('cw-main').catch((e: Error) => e);
    expect(err).toBeInstanceOf(SecretDecryptionError);
    expect((err as Error).message).not.toContain(CW_PRIVATE);
    expect(await other.get('cw-main')).toMatchObject({ id: 'cw-main' });
  });

  it('updateRules changes only the given rules and toggles', async () => {
    const c = await repo.updateRules('cw-main', { positiveChange: 'first-of-month', fieldToggles: { company: { city: false } }, autoSync: true });
    expect(c.rules.positiveChange).toBe('first-of-month');
    expect(c.rules.negativeChange).toBe('actual-date');
    expect(c.rules.autoSync).toBe(true);
    expect(c.rules.fieldToggles.company).toEqual({ name: true, address: true, city: false, state: true, zip: true, country: true });
    const again = await repo.updateRules('cw-main', { fieldToggles: { company: { zip: false } } });
    expect(again.rules.fieldToggles.company.city).toBe(false);
    expect(again.rules.fieldToggles.company.zip).toBe(false);
    expect(again.rules.positiveChange).toBe('first-of-month');
  });

  it('bad rules are refused with field path and reason', async () => {
    const err = await repo
      .updateRules('cw-main', { positiveChange: 'tomorrow', fieldToggles: { company: { colour: true, city: 'no' } } } as never)
      .catch((e: StoreInputError) => e);
    expect(err).toBeInstanceOf(StoreInputError);
    expect((err as StoreInputError).problems).toEqual(
      expect.arrayContaining([
        { path: 'positiveChange', message: 'must be "actual-date" or "first-of-month"' },
        { path: 'fieldToggles.company.colour', message: 'is not a known field' },
        { path: 'fieldToggles.company.city', message: 'must be true or false' },
      ]),
    );
    await expect(repo.updateRules('nope', { autoSync: true })).rejects.toThrow(NotFoundError);
  });

  it('updateNotifications: recipients replaced as a whole (deduplicated, lowercased), templates one by one', async () => {
    const c = await repo.updateNotifications('cw-main', { enabled: true, recipients: ['Ops@Acme.test', 'ops@acme.test', 'billing@acme.test'], templates: { serviceMapping: true } });
    expect(c.notifications).toEqual({ enabled: true, recipients: ['ops@acme.test', 'billing@acme.test'], templates: { serviceMapping: true, billingReconciliation: false, renewals: false }, renewalDays: 30 });
    const d = await repo.updateNotifications('cw-main', { templates: { billingReconciliation: true } });
    expect(d.notifications.templates).toEqual({ serviceMapping: true, billingReconciliation: true, renewals: false });
    expect(d.notifications.recipients).toEqual(['ops@acme.test', 'billing@acme.test']);
    await expect(repo.updateNotifications('cw-main', { recipients: ['not-an-email'] })).rejects.toThrow('recipients[0]: must be an email address');
  });

  it('updateCredentials validates settings for the connection\'s PSA and re-seals the secret', async () => {
    const before = await db.collection(CONNECTIONS).findOne({ _id: 'cw-main' as never });
    const c = await repo.updateCredentials('cw-main', { settings: { publicKey: 'PUB2' }, secret: 'new-private-key' });
    expect(c.settings).toMatchObject({ publicKey: 'PUB2', companyId: 'acme' });
    expect((await repo.getWithSecret('cw-main'))?.secret).toBe('new-private-key');
    const after = await db.collection(CONNECTIONS).findOne({ _id: 'cw-main' as never });
    expect(after?.secret.iv).not.toBe(before?.secret.iv);
    expect(after?.rules.autoSync).toBe(true);
    await expect(repo.updateCredentials('cw-main', { settings: { username: 'x' } })).rejects.toThrow('settings.username: is not a known field');
    await expect(repo.updateCredentials('cw-main', { settings: { baseUrl: 'ftp://x' } })).rejects.toThrow('settings.baseUrl: must be an http(s) URL');
  });

  it('create rejects bad input with one line per problem', async () => {
    const err = await repo
      .create({ id: 'Bad Id', psa: 'connectwise', name: '', settings: { baseUrl: 'nope', companyId: 'a', publicKey: 'b' }, secret: '' } as never)
      .catch((e: StoreInputError) => e);
    expect(err).toBeInstanceOf(StoreInputError);
    const lines = (err as Error).message.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^id: must be a slug/),
        'name: must not be empty',
        expect.stringMatching(/^settings\.baseUrl: must be a URL/),
        'settings.clientId: is required',
        'secret: must not be empty',
      ]),
    );
    await expect(repo.create({ ...cwInput, id: 'x-1', psa: 'halo' } as never)).rejects.toThrow('psa: must be "connectwise" or "autotask"');
  });

  it('resealSecrets moves every secret to the current key after a rotation', async () => {
    const key2 = parseEncryptionKey(generateEncryptionKey(), 2);
    const rotated = createConnectionRepository(db, { current: key2, previous: [key1] });
    expect((await rotated.getWithSecret('cw-main'))?.secret).toBe('new-private-key');
    expect(await rotated.resealSecrets()).toBe(2);
    expect(await rotated.resealSecrets()).toBe(0);
    const onlyNew = createConnectionRepository(db, { current: key2 });
    expect((await onlyNew.getWithSecret('cw-main'))?.secret).toBe('new-private-key');
    expect((await onlyNew.getWithSecret('at-main'))?.secret).toBe(AT_SECRET);
  });

  it('delete removes the connection', async () => {
    await repo.create({ ...atInput, id: 'at-temp' });
    expect(await repo.delete('at-temp')).toBe(true);
    expect(await repo.delete('at-temp')).toBe(false);
    expect(await repo.get('at-temp')).toBeNull();
  });
});
