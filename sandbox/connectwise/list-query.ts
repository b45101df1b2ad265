/**
 * Collection GETs: `conditions`, `orderBy`, `fields`, `page`/`pageSize` with an RFC 5988 `Link`
 * header, and forward-only paging (`pagination-type: forward-only` + `pageId`) — docs/psa-apis.md §1.4-1.5.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConditionsError, evaluate, parseConditions, readPath, type Condition } from './conditions';
import { CwHttpError, badRequest } from './vendor-errors';
import { VENDOR_FIELDS } from './vendor-fields';

export interface ListQuery {
  conditions?: string;
  orderBy?: string;
  fields?: string;
  page?: string;
  pageSize?: string;
  pageId?: string;
}

const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 1000;

/** ConnectWise's answer to a field name the record does not have (in `conditions` or `orderBy`). */
const notRecognized = (name: string): CwHttpError => new CwHttpError(400, { code: 'ApiFindCondition', message: `${name} is not a recognized name.` });

/**
 * Checks a field path against the resource's published model: a field of the record, or one
 * field of a reference (`company/id`). Resources without a model here (reference lists) pass.
 */
export function checkFieldPath(resource: string | undefined, path: readonly string[]): void {
  const fields = resource === undefined ? undefined : VENDOR_FIELDS[resource];
  if (!fields) return;
  const name = path.join('/');
  const key = Object.keys(fields).find((k) => k.toLowerCase() === path[0]!.toLowerCase());
  if (key === undefined) throw notRecognized(name);
  const type = fields[key]!;
  if (path.length === 1) return;
  if (typeof type !== 'object' || path.length > 2 || !type.ref.some((f) => f.toLowerCase() === path[1]!.toLowerCase())) throw notRecognized(name);
}

function checkCondition(resource: string | undefined, c: Condition): void {
  if (c.kind === 'and' || c.kind === 'or') {
    checkCondition(resource, c.left);
    checkCondition(resource, c.right);
  } else if (c.kind === 'compare' || c.kind === 'text' || c.kind === 'in') {
    checkFieldPath(resource, c.path);
  }
}

export function filterRecords<T extends object>(records: readonly T[], conditions: string | undefined, resource?: string): T[] {
  if (!conditions?.trim()) return [...records];
  try {
    const condition = parseConditions(conditions);
    checkCondition(resource, condition);
    return records.filter((r) => evaluate(condition, r));
  } catch (error) {
    if (error instanceof ConditionsError) throw badRequest(`conditions: ${error.message}`);
    throw error;
  }
}

function sortRecords<T extends object>(records: T[], orderBy: string | undefined, resource?: string): T[] {
  if (!orderBy?.trim()) return records.sort((a, b) => Number(readPath(a, ['id'])) - Number(readPath(b, ['id'])));
  const keys = orderBy.split(',').map((part) => {
    const [field = '', dir = 'asc'] = part.trim().split(/\s+/);
    if (!/^(asc|desc)$/i.test(dir)) throw badRequest(`orderBy: unknown direction "${dir}"`);
    checkFieldPath(resource, field.split('/'));
    return { path: field.split('/'), sign: dir.toLowerCase() === 'desc' ? -1 : 1 };
  });
  const cmp = (a: unknown, b: unknown): number => {
    if (a === b) return 0;
    if (a === null) return -1;
    if (b === null) return 1;
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    return String(a).toLowerCase().localeCompare(String(b).toLowerCase());
  };
  return records.sort((x, y) => {
    for (const k of keys) {
      const c = cmp(readPath(x, k.path), readPath(y, k.path));
      if (c !== 0) return c * k.sign;
    }
    return 0;
  });
}

/** `fields=id,name,company/id` keeps just those (nested) fields. */
export function project(record: object, fields: string | undefined): object {
  if (!fields?.trim()) return record;
  const out: Record<string, unknown> = {};
  for (const f of fields.split(',').map((s) => s.trim()).filter(Boolean)) {
    const path = f.split('/');
    const value = readPath(record, path);
    if (value === null && readPath(record, path.slice(0, -1)) === null && path.length > 1) continue;
    let target = out;
    path.slice(0, -1).forEach((step) => {
      target[step] = (target[step] as Record<string, unknown> | undefined) ?? {};
      target = target[step] as Record<string, unknown>;
    });
    target[path[path.length - 1]!] = value;
  }
  return out;
}

/**
 * A page link as ConnectWise writes it: the request's own parameters first, then `pageSize`
 * and the paging parameter LAST (`…&pageSize=1000&page=2`) — paginators such as pyconnectwise's
 * read the page number off the end of the link.
 */
function pageLink(req: FastifyRequest, params: Record<string, string>): string {
  const url = new URL(req.url, `http://${req.headers.host ?? '127.0.0.1'}`);
  for (const k of ['page', 'pageSize', 'pageId']) url.searchParams.delete(k);
  for (const [k, v] of Object.entries(params)) url.searchParams.append(k, v);
  return url.toString();
}

export function sendList(req: FastifyRequest<{ Querystring: ListQuery }>, reply: FastifyReply, records: readonly object[], resource?: string): unknown[] {
  const q = req.query;
  const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, Number(q.pageSize ?? DEFAULT_PAGE_SIZE) || DEFAULT_PAGE_SIZE));
  const filtered = filterRecords(records, q.conditions, resource);

  if (String(req.headers['pagination-type'] ?? '').toLowerCase() === 'forward-only') {
    if (q.orderBy) throw badRequest('orderBy cannot be used with forward-only pagination');
    const after = Number(q.pageId ?? 0);
    const rows = sortRecords(filtered, undefined).filter((r) => Number(readPath(r, ['id'])) > after).slice(0, pageSize);
    const last = rows.length === pageSize ? rows[rows.length - 1] : undefined;
    reply.header('link', last ? `<${pageLink(req, { pageSize: String(pageSize), pageId: String(readPath(last, ['id'])) })}>; rel="next"` : '');
    return rows.map((r) => project(r, q.fields));
  }

  const page = Math.max(1, Number(q.page ?? 1) || 1);
  const sorted = sortRecords(filtered, q.orderBy, resource);
  const lastPage = Math.max(1, Math.ceil(sorted.length / pageSize));
  const links: string[] = [];
  const link = (n: number, rel: string): number => links.push(`<${pageLink(req, { pageSize: String(pageSize), page: String(n) })}>; rel="${rel}"`);
  if (page > 1) link(page - 1, 'prev');
  if (page < lastPage) link(page + 1, 'next');
  link(1, 'first');
  link(lastPage, 'last');
  reply.header('link', links.join(', '));
  return sorted.slice((page - 1) * pageSize, page * pageSize).map((r) => project(r, q.fields));
}
