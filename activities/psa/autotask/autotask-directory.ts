/**
 * Autotask's directory: the credentials test, the companies, services (the catalog) and
 * recurring-service contracts subscriptions are mapped to, the global sync's record updates,
 * and the service catalog push (docs/billing-rules.md §7).
 */
import { moneyToJsonNumber } from '../../../domain/money';
import { nameSimilarity, rankByName, searchFragments } from '../../../domain/name-match';
import { psaDateField, psaOptionalDateField, type Logger } from '../http';
import type { AgreementSummary, CatalogMatch, CompanyMatch, PsaDirectory, RecordUpdateResult } from '../psa-gateway.port';
import { PsaSetupError } from '../psa-setup-error';
import type { AutotaskClient } from './autotask-client';
import { q, type Filter } from './autotask-query';
import { companySchema, contractSchema, resourceSchema, serviceSchema } from './autotask-schemas';
import { CONCEPTS, exactLabel, RECURRING_SERVICE_CONTRACT_TYPE, type Picklists } from './picklists';
import { pushServiceCatalog, type ServicePlan, type ServicePushResult } from './service-catalog-push';

export interface AutotaskDirectoryDeps {
  client: AutotaskClient;
  picklists: Picklists;
  logger: Logger;
  /** Billing code of services created by createCatalogItem. */
  serviceBillingCodeId: () => Promise<number>;
  /** Fields Autotask requires on a new company that the connector does not know. */
  companyDefaults?: { ownerResourceId?: number; phone?: string; companyTypeLabel?: string };
}

export interface AutotaskDirectory extends PsaDirectory {
  /** Service catalog push (docs/billing-rules.md §7). */
  pushServiceCatalog(plans: readonly ServicePlan[]): Promise<ServicePushResult[]>;
}

/**
 * Pieces worth a `contains` filter: fragments of the scorer's words (a typo spoils at most one
 * half of a word, so "Umbrela Helth" still finds "Umbrella Health"), short ones dropped, a few
 * at most. Ranking the rows is nameSimilarity's job.
 */
const searchWords = (name: string): string[] => searchFragments(name).filter((t) => t.length >= 3).slice(0, 8);

