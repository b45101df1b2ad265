/**
 * ConnectWise's directory: the credentials test, the companies, catalog items and agreements
 * subscriptions are mapped to, and the global sync's record updates. Creates that may have
 * landed without our hearing of it are looked up once by identifier (journaled-write.ts).
 */
import { PsaSetupError } from '../psa-setup-error';
import { moneyToJsonNumber } from '../../../domain/money';
import { nameSimilarity, searchFragments } from '../../../domain/name-match';
import { PsaError } from '../http/psa-error';
import { psaOptionalDateField } from '../http/psa-dates';
import { writeOrAdopt } from '../journaled-write';
import type { Logger } from '../http/logger';
import type { AgreementSummary, CatalogItemUpdate, CatalogMatch, CompanyMatch, CompanyUpdate, PsaDirectory, PsaGateway, RecordUpdateResult } from '../psa-gateway.port';
import type { ConnectWiseClient } from './connectwise-client';
import type { CwAgreement, CwPatchOp } from './schemas';

export interface ConnectWiseDirectoryDeps {
  logger: Logger;
  /** Catalog items are created in this subcategory and product type (default: the first of each list). */
  catalogDefaults?: { subcategoryId?: number; typeId?: number };
  /**
   * Extra fields for company creation. ConnectWise requires at least one address field on
   * create and the port only carries a name, so a placeholder address line is sent by default.
   */
  companyDefaults?: Record<string, unknown>;
}

/** Most candidates fetched when ranking companies or catalog items by name. */
const CANDIDATE_LIMIT = 500;
const MAX_SEARCH_WORDS = 5;
/** CatalogItem `identifier`: published maximum 75 (test/fixtures/vendor/connectwise). */
const CATALOG_IDENTIFIER_MAX = 75;

const quote = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * `name contains "f1" or name contains "f2"`: a server-side pre-filter, ranked locally. Word
 * fragments rather than whole words, so a typo ("Inittech", "Umbrela Helth") still finds the
 * company: a typo spoils at most one half of a word (searchFragments).
 */
const wordConditions = (field: string, text: string): string | undefined => {
  const words = searchFragments(text).filter((w) => w.length >= 2).slice(0, 2 * MAX_SEARCH_WORDS);
  return words.length ? words.map((w) => `${field} contains ${quote(w)}`).join(' or ') : undefined;
};

/** port field → [ConnectWise field, value]; references (country, manufacturer) go by name. */
function patchFrom(entries: Array<[string, string, unknown] | null>): { patch: CwPatchOp[]; written: string[] } {
  const present = entries.filter((e): e is [string, string, unknown] => e !== null && e[2] !== undefined);
  return { patch: present.map(([, path, value]) => ({ op: 'replace' as const, path, value })), written: present.map(([f]) => f) };
}

function toSummary(a: CwAgreement): AgreementSummary {
  const where = `/finance/agreements/${a.id}`;
  const dateOf = (field: string, value: string | null | undefined) => psaOptionalDateField('connectwise', field, value, where);
  // Additions may not start before the billing start date, so that is the start that matters (§4 rule 1).
  const startDate = dateOf('billStartDate', a.billStartDate) ?? dateOf('startDate', a.startDate);
  if (!startDate) throw new PsaError({ psa: 'connectwise', kind: 'protocol', method: 'GET', path: where, psaMessage: 'agreement has no start date' });
  return {
    id: a.id,
    name: a.name,
    companyId: a.company.id,
    startDate,
    endDate: dateOf('endDate', a.endDate),
    periodType: /annual|year/i.test(a.billingCycle?.name ?? '') ? 'yearly' : 'monthly',
  };
}

