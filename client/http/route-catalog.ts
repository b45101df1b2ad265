/**
 * Every route of the admin API with who may call it, what it does and the zod schemas of its
 * input — one table, read three ways: the access check (client/http/access.ts), request
 * validation (the same schemas the operations parse with, so the API and the code cannot
 * disagree), and the OpenAPI document (client/http/openapi.ts). A route missing here stops
 * the API at start-up, so no route can be served without a role (docs/security.md).
 *
 * Roles: `viewer` reads; `operator` does the daily work (platform intake, events, mapping,
 * decisions, retries, syncs, runs); `admin` changes the set-up (connections, credentials,
 * rules, notification settings, schedules, tokens) and reads the audit log. `public` routes
 * describe the API and its health, nothing else.
 */
import { z, type ZodTypeAny } from 'zod';
import { CustomerSuggestQuerySchema, CreateRecordInputSchema, CustomersIntakeSchema, MapCustomerInputSchema, MapProductInputSchema, MapServiceInputSchema, MappingListQuerySchema, ProductSuggestQuerySchema, ProductsIntakeSchema, RulesPatchSchema } from '../../app/admin/mapping-service.schemas';
import { ReconciliationLogQuerySchema } from '../../app/admin/reconciliation-log';
import { CreateBundleInputSchema, DeleteBundleQuerySchema } from '../../app/admin/mapping-service.bundles';
import { RenewalsQuerySchema } from '../../app/admin/renewals';
import { UsageReportSchema } from '../../activities/seat-count/usage-counts';
import { AuditQuerySchema, CreateConnectionInputSchema, CreateTokenInputSchema, NotificationSettingsPatchSchema, PsaKindSchema, UpdateCredentialsInputSchema, type Role } from '../../activities/store';
import { CatalogPushInputSchema } from '../../activities/sync/service-catalog.activities';
import { isIsoDate } from '../../domain/dates';
import { PlatformEventSchema } from '../../domain/event-log';
import { DecisionRequestSchema } from '../../workflows/reconciliation-decisions';
import { SubscriptionReportSchema, SkipEventSchema } from '../../contracts/subscription';
import { AdoptionInputSchema, DriftAcceptInputSchema, DriftRestoreInputSchema } from '../../app/admin/mapping-service.owned-lines';
import { InvoiceIntakeSchema, InvoiceListQuerySchema } from './routes/invoices.routes';
import { ScheduleListQuerySchema } from './routes/schedules.routes';
import { SeatCountRunSchema, UsageMonthQuerySchema } from './routes/seat-count.routes';
import { SyncRunSchema } from './routes/sync.routes';
import { RunPageSchema } from './routes/reconciliation.routes';

export type Access = Role | 'public';

export interface RouteSpec {
  role: Access;
  /** OpenAPI tag (a section of the docs page). */
  tag: string;
  summary: string;
  body?: ZodTypeAny;
  query?: ZodTypeAny;
  /** The handler validates the body itself (a workflow's Update validator); the schema documents it. */
  bodyValidatedByHandler?: true;
  /** A POST that changes nothing (a preview): not written to the audit log. */
  readOnly?: true;
  /**
   * High-volume platform intake whose own record keeps every accepted message (a lifecycle event
   * in its subscription's event log and workflow history): only refusals and failures go to the
   * audit log, so it keeps showing what people did (docs/security.md "The audit log").
   */
  auditFailuresOnly?: true;
  /** About the calling token itself: open to tokens limited to connections too. */
  selfService?: true;
  /** Optional request headers the route reads (name → what it does), for the OpenAPI document. */
  headers?: Record<string, string>;
}

const ConnectionListQuerySchema = z.object({ psa: PsaKindSchema.optional() }).strict();
const PlanQuerySchema = z.object({
  asOf: z
    .string()
    .superRefine((v, ctx) => {
      if (!isIsoDate(v)) ctx.addIssue({ code: 'custom', message: `must be a calendar date YYYY-MM-DD (got ${v})` });
    })
    .optional(),
});

