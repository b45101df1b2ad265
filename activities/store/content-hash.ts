/**
 * The global sync pushes a record only when the fields it may overwrite changed since the last
 * push; it compares a hash of those field values with the one stored on the mapping.
 */
import { createHash } from 'node:crypto';

function canonical(v: unknown): unknown {
  if (v === undefined) return null;
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new RangeError(`cannot hash a non-finite number: ${v}`);
    return v;
  }
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(canonical);
  // Key order never matters; absent and undefined fields are the same.
  return Object.fromEntries(
    Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
  );
}

/** A stable SHA-256 (hex) of field values: same values in any key order give the same hash. */
export function contentHash(values: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonical(values))).digest('hex');
}
