/**
 * §7 service catalog push (Autotask; seed 002, the Datto Workplace flow): the vendor's plans
 * become Autotask Services — unique name, unit cost, unit price, period, billing code — all
 * pushed together by the Autotask gateway's `pushServiceCatalog`. Each plan's last outcome is
 * kept per connection as `not-synced` | `synced` | `error` (with the message), so the admin can
 * list them. A name clash fails the whole push before anything is written, naming the name;
 * every plan of that push is then `error` with that message.
 *
 * Plans default to the platform's products (key = product id, name, description, price, cost,
 * billing frequency), all with the one billing code the admin gives.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from 'mongodb';
import { z } from 'zod';
import { MoneySchema } from '../../domain/schemas';
import type { AutotaskGateway } from '../psa/autotask/autotask-gateway';
import type { ServicePlan, ServicePushResult, ServiceSyncStatus } from '../psa/autotask/service-catalog-push';
import type { GatewayRegistry } from '../psa/gateway-registry';
import { isPsaError } from '../psa/http';
import { withFailureTypes } from '../psa-failure';
import { parseInput, StoreInputError, type PlatformProduct, type Store } from '../store';

export const SERVICE_CATALOG_STATUS = 'service_catalog_status';

const ServicePlanSchema = z
  .object({
    key: z.string({ required_error: 'is required' }).min(1, 'must not be empty').max(100, 'is too long'),
    name: z.string({ required_error: 'is required' }).trim().min(1, 'must not be empty').max(100, 'is too long'),
    description: z.string().max(2000, 'is too long').optional(),
    unitCost: MoneySchema,
    unitPrice: MoneySchema,
    periodType: z.enum(['monthly', 'yearly'], { errorMap: () => ({ message: 'must be "monthly" or "yearly"' }) }),
    billingCodeId: z.number({ required_error: 'is required', invalid_type_error: 'must be a number' }).int('must be a whole number').positive('must be positive'),
  })
  .strict();

/** `plans`, or every platform product with `billingCodeId`. */
export const CatalogPushInputSchema = z
  .object({
    plans: z.array(ServicePlanSchema).max(1000, 'at most 1000 plans').optional(),
    billingCodeId: z.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').positive('must be positive').optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (!v.plans && v.billingCodeId === undefined) ctx.addIssue({ code: 'custom', path: ['billingCodeId'], message: 'is required when no plans are given (plans default to the platform products)' });
  });
export type CatalogPushInput = z.input<typeof CatalogPushInputSchema>;

export interface ServiceStatusRow {
  key: string;
  name: string;
  status: ServiceSyncStatus;
  serviceId?: number;
  error?: string;
  updatedAt: string;
}

interface StatusDoc { _id: string; connectionId: string; key: string; name: string; status: ServiceSyncStatus; serviceId?: number; error?: string; updatedAt: Date }

export interface ServiceCatalogDeps {
  store: Store;
  gateways: GatewayRegistry;
  /** Where per-plan statuses are kept; absent on workers without a database handle. */
  db?: Db;
  now?: () => Date;
}

/** The push and status list with plain errors (the admin API maps them to 400/404/409/502). */
export function createServiceCatalog(deps: ServiceCatalogDeps) {
  const now = deps.now ?? (() => new Date());
  const statuses = () => {
    if (!deps.db) throw ApplicationFailure.nonRetryable('this process was started without a database for catalog statuses', 'CatalogNotConfigured');
    return deps.db.collection<StatusDoc>(SERVICE_CATALOG_STATUS);
  };

  async function allProducts(): Promise<PlatformProduct[]> {
    const out: PlatformProduct[] = [];
    for (let skip = 0; ; skip += 1000) {
      const page = await deps.store.platform.listProducts({ skip, limit: 1000 });
      out.push(...page.items);
      if (page.items.length < 1000) return out;
    }
  }

  async function save(connectionId: string, rows: ServicePushResult[]): Promise<void> {
    const at = now();
    for (const r of rows) {
      const doc: Omit<StatusDoc, '_id'> = { connectionId, key: r.key, name: r.name, status: r.status, updatedAt: at, ...(r.serviceId !== undefined ? { serviceId: r.serviceId } : {}), ...(r.error ? { error: r.error } : {}) };
      await statuses().replaceOne({ _id: JSON.stringify([connectionId, r.key]) }, doc, { upsert: true });
    }
  }

  return {
    /** Pushes every plan (§7: all together); returns each plan's status. A name clash fails the push. */
    async pushServiceCatalog(input: { connectionId: string } & CatalogPushInput): Promise<ServicePushResult[]> {
      const { connectionId, ...rest } = input;
      const body = parseInput(CatalogPushInputSchema, rest);
      const gateway = await deps.gateways.forConnection(connectionId);
      if (gateway.psa !== 'autotask') throw new StoreInputError([{ path: 'connectionId', message: `is a ${gateway.psa} connection; the service catalog push is for Autotask only` }]);
      const plans: ServicePlan[] =
        body.plans ??
        (await allProducts()).map((p) => ({
          key: p.id, name: p.name, ...(p.description ? { description: p.description } : {}),
          unitCost: p.unitCost, unitPrice: p.unitPrice, periodType: p.billingFrequency, billingCodeId: body.billingCodeId!,
        }));
      // Known before the push: everything not yet synced.
      await save(connectionId, plans.map((p) => ({ key: p.key, name: p.name, status: 'not-synced' as const })));
      try {
        const results = await (gateway as AutotaskGateway).pushServiceCatalog(plans);
        await save(connectionId, results);
        return results;
      } catch (e) {
        if (isPsaError(e) && e.kind === 'validation') {
          const message = e.psaMessage ?? e.message;
          await save(connectionId, plans.map((p) => ({ key: p.key, name: p.name, status: 'error' as const, error: message })));
        }
        throw e;
      }
    },

    /** Every plan's last status on a connection, by name. */
    async serviceCatalogStatus(input: { connectionId: string }): Promise<ServiceStatusRow[]> {
      const docs = await statuses().find({ connectionId: input.connectionId }).sort({ name: 1, key: 1 }).toArray();
      return docs.map((d) => ({
        key: d.key, name: d.name, status: d.status, updatedAt: d.updatedAt.toISOString(),
        ...(d.serviceId !== undefined ? { serviceId: d.serviceId } : {}), ...(d.error ? { error: d.error } : {}),
      }));
    },
  };
}

export type ServiceCatalog = ReturnType<typeof createServiceCatalog>;

/** The same, as activities: refusals become non-retryable failures (withFailureTypes). */
export function createServiceCatalogActivities(deps: ServiceCatalogDeps) {
  const catalog = createServiceCatalog(deps);
  return {
    pushServiceCatalog: (input: Parameters<ServiceCatalog['pushServiceCatalog']>[0]) => withFailureTypes(() => catalog.pushServiceCatalog(input)),
    serviceCatalogStatus: (input: { connectionId: string }) => withFailureTypes(() => catalog.serviceCatalogStatus(input)),
  };
}

export type ServiceCatalogActivities = ReturnType<typeof createServiceCatalogActivities>;
