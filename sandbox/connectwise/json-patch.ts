/**
 * PATCH bodies (RFC 6902 subset ConnectWise accepts, psa-apis.md §1.6): an array of
 * `{ op: add | replace | remove, path, value }` on top-level fields; `path` with or without a
 * leading slash. A reference field is replaced whole.
 */
import { badRequest } from './vendor-errors';

export function applyJsonPatch(record: Record<string, unknown>, body: unknown, readOnly: ReadonlySet<string>): Record<string, unknown> {
  if (!Array.isArray(body)) throw badRequest('PATCH body must be an array of operations: [{ "op": "replace", "path": "field", "value": ... }]');
  const next: Record<string, unknown> = { ...record };
  for (const operation of body as unknown[]) {
    const { op, path, value } = (operation ?? {}) as { op?: unknown; path?: unknown; value?: unknown };
    if (op !== 'add' && op !== 'replace' && op !== 'remove') throw badRequest(`unsupported patch op "${String(op)}"`);
    if (typeof path !== 'string' || !path.replace(/^\//, '')) throw badRequest('patch operation needs a path');
    const field = path.replace(/^\//, '');
    if (field.includes('/')) throw badRequest(`patch path "${path}": replace the whole reference object instead of a sub-path`);
    if (readOnly.has(field)) throw badRequest(`field "${field}" is read-only`);
    if (op === 'remove') next[field] = null;
    else next[field] = value;
  }
  return next;
}
