import fc from 'fast-check';
import { contentHash, decodeLineKey, encodeLineKey } from '../../activities/store';

describe('line-key encoding for field names', () => {
  it.each([
    ['sub-1/m365-bp/base/2026-03-01', 'sub-1/m365-bp/base/2026-03-01'],
    ['sub-1/m365.e3/delta/2026-03-15', 'sub-1/m365%2Ee3/delta/2026-03-15'],
    ['$weird', '%24weird'],
    ['a$b', 'a%24b'],
    ['100%', '100%25'],
    ['%2E', '%252E'],
    ['..', '%2E%2E'],
  ])('%s ↔ %s', (key, field) => {
    expect(encodeLineKey(key)).toBe(field);
    expect(decodeLineKey(field)).toBe(key);
  });

  it('round-trips any key, and the encoding never holds "." nor starts with "$"', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: fc.constantFrom('a', '.', '$', '%', '2', 'E', 'e', '/', '-', '4', '5') }), (key) => {
        const field = encodeLineKey(key);
        expect(field).not.toContain('.');
        expect(field.startsWith('$')).toBe(false);
        expect(decodeLineKey(field)).toBe(key);
      }),
    );
  });

  it('is injective: different keys never share a field name', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
        fc.pre(a !== b && !a.includes('\0') && !b.includes('\0'));
        expect(encodeLineKey(a)).not.toBe(encodeLineKey(b));
      }),
    );
  });

  it('rejects empty keys and NUL', () => {
    expect(() => encodeLineKey('')).toThrow(/must not be empty/);
    expect(() => encodeLineKey('a\0b')).toThrow(/NUL/);
  });
});

describe('contentHash', () => {
  it('ignores key order and undefined fields, and changes with any value', () => {
    const a = contentHash({ name: 'Acme', city: 'Tampa', zip: undefined, nested: { x: 1, y: [1, 2] } });
    expect(contentHash({ nested: { y: [1, 2], x: 1 }, city: 'Tampa', name: 'Acme' })).toBe(a);
    expect(contentHash({ name: 'Acme', city: 'Tampa ', nested: { x: 1, y: [1, 2] } })).not.toBe(a);
    expect(contentHash({ name: 'Acme', city: 'Tampa', nested: { x: 1, y: [2, 1] } })).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });
});
