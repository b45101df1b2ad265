/**
 * Customer → company and product → catalog item (ConnectWise) / service (Autotask) mapping
 * (seed 004 "Customer Mapping", "Product Mapping"): list with status, suggest the closest PSA
 * records with a score, map to an existing one ("Map only" or "Map & Sync"), create one in the
 * PSA from the platform's values and map it, disconnect. Both kinds work alike; `RecordKind`
 * holds what differs.
 */
import type { CatalogItemUpdate, CatalogMatch, CompanyMatch, CompanyUpdate, PsaGateway, RecordUpdateResult } from '../../activities/psa/psa-gateway.port';
import {
  COMPANY_SYNC_FIELDS,
  parseInput,
  PRODUCT_SYNC_FIELDS,
  type Connection,
  type CustomerMapping,
  type MappingRepository,
  type PlatformCustomer,
  type PlatformProduct,
  type ProductMapping,
} from '../../activities/store';
import { ConflictError, invalid, NotFoundError } from './mapping-errors';
import type { MappingServiceDeps } from './mapping-service.deps';
import {
  CreateRecordInputSchema,
  CustomerSuggestQuerySchema,
  MapCustomerInputSchema,
  MappingListQuerySchema,
  MapProductInputSchema,
  ProductSuggestQuerySchema,
  type MapMode,
  type MappingListQueryInput,
} from './mapping-service.schemas';
import { enabledFields, pushValues, syncHash } from '../../activities/sync/sync-fields';
import { releaseWaiting, type ReleaseScope } from './release-waiting';
import { productSharingWarnings } from './shared-psa-targets';
import type { FanOutReport } from './subscription-fan-out';

/** A mapping record with the platform record it maps (null when the platform no longer has it). */
export type MappingRow<M, R> = M & { platform: R | null };

export interface MapOutcome<M> {
  mapping: M;
  mode: MapMode;
  /** Fields pushed (or recorded as pushed) by Map & Sync / create. */
  syncedFields: string[];
  /** What the admin should know about how the sync went. */
  notes: string[];
  /** What the admin should fix or know: e.g. another product on the same catalog item / service (docs/mapping.md "Shared PSA targets"). */
  warnings: string[];
  /** The subscriptions waiting for this record, placed now or still waiting with why (README "Events before mapping"). */
  released: FanOutReport;
}

/** Customer and product mappings have the same shape (a PSA id and name). */
type RecordMapping = CustomerMapping;

interface RecordKind<R, Match, F extends string> {
  noun: 'customer' | 'product';
  /** What the PSA record is called in messages. */
  psaNoun(conn: Connection): string;
  repo(deps: MappingServiceDeps): MappingRepository<RecordMapping, { psaId: number; psaName?: string }>;
  getPlatform(deps: MappingServiceDeps, id: string): Promise<R | null>;
  toggles(conn: Connection): Record<F, boolean>;
  allFields: readonly F[];
  parseMap(input: unknown): { psaId: number; mode: MapMode; fields?: F[] };
  parseSuggest(query: unknown): { search?: string; name?: string; partNumber?: string; limit?: number };
  find(gateway: PsaGateway, record: R, q: { search?: string; name?: string; partNumber?: string; limit?: number }): Promise<{ query: Record<string, string>; matches: Match[] }>;
  create(gateway: PsaGateway, record: R): Promise<{ id: number }>;
  /** What a link to `psaId` means that the admin should know (none by default). */
  warnings?(deps: MappingServiceDeps, conn: Connection, platformId: string, psaId: number): Promise<string[]>;
  /** The subscriptions a newly linked record may release. */
  releaseScope(platformId: string): ReleaseScope;
  /** PATCHes the given platform values onto the mapped PSA record (Map & Sync). */
  update(gateway: PsaGateway, psaId: number, values: Partial<Record<F, unknown>>): Promise<RecordUpdateResult>;
  /** Fields the PSA record gets on create (they count as synced). */
  createdFields: readonly F[];
  label(record: R): string;
  nameOf(record: R): string;
}