export function createConnectWiseDirectory(client: ConnectWiseClient, deps: ConnectWiseDirectoryDeps): PsaDirectory {
  /** The id of the record whose identifier is exactly this (asked for its id only). */
  const idByIdentifier = (ids: (conditions: string, max: number) => Promise<number[]>, identifier: string) => async (): Promise<{ id: number } | null> => {
    const [id] = await ids(`identifier = ${quote(identifier)}`, 1);
    return id === undefined ? null : { id };
  };

  async function findCompanies(name: string, limit = 10): Promise<CompanyMatch[]> {
    const companies = await client.companies.listAll(
      { conditions: wordConditions('name', name), fields: 'id,identifier,name', orderBy: 'id asc' },
      CANDIDATE_LIMIT,
    );
    return companies
      .map((c) => ({ id: c.id, name: c.name, identifier: c.identifier, score: Math.max(nameSimilarity(name, c.name), nameSimilarity(name, c.identifier)) }))
      .filter((m) => m.score > 0)
      .sort((a, b) => b.score - a.score || a.id - b.id)
      .slice(0, limit);
  }

  async function createCompany(input: { name: string; identifier?: string }): Promise<{ id: number }> {
    const identifier = (input.identifier ?? input.name.toUpperCase().replace(/[^A-Z0-9]+/g, '')).slice(0, 30) || 'COMPANY';
    // Asked for its id only: the record may lack what a full company parse would insist on.
    return writeOrAdopt(
      async () => ({ id: (await client.companies.create({ addressLine1: '-', ...deps.companyDefaults, identifier, name: input.name.slice(0, 50) })).id }),
      idByIdentifier(client.companies.ids, identifier),
      { logger: deps.logger, what: 'connectwise company create' },
    );
  }

  async function findCatalogItems(query: { name?: string; partNumber?: string }, limit = 10): Promise<CatalogMatch[]> {
    const parts: string[] = [];
    if (query.partNumber) parts.push(`identifier = ${quote(query.partNumber)}`, `manufacturerPartNumber = ${quote(query.partNumber)}`);
    const words = query.name ? wordConditions('description', query.name) : undefined;
    if (words) parts.push(words);
    const items = await client.catalog.listAll(
      { conditions: parts.length ? parts.join(' or ') : undefined, fields: 'id,identifier,description,manufacturer,manufacturerPartNumber', orderBy: 'id asc' },
      CANDIDATE_LIMIT,
    );
    const pn = query.partNumber?.toLowerCase();
    return items
      .map((i) => {
        const partHit = !!pn && (i.identifier.toLowerCase() === pn || i.manufacturerPartNumber?.toLowerCase() === pn);
        const score = Math.max(partHit ? 1 : 0, query.name ? nameSimilarity(query.name, i.description) : 0);
        return {
          id: i.id,
          name: i.description,
          partNumber: i.identifier,
          ...(i.manufacturer?.name ? { manufacturer: i.manufacturer.name } : {}),
          score,
        };
      })
      .filter((m) => m.score > 0)
      .sort((a, b) => b.score - a.score || a.id - b.id)
      .slice(0, limit);
  }

  let catalogRefs: Promise<{ subcategoryId: number; typeId: number }> | undefined;
  const resolveCatalogRefs = (): Promise<{ subcategoryId: number; typeId: number }> =>
    (catalogRefs ??= (async () => {
      const subcategoryId = deps.catalogDefaults?.subcategoryId ?? (await client.subcategories())[0]?.id;
      const typeId = deps.catalogDefaults?.typeId ?? (await client.productTypes())[0]?.id;
      if (subcategoryId === undefined || typeId === undefined) {
        throw new PsaSetupError('ConnectWise has no product subcategory or type to create catalog items in; set catalogDefaults');
      }
      return { subcategoryId, typeId };
    })().catch((error: unknown) => {
      catalogRefs = undefined; // a transient failure must not stick
      throw error;
    }));

  async function createCatalogItem(input: Parameters<PsaGateway['createCatalogItem']>[0]): Promise<{ id: number }> {
    const refs = await resolveCatalogRefs();
    const identifier = input.partNumber.slice(0, CATALOG_IDENTIFIER_MAX);
    return writeOrAdopt(
      async () => {
        const item = await client.catalog.create({
          identifier,
          description: input.name.slice(0, 60),
          customerDescription: input.description ?? input.name,
          subcategory: { id: refs.subcategoryId },
          type: { id: refs.typeId },
          productClass: 'Service',
          price: moneyToJsonNumber(input.unitPrice),
          cost: moneyToJsonNumber(input.unitCost),
          recurringFlag: true,
          recurringRevenue: moneyToJsonNumber(input.unitPrice),
          recurringCost: moneyToJsonNumber(input.unitCost),
        });
        return { id: item.id };
      },
      idByIdentifier(client.catalog.ids, identifier),
      { logger: deps.logger, what: 'connectwise catalog item create' },
    );
  }

  // ---- global sync: PATCH only the fields given (a PATCH of values is safe to repeat) --------

  async function updateCompany(companyId: number, f: CompanyUpdate): Promise<RecordUpdateResult> {
    const { patch, written } = patchFrom([
      ['name', 'name', f.name?.slice(0, 50)],
      ['address', 'addressLine1', f.address],
      ['city', 'city', f.city],
      ['state', 'state', f.state],
      ['zip', 'zip', f.zip],
      ['country', 'country', f.country === undefined ? undefined : { name: f.country }],
    ]);
    if (patch.length) await client.companies.update(companyId, patch);
    return { written, unsupported: [] };
  }

  async function updateCatalogItem(catalogItemId: number, f: CatalogItemUpdate): Promise<RecordUpdateResult> {
    // Same field choices as createCatalogItem: the name is the item's description, the platform
    // description its customer description; the part number is the manufacturer's (seed 004
    // "Mfg. Part Number"), leaving the item's identifier alone.
    const { patch, written } = patchFrom([
      ['name', 'description', f.name?.slice(0, 60)],
      ['description', 'customerDescription', f.description],
      ['partNumber', 'manufacturerPartNumber', f.partNumber],
      ['unitPrice', 'price', f.unitPrice === undefined ? undefined : moneyToJsonNumber(f.unitPrice)],
      ['unitCost', 'cost', f.unitCost === undefined ? undefined : moneyToJsonNumber(f.unitCost)],
      ['provider', 'manufacturer', f.provider === undefined ? undefined : { name: f.provider }],
    ]);
    if (patch.length) await client.catalog.update(catalogItemId, patch);
    return { written, unsupported: [] };
  }

  async function listAgreements(companyId: number): Promise<AgreementSummary[]> {
    const agreements = await client.agreements.listAll({ conditions: `company/id = ${companyId}`, orderBy: 'id asc' });
    return agreements.map(toSummary);
  }

  return {
    async testCredentials() {
      await client.systemInfo();
    },
    findCompanies,
    createCompany,
    findCatalogItems,
    createCatalogItem,
    updateCompany,
    updateCatalogItem,
    listAgreements,
  };
}