const mappingKind = (kind: 'customers' | 'products', what: string, suggest: ZodTypeAny, map: ZodTypeAny): Record<string, RouteSpec> => {
  const base = `/api/connections/:id/${kind}`;
  return {
    [`GET ${base}`]: { role: 'viewer', tag: 'mapping', summary: `${what}s with their mapping status (status may be a comma list)`, query: MappingListQuerySchema },
    [`GET ${base}/:pid/suggestions`]: { role: 'viewer', tag: 'mapping', summary: `PSA records closest to the ${what}, with a score 0–1`, query: suggest },
    [`POST ${base}/:pid/mapping`]: { role: 'operator', tag: 'mapping', summary: `Map the ${what} to an existing PSA record (map-only, or map-and-sync)`, body: map },
    [`POST ${base}/:pid/create`]: { role: 'operator', tag: 'mapping', summary: `Create the PSA record from the platform's values and map it`, body: CreateRecordInputSchema },
    [`DELETE ${base}/:pid/mapping`]: { role: 'operator', tag: 'mapping', summary: `Disconnect the ${what} (the PSA record stays)` },
  };
};

const decisions = Object.fromEntries(
  (['accept', 'reject', 'retry'] as const).map((d) => [
    `POST /api/connections/:connectionId/reconciliation/runs/:provider/:month/${d}`,
    {
      role: 'operator',
      tag: 'reconciliation',
      summary: { accept: 'Accept pending-review items: post cost and price to the PSA', reject: 'Reject pending-review items', retry: 'Retry failed / failed-review items' }[d] + ' (recorded under the token\'s name)',
      body: DecisionRequestSchema,
    } satisfies RouteSpec,
  ]),
);

