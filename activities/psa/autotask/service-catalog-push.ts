/**
 * Service catalog push (docs/billing-rules.md §7, the Datto Workplace flow): the vendor's plans
 * become Autotask Services with a unique name, unit cost, unit price, period and billing code.
 * All plans are pushed together. Names are checked up front — against each other and against
 * Autotask's services — and a clash fails the whole push naming the clashing name, before
 * anything is written. Each plan then ends `synced` or `error`; `not-synced` marks plans not
 * attempted because the push stopped (Autotask refused our credentials or our request budget).
 *
 * A service we pushed carries the plan's key in `externalID`: pushing again updates it (the
 * push owns those fields, as in the Datto flow), while a same-named service without our key
 * is the MSP's own and is never overwritten.
 */
import { moneyToJsonNumber, type Money } from '../../../domain/money';
import { PsaError, type Logger } from '../http';
import type { AutotaskClient } from './autotask-client';
import { q } from './autotask-query';
import { serviceSchema, type AtServiceRow } from './autotask-schemas';
import { CONCEPTS, type Picklists } from './picklists';

export interface ServicePlan {
  /** Stable plan id; stored in the Autotask service's `externalID`. */
  key: string;
  name: string;
  description?: string;
  unitCost: Money;
  unitPrice: Money;
  periodType: 'monthly' | 'yearly';
  billingCodeId: number;
}

export type ServiceSyncStatus = 'not-synced' | 'synced' | 'error';

export interface ServicePushResult {
  key: string;
  name: string;
  status: ServiceSyncStatus;
  serviceId?: number;
  error?: string;
}

const norm = (name: string) => name.trim().toLowerCase();

function nameClash(message: string): PsaError {
  return new PsaError({ psa: 'autotask', kind: 'validation', method: 'POST', path: '/Services', psaMessage: message });
}

export async function pushServiceCatalog(
  deps: { client: AutotaskClient; picklists: Picklists; logger: Logger },
  plans: readonly ServicePlan[],
): Promise<ServicePushResult[]> {
  const { client, picklists } = deps;
  const seen = new Map<string, ServicePlan>();
  for (const plan of plans) {
    const other = seen.get(norm(plan.name));
    if (other) throw nameClash(`service name "${plan.name}" is used by plans ${other.key} and ${plan.key}; names must be unique`);
    seen.set(norm(plan.name), plan);
  }
  if (plans.length === 0) return [];

  const existing = await client.query(
    'Services',
    { filter: [q.or(q.in('name', plans.map((p) => p.name.trim())), q.in('externalID', plans.map((p) => p.key)))] },
    serviceSchema,
  );
  const ours = new Map(existing.filter((s) => s.externalID).map((s) => [s.externalID!, s]));
  for (const plan of plans) {
    const sameName = existing.find((s) => norm(s.name) === norm(plan.name) && s.externalID !== plan.key);
    if (sameName) throw nameClash(`service name "${plan.name}" already exists in Autotask (service ${sameName.id}); names must be unique`);
  }

  const periodType = {
    monthly: await picklists.valueOf('Services', 'periodType', CONCEPTS.monthly),
    yearly: await picklists.valueOf('Services', 'periodType', CONCEPTS.yearly),
  };
  const results: ServicePushResult[] = plans.map((p) => ({ key: p.key, name: p.name, status: 'not-synced' }));
  for (const [i, plan] of plans.entries()) {
    const fields = {
      name: plan.name.trim(),
      description: plan.description ?? null,
      unitCost: moneyToJsonNumber(plan.unitCost),
      unitPrice: moneyToJsonNumber(plan.unitPrice),
      periodType: periodType[plan.periodType],
      billingCodeID: plan.billingCodeId,
      externalID: plan.key,
    };
    const current: AtServiceRow | undefined = ours.get(plan.key);
    try {
      const serviceId = current
        ? await client.update('/Services', { id: current.id, ...fields })
        : await client.create('/Services', { ...fields, isActive: true });
      results[i] = { key: plan.key, name: plan.name, status: 'synced', serviceId };
    } catch (error) {
      if (!(error instanceof PsaError)) throw error;
      results[i] = { key: plan.key, name: plan.name, status: 'error', error: error.message };
      deps.logger.warn('autotask service push failed', { plan: plan.key, kind: error.kind });
      // Nothing else can succeed without credentials or request budget: leave the rest not-synced.
      if (error.kind === 'auth' || error.kind === 'forbidden' || error.kind === 'rate-limited') break;
    }
  }
  return results;
}
