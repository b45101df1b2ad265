/**
 * The admin console (docs/console.md): server-rendered pages served by the admin API process,
 * under /console. Signing in takes an API token (the same tokens and roles as the API); the
 * session cookie then authenticates both the pages and the API calls they make. Each page or
 * action is in CONSOLE_ROUTES with its role; the pages read and change everything through the
 * API itself (own-api.ts), so roles, connection limits, validation and the audit log are the
 * API's own.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../../activities/store';
import { isoDateOf } from '../../domain/dates';
import { sameOrigin, type createAccessCheck } from '../http/access';
import { HttpRefusal } from '../http/error-reply';
import type { RouteSpec } from '../http/route-catalog';
import { CONSOLE_CSS } from './assets/console-css';
import { CONSOLE_JS } from './assets/console-js';
import { backTo, render, type ConsoleAnswer, type ConsoleContext, type ConsoleLinks } from './console-kit';
import { CONSOLE_ROUTES, consoleRoute } from './console-routes';
import { html, query } from './html';
import { page } from './layout';
import { ApiFailure, ownApi } from './own-api';
import { auditPage, homePage } from './pages/home';
import { loginPage } from './pages/login';
import { mappingActions, mappingPage } from './pages/mapping';
import { reconciliationActions, reconciliationCsv, reconciliationPage } from './pages/reconciliation';
import { settingsActions, newConnectionPage, settingsPage } from './pages/settings';
import { subscriptionActions, subscriptionPage } from './pages/subscription';
import { cookieValue, sessionCookie, type SessionStore } from './sessions';

export interface ConsoleDeps {
  access: Pick<ReturnType<typeof createAccessCheck>, 'signIn' | 'authenticate' | 'authorize'>;
  sessions: SessionStore;
  links?: Partial<ConsoleLinks>;
  /** Mark the cookie Secure (set when a TLS proxy fronts the API; CONSOLE_SECURE_COOKIE). */
  secureCookie?: boolean;
  /** Clock for "today" (tests pin it). */
  now?: () => number;
}

type Handler = (ctx: ConsoleContext) => Promise<ConsoleAnswer>;

const ASSETS: Record<string, { type: string; body: string }> = {
  'console.css': { type: 'text/css; charset=utf-8', body: CONSOLE_CSS },
  'console.js': { type: 'text/javascript; charset=utf-8', body: CONSOLE_JS },
};

