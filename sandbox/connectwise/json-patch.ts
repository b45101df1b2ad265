/**
 * PATCH bodies (RFC 6902 subset ConnectWise accepts, docs/psa-apis.md §1.6): an array of
 * `{ op: add | replace | remove, path, value }`; `path` with or without a leading slash, a
 * top-level field (`quantity`) or a field of a reference (`product/id`, as RFC 6902 pointers and
 * clients such as connectwise-rest write them).
 */
import { badRequest } from './vendor-errors';

export function applyJsonPatch(record: Record<string, unknown>, body: unknown, readOnly: ReadonlySet<string>): Record<string, unknown> {
  if (!Array.isArray(body)) throw badRequest('PATCH body must be an array of operations: [{ "op": "replace", "path": "field", "value": ... }]');
  const next: Record<string, unknown> = { ...record };
  for (const operation of body as unknown[]) {
    const { op, path, value } = (operation ?? {}) as { op?: unknown; path?: unknown; value?: unknown };
    if (op !== 'add' && op !== 'replace' && op !== 'remove') throw badRequest(`unsupported patch op "${String(op)}"`);
    if (typeof path !== 'string' || !path.replace(/^\//, '')) throw badRequest('patch operation needs a path');
    const [field = '', sub, ...deeper] = path.replace(/^\//, '').split('/');
    if (deeper.length > 0) throw badRequest(`patch path "${path}" is too deep`);
    if (readOnly.has(field)) throw badRequest(`field "${field}" is read-only`);
    if (sub === undefined) {
      next[field] = op === 'remove' ? null : value;
      continue;
    }
    const current = next[field];
    const ref: Record<string, unknown> = typeof current === 'object' && current !== null ? { ...(current as Record<string, unknown>) } : {};
    if (op === 'remove') delete ref[sub];
    else ref[sub] = value;
    // A reference named by a new id is a different record: what else it said no longer holds.
    next[field] = sub === 'id' && op !== 'remove' ? { id: value } : ref;
  }
  return next;
}