export const ROUTE_CATALOG: Readonly<Record<string, RouteSpec>> = {
  'GET /api': { role: 'public', tag: 'about', summary: 'This index: the entry points and how to authenticate' },
  'GET /api/health': { role: 'public', tag: 'about', summary: 'Health of the API and of each dependency (MongoDB, Temporal); 503 names what is down' },
  'GET /api/openapi.json': { role: 'public', tag: 'about', summary: 'The OpenAPI 3 description of this API' },
  'GET /api/docs': { role: 'public', tag: 'about', summary: 'The API reference as a page' },
  'GET /api/whoami': { role: 'viewer', tag: 'access', summary: "The calling token's name, role and connections", selfService: true },

  'GET /api/tokens': { role: 'admin', tag: 'access', summary: 'API tokens (never the token itself); ?revoked=true lists revoked ones too', query: z.object({ revoked: z.enum(['true', 'false']).optional() }).strict() },
  'POST /api/tokens': { role: 'admin', tag: 'access', summary: 'Create a token (the answer is the only time it is shown)', body: CreateTokenInputSchema },
  'DELETE /api/tokens/:name': { role: 'admin', tag: 'access', summary: 'Revoke a token' },
  'GET /api/audit': { role: 'admin', tag: 'access', summary: 'The audit log of changes, newest first, filtered', query: AuditQuerySchema },

  'POST /api/connections': { role: 'admin', tag: 'connections', summary: 'Add a connection; its credentials are tested live first', body: CreateConnectionInputSchema },
  'GET /api/connections': { role: 'viewer', tag: 'connections', summary: 'List connections (never a secret)', query: ConnectionListQuerySchema },
  'GET /api/connections/:id': { role: 'viewer', tag: 'connections', summary: 'One connection' },
  'DELETE /api/connections/:id': { role: 'admin', tag: 'connections', summary: 'Delete a connection with its mapping records (409 while subscriptions are mapped)' },
  'POST /api/connections/:id/test': { role: 'operator', tag: 'connections', summary: 'Test the stored credentials against the PSA' },
  'PUT /api/connections/:id/credentials': { role: 'admin', tag: 'connections', summary: 'Change name, settings or secret (tested live before they replace the stored ones)', body: UpdateCredentialsInputSchema },
  'GET /api/connections/:id/rules': { role: 'viewer', tag: 'connections', summary: '§2 rules and field toggles, §7 one agreement per company' },
  'PUT /api/connections/:id/rules': { role: 'admin', tag: 'connections', summary: 'Change only the given rules / toggles', body: RulesPatchSchema },
  'GET /api/connections/:id/summary': { role: 'viewer', tag: 'connections', summary: 'Per kind: total, mapped, unmapped, failed' },

  ...mappingKind('customers', 'customer', CustomerSuggestQuerySchema, MapCustomerInputSchema),
  ...mappingKind('products', 'product', ProductSuggestQuerySchema, MapProductInputSchema),
  'GET /api/connections/:id/subscriptions': { role: 'viewer', tag: 'mapping', summary: 'Services (subscriptions) with their mapping status and commitment (term, commitment end, next renewal; null before the workflow recorded one)', query: MappingListQuerySchema },
  'GET /api/connections/:id/subscriptions/:pid/suggestions': { role: 'viewer', tag: 'mapping', summary: "The customer's company and agreements, each with the problems it would raise" },
  'POST /api/connections/:id/subscriptions/:pid/mapping': { role: 'operator', tag: 'mapping', summary: 'Map the service to an agreement; its workflow is told', body: MapServiceInputSchema },
  'DELETE /api/connections/:id/subscriptions/:pid/mapping': { role: 'operator', tag: 'mapping', summary: 'Unmap the service (lines already in the PSA stay)' },
  'POST /api/connections/:id/subscriptions/:pid/retry': { role: 'operator', tag: 'mapping', summary: 'Retry a failed sync' },
  'GET /api/connections/:id/bundles': { role: 'viewer', tag: 'mapping', summary: 'Bundles: several subscriptions billed through one PSA line (docs/billing-modes.md)', query: z.object({ limit: z.string().regex(/^\d+$/, 'must be a whole number').optional(), skip: z.string().regex(/^\d+$/, 'must be a whole number').optional() }).strict() },
  'POST /api/connections/:id/bundles': { role: 'operator', tag: 'mapping', summary: 'Create a bundle: its PSA line (company, agreement, catalog item / service), mode quantity-only | average | total, member subscriptions', body: CreateBundleInputSchema },
  'GET /api/connections/:id/bundles/:bundleId': { role: 'viewer', tag: 'mapping', summary: "A bundle with its workflow's state (members' values, the line's values, what the PSA holds)" },
  'DELETE /api/connections/:id/bundles/:bundleId': { role: 'operator', tag: 'mapping', summary: 'Delete a bundle: one that never billed releases its members; one that billed ends on the first of next month with ?force=true (409 without)', query: DeleteBundleQuerySchema },
  'POST /api/connections/:id/subscriptions/:pid/events/:eid/skip': {
    role: 'operator',
    tag: 'mapping',
    summary: 'Leave out an event that cannot apply (kept in the log with the reason and who); billing goes on',
    body: SkipEventSchema.pick({ reason: true }).strict(),
    bodyValidatedByHandler: true,
  },

  'GET /api/connections/:id/subscriptions/:pid/adoption': { role: 'viewer', tag: 'adopt and drift', summary: "Dry run: the hand-made line the subscription would take over at cutover, and what differs (?line= to choose one)", query: AdoptionInputSchema },
  'POST /api/connections/:id/subscriptions/:pid/adoption': { role: 'operator', tag: 'adopt and drift', summary: 'Take over the hand-made line: the next sync updates it instead of creating a second one', body: AdoptionInputSchema },
  'GET /api/connections/:id/adoption': { role: 'viewer', tag: 'adopt and drift', summary: 'Dry run of adoption for every mapped subscription of the connection' },
  'POST /api/connections/:id/adoption': { role: 'operator', tag: 'adopt and drift', summary: 'Take over every adoptable hand-made line of the connection' },
  'GET /api/connections/:id/subscriptions/:pid/drift': { role: 'viewer', tag: 'adopt and drift', summary: "The subscription's owned lines compared with the ledger now, and the last daily comparison" },
  'POST /api/connections/:id/subscriptions/:pid/drift/restore': { role: 'operator', tag: 'adopt and drift', summary: "Write the ledger's values back over drifted lines (all, or lineKey)", body: DriftRestoreInputSchema },
  'POST /api/connections/:id/subscriptions/:pid/drift/accept': { role: 'operator', tag: 'adopt and drift', summary: "Accept the PSA's quantity / price of a drifted line (recorded as events dated today)", body: DriftAcceptInputSchema },

  'PUT /api/platform/customers': { role: 'operator', tag: 'platform intake', summary: 'Upsert platform customers (1–1000)', body: CustomersIntakeSchema },
  'PUT /api/platform/products': { role: 'operator', tag: 'platform intake', summary: 'Upsert platform products (1–1000)', body: ProductsIntakeSchema },
  'POST /api/platform/invoices': { role: 'operator', tag: 'platform intake', summary: 'Deliver final reseller / customer invoices (1–1000), idempotent by invoice id; an amended invoice replaces it', body: InvoiceIntakeSchema },
  'GET /api/platform/invoices': { role: 'viewer', tag: 'platform intake', summary: "A billing month's invoices with their amendments", query: InvoiceListQuerySchema },
  'POST /api/connections/:id/subscriptions': { role: 'operator', tag: 'platform intake', summary: 'Report a subscription on a connection; its workflow starts', body: SubscriptionReportSchema },
  'POST /api/connections/:id/subscriptions/:pid/events': {
    role: 'operator',
    tag: 'platform intake',
    summary:
      'A lifecycle event { id, sequence?, type, date, ... }: 202 accepted / duplicate / queued, 400 invalid (which field, why), 409 the id was used for another event or the subscription is reported on another connection. ' +
      'With "Prefer: respond-async" the answer is 202 queued as soon as Temporal holds the event (no wait for the workflow; a reused id then shows in the state\'s rejectedMessages) — docs/platform-intake.md "Waiting or not"',
    body: PlatformEventSchema,
    bodyValidatedByHandler: true,
    auditFailuresOnly: true,
    headers: { Prefer: '"respond-async" (RFC 7240): answer 202 queued once Temporal holds the event instead of waiting for the workflow; the answer then carries "Preference-Applied: respond-async"' },
  },
  'GET /api/connections/:id/subscriptions/:pid/state': { role: 'viewer', tag: 'platform intake', summary: "The mapping document, the workflow's state and the recorded commitment" },
  'GET /api/connections/:id/renewals': { role: 'viewer', tag: 'mapping', summary: 'Subscriptions whose commitment ends within the next ?days=N (1–366, default the connection\'s renewal days): customer, product, quantity, commitment end, auto-renew, any decrease waiting for the renewal', query: RenewalsQuerySchema },
  'POST /api/connections/:id/usage': { role: 'operator', tag: 'platform intake', summary: 'Daily usage counts of a seat-count subscription (a day sent again replaces its count)', body: UsageReportSchema },
  'GET /api/connections/:id/usage/:subscriptionId': { role: 'viewer', tag: 'seat count', summary: "A month's counts, high-water mark and what is billed", query: UsageMonthQuerySchema },
  'POST /api/connections/:id/seat-count/run': { role: 'operator', tag: 'seat count', summary: 'Run the daily seat-count update now', body: SeatCountRunSchema },
  'POST /api/plan': { role: 'viewer', tag: 'plan', summary: 'Dry-run preview of a scenario (touches nothing)', query: PlanQuerySchema, readOnly: true },

  'GET /api/connections/:id/notifications': { role: 'viewer', tag: 'operations', summary: '§8 notification preferences' },
  'PUT /api/connections/:id/notifications': { role: 'admin', tag: 'operations', summary: 'Change notification preferences', body: NotificationSettingsPatchSchema },
  'POST /api/connections/:id/notifications/send-now': { role: 'operator', tag: 'operations', summary: "Run today's digest now" },
  'POST /api/schedules/apply': { role: 'admin', tag: 'operations', summary: 'Create / update / delete the Schedules the connections imply' },
  'GET /api/schedules': { role: 'viewer', tag: 'operations', summary: 'Our Schedules with next and recent runs', query: ScheduleListQuerySchema },
  'POST /api/sync': { role: 'operator', tag: 'operations', summary: 'Global sync now: every connection, one, or one record', body: SyncRunSchema },
  'POST /api/connections/:id/catalog/push': { role: 'operator', tag: 'operations', summary: '§7 service catalog push (Autotask)', body: CatalogPushInputSchema },
  'GET /api/connections/:id/catalog': { role: 'viewer', tag: 'operations', summary: "Each plan's catalog push status" },

  'GET /api/connections/:connectionId/reconciliation/log': { role: 'viewer', tag: 'reconciliation', summary: 'Reconciliation log rows (with invoice amendments)', query: ReconciliationLogQuerySchema },
  'GET /api/connections/:connectionId/reconciliation/log.csv': { role: 'viewer', tag: 'reconciliation', summary: 'The reconciliation log as CSV', query: ReconciliationLogQuerySchema },
  'GET /api/connections/:connectionId/reconciliation/runs/:provider/:month': { role: 'viewer', tag: 'reconciliation', summary: "A run's state: counts per status, its chunks, and one page of items (offset, limit ≤ 500) with status, reason and decision", query: RunPageSchema },
  'POST /api/connections/:connectionId/reconciliation/runs/:provider/:month': { role: 'operator', tag: 'reconciliation', summary: "Start the month's run now (or find the one going)" },
  ...decisions,
};

/** `GET /api/x` for a method and a route pattern. */
export const routeKey = (method: string, url: string): string => `${method.toUpperCase()} ${url}`;

/** The connection a route acts on: its `:id` under /api/connections, or `:connectionId`. */
export function connectionParam(url: string): 'id' | 'connectionId' | null {
  if (url.includes(':connectionId')) return 'connectionId';
  return url.startsWith('/api/connections/:id') ? 'id' : null;
}

/** A route that changes something (audited). */
export const isMutating = (method: string, spec: RouteSpec): boolean => !['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase()) && !spec.readOnly;
