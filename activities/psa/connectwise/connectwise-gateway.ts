/**
 * PsaGateway for ConnectWise PSA. Lines are agreement additions (billing-rules.md §4); every
 * write goes through the operation journal so that applying an operation key twice never
 * creates a second line, even after a crash between the PSA write and the journal entry.
 */
import { PsaSetupError } from '../psa-setup-error';
import type { IsoDate } from '../../../domain/dates';
import { moneyFromJsonNumber, moneyToJsonNumber } from '../../../domain/money';
import { nameSimilarity, searchFragments } from '../../../domain/name-match';
import type { CwOperation, PsaOperation } from '../../../domain/psa-operations';
import { silentLogger } from '../http/logger';
import { psaDateOf, psaDateTime } from '../http/psa-dates';
import { PsaError, isPsaError } from '../http/psa-error';
import { defaultRetryPolicy, withRetries } from '../http/retry';
import { realSleep } from '../http/sleep';
import type {
  AgreementSummary,
  AppliedOperation,
  CatalogItemUpdate,
  CatalogMatch,
  CompanyMatch,
  CompanyUpdate,
  KeyedOperation,
  OperationJournal,
  PsaGateway,
  PsaLineSnapshot,
  PsaTarget,
  RecordUpdateResult,
} from '../psa-gateway.port';
import { descriptionFor } from '../psa-gateway.port';
import { createConnectWiseClient, type ConnectWiseClientDeps } from './connectwise-client';
import { describeWithTag, operationTag, tagConditions, tagOf } from './operation-tag';
import type { CwAddition, CwAdditionInput, CwAgreement, CwPatchOp } from './schemas';

