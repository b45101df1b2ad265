/**
 * PSA connections: who we talk to (settings), with what key (secret, sealed at rest), under
 * which §2 rules, and who hears about it (§8 notifications). The secret leaves this module
 * only through `getWithSecret`, which is for the gateway factory alone.
 */
import type { Db } from 'mongodb';
import {
  AutotaskSettingsSchema,
  ConnectionRulesPatchSchema,
  ConnectWiseSettingsSchema,
  CreateConnectionInputSchema,
  NotificationSettingsPatchSchema,
  UpdateCredentialsInputSchema,
  type AutotaskSettings,
  type ConnectionRules,
  type ConnectionRulesHistory,
  type ConnectionRulesPatch,
  type ConnectWiseSettings,
  type CreateConnectionInput,
  type NotificationSettings,
  type NotificationSettingsPatch,
  type UpdateCredentialsInput,
} from './connection-schemas';
import { ConflictError, NotFoundError, parseInput, StoreInputError, zodInputProblems } from './errors';
import { isDuplicateKeyError, type IndexSpec } from './mongo';
import { decryptSecret, encryptSecret, needsResealing, type SealedSecret, type SecretKeyring } from './secrets';

export const CONNECTIONS = 'connections';
export const connectionIndexes: IndexSpec[] = [{ collection: CONNECTIONS, key: { psa: 1, _id: 1 }, name: 'psa' }];

/** ISO-8601 instant; views carry strings so they survive JSON (HTTP, Temporal payloads) unchanged. */
export type Timestamp = string;

interface ConnectionCommon {
  id: string;
  name: string;
  rules: ConnectionRules;
  /** Set once the effective-date rules changed: what they were before, and each change's day (docs/mapping.md "Rules change"). */
  rulesHistory?: ConnectionRulesHistory;
  notifications: NotificationSettings;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  /** When the settings or secret last changed. */
  credentialsUpdatedAt: Timestamp;
}
/** A connection as everyone but the gateway factory sees it: no secret, sealed or not. */
export type Connection =
  | (ConnectionCommon & { psa: 'connectwise'; settings: ConnectWiseSettings })
  | (ConnectionCommon & { psa: 'autotask'; settings: AutotaskSettings });
/** A connection with its decrypted secret (ConnectWise private key / Autotask API secret). */
export type ConnectionWithSecret = Connection & { secret: string };

interface ConnectionDoc {
  _id: string;
  psa: Connection['psa'];
  name: string;
  settings: ConnectWiseSettings | AutotaskSettings;
  secret: SealedSecret;
  rules: ConnectionRules;
  rulesHistory?: ConnectionRulesHistory;
  notifications: NotificationSettings;
  createdAt: Date;
  updatedAt: Date;
  credentialsUpdatedAt: Date;
}

export interface ConnectionRepository {
  /** Registers a connection; ConflictError when the id is taken. */
  create(input: CreateConnectionInput): Promise<Connection>;
  get(id: string): Promise<Connection | null>;
  /** The connection with its decrypted secret — for building the PSA gateway only; never log it. */
  getWithSecret(id: string): Promise<ConnectionWithSecret | null>;
  list(filter?: { psa?: Connection['psa'] }): Promise<Connection[]>;
  /** Changes only the given rules / toggles; `rulesHistory` (computed by the caller) is saved in the same write. */
  updateRules(id: string, patch: ConnectionRulesPatch, opts?: { rulesHistory?: ConnectionRulesHistory }): Promise<Connection>;
  /** Changes only the given notification preferences (recipients are replaced as a whole). */
  updateNotifications(id: string, patch: NotificationSettingsPatch): Promise<Connection>;
  /** Changes settings fields (validated for the connection's PSA), the name and/or the secret. */
  updateCredentials(id: string, input: UpdateCredentialsInput): Promise<Connection>;
  /** Removes the connection; true when it existed. Its mappings and logs are left to the caller. */
  delete(id: string): Promise<boolean>;
  /** Re-seals every secret not sealed with the current key (after a key rotation); returns how many. */
  resealSecrets(): Promise<number>;
}

const withoutSecret = { projection: { secret: 0 } } as const;
const aad = (id: string) => `connection:${id}`;

function toView(doc: Omit<ConnectionDoc, 'secret'>): Connection {
  return {
    id: doc._id,
    psa: doc.psa,
    name: doc.name,
    settings: doc.settings,
    rules: doc.rules,
    ...(doc.rulesHistory ? { rulesHistory: doc.rulesHistory } : {}),
    notifications: doc.notifications,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
    credentialsUpdatedAt: doc.credentialsUpdatedAt.toISOString(),
  } as Connection;
}

