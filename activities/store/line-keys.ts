/**
 * Planner line keys (e.g. `sub-1/m365.e3/delta/2026-03-15`) and platform product ids become
 * field names under a mapping's `lineIds` / `productIds`, and MongoDB/FerretDB field names may
 * not contain '.' nor start with '$'. The encoding percent-escapes exactly '%', '.' and '$', so
 * it is reversible and leaves ordinary keys (letters, digits, '-', '/', ':') readable.
 */

/** Planner line key → a string safe as one document field name. */
export function encodeLineKey(key: string): string {
  if (key.length === 0) throw new RangeError('line key must not be empty');
  if (key.includes('\0')) throw new RangeError('line key must not contain NUL');
  return key.replace(/[%.$]/g, (c) => (c === '%' ? '%25' : c === '.' ? '%2E' : '%24'));
}

/** Inverse of encodeLineKey. */
export function decodeLineKey(field: string): string {
  return field.replace(/%(25|2E|24)/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}


/** Encodes every key of a map that is stored as document fields (line ids, product ids). */
export function encodeKeys<V>(map: Record<string, V>): Record<string, V> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [encodeLineKey(k), v]));
}

/** Inverse of encodeKeys. */
export function decodeKeys<V>(stored: Record<string, V> | undefined): Record<string, V> {
  return Object.fromEntries(Object.entries(stored ?? {}).map(([k, v]) => [decodeLineKey(k), v]));
}