export interface ConnectWiseGatewayDeps extends ConnectWiseClientDeps {
  journal: OperationJournal;
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

export function createConnectWiseGateway(deps: ConnectWiseGatewayDeps): PsaGateway {
  const client = createConnectWiseClient(deps);
  const logger = deps.logger ?? silentLogger;
  const retryDeps = {
    policy: { ...defaultRetryPolicy, ...deps.retry },
    sleep: deps.sleep ?? realSleep,
    random: deps.random ?? Math.random,
  };

  /** A date field's calendar day, date-exact whatever the tenant's time zone (psa-dates.ts). */
  function isoDateOf(field: string, value: string | null | undefined, context: string): IsoDate | null {
    if (!value) return null;
    const d = psaDateOf(value);
    if (d === null) {
      throw new PsaError({ psa: 'connectwise', kind: 'protocol', method: 'GET', path: context, psaMessage: `${field} is not a date: ${value}` });
    }
    return d;
  }

  /**
   * `name contains "f1" or name contains "f2"`: a server-side pre-filter, ranked locally. Word
   * fragments rather than whole words, so a typo ("Inittech", "Umbrela Helth") still finds the
   * company: a typo spoils at most one half of a word (searchFragments).
   */
  const wordConditions = (field: string, text: string): string | undefined => {
    const words = searchFragments(text).filter((w) => w.length >= 2).slice(0, 2 * MAX_SEARCH_WORDS);
    return words.length ? words.map((w) => `${field} contains ${quote(w)}`).join(' or ') : undefined;
  };

  /**
   * A POST that failed in a way that may have landed is not repeated blindly: look for the
   * record first (`find`), and write again only if it is not there.
   */
  async function createOnce<T>(find: () => Promise<T | undefined>, create: () => Promise<T>, lookFirst: boolean): Promise<T> {
    return withRetries(
      async (attempt) => {
        if (lookFirst || attempt > 1) {
          const found = await find();
          if (found !== undefined) return found;
        }
        return create();
      },
      { ...retryDeps, canRetry: (e) => e.maybeApplied },
    );
  }

  // ---- companies, catalog, agreements -------------------------------------------------------

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
    const byIdentifier = async (): Promise<{ id: number } | undefined> => {
      const [id] = await client.companies.ids(`identifier = ${quote(identifier)}`, 1);
      return id === undefined ? undefined : { id };
    };
    const created = await createOnce(
      byIdentifier,
      async () => ({ id: (await client.companies.create({ addressLine1: '-', ...deps.companyDefaults, identifier, name: input.name.slice(0, 50) })).id }),
      false,
    );
    return created;
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
    const byIdentifier = async (): Promise<{ id: number } | undefined> => {
      const [id] = await client.catalog.ids(`identifier = ${quote(input.partNumber.slice(0, CATALOG_IDENTIFIER_MAX))}`, 1);
      return id === undefined ? undefined : { id };
    };
    return createOnce(
      byIdentifier,
      async () => {
        const item = await client.catalog.create({
          identifier: input.partNumber.slice(0, CATALOG_IDENTIFIER_MAX),
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
      false,
    );
  }

  // ---- global sync: PATCH only the fields given (a PATCH of values is safe to repeat) --------

  /** port field → [ConnectWise field, value]; references (country, manufacturer) go by name. */
  function patchFrom(entries: Array<[string, string, unknown] | null>): { patch: CwPatchOp[]; written: string[] } {
    const present = entries.filter((e): e is [string, string, unknown] => e !== null && e[2] !== undefined);
    return { patch: present.map(([, path, value]) => ({ op: 'replace' as const, path, value })), written: present.map(([f]) => f) };
  }

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

  function toSummary(a: CwAgreement): AgreementSummary {
    const where = `/finance/agreements/${a.id}`;
    // Additions may not start before the billing start date, so that is the start that matters (§4 rule 1).
    const startDate = isoDateOf('billStartDate', a.billStartDate, where) ?? isoDateOf('startDate', a.startDate, where);
    if (!startDate) throw new PsaError({ psa: 'connectwise', kind: 'protocol', method: 'GET', path: where, psaMessage: 'agreement has no start date' });
    return {
      id: a.id,
      name: a.name,
      companyId: a.company.id,
      startDate,
      endDate: isoDateOf('endDate', a.endDate, where),
      periodType: /annual|year/i.test(a.billingCycle?.name ?? '') ? 'yearly' : 'monthly',
    };
  }

  async function listAgreements(companyId: number): Promise<AgreementSummary[]> {
    const agreements = await client.agreements.listAll({ conditions: `company/id = ${companyId}`, orderBy: 'id asc' });
    return agreements.map(toSummary);
  }

  // ---- additions ----------------------------------------------------------------------------

  const findByTag = async (agreementId: number, tag: string): Promise<CwAddition | undefined> => {
    const { items } = await client.additions.list(agreementId, { conditions: tagConditions(tag), orderBy: 'id asc', pageSize: 10 });
    if (items.length > 1) logger.warn('connectwise: several additions carry one operation tag', { agreementId, tag, ids: items.map((i) => i.id) });
    return items[0];
  };

  function patchOf(op: Extract<CwOperation, { type: 'cw.update-addition' }>, target: PsaTarget): CwPatchOp[] {
    const s = op.set;
    const patch: CwPatchOp[] = [];
    if (s.quantity !== undefined) patch.push({ op: 'replace', path: 'quantity', value: s.quantity });
    if (s.unitPrice !== undefined) patch.push({ op: 'replace', path: 'unitPrice', value: moneyToJsonNumber(s.unitPrice) });
    if (s.unitCost !== undefined) patch.push({ op: 'replace', path: 'unitCost', value: moneyToJsonNumber(s.unitCost) });
    if (s.cancelledDate !== undefined) patch.push({ op: 'replace', path: 'cancelledDate', value: s.cancelledDate === null ? null : psaDateTime(s.cancelledDate) });
    if (s.productId !== undefined) patch.push({ op: 'replace', path: 'product', value: { id: catalogIdOf(target, s.productId) } });
    return patch;
  }

  function catalogIdOf(target: PsaTarget, productId: string): number {
    const id = target.productIds[productId];
    if (id === undefined) throw new PsaSetupError(`product ${productId} is not mapped to a ConnectWise catalog item`);
    return id;
  }

  async function applyOne(
    target: PsaTarget,
    key: string,
    op: CwOperation,
    lineIds: Map<string, number>,
    resumed: boolean,
  ): Promise<AppliedOperation> {
    const lineIdOf = (lineKey: string): number => {
      const id = lineIds.get(lineKey);
      if (id === undefined) throw new PsaSetupError(`no ConnectWise addition is known for line ${lineKey}`);
      return id;
    };
    switch (op.type) {
      case 'cw.create-addition': {
        const a = op.addition;
        const tag = operationTag(key);
        const body: CwAdditionInput = {
          product: { id: catalogIdOf(target, a.productId) },
          billCustomer: target.billCustomer ?? 'Billable',
          quantity: a.quantity,
          unitPrice: moneyToJsonNumber(a.unitPrice),
          unitCost: moneyToJsonNumber(a.unitCost),
          effectiveDate: psaDateTime(a.effectiveDate),
          // An addition without an end leaves the field out (the model has no null for it).
          ...(a.cancelledDate === null ? {} : { cancelledDate: psaDateTime(a.cancelledDate) }),
          description: describeWithTag(descriptionFor(target, a.productId), tag),
        };
        const line = await createOnce(
          () => findByTag(target.agreementId, tag),
          () => client.additions.create(target.agreementId, body),
          resumed, // begun before but never completed: the line may already exist
        );
        lineIds.set(a.lineKey, line.id);
        return { idempotencyKey: key, lineKey: a.lineKey, psaId: line.id, replayed: false };
      }
      case 'cw.update-addition': {
        const id = lineIdOf(op.lineKey);
        const patch = patchOf(op, target);
        if (op.set.productId !== undefined && target.descriptions?.[op.set.productId] !== undefined) {
          // The product swapped in place (§4 rule 2): the line's text names the new product, behind the tag it was created with.
          const tag = tagOf((await client.additions.get(target.agreementId, id)).description);
          const text = target.descriptions[op.set.productId]!;
          patch.push({ op: 'replace', path: 'description', value: tag ? describeWithTag(text, tag) : describeWithTag(text, '').trimStart() });
        }
        if (patch.length) await client.additions.update(target.agreementId, id, patch); // a PATCH of values is safe to repeat
        return { idempotencyKey: key, lineKey: op.lineKey, psaId: id, replayed: false };
      }
      case 'cw.delete-addition': {
        const id = lineIdOf(op.lineKey);
        try {
          await client.additions.delete(target.agreementId, id);
        } catch (error) {
          // Gone already (an earlier attempt deleted it): the goal is reached.
          if (!(isPsaError(error) && error.kind === 'not-found')) throw error;
        }
        lineIds.delete(op.lineKey);
        return { idempotencyKey: key, lineKey: op.lineKey, psaId: null, replayed: false };
      }
    }
  }

  const isCw = (op: PsaOperation): op is CwOperation => op.type.startsWith('cw.');

  async function apply(target: PsaTarget, operations: KeyedOperation[], lineIds: Record<string, number>): Promise<AppliedOperation[]> {
    const known = new Map(Object.entries(lineIds));
    const results: AppliedOperation[] = [];
    for (const { idempotencyKey: key, operation } of operations) {
      if (!isCw(operation)) throw new PsaSetupError(`ConnectWise cannot apply ${operation.type}`);
      const entry = await deps.journal.get(key);
      if (entry?.state === 'done' && entry.result) {
        const r = entry.result;
        if (r.psaId === null) known.delete(r.lineKey);
        else known.set(r.lineKey, r.psaId);
        results.push({ ...r, replayed: true });
        continue;
      }
      if (!entry) await deps.journal.begin(key, operation);
      const result = await applyOne(target, key, operation, known, entry?.state === 'started');
      await deps.journal.complete(result);
      results.push(result);
    }
    return results;
  }

  async function readLine(target: PsaTarget, psaId: number): Promise<PsaLineSnapshot> {
    const [line, agreement] = await Promise.all([
      client.additions.get(target.agreementId, psaId),
      client.agreements.get(target.agreementId),
    ]);
    const where = `/finance/agreements/${target.agreementId}/additions/${psaId}`;
    const effective = isoDateOf('effectiveDate', line.effectiveDate, where);
    const nextInvoice = isoDateOf('nextInvoiceDate', agreement.nextInvoiceDate, where);
    return {
      psaId: line.id,
      quantity: line.quantity,
      unitPrice: moneyFromJsonNumber(line.unitPrice ?? 0),
      unitCost: moneyFromJsonNumber(line.unitCost ?? 0),
      // A line whose first day precedes the agreement's next invoice date has been on an invoice.
      invoiced: !!effective && !!nextInvoice && effective < nextInvoice,
      effectiveDate: effective,
      cancelledDate: isoDateOf('cancelledDate', line.cancelledDate, where),
    };
  }

  return {
    psa: 'connectwise',
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
    apply,
    readLine,
  };
}