/** No inline script or style anywhere: the pages run under a strict policy. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'";

function securityHeaders(reply: FastifyReply): void {
  void reply
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('cache-control', 'no-store');
}

export async function consolePlugin(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  const now = deps.now ?? Date.now;
  const links: ConsoleLinks = { temporalNamespace: 'default', ...deps.links };
  const secure = deps.secureCookie ?? false;

  // HTML forms post urlencoded bodies; the API itself only speaks JSON (this parser lives in this plugin only).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, new URLSearchParams(body as string)));

  const errorPage = (reply: FastifyReply, principal: Principal | null, status: number, title: string, message: string, details: string[] = []) => {
    securityHeaders(reply);
    return reply
      .status(status)
      .type('text/html; charset=utf-8')
      .send(page({ title, principal, body: html`<h1>${title}</h1><p>${message}</p>${details.length ? html`<ul>${details.map((d) => html`<li>${d}</li>`)}</ul>` : null}<p><a href="/console">Back to the console</a></p>` }));
  };

  /** Registers a catalogued console route behind the session check and its role. */
  function route(method: 'GET' | 'POST', url: string, handler: Handler): void {
    const spec = consoleRoute(method, url);
    if (!spec) throw new Error(`console route ${method} ${url} has no entry in client/console/console-routes.ts`);
    app.route({
      method,
      url,
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const cookie = cookieValue(request.headers.cookie);
        let principal: Principal;
        try {
          if (!cookie) throw new HttpRefusal(401, 'sign in first');
          principal = await deps.access.authenticate(request);
          deps.access.authorize(principal, { role: spec.role, tag: 'console', summary: spec.summary } satisfies RouteSpec, request, url);
        } catch (e) {
          if (!(e instanceof HttpRefusal)) throw e;
          if (e.status === 401) {
            if (cookie) void reply.header('set-cookie', sessionCookie('', { secure, clear: true }));
            return reply.redirect(`/console/login${query({ next: method === 'GET' ? request.url : undefined })}`, 303);
          }
          return errorPage(reply, null, e.status, e.status === 403 ? 'Not allowed' : 'Too many attempts', e.message);
        }
        const ctx: ConsoleContext = {
          request,
          reply,
          principal,
          api: ownApi(request, cookie),
          params: (request.params ?? {}) as Record<string, string>,
          query: (request.query ?? {}) as Record<string, string>,
          form: request.body instanceof URLSearchParams ? request.body : new URLSearchParams(),
          links,
          today: isoDateOf(now()),
          ...(method === 'GET' ? { flash: deps.sessions.takeFlash(cookie) } : {}),
        };
        if (method === 'GET' && ctx.flash === undefined) delete ctx.flash;
        let answer: ConsoleAnswer;
        try {
          answer = await handler(ctx);
        } catch (e) {
          if (e instanceof ApiFailure) return errorPage(reply, principal, e.status, e.status === 403 ? 'Not allowed' : e.status === 404 ? 'Not found' : 'Something went wrong', e.message, e.problems);
          throw e;
        }
        if ('sent' in answer) return reply;
        if ('redirect' in answer) {
          if (answer.flash) deps.sessions.setFlash(cookie, answer.flash);
          return reply.redirect(answer.redirect, 303);
        }
        securityHeaders(reply);
        return reply.type('text/html; charset=utf-8').send(render(ctx, answer.page));
      },
    });
  }

  // ---- signing in and out ------------------------------------------------------------------
  app.get('/console/login', async (request, reply) => {
    securityHeaders(reply);
    const next = (request.query as Record<string, string>).next;
    return reply.type('text/html; charset=utf-8').send(loginPage({ ...(next ? { next } : {}) }));
  });
  app.post('/console/login', async (request, reply) => {
    securityHeaders(reply);
    const form = request.body instanceof URLSearchParams ? request.body : new URLSearchParams();
    const token = (form.get('token') ?? '').trim();
    const next = form.get('next') ?? '';
    const again = (status: number, error: string) => reply.status(status).type('text/html; charset=utf-8').send(loginPage({ error, ...(next ? { next } : {}) }));
    // Login CSRF: another site must not sign a browser in with its own token.
    if (!sameOrigin(request)) return again(403, 'Sign in from this page (the request did not come from the console itself).');
    if (!token) return again(400, 'Paste an API token (it starts with psat_).');
    try {
      await deps.access.signIn(token, request.ip);
    } catch (e) {
      if (e instanceof HttpRefusal) return again(e.status, e.message);
      throw e;
    }
    const value = deps.sessions.create(token);
    void reply.header('set-cookie', sessionCookie(value, { secure }));
    return reply.redirect(backTo(new URLSearchParams({ back: next }), '/console'), 303);
  });
  route('POST', '/console/logout', async (ctx) => {
    const cookie = cookieValue(ctx.request.headers.cookie);
    if (cookie) deps.sessions.destroy(cookie);
    void ctx.reply.header('set-cookie', sessionCookie('', { secure, clear: true }));
    return { redirect: '/console/login' };
  });
  app.get<{ Params: { file: string } }>('/console/assets/:file', async (request, reply) => {
    const asset = ASSETS[request.params.file];
    if (!asset) return reply.status(404).type('text/plain').send('no such asset');
    return reply.type(asset.type).header('cache-control', 'public, max-age=300').header('x-content-type-options', 'nosniff').send(asset.body);
  });

  // ---- pages and actions -------------------------------------------------------------------
  route('GET', '/console', homePage);
  route('GET', '/console/audit', auditPage);
  route('GET', '/console/connections/new', newConnectionPage);
  route('GET', '/console/c/:id/reconciliation', reconciliationPage);
  route('GET', '/console/c/:id/reconciliation.csv', reconciliationCsv);
  route('GET', '/console/c/:id/mapping', mappingPage);
  route('GET', '/console/c/:id/subscriptions/:pid', subscriptionPage);
  route('GET', '/console/c/:id/settings', settingsPage);
  for (const [key, handler] of Object.entries({ ...reconciliationActions, ...mappingActions, ...subscriptionActions, ...settingsActions })) {
    route('POST', key.slice('POST '.length), handler);
  }
}

/** Console routes the app must serve: every entry of CONSOLE_ROUTES (checked by test/console). */
export const CONSOLE_ROUTE_KEYS = Object.keys(CONSOLE_ROUTES);