/** Dotted `$set` paths for the leaves of a validated patch (so concurrent patches of other fields survive). */
function leafPaths(prefix: string, patch: object, out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) leafPaths(`${prefix}.${k}`, v, out);
    else out[`${prefix}.${k}`] = v;
  }
  return out;
}

/** The connections repository over `db`; `keys` seal and open the secrets. */
export function createConnectionRepository(db: Db, keys: SecretKeyring, now: () => Date = () => new Date()): ConnectionRepository {
  const col = db.collection<ConnectionDoc>(CONNECTIONS);

  async function patch(id: string, set: Record<string, unknown>): Promise<Connection> {
    // No projection here: FerretDB's findAndModify does not implement one (toView drops the secret).
    const doc = await col.findOneAndUpdate({ _id: id }, { $set: { ...set, updatedAt: now() } }, { returnDocument: 'after' });
    if (!doc) throw new NotFoundError('connection', id);
    return toView(doc);
  }

  return {
    async create(input) {
      const c = parseInput(CreateConnectionInputSchema, input);
      const at = now();
      const doc: ConnectionDoc = {
        _id: c.id,
        psa: c.psa,
        name: c.name,
        settings: c.settings,
        secret: encryptSecret(keys, c.secret, aad(c.id)),
        rules: c.rules,
        notifications: c.notifications,
        createdAt: at,
        updatedAt: at,
        credentialsUpdatedAt: at,
      };
      try {
        await col.insertOne(doc);
      } catch (e) {
        if (isDuplicateKeyError(e)) throw new ConflictError(`connection "${c.id}" already exists`);
        throw e;
      }
      const { secret: _sealed, ...rest } = doc;
      return toView(rest);
    },

    async get(id) {
      const doc = await col.findOne({ _id: id }, withoutSecret);
      return doc ? toView(doc) : null;
    },

    async getWithSecret(id) {
      const doc = await col.findOne({ _id: id });
      if (!doc) return null;
      return { ...toView(doc), secret: decryptSecret(keys, doc.secret, aad(id)) };
    },

    async list(filter = {}) {
      const docs = await col.find(filter.psa ? { psa: filter.psa } : {}, withoutSecret).sort({ _id: 1 }).toArray();
      return docs.map(toView);
    },

    async updateRules(id, input, opts = {}) {
      const p = parseInput(ConnectionRulesPatchSchema, input);
      return patch(id, { ...leafPaths('rules', p), ...(opts.rulesHistory ? { rulesHistory: opts.rulesHistory } : {}) });
    },

    async updateNotifications(id, input) {
      const p = parseInput(NotificationSettingsPatchSchema, input);
      return patch(id, leafPaths('notifications', p));
    },

    async updateCredentials(id, input) {
      const u = parseInput(UpdateCredentialsInputSchema, input);
      const current = await col.findOne({ _id: id }, withoutSecret);
      if (!current) throw new NotFoundError('connection', id);
      const set: Record<string, unknown> = {};
      if (u.name !== undefined) set.name = u.name;
      if (u.settings !== undefined) {
        // Validate the merged result for this PSA, reporting paths under `settings`.
        const schema = current.psa === 'connectwise' ? ConnectWiseSettingsSchema : AutotaskSettingsSchema;
        const res = schema.safeParse({ ...current.settings, ...u.settings });
        if (!res.success) {
          throw new StoreInputError(zodInputProblems(res.error).map((p) => ({ ...p, path: p.path ? `settings.${p.path}` : 'settings' })));
        }
        set.settings = res.data;
      }
      if (u.secret !== undefined) set.secret = encryptSecret(keys, u.secret, aad(id));
      if (u.settings !== undefined || u.secret !== undefined) set.credentialsUpdatedAt = now();
      return patch(id, set);
    },

    async delete(id) {
      const res = await col.deleteOne({ _id: id });
      return res.deletedCount === 1;
    },

    async resealSecrets() {
      let count = 0;
      for await (const doc of col.find({ 'secret.v': { $ne: keys.current.version } })) {
        if (!needsResealing(keys, doc.secret)) continue;
        const plaintext = decryptSecret(keys, doc.secret, aad(doc._id));
        // Guard on the old IV: a credentials update in between wins.
        const res = await col.updateOne(
          { _id: doc._id, 'secret.iv': doc.secret.iv },
          { $set: { secret: encryptSecret(keys, plaintext, aad(doc._id)) } },
        );
        count += res.modifiedCount;
      }
      return count;
    },
  };
}
