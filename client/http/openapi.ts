/**
 * The API's self-description, generated from the routes it serves and the route catalog's zod
 * schemas (the ones requests are validated with): the OpenAPI 3 document, a self-contained
 * docs page (plain HTML, no script, nothing from a CDN), and the `/api` index of entry points.
 */
import type { ZodTypeAny } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { ROUTE_CATALOG, routeKey, type RouteSpec } from './route-catalog';

export interface ServedRoute {
  method: string;
  url: string;
}

type JsonSchema = Record<string, unknown>;

// Typed loosely: zod-to-json-schema's generics recurse too deep over our larger schemas.
const convert = zodToJsonSchema as unknown as (schema: ZodTypeAny, options: Record<string, unknown>) => JsonSchema;
const toJsonSchema = (schema: ZodTypeAny): JsonSchema => {
  const { $schema: _s, ...rest } = convert(schema, { target: 'openApi3', $refStrategy: 'none', effectStrategy: 'input' });
  return rest;
};

const openApiPath = (url: string) => url.replace(/:([A-Za-z]+)/g, '{$1}');
const pathParams = (url: string) => [...url.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);

const ERROR_RESPONSES: Record<string, string> = {
  '400': 'Invalid input: { error, problems: [{ path, message }] }',
  '401': 'No or unknown token',
  '403': "The token's role or connections do not allow this",
  '404': 'Unknown connection or record',
  '409': 'State conflict',
  '429': 'Too many failed authentication attempts (Retry-After)',
  '502': 'The PSA refused or failed: { error, psa }',
  '503': 'MongoDB or Temporal unreachable (Retry-After)',
};

function operation(route: ServedRoute, spec: RouteSpec): Record<string, unknown> {
  const parameters: Array<Record<string, unknown>> = pathParams(route.url).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  if (spec.query) {
    const q = toJsonSchema(spec.query) as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) parameters.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema });
  }
  for (const [name, description] of Object.entries(spec.headers ?? {})) parameters.push({ name, in: 'header', required: false, description, schema: { type: 'string' } });
  const errors = spec.role === 'public' ? {} : Object.fromEntries(Object.keys(ERROR_RESPONSES).map((code) => [code, { $ref: `#/components/responses/E${code}` }]));
  return {
    operationId: routeKey(route.method, route.url).replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, ''),
    summary: spec.summary,
    tags: [spec.tag],
    ...(spec.role === 'public' ? { security: [] } : { description: `Requires role **${spec.role}** or higher.`, 'x-required-role': spec.role }),
    ...(parameters.length ? { parameters } : {}),
    ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: toJsonSchema(spec.body) } } } } : {}),
    responses: { '2XX': { description: 'Done; the answer is JSON' }, ...errors },
  };
}

/** The OpenAPI 3.0 document of the served routes. */
export function openApiDocument(routes: readonly ServedRoute[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const spec = ROUTE_CATALOG[routeKey(r.method, r.url)];
    if (!spec) continue;
    (paths[openApiPath(r.url)] ??= {})[r.method.toLowerCase()] = operation(r, spec);
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'psa-connector admin API',
      version,
      description: 'Connections, mapping, platform intake (subscriptions, events, invoices, usage), reconciliation and operations. Every route but the descriptive ones needs a bearer token (docs/security.md).',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API token (psat_…): `psa-connector tokens create`, or ADMIN_BOOTSTRAP_TOKEN' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'string' }, problems: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } } },
        },
      },
      responses: Object.fromEntries(
        Object.entries(ERROR_RESPONSES).map(([code, description]) => [`E${code}`, { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
      ),
    },
  };
}

/** `GET /api`: where to start. */
export function apiIndex(routes: readonly ServedRoute[], version: string) {
  return {
    name: 'psa-connector admin API',
    version,
    docs: '/api/docs',
    openapi: '/api/openapi.json',
    health: '/api/health',
    authentication: 'Authorization: Bearer <token> — create tokens with `psa-connector tokens create` (docs/security.md)',
    routes: routes.flatMap((r) => {
      const spec = ROUTE_CATALOG[routeKey(r.method, r.url)];
      return spec ? [{ method: r.method, path: r.url, role: spec.role, summary: spec.summary }] : [];
    }),
  };
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** `GET /api/docs`: the reference as one page, grouped by tag. */
export function docsPage(doc: Record<string, unknown>): string {
  const paths = doc.paths as Record<string, Record<string, Record<string, unknown>>>;
  const byTag = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = (op.tags as string[])[0]!;
      const params = (op.parameters as Array<{ name: string; in: string; required: boolean }> | undefined) ?? [];
      const body = (op.requestBody as { content: Record<string, { schema: unknown }> } | undefined)?.content['application/json']?.schema;
      const role = (op['x-required-role'] as string | undefined) ?? 'public';
      byTag.set(tag, [
        ...(byTag.get(tag) ?? []),
        `<section><h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code> <span class="role">${role}</span></h3>
<p>${esc(String(op.summary))}</p>${
          params.length
            ? `<p class="params">${params.map((p) => `<code>${esc(p.name)}</code> (${p.in}${p.required ? ', required' : ''})`).join(' · ')}</p>`
            : ''
        }${body ? `<details><summary>request body</summary><pre>${esc(JSON.stringify(body, null, 2))}</pre></details>` : ''}</section>`,
      ]);
    }
  }
  const info = doc.info as { title: string; version: string; description: string };
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(info.title)}</title>
<style>body{font:15px/1.45 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}h2{border-bottom:1px solid #ddd;margin-top:2em}
section{border-left:3px solid #eee;padding:.2em 1em;margin:1em 0}h3{font-size:15px;margin:.3em 0}.m{display:inline-block;min-width:4.5em;font-weight:700}
.get{color:#1565c0}.post{color:#2e7d32}.put{color:#ef6c00}.delete{color:#c62828}.role{float:right;font-weight:400;color:#666}
pre{background:#f6f8fa;padding:.8em;overflow:auto;font-size:12px}.params{color:#555;font-size:13px}code{background:#f6f8fa;padding:0 .2em}</style></head><body>
<h1>${esc(info.title)} <small>${esc(info.version)}</small></h1><p>${esc(info.description)}</p>
<p>Send <code>Authorization: Bearer &lt;token&gt;</code>. Roles: viewer &lt; operator &lt; admin. Errors are JSON <code>{ "error": "…" }</code>, with <code>problems</code> naming each bad field on 400.
Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a>.</p>
${[...byTag].map(([tag, items]) => `<h2>${esc(tag)}</h2>${items.join('\n')}`).join('\n')}
</body></html>`;
}
