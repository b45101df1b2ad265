import {
  decryptSecret,
  encryptSecret,
  generateEncryptionKey,
  needsResealing,
  parseEncryptionKey,
  redact,
  SecretDecryptionError,
  type SealedSecret,
} from '../../activities/store';

const key1 = parseEncryptionKey(generateEncryptionKey(), 1);
const key2 = parseEncryptionKey(generateEncryptionKey(), 2);
const PLAINTEXT = 'cw-private-key-0123456789';

describe('secrets at rest (AES-256-GCM)', () => {
  it('round-trips, with a fresh 12-byte IV and a 16-byte tag per value', () => {
    const a = encryptSecret(key1, PLAINTEXT);
    const b = encryptSecret(key1, PLAINTEXT);
    expect(a.v).toBe(1);
    expect(Buffer.from(a.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(a.tag, 'base64')).toHaveLength(16);
    expect(a.iv).not.toBe(b.iv);
    expect(a.data).not.toBe(b.data);
    expect(JSON.stringify(a)).not.toContain(PLAINTEXT);
    expect(decryptSecret(key1, a)).toBe(PLAINTEXT);
    expect(decryptSecret(key1, encryptSecret(key1, ''))).toBe('');
    expect(decryptSecret(key1, encryptSecret(key1, 'ünïcødé 🔑'))).toBe('ünïcødé 🔑');
  });

  it('a wrong key gives a clear error without secret material', () => {
    const sealed = encryptSecret(key1, PLAINTEXT);
    const wrong = { version: 1, key: key2.key };
    const err = (() => {
      try {
        decryptSecret(wrong, sealed);
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a failure');
    })();
    expect(err).toBeInstanceOf(SecretDecryptionError);
    expect(err.message).toMatch(/wrong encryption key or the stored value was altered/);
    for (const material of [PLAINTEXT, sealed.data, sealed.iv, sealed.tag, key1.key.toString('base64'), key2.key.toString('base64')]) {
      expect(err.message).not.toContain(material);
      expect(String(err.stack)).not.toContain(material);
    }
  });

  it('an unknown key version is named', () => {
    expect(() => decryptSecret(key2, encryptSecret(key1, PLAINTEXT))).toThrow('no encryption key with version 1 is configured');
  });

  it.each<[string, (s: SealedSecret) => SealedSecret]>([
    ['ciphertext', (s) => ({ ...s, data: flip(s.data) })],
    ['tag', (s) => ({ ...s, tag: flip(s.tag) })],
    ['iv', (s) => ({ ...s, iv: flip(s.iv) })],
  ])('a tampered %s is rejected', (_what, tamper) => {
    expect(() => decryptSecret(key1, tamper(encryptSecret(key1, PLAINTEXT)))).toThrow(SecretDecryptionError);
  });

  it('the context is authenticated: a value sealed for one connection does not open for another', () => {
    const sealed = encryptSecret(key1, PLAINTEXT, 'connection:cw-main');
    expect(decryptSecret(key1, sealed, 'connection:cw-main')).toBe(PLAINTEXT);
    expect(() => decryptSecret(key1, sealed, 'connection:cw-other')).toThrow(SecretDecryptionError);
  });

  it('rotates: new values use the current key, old ones still open with the previous key', () => {
    const old = encryptSecret(key1, PLAINTEXT);
    const ring = { current: key2, previous: [key1] };
    const fresh = encryptSecret(ring, PLAINTEXT);
    expect(fresh.v).toBe(2);
    expect(decryptSecret(ring, old)).toBe(PLAINTEXT);
    expect(decryptSecret(ring, fresh)).toBe(PLAINTEXT);
    expect(needsResealing(ring, old)).toBe(true);
    expect(needsResealing(ring, fresh)).toBe(false);
  });

  it('rejects keys that are not 32 bytes of base64, without echoing them', () => {
    expect(() => parseEncryptionKey(Buffer.alloc(16).toString('base64'))).toThrow('encryption key must decode to 32 bytes, got 16');
    expect(() => parseEncryptionKey('not base64 at all!')).toThrow(/must be base64/);
    try {
      parseEncryptionKey('s3cr3t-value-in-env');
    } catch (e) {
      expect((e as Error).message).not.toContain('s3cr3t');
    }
    expect(() => parseEncryptionKey(generateEncryptionKey(), 0)).toThrow(/version must be a positive integer/);
  });

  it('redact() hides secret-looking fields and sealed values, leaving the rest', () => {
    const sealed = encryptSecret(key1, PLAINTEXT);
    const log = {
      connectionId: 'cw-main',
      settings: { publicKey: 'pub', privateKey: PLAINTEXT, clientId: 'cid' },
      headers: { Authorization: 'Basic abc', accept: 'json' },
      secret: sealed,
      stored: { blob: sealed },
      list: [{ password: 'pw', user: 'u' }],
      when: new Date(0),
    };
    const out = redact(log);
    expect(JSON.stringify(out)).not.toContain(PLAINTEXT);
    expect(JSON.stringify(out)).not.toContain(sealed.data);
    expect(out).toEqual({
      connectionId: 'cw-main',
      settings: { publicKey: 'pub', privateKey: '[redacted]', clientId: 'cid' },
      headers: { Authorization: '[redacted]', accept: 'json' },
      secret: '[redacted]',
      stored: { blob: '[redacted]' },
      list: [{ password: '[redacted]', user: 'u' }],
      when: new Date(0),
    });
    expect(log.settings.privateKey).toBe(PLAINTEXT);
  });
});

function flip(b64: string): string {
  const buf = Buffer.from(b64, 'base64');
  buf[0] = buf[0]! ^ 0x01;
  return buf.toString('base64');
}
