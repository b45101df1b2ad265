/**
 * Secrets at rest (docs/architecture.md "Identity and idempotency"): PSA keys and the SMTP password
 * are stored only as AES-256-GCM ciphertext under a key the worker config takes from the
 * environment. Each sealed value names its key version, so keys rotate by adding a new current
 * key and keeping the old ones for decryption until everything is re-sealed.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** A 32-byte AES key and the version number written beside everything it seals. */
export interface EncryptionKey {
  version: number;
  key: Buffer;
}

/** The key that seals new values plus older ones still accepted for reading. */
export interface SecretKeyring {
  current: EncryptionKey;
  previous?: readonly EncryptionKey[];
}

/** A sealed secret as stored: key version, 12-byte IV, 16-byte auth tag, ciphertext (base64). */
export interface SealedSecret {
  v: number;
  iv: string;
  tag: string;
  data: string;
}

/** Decryption failed: wrong key, unknown key version, or tampered data. Never carries secret material. */
export class SecretDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretDecryptionError';
  }
}

const ALGORITHM = 'aes-256-gcm';

/** Reads a base64 key from configuration; the error says what is wrong, never echoes the value. */
export function parseEncryptionKey(base64: string, version = 1): EncryptionKey {
  if (!Number.isSafeInteger(version) || version < 1) throw new RangeError('encryption key version must be a positive integer');
  const trimmed = base64.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) throw new RangeError('encryption key must be base64 (32 random bytes)');
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new RangeError(`encryption key must decode to 32 bytes, got ${key.length}`);
  return { version, key };
}

/** A fresh random key as base64, for `psa-connector` set-up and tests. */
export function generateEncryptionKey(): string {
  return randomBytes(32).toString('base64');
}

function asKeyring(keys: EncryptionKey | SecretKeyring): SecretKeyring {
  return 'current' in keys ? keys : { current: keys };
}

/**
 * Seals a secret with the current key. `context` (e.g. the connection id) is bound as
 * additional authenticated data, so a sealed value copied onto another record will not open.
 */
export function encryptSecret(keys: EncryptionKey | SecretKeyring, plaintext: string, context = ''): SealedSecret {
  const { current } = asKeyring(keys);
  const iv = randomBytes(12);
  const cipher = createCipheriv(ALGORITHM, current.key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { v: current.version, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

/** Opens a sealed secret with the key of its version; throws SecretDecryptionError on any mismatch. */
export function decryptSecret(keys: EncryptionKey | SecretKeyring, sealed: SealedSecret, context = ''): string {
  const ring = asKeyring(keys);
  const key = [ring.current, ...(ring.previous ?? [])].find((k) => k.version === sealed.v);
  if (!key) throw new SecretDecryptionError(`no encryption key with version ${sealed.v} is configured`);
  try {
    const decipher = createDecipheriv(ALGORITHM, key.key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    // Node's own message is generic too, but say what it means for the operator.
    throw new SecretDecryptionError(
      `cannot decrypt secret sealed with key version ${sealed.v}: wrong encryption key or the stored value was altered`,
    );
  }
}

/** True when the value is sealed with a key other than the current one (re-seal it). */
export function needsResealing(keys: EncryptionKey | SecretKeyring, sealed: SealedSecret): boolean {
  return sealed.v !== asKeyring(keys).current.version;
}

export const REDACTED = '[redacted]';
const SECRET_NAME = /secret|password|passwd|private.?key|api.?key|token|authorization|credential/i;

function isSealed(v: object): boolean {
  return 'iv' in v && 'tag' in v && 'data' in v && 'v' in v;
}

/**
 * A copy of a log object with every secret-looking field (secret, password, privateKey, token,
 * authorization, ...) and every sealed value replaced by "[redacted]".
 */
export function redact<T>(value: T): T {
  const seen = new WeakSet<object>();
  const walk = (v: unknown, keyName?: string): unknown => {
    if (keyName !== undefined && SECRET_NAME.test(keyName) && v !== undefined && v !== null) return REDACTED;
    if (typeof v !== 'object' || v === null || v instanceof Date || Buffer.isBuffer(v)) return v;
    if (seen.has(v)) return '[circular]';
    seen.add(v);
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (isSealed(v)) return REDACTED;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
  };
  return walk(value) as T;
}
