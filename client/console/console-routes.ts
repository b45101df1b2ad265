/**
 * Every page and action of the console with the role it needs — the console's part of the
 * route catalog (client/http/route-catalog.ts). An action that changes something names the API
 * routes it carries out and takes the highest of their roles, so the console can never allow
 * what the API refuses; the API checks again when the action calls it (and audits it). A
 * console route missing here stops the API at start-up, like an API route without an entry.
 */
import { roleAtLeast, type Role } from '../../activities/store';
import { ROUTE_CATALOG, type Access } from '../http/route-catalog';

export interface ConsoleRoute {
  role: Access;
  summary: string;
  /** The API routes the action calls (`POST /api/...`). */
  api?: readonly string[];
}

/** The highest role among API routes (each must exist in the API's catalog). */
export function roleOfApi(keys: readonly string[]): Role {
  let role: Role = 'viewer';
  for (const k of keys) {
    const spec = ROUTE_CATALOG[k];
    if (!spec || spec.role === 'public') throw new Error(`console action calls ${k}, which is not a non-public route of the API catalog`);
    if (!roleAtLeast(role, spec.role)) role = spec.role;
  }
  return role;
}

const action = (summary: string, ...api: string[]): ConsoleRoute => ({ role: roleOfApi(api), summary, api });
const RUN = '/api/connections/:connectionId/reconciliation/runs/:provider/:month';

export const CONSOLE_ROUTES: Readonly<Record<string, ConsoleRoute>> = {
  'GET /': { role: 'public', summary: 'Leads to the console' },
  'GET /console/login': { role: 'public', summary: 'Sign-in page: paste an API token' },
  'POST /console/login': { role: 'public', summary: 'Sign in: the token is checked like an API call (throttled), then kept server-side behind a session cookie' },
  'GET /console/assets/:file': { role: 'public', summary: 'The stylesheet and the enhancement script' },
  'POST /console/logout': { role: 'viewer', summary: 'Sign out (ends the session)' },
  'GET /console': { role: 'viewer', summary: 'Connections with what needs attention' },
  'GET /console/audit': { role: 'admin', summary: 'The audit log' },
  'GET /console/connections/new': { role: 'admin', summary: 'Form: add a connection' },
  'POST /console/connections': action('Add a connection (credentials tested before it is saved)', 'POST /api/connections'),
  'POST /console/schedules/apply': action('Apply the schedules', 'POST /api/schedules/apply'),

  'GET /console/c/:id/reconciliation': { role: 'viewer', summary: 'Reconciliation review of a month' },
  'GET /console/c/:id/reconciliation.csv': { role: 'viewer', summary: 'The current review view as CSV' },
  'POST /console/c/:id/reconciliation/decide': action('Accept, reject or retry items with a note', `POST ${RUN}/accept`, `POST ${RUN}/reject`, `POST ${RUN}/retry`),
  'POST /console/c/:id/reconciliation/start': action("Start (or find) a month's run", `POST ${RUN}`),

  'GET /console/c/:id/mapping': { role: 'viewer', summary: 'Mapping workbench: customers, products, subscriptions' },
  'POST /console/c/:id/mapping/:kind/map': action('Map one or many customers / products', 'POST /api/connections/:id/customers/:pid/mapping', 'POST /api/connections/:id/products/:pid/mapping'),
  'POST /console/c/:id/mapping/:kind/create': action('Create the company / catalog item in the PSA and map it', 'POST /api/connections/:id/customers/:pid/create', 'POST /api/connections/:id/products/:pid/create'),
  'POST /console/c/:id/mapping/:kind/disconnect': action('Disconnect a mapping', 'DELETE /api/connections/:id/customers/:pid/mapping', 'DELETE /api/connections/:id/products/:pid/mapping', 'DELETE /api/connections/:id/subscriptions/:pid/mapping'),
  'POST /console/c/:id/mapping/subscriptions/map': action('Map subscriptions to their agreement', 'POST /api/connections/:id/subscriptions/:pid/mapping'),

  'GET /console/c/:id/subscriptions/:pid': { role: 'viewer', summary: 'A subscription: timeline, PSA lines, events, next invoice' },
  'POST /console/c/:id/subscriptions/:pid/skip': action('Skip an event with a reason', 'POST /api/connections/:id/subscriptions/:pid/events/:eid/skip'),
  'POST /console/c/:id/subscriptions/:pid/retry': action('Retry the failed step', 'POST /api/connections/:id/subscriptions/:pid/retry'),

  'GET /console/c/:id/settings': { role: 'viewer', summary: 'A connection: rules, field toggles, schedules, notifications' },
  'POST /console/c/:id/rules': action('Change rules and field toggles', 'PUT /api/connections/:id/rules'),
  'POST /console/c/:id/notifications': action('Change notification settings', 'PUT /api/connections/:id/notifications'),
  'POST /console/c/:id/test': action('Test the stored credentials', 'POST /api/connections/:id/test'),
};

/** `GET /console/x` → its entry, or undefined. */
export const consoleRoute = (method: string, url: string): ConsoleRoute | undefined => CONSOLE_ROUTES[`${method.toUpperCase()} ${url}`];