/** The operations of one kind over a connection. */
function recordOperations<R, Match extends { id: number; name: string; score: number }, F extends string>(deps: MappingServiceDeps, kind: RecordKind<R, Match, F>) {
  type M = RecordMapping;
  const repo = kind.repo(deps);
  const now = deps.now ?? (() => new Date());

  async function connection(connectionId: string): Promise<Connection> {
    const conn = await deps.store.connections.get(connectionId);
    if (!conn) throw new NotFoundError('connection', connectionId);
    return conn;
  }
  async function platformRecord(id: string): Promise<R> {
    const r = await kind.getPlatform(deps, id);
    if (!r) throw new NotFoundError(`platform ${kind.noun}`, id);
    return r;
  }

  /** Which fields Map & Sync pushes: the requested ones, each allowed by the connection's global toggles. */
  function fieldsToSync(conn: Connection, requested: readonly F[] | undefined): F[] {
    const allowed = enabledFields(kind.toggles(conn));
    if (requested === undefined) return allowed;
    const problems = requested.flatMap((f, i) =>
      allowed.includes(f) ? [] : [{ path: `fields[${i}]`, message: `"${f}" is turned off in the connection's global sync rules; turn it on there to sync it` }],
    );
    if (problems.length > 0) throw invalid(...problems);
    return [...new Set(requested)];
  }

  return {
    /** Mapping records with their platform records; filters: status (comma list), search, paging. */
    async list(connectionId: string, query: MappingListQueryInput = {}): Promise<{ items: MappingRow<M, R>[]; total: number }> {
      await connection(connectionId);
      const { customerId: _ignored, ...q } = parseInput(MappingListQuerySchema, query);
      const page = await repo.list(connectionId, q);
      const items = await Promise.all(page.items.map(async (m) => ({ ...m, platform: await kind.getPlatform(deps, m.platformId) })));
      return { items, total: page.total };
    },

    /** PSA records ranked by closeness to the platform record (a score from 0 to 1), best first; those already mapped say by whom. */
    async suggest(connectionId: string, platformId: string, query: unknown = {}) {
      const q = kind.parseSuggest(query);
      await connection(connectionId);
      const record = await platformRecord(platformId);
      const gateway = await deps.gateways.forConnection(connectionId);
      const { query: used, matches } = await kind.find(gateway, record, q);
      // The vendor hides already-mapped records; we show them, flagged, so "why is it missing?" never comes up.
      const linked = await repo.list(connectionId, { linked: true, limit: 1000 });
      const holder = new Map(linked.items.map((m) => [m.psaId, m.platformId]));
      return {
        platformId,
        query: used,
        matches: matches.map((m) => ({ ...m, ...(holder.has(m.id) ? { mappedTo: holder.get(m.id) } : {}) })),
      };
    },

    /**
     * Maps to an existing PSA record. Map & Sync first PATCHes the chosen fields (each allowed by
     * the global toggles) onto the PSA record — a PSA refusal maps nothing and is answered with
     * the PSA's message — then records the mapping with the pushed values' hash, so the global
     * sync only writes again when they change. Map only leaves the PSA record for the next sync.
     */
    async map(connectionId: string, platformId: string, input: unknown): Promise<MapOutcome<M>> {
      const m = kind.parseMap(input);
      const conn = await connection(connectionId);
      const record = await platformRecord(platformId);
      if (m.mode === 'map-only' && m.fields !== undefined) throw invalid({ path: 'fields', message: 'applies to "map-and-sync" only' });
      const fields = m.mode === 'map-and-sync' ? fieldsToSync(conn, m.fields) : [];
      const gateway = await deps.gateways.forConnection(connectionId);
      // The PSA's name for the record, when a search by the platform's name finds that id (display only).
      const found = (await kind.find(gateway, record, { limit: 50 })).matches.find((x) => x.id === m.psaId);
      const pushed = fields.length > 0 ? await kind.update(gateway, m.psaId, pushValues(record as object, fields)) : { written: [], unsupported: [] };
      const link = { psaId: m.psaId, ...(found ? { psaName: found.name } : {}) };
      const synced = m.mode === 'map-and-sync' ? { at: now(), contentHash: syncHash(record as object, fields) } : undefined;
      const mapping = await repo.markMapped(connectionId, platformId, link, { display: { label: kind.label(record) }, ...(synced ? { synced } : {}) });
      const notes = [
        ...(m.mode === 'map-only' ? ['mapped only: the fields are pushed by the next global sync'] : []),
        ...(pushed.unsupported.length ? [`this PSA has no place for ${pushed.unsupported.join(', ')}: not written`] : []),
      ];
      const warnings = (await kind.warnings?.(deps, conn, platformId, m.psaId)) ?? [];
      return { mapping, mode: m.mode, syncedFields: pushed.written, notes, warnings, released: await releaseWaiting(deps, connectionId, kind.releaseScope(platformId)) };
    },

    /** Creates the record in the PSA with the platform's values and maps it (refused when already mapped). */
    async create(connectionId: string, platformId: string, input: unknown = {}): Promise<MapOutcome<M> & { created: { id: number; name: string } }> {
      parseInput(CreateRecordInputSchema, input);
      const conn = await connection(connectionId);
      const record = await platformRecord(platformId);
      const existing = await repo.get(connectionId, platformId);
      if (existing?.linked) {
        throw new ConflictError(`${kind.noun} "${platformId}" is already mapped to ${kind.psaNoun(conn)} ${existing.psaId}; disconnect it before creating another`);
      }
      const gateway = await deps.gateways.forConnection(connectionId);
      let created: { id: number };
      try {
        created = await kind.create(gateway, record);
      } catch (e) {
        await repo.markFailed(connectionId, platformId, `creating the ${kind.psaNoun(conn)} failed: ${e instanceof Error ? e.message : String(e)}`, {
          display: { label: kind.label(record) },
        });
        throw e;
      }
      // What the new record holds is what was pushed; fields left out (toggles on) differ, so the next global sync pushes them.
      const fields = kind.createdFields;
      const mapping = await repo.markMapped(
        connectionId,
        platformId,
        { psaId: created.id, psaName: kind.nameOf(record) },
        { display: { label: kind.label(record) }, synced: { at: now(), contentHash: syncHash(record as object, fields) } },
      );
      const released = await releaseWaiting(deps, connectionId, kind.releaseScope(platformId));
      return { mapping, mode: 'map-and-sync', syncedFields: [...fields], notes: [], warnings: [], released, created: { id: created.id, name: kind.nameOf(record) } };
    },

    /** Disconnect: back to `unmapped`, the PSA record untouched. */
    async disconnect(connectionId: string, platformId: string): Promise<{ before: M; mapping: M }> {
      await connection(connectionId);
      const before = await repo.disconnect(connectionId, platformId);
      if (!before) throw new NotFoundError(`${kind.noun} mapping`, `${connectionId}/${platformId}`);
      return { before, mapping: (await repo.get(connectionId, platformId))! };
    },
  };
}

