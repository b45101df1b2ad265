/**
 * The API describes itself: `/api` lists the entry points, `/api/openapi.json` is an OpenAPI 3
 * document generated from the zod schemas that validate the requests (so what it documents is
 * what is enforced), and `/api/docs` is a readable page that loads nothing from elsewhere.
 */
import { InvoiceIntakeSchema } from '../../client/http/routes/invoices.routes';
import { request, startHarness, type Harness } from './harness';

describe('API description', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('openapi', { operations: true });
  }, 60_000);
  afterAll(async () => {
    expect(h.errors).toEqual([]);
    await h.close();
  });

  it('/api lists the entry points without a token', async () => {
    const index = await request(h, 'GET', '/api', undefined, undefined, null);
    expect(index.status).toBe(200);
    expect(index.body).toMatchObject({ docs: '/api/docs', openapi: '/api/openapi.json', health: '/api/health', authentication: expect.stringContaining('Bearer') });
    expect(index.body.routes).toEqual(expect.arrayContaining([{ method: 'POST', path: '/api/platform/invoices', role: 'operator', summary: expect.any(String) }]));
  });

  it('/api/openapi.json: every served route, its role, its parameters and the body schema that validates it', async () => {
    const doc = (await request(h, 'GET', '/api/openapi.json', undefined, undefined, null)).body;
    const index = (await request(h, 'GET', '/api', undefined, undefined, null)).body.routes as Array<{ method: string; path: string }>;
    expect(doc.openapi).toBe('3.0.3');
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ms]) => Object.keys(ms).map((m) => `${m.toUpperCase()} ${p}`));
    expect(operations.sort()).toEqual(index.map((r) => `${r.method} ${r.path.replace(/:([A-Za-z]+)/g, '{$1}')}`).sort());

    const intake = doc.paths['/api/platform/invoices'].post;
    expect(intake['x-required-role']).toBe('operator');
    const invoice = intake.requestBody.content['application/json'].schema.properties.invoices.items;
    expect(invoice.required).toEqual(expect.arrayContaining(['id', 'kind', 'subscriptionId', 'month', 'amount']));
    expect(invoice.properties.amount.type).toBe('string');
    expect(invoice.additionalProperties).toBe(false);
    // The same schema object validates the route: what the document calls required is required.
    expect(InvoiceIntakeSchema.safeParse({ invoices: [{}] }).success).toBe(false);
    const rejected = await request(h, 'POST', '/api/platform/invoices', { invoices: [{}] });
    expect((rejected.body.problems as Array<{ path: string }>).map((p) => p.path.replace('invoices[0].', ''))).toEqual(expect.arrayContaining(invoice.required));

    const log = doc.paths['/api/connections/{connectionId}/reconciliation/log'].get;
    expect(log.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual(expect.arrayContaining(['path:connectionId', 'query:from', 'query:status']));
    expect(doc.paths['/api/health'].get.security).toEqual([]);
    // The event intake documents its optional Prefer header (respond-async).
    const events = Object.entries(doc.paths as Record<string, Record<string, { parameters?: Array<{ name: string; in: string; description?: string }> }>>).find(([p]) => /\/subscriptions\/\{[A-Za-z]+\}\/events$/.test(p))![1].post!;
    expect(events.parameters!.find((p) => p.in === 'header')).toMatchObject({ name: 'Prefer', description: expect.stringContaining('respond-async') });
  });

  it('/api/docs is a page of its own: no script, nothing loaded from another host', async () => {
    const res = await fetch(`${h.url}/api/docs`);
    const html = await res.text();
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).toContain('<code>/api/platform/invoices</code>');
    // Text may mention URLs (a default discovery URL); nothing is fetched: no script, link, src, url() or @import.
    expect(html).not.toMatch(/<script|<link|\ssrc=|url\(|@import/i);
  });
});