export function createAutotaskDirectory(deps: AutotaskDirectoryDeps): AutotaskDirectory {
  const { client, picklists, logger } = deps;
  return {
    async testCredentials() {
      await client.thresholdInformation();
    },

    async findCompanies(name, limit = 10) {
      const words = searchWords(name);
      const filter: Filter[] = [
        words.length > 1 ? q.or(...words.map((w) => q.contains('companyName', w))) : q.contains('companyName', words[0] ?? name.trim()),
      ];
      const rows = await client.query('Companies', { filter }, companySchema, 500);
      return rankByName(name, rows, (c) => c.companyName)
        .slice(0, limit)
        .map(({ item: c, score }): CompanyMatch => ({ id: c.id, name: c.companyName, ...(c.companyNumber ? { identifier: c.companyNumber } : {}), score }));
    },

    async createCompany(input) {
      const defaults = deps.companyDefaults ?? {};
      const ownerResourceID =
        defaults.ownerResourceId ??
        (await client.query('Resources', { filter: [q.eq('isActive', true)], MaxRecords: 1 }, resourceSchema, 1))[0]?.id;
      if (ownerResourceID === undefined) throw new PsaSetupError('Autotask has no active resource to own new companies; set companyDefaults.ownerResourceId');
      const id = await client.create('/Companies', {
        companyName: input.name,
        ...(input.identifier ? { companyNumber: input.identifier } : {}),
        companyType: await picklists.valueOf('Companies', 'companyType', defaults.companyTypeLabel ? exactLabel(defaults.companyTypeLabel) : CONCEPTS.customer),
        phone: defaults.phone ?? '000-000-0000',
        ownerResourceID,
        isActive: true,
      });
      return { id };
    },

    async findCatalogItems(query, limit = 10) {
      const alternatives: Filter[] = [
        ...(query.partNumber ? [q.eq('sku', query.partNumber)] : []),
        ...(query.name ? searchWords(query.name).map((w) => q.contains('name', w)) : []),
      ];
      if (alternatives.length === 0) return [];
      const rows = await client.query('Services', { filter: [alternatives.length > 1 ? q.or(...alternatives) : alternatives[0]!] }, serviceSchema, 500);
      return rows
        .map((s): CatalogMatch => ({
          id: s.id,
          name: s.name,
          ...(s.sku ? { partNumber: s.sku } : {}),
          score: query.partNumber && s.sku?.toLowerCase() === query.partNumber.toLowerCase() ? 1 : query.name ? nameSimilarity(query.name, s.name) : 0,
        }))
        .sort((a, b) => b.score - a.score || a.id - b.id)
        .slice(0, limit);
    },

    async createCatalogItem(input) {
      const id = await client.create('/Services', {
        name: input.name,
        sku: input.partNumber,
        ...(input.description ? { description: input.description } : {}),
        unitPrice: moneyToJsonNumber(input.unitPrice),
        unitCost: moneyToJsonNumber(input.unitCost),
        periodType: await picklists.valueOf('Services', 'periodType', CONCEPTS[input.periodType]),
        billingCodeID: await deps.serviceBillingCodeId(),
        isActive: true,
      });
      return { id };
    },

    // Global sync: PATCH only the given fields. Autotask keeps the country as a countryID
    // reference and the provider as a vendor company; neither is resolved by name here, so
    // they are reported `unsupported` rather than written wrongly.
    async updateCompany(companyId, f): Promise<RecordUpdateResult> {
      const fields = {
        companyName: f.name,
        address1: f.address,
        city: f.city,
        state: f.state,
        postalCode: f.zip,
      };
      const names = { companyName: 'name', address1: 'address', city: 'city', state: 'state', postalCode: 'zip' } as const;
      const body = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
      if (Object.keys(body).length) await client.update('/Companies', { id: companyId, ...body });
      return { written: Object.keys(body).map((k) => names[k as keyof typeof names]), unsupported: f.country === undefined ? [] : ['country'] };
    },

    async updateCatalogItem(serviceId, f): Promise<RecordUpdateResult> {
      const fields = {
        name: f.name,
        description: f.description,
        sku: f.partNumber,
        unitPrice: f.unitPrice === undefined ? undefined : moneyToJsonNumber(f.unitPrice),
        unitCost: f.unitCost === undefined ? undefined : moneyToJsonNumber(f.unitCost),
      };
      const names = { name: 'name', description: 'description', sku: 'partNumber', unitPrice: 'unitPrice', unitCost: 'unitCost' } as const;
      const body = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
      if (Object.keys(body).length) await client.update('/Services', { id: serviceId, ...body });
      return { written: Object.keys(body).map((k) => names[k as keyof typeof names]), unsupported: f.provider === undefined ? [] : ['provider'] };
    },

    async listAgreements(companyId) {
      const rows = await client.query(
        'Contracts',
        { filter: [q.eq('companyID', companyId), q.eq('contractType', RECURRING_SERVICE_CONTRACT_TYPE)] },
        contractSchema,
      );
      const out: AgreementSummary[] = [];
      for (const c of rows) {
        const period = c.contractPeriodType;
        const periodType =
          period == null ? null
          : (await picklists.is('Contracts', 'contractPeriodType', period, CONCEPTS.monthly)) ? 'monthly'
          : (await picklists.is('Contracts', 'contractPeriodType', period, CONCEPTS.yearly)) ? 'yearly'
          : null;
        // The connector bills monthly or yearly; quarterly/semi-annual contracts are not offered.
        if (!periodType) continue;
        const where = `/Contracts/${c.id}`;
        out.push({
          id: c.id,
          name: c.contractName,
          companyId: c.companyID,
          startDate: psaDateField('autotask', 'startDate', c.startDate, where),
          endDate: psaOptionalDateField('autotask', 'endDate', c.endDate, where),
          periodType,
        });
      }
      return out;
    },

    pushServiceCatalog: (plans) => pushServiceCatalog({ client, picklists, logger }, plans),
  };
}