const companyNoun = (c: Connection) => (c.psa === 'connectwise' ? 'ConnectWise company' : 'Autotask company');
const catalogNoun = (c: Connection) => (c.psa === 'connectwise' ? 'ConnectWise catalog item' : 'Autotask service');

export function createCustomerOperations(deps: MappingServiceDeps) {
  return recordOperations<PlatformCustomer, CompanyMatch, (typeof COMPANY_SYNC_FIELDS)[number]>(deps, {
    noun: 'customer',
    psaNoun: companyNoun,
    repo: (d) => d.store.mappings.customers,
    getPlatform: (d, id) => d.store.platform.getCustomer(id),
    toggles: (c) => c.rules.fieldToggles.company,
    allFields: COMPANY_SYNC_FIELDS,
    parseMap: (input) => parseInput(MapCustomerInputSchema, input),
    parseSuggest: (q) => parseInput(CustomerSuggestQuerySchema, q),
    async find(gateway, customer, q) {
      const search = q.search ?? customer.name;
      return { query: { search }, matches: await gateway.findCompanies(search, q.limit ?? 10) };
    },
    create: (gateway, c) => gateway.createCompany({ name: c.name }),
    releaseScope: (customerId) => ({ customerId }),
    update: (gateway, id, values) => gateway.updateCompany(id, values as CompanyUpdate),
    createdFields: ['name'],
    label: (c) => c.name,
    nameOf: (c) => c.name,
  });
}

export function createProductOperations(deps: MappingServiceDeps) {
  return recordOperations<PlatformProduct, CatalogMatch, (typeof PRODUCT_SYNC_FIELDS)[number]>(deps, {
    noun: 'product',
    psaNoun: catalogNoun,
    repo: (d) => d.store.mappings.products satisfies MappingRepository<ProductMapping, { psaId: number; psaName?: string }>,
    getPlatform: (d, id) => d.store.platform.getProduct(id),
    toggles: (c) => c.rules.fieldToggles.product,
    allFields: PRODUCT_SYNC_FIELDS,
    parseMap: (input) => parseInput(MapProductInputSchema, input),
    parseSuggest: (q) => parseInput(ProductSuggestQuerySchema, q),
    async find(gateway, product, q) {
      // Either search given replaces the product's own values; with neither, both of the product's are used.
      const query = q.name || q.partNumber ? { ...(q.name ? { name: q.name } : {}), ...(q.partNumber ? { partNumber: q.partNumber } : {}) } : { name: product.name, partNumber: product.partNumber };
      return { query, matches: await gateway.findCatalogItems(query, q.limit ?? 10) };
    },
    create: (gateway, p) =>
      gateway.createCatalogItem({
        name: p.name,
        partNumber: p.partNumber,
        ...(p.description ? { description: p.description } : {}),
        unitPrice: p.unitPrice,
        unitCost: p.unitCost,
        periodType: p.billingFrequency,
      }),
    releaseScope: (productId) => ({ productId }),
    warnings: (d, conn, productId, psaId) => productSharingWarnings(d.store, conn.id, conn.psa, productId, psaId),
    update: (gateway, id, values) => gateway.updateCatalogItem(id, values as CatalogItemUpdate),
    createdFields: ['name', 'partNumber', 'description', 'unitPrice', 'unitCost'],
    label: (p) => p.name,
    nameOf: (p) => p.name,
  });
}
