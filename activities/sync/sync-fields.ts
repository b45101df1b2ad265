/**
 * Which platform fields a Map & Sync (and later the global sync) pushes to the PSA, and the
 * hash of their values stored on the mapping (store `contentHash`), so a sync can tell whether
 * anything changed since the last push. One definition for both, so their hashes agree.
 */
import { contentHash } from '../store';

/** The fields whose global toggle is on (§2: a field turned off there cannot be synced per record). */
export const enabledFields = <F extends string>(toggles: Record<F, boolean>): F[] =>
  (Object.keys(toggles) as F[]).filter((f) => toggles[f]);

/** The values of `fields` on `record`, absent fields included as undefined (the hash treats them alike). */
export function syncValues<F extends string>(record: object, fields: readonly F[]): Record<F, unknown> {
  return Object.fromEntries(fields.map((f) => [f, (record as Record<string, unknown>)[f]])) as Record<F, unknown>;
}

/** The content hash of what was pushed: the field names and their values. */
export const syncHash = (record: object, fields: readonly string[]): string => contentHash(syncValues(record, [...fields].sort()));

/** The values to PATCH: absent fields dropped, so a push never blanks a PSA field. */
export function pushValues<F extends string>(record: object, fields: readonly F[]): Partial<Record<F, unknown>> {
  return Object.fromEntries(Object.entries(syncValues(record, fields)).filter(([, v]) => v !== undefined && v !== null)) as Partial<Record<F, unknown>>;
}
