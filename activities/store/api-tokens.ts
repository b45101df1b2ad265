/**
 * API tokens of the admin API (docs/security.md): bearer tokens with a role (`viewer` <
 * `operator` < `admin`), optionally limited to some connections. Only a SHA-256 hash of each
 * token is stored — the token itself is shown once, when it is created — and the hash is the
 * record's id, so a presented token is found by one keyed read. Tokens are 32 random bytes, so
 * a fast hash is enough (nothing to brute-force, unlike a password).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import { z } from 'zod';
import type { Timestamp } from './connections';
import { ConnectionIdSchema } from './connection-schemas';
import { ConflictError, NotFoundError, parseInput } from './errors';
import { isDuplicateKeyError, type IndexSpec } from './mongo';

export const API_TOKENS = 'api_tokens';
export const apiTokenIndexes: IndexSpec[] = [{ collection: API_TOKENS, key: { name: 1 }, name: 'name', unique: true }];

/** Each role can do everything the roles before it can. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const RoleSchema = z.enum(ROLES, { errorMap: () => ({ message: `must be one of ${ROLES.join(', ')}` }) });

/** True when `held` includes what `needed` allows. */
export const roleAtLeast = (held: Role, needed: Role): boolean => ROLES.indexOf(held) >= ROLES.indexOf(needed);

/** Tokens start with this, so secret scanners and people recognise them. */
export const TOKEN_PREFIX = 'psat_';

export const CreateTokenInputSchema = z
  .object({
    /** Who or what uses the token; recorded as the actor of every change made with it. */
    name: z
      .string({ required_error: 'is required', invalid_type_error: 'must be a string' })
      .regex(/^[A-Za-z0-9][A-Za-z0-9@._-]{0,99}$/, 'must be 1–100 letters, digits, @ . _ - (e.g. "ops@msp.example" or "platform-billing")'),
    role: RoleSchema,
    /** Limits the token to these connections; absent = every connection. */
    connections: z.array(ConnectionIdSchema, { invalid_type_error: 'must be a list of connection ids' }).min(1, 'must name at least one connection when given').max(100, 'at most 100').optional(),
  })
  .strict();
export type CreateTokenInput = z.input<typeof CreateTokenInputSchema>;

/** A token as listed: never the token, never its hash. */
export interface ApiTokenView {
  name: string;
  role: Role;
  connections?: string[];
  createdAt: Timestamp;
  createdBy: string;
  lastUsedAt?: Timestamp;
  revokedAt?: Timestamp;
  revokedBy?: string;
}

/** Who a request acts as, once its token was verified. */
export interface Principal {
  name: string;
  role: Role;
  connections?: string[];
}

export interface ApiTokenRepository {
  /** Creates a token; the answer carries the token itself, the only time it is ever shown. */
  create(input: CreateTokenInput, createdBy: string): Promise<{ token: string; view: ApiTokenView }>;
  /** The active (not revoked) token's principal, or null. Notes its use at most once a minute. */
  verify(token: string): Promise<Principal | null>;
  /** Revokes by name; a revoked token stays listed (who had access, until when). */
  revoke(name: string, revokedBy: string): Promise<ApiTokenView>;
  list(q?: { includeRevoked?: boolean }): Promise<ApiTokenView[]>;
}

interface TokenDoc {
  _id: string;
  name: string;
  role: Role;
  connections?: string[];
  createdAt: Date;
  createdBy: string;
  lastUsedAt?: Date;
  revokedAt?: Date;
  revokedBy?: string;
}

/** The stored form of a token. */
export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** A new random token. */
export const generateToken = (): string => `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;

const iso = (d: Date | undefined) => d?.toISOString();

function toView(d: TokenDoc): ApiTokenView {
  return {
    name: d.name,
    role: d.role,
    ...(d.connections ? { connections: d.connections } : {}),
    createdAt: d.createdAt.toISOString(),
    createdBy: d.createdBy,
    ...(d.lastUsedAt ? { lastUsedAt: iso(d.lastUsedAt)! } : {}),
    ...(d.revokedAt ? { revokedAt: iso(d.revokedAt)!, revokedBy: d.revokedBy ?? 'unknown' } : {}),
  };
}

const USE_NOTE_INTERVAL_MS = 60_000;

export function createApiTokenRepository(db: Db, now: () => Date = () => new Date()): ApiTokenRepository {
  const col = db.collection<TokenDoc>(API_TOKENS);
  return {
    async create(input, createdBy) {
      const t = parseInput(CreateTokenInputSchema, input);
      const token = generateToken();
      const doc: TokenDoc = { _id: hashToken(token), name: t.name, role: t.role, ...(t.connections ? { connections: [...new Set(t.connections)] } : {}), createdAt: now(), createdBy };
      try {
        await col.insertOne(doc);
      } catch (e) {
        if (isDuplicateKeyError(e)) throw new ConflictError(`a token named "${t.name}" exists already (revoked ones keep their name); choose another name`);
        throw e;
      }
      return { token, view: toView(doc) };
    },

    async verify(token) {
      if (!token.startsWith(TOKEN_PREFIX)) return null;
      const doc = await col.findOne({ _id: hashToken(token) });
      if (!doc || doc.revokedAt) return null;
      const at = now();
      if (!doc.lastUsedAt || at.getTime() - doc.lastUsedAt.getTime() > USE_NOTE_INTERVAL_MS) {
        await col.updateOne({ _id: doc._id }, { $set: { lastUsedAt: at } });
      }
      return { name: doc.name, role: doc.role, ...(doc.connections ? { connections: doc.connections } : {}) };
    },

    async revoke(name, revokedBy) {
      const doc = await col.findOne({ name });
      if (!doc) throw new NotFoundError('API token', name);
      if (doc.revokedAt) return toView(doc);
      const revoked = { ...doc, revokedAt: now(), revokedBy };
      await col.updateOne({ _id: doc._id }, { $set: { revokedAt: revoked.revokedAt, revokedBy } });
      return toView(revoked);
    },

    async list(q = {}) {
      const docs = await col.find(q.includeRevoked ? {} : { revokedAt: { $exists: false } }).sort({ name: 1 }).toArray();
      return docs.map(toView);
    },
  };
}
