/**
 * Mapping documents, per PSA connection: platform customer → PSA company, platform product →
 * catalog item (ConnectWise) / service (Autotask), platform subscription → company + agreement
 * (contract) + the PSA line ids the gateway created. One document per (connection, platform
 * record); every transition is one single-document write, so no transaction is ever needed.
 *
 * Status (seed 004 "Customer Mapping"): `unmapped` (no PSA record linked), `mapped` (linked and
 * the last mapping/sync went fine), `failed` (the last mapping or sync attempt failed — the
 * record may or may not be linked; `linked` says which). Summary counts follow the seed:
 * total = mapped + unmapped by link, and `failed` is counted inside those two as well.
 *
 * Concurrency: on FerretDB 1.24 an update reads the whole document and writes it back, so two
 * concurrent updates of ONE document can lose one (MongoDB would apply both). Identity holds
 * regardless (unique indexes are checked by SQLite on every write), and data that several
 * writers touch at once — the PSA line ids — lives in one document per line.
 */
import type { Collection, Db, Filter } from 'mongodb';
import type { Billing } from '../../domain/billing-mode';
import type { AppliedOperation, PsaTarget } from '../psa/psa-gateway.port';
import type { Timestamp } from './connections';
import { ConflictError, NotFoundError } from './errors';
import { decodeKeys, encodeKeys, encodeLineKey } from './line-keys';
import { containsRegex, isDuplicateKeyError, paging, type IndexSpec, type Page } from './mongo';
import { mapConcurrent, READS_IN_FLIGHT } from '../parallel';

export const CUSTOMER_MAPPINGS = 'customer_mappings';
export const PRODUCT_MAPPINGS = 'product_mappings';
export const SUBSCRIPTION_MAPPINGS = 'subscription_mappings';
/** PSA line ids of mapped subscriptions, one document per line (see createMappingRepositories). */
export const SUBSCRIPTION_LINES = 'subscription_lines';

export const mappingIndexes: IndexSpec[] = [
  ...[CUSTOMER_MAPPINGS, PRODUCT_MAPPINGS, SUBSCRIPTION_MAPPINGS].flatMap((collection): IndexSpec[] => [
    { collection, key: { connectionId: 1, platformId: 1 }, name: 'connection_platform', unique: true },
    { collection, key: { connectionId: 1, status: 1 }, name: 'connection_status' },
    { collection, key: { connectionId: 1, linked: 1 }, name: 'connection_linked' },
  ]),
  // One PSA company cannot be mapped by two platform customers on one connection. `psaKey` is
  // present on every document (`psa:<id>` when linked, `none:<platformId>` otherwise) because a
  // missing field is indexed as null by MongoDB (so unlinked documents would collide) but not by
  // FerretDB/SQLite, and partial indexes are not available on FerretDB.
  { collection: CUSTOMER_MAPPINGS, key: { connectionId: 1, psaKey: 1 }, name: 'connection_psa_company', unique: true },
  { collection: SUBSCRIPTION_MAPPINGS, key: { connectionId: 1, customerId: 1 }, name: 'connection_customer' },
  { collection: SUBSCRIPTION_LINES, key: { connectionId: 1, subscriptionId: 1, lineKey: 1 }, name: 'connection_subscription_line', unique: true },
];

export type MappingStatus = 'unmapped' | 'mapped' | 'failed';
export const MAPPING_STATUSES: readonly MappingStatus[] = ['unmapped', 'mapped', 'failed'];

/** What every mapping record shows, whatever it maps. */
export interface MappingCommon {
  connectionId: string;
  platformId: string;
  status: MappingStatus;
  /** True while PSA records are linked (status `mapped`, or `failed` after being mapped). */
  linked: boolean;
  /** Platform display name (customer / product / plan name), for search and mails. */
  label?: string;
  /** The last failure, cleared by the next success. */
  error?: { message: string; at: Timestamp };
  lastSyncAt?: Timestamp;
  /** Hash of the field values last pushed to the PSA (see contentHash()). */
  contentHash?: string;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface CustomerLink { psaId: number; psaName?: string }
export interface ProductLink { psaId: number; psaName?: string }
export interface SubscriptionLink {
  companyId: number;
  /** ConnectWise agreement id / Autotask contract id. */
  agreementId: number;
  /** Platform product id → ConnectWise catalog item id / Autotask service id. */
  productIds: Record<string, number>;
  /** Line description; must contain the subscription id (drift detection). */
  description: string;
  billCustomer?: 'Billable' | 'DoNotBill' | 'NoCharge';
  /** How it bills (docs/billing-modes.md); absent = standard. */
  billing?: Billing;
}
/** Display fields of a subscription mapping (for the service mapping list and §8 mails). */
export interface SubscriptionDisplay { label?: string; customerId?: string; customerName?: string; productId?: string }

export type CustomerMapping = MappingCommon & Partial<CustomerLink>;
export type ProductMapping = MappingCommon & Partial<ProductLink>;
export type SubscriptionMapping = MappingCommon &
  Partial<SubscriptionLink> &
  Omit<SubscriptionDisplay, 'label'> & {
    /** Planner line key → PSA line id (ConnectWise addition / Autotask contract service / adjustment). */
    lineIds: Record<string, number>;
  };

export interface MappingCounts { total: number; mapped: number; unmapped: number; failed: number }
export interface MappingSummary { customers: MappingCounts; products: MappingCounts; subscriptions: MappingCounts }

export interface MappingListQuery {
  status?: MappingStatus | MappingStatus[];
  linked?: boolean;
  /** Case-insensitive text in the platform id, label, PSA name or customer name. */
  search?: string;
  /** Subscriptions only: those of one platform customer. */
  customerId?: string;
  limit?: number;
  skip?: number;
}

export interface SyncOutcome {
  /** When the push happened (default: now). */
  at?: Date;
  /** Hash of the values pushed, for the next global sync's "changed?" check. */
  contentHash?: string;
}

/** The operations every mapping kind offers; `L` is what links it to the PSA, `D` its display fields. */
export interface MappingRepository<V extends MappingCommon, L, D extends { label?: string } = { label?: string }> {
  /** Makes sure records exist for these platform records (new ones `unmapped`), refreshing display fields. Returns how many were new. */
  track(connectionId: string, items: ReadonlyArray<{ platformId: string } & D>): Promise<number>;
  get(connectionId: string, platformId: string): Promise<V | null>;
  /** Links the PSA record(s): status `mapped`, error cleared. Pass `synced` for "Map & Sync". ConflictError if the PSA record is taken. */
  markMapped(connectionId: string, platformId: string, link: L, opts?: { display?: D; synced?: SyncOutcome }): Promise<V>;
  /**
   * A successful push to the PSA of a linked record: status `mapped`, error cleared,
   * lastSyncAt/contentHash set. One update by `_id` (the global sync's per-record write; no
   * read back); NotFoundError / ConflictError when the record is gone / no longer linked.
   */
  markSynced(connectionId: string, platformId: string, outcome?: SyncOutcome): Promise<void>;
  /** A failed mapping or sync: status `failed` with the message; links are kept. Creates the record if needed. */
  markFailed(connectionId: string, platformId: string, message: string, opts?: { display?: D; at?: Date }): Promise<V>;
  /** Disconnect: status `unmapped`, links and error removed. Returns the record as it was before (null if none). */
  disconnect(connectionId: string, platformId: string): Promise<V | null>;
  /** Deletes the record (the platform record is gone). */
  remove(connectionId: string, platformId: string): Promise<boolean>;
  /** Records by status / link / text, sorted by label then platform id. */
  list(connectionId: string, query?: MappingListQuery): Promise<Page<V>>;
  counts(connectionId: string): Promise<MappingCounts>;
}

export interface SubscriptionMappingRepository extends MappingRepository<SubscriptionMapping, SubscriptionLink, SubscriptionDisplay> {
  /** Many subscriptions at once (batch jobs): each mapping by `_id`, their line ids in one query (`lines: false`: none, `lineIds` empty); absent ones are left out. */
  getMany(connectionId: string, subscriptionIds: readonly string[], opts?: { lines?: boolean }): Promise<Map<string, SubscriptionMapping>>;
  /**
   * The PSA ids of the named lines of one subscription (absent keys: no such line), each read
   * by `_id` — what a write that touches known lines needs, without the query by subscription
   * that FerretDB 1.24 runs as a scan of every line of every subscription.
   */
  lineIdsByKey(connectionId: string, subscriptionId: string, lineKeys: readonly string[]): Promise<Record<string, number>>;

  /** Sets (number) or removes (null) PSA line ids by planner line key, leaving the other lines alone. */
  setLineIds(connectionId: string, subscriptionId: string, changes: Record<string, number | null>): Promise<SubscriptionMapping>;
  /** Records what the gateway applied: created/touched line ids set, deleted lines (psaId null) removed. */
  recordApplied(connectionId: string, subscriptionId: string, applied: readonly AppliedOperation[]): Promise<SubscriptionMapping>;
  /**
   * A successful step of the subscription's workflow, with no read: the line ids it changed (one
   * bulk write on the line documents, whose `updatedAt` is the mapping's last sync time), then —
   * unless `link` is null because the document already shows it — the mapping document linked
   * as the workflow places it, status `mapped`, error cleared (one upsert by id).
   * The workflow is the one writer of its lines; its placement is the authority.
   */
  recordSynced(
    connectionId: string,
    subscriptionId: string,
    link: Pick<SubscriptionLink, 'companyId' | 'agreementId' | 'description' | 'billCustomer'> | null,
    lineChanges: Record<string, number | null>,
  ): Promise<void>;
  /** Maps one more platform product on the subscription's agreement (e.g. after a full upgrade). */
  setProductId(connectionId: string, subscriptionId: string, productId: string, psaId: number): Promise<SubscriptionMapping>;
}

export interface MappingRepositories {
  customers: MappingRepository<CustomerMapping, CustomerLink>;
  products: MappingRepository<ProductMapping, ProductLink>;
  subscriptions: SubscriptionMappingRepository;
  /** Per kind { total, mapped, unmapped, failed } for a connection's mapping pages. */
  summary(connectionId: string): Promise<MappingSummary>;
  /** Drops every mapping of a connection (when the connection is deleted). */
  removeConnection(connectionId: string): Promise<number>;
}

/** Where a mapped subscription's lines live, in the shape the PSA gateway takes; null while not linked. */
export function psaTargetOf(m: SubscriptionMapping): PsaTarget | null {
  if (!m.linked || m.companyId === undefined || m.agreementId === undefined || m.description === undefined) return null;
  return {
    companyId: m.companyId,
    agreementId: m.agreementId,
    productIds: m.productIds ?? {},
    description: m.description,
    ...(m.billCustomer ? { billCustomer: m.billCustomer } : {}),
  };
}

// ---------------------------------------------------------------------------------------------

interface MappingDoc {
  _id: string;
  connectionId: string;
  platformId: string;
  status: MappingStatus;
  linked: boolean;
  psaKey?: string;
  label?: string;
  error?: { message: string; at: Date };
  lastSyncAt?: Date;
  contentHash?: string;
  createdAt: Date;
  updatedAt: Date;
  [field: string]: unknown;
}

interface LineDoc {
  _id: string;
  connectionId: string;
  subscriptionId: string;
  lineKey: string;
  psaId: number;
  updatedAt: Date;
}

interface KindSpec<V, L, D> {
  collection: string;
  /** For messages: "customer", "product", "subscription". */
  noun: string;
  /** Fields removed by disconnect. */
  linkFields: readonly string[];
  /** Optional link fields: markMapped removes them when the new link lacks them. */
  optionalLinkFields: readonly string[];
  linkDoc(link: L): Record<string, unknown>;
  displayDoc(display: D): Record<string, unknown>;
  /** Customers only: the PSA record identity that must be unique per connection. */
  psaKeyOf?(link: L): string;
  /** What the PSA record is called in a conflict message. */
  psaNoun?: string;
  searchFields: readonly string[];
  view(common: MappingCommon, doc: MappingDoc): V;
}

const docId = (connectionId: string, platformId: string) => `${connectionId}/${platformId}`;
const iso = (d: Date | undefined) => (d ? d.toISOString() : undefined);
const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

function commonView(doc: MappingDoc): MappingCommon {
  return defined({
    connectionId: doc.connectionId,
    platformId: doc.platformId,
    status: doc.status,
    linked: doc.linked,
    label: doc.label,
    error: doc.error ? { message: doc.error.message, at: doc.error.at.toISOString() } : undefined,
    lastSyncAt: iso(doc.lastSyncAt),
    contentHash: doc.contentHash,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  });
}

function mappingRepository<V extends MappingCommon, L, D extends { label?: string }>(
  db: Db,
  spec: KindSpec<V, L, D>,
  now: () => Date,
): { api: MappingRepository<V, L, D>; col: Collection<MappingDoc>; toView(doc: MappingDoc): V } {
  const col = db.collection<MappingDoc>(spec.collection);
  const toView = (doc: MappingDoc) => spec.view(commonView(doc), doc);
  const unlinkedKey = (platformId: string) => `none:${platformId}`;

  /** Fields a brand-new record gets, minus those the same update `$set`s. */
  function onInsert(connectionId: string, platformId: string, at: Date, set: Record<string, unknown>): Record<string, unknown> {
    const base: Record<string, unknown> = { connectionId, platformId, status: 'unmapped', linked: false, createdAt: at };
    if (spec.psaKeyOf) base.psaKey = unlinkedKey(platformId);
    return Object.fromEntries(Object.entries(base).filter(([k]) => !(k in set)));
  }

  /** An upserting single-document write; retried once when two first writes of one record race. */
  async function upsert(connectionId: string, platformId: string, update: { $set: Record<string, unknown>; $unset?: Record<string, ''> }): Promise<MappingDoc> {
    const at = update.$set.updatedAt as Date;
    const full = { ...update, $setOnInsert: onInsert(connectionId, platformId, at, update.$set) };
    if (full.$unset && Object.keys(full.$unset).length === 0) delete full.$unset;
    for (let attempt = 0; ; attempt++) {
      try {
        const doc = await col.findOneAndUpdate({ _id: docId(connectionId, platformId) }, full, { upsert: true, returnDocument: 'after' });
        if (!doc) throw new Error(`upsert of ${spec.noun} mapping ${docId(connectionId, platformId)} returned nothing`);
        return doc;
      } catch (e) {
        if (!isDuplicateKeyError(e)) throw e;
        const psaKey = update.$set.psaKey;
        if (typeof psaKey === 'string' && spec.psaKeyOf) {
          const holder = await col.findOne({ connectionId, psaKey });
          if (holder && holder.platformId !== platformId) {
            throw new ConflictError(
              `${spec.psaNoun ?? 'PSA record'} ${psaKey.slice(4)} is already mapped to ${spec.noun} "${holder.platformId}" on connection "${connectionId}"; disconnect that one first`,
            );
          }
        }
        if (attempt >= 1) throw e;
      }
    }
  }

  function displaySet(display: D | undefined): Record<string, unknown> {
    return display ? defined(spec.displayDoc(display)) : {};
  }

  const api: MappingRepository<V, L, D> = {
    async track(connectionId, items) {
      let created = 0;
      for (const item of items) {
        const at = now();
        const { platformId, ...display } = item;
        const set = displaySet(display as unknown as D);
        const insert = { ...onInsert(connectionId, platformId, at, set), updatedAt: at };
        try {
          const res = await col.updateOne(
            { _id: docId(connectionId, platformId) },
            { ...(Object.keys(set).length > 0 ? { $set: set } : {}), $setOnInsert: insert },
            { upsert: true },
          );
          created += res.upsertedCount;
        } catch (e) {
          // Another writer created it first: it exists, which is all track promises.
          if (!isDuplicateKeyError(e)) throw e;
        }
      }
      return created;
    },

    async get(connectionId, platformId) {
      const doc = await col.findOne({ _id: docId(connectionId, platformId) });
      return doc ? toView(doc) : null;
    },

    async markMapped(connectionId, platformId, link, opts = {}) {
      const at = now();
      const set: Record<string, unknown> = { ...displaySet(opts.display), ...spec.linkDoc(link), status: 'mapped', linked: true, updatedAt: at };
      if (spec.psaKeyOf) set.psaKey = spec.psaKeyOf(link);
      const unset: Record<string, ''> = { error: '' };
      // Fields of a previous link that the new one does not have must not linger.
      for (const f of spec.optionalLinkFields) if (!(f in set)) unset[f] = '';
      if (opts.synced) {
        set.lastSyncAt = opts.synced.at ?? at;
        if (opts.synced.contentHash) set.contentHash = opts.synced.contentHash;
        else unset.contentHash = '';
      } else {
        // A new link has not received this record's values yet: the next sync must push them.
        unset.contentHash = '';
      }
      return toView(await upsert(connectionId, platformId, { $set: set, $unset: unset }));
    },

    async markSynced(connectionId, platformId, outcome = {}) {
      const at = now();
      const set: Record<string, unknown> = { status: 'mapped', lastSyncAt: outcome.at ?? at, updatedAt: at };
      if (outcome.contentHash) set.contentHash = outcome.contentHash;
      // A read and an update, each by `_id` alone: FerretDB 1.24 pushes down (to our `_id`
      // index) only a lone `_id` equality — `{ _id, linked: true }` or a findAndModify scans the
      // collection (0.4 s per record at 10,000 mappings, O(N²) for a sync). The page listed the
      // mapping as linked moments ago; this read narrows an unmap racing the write to
      // milliseconds.
      const _id = docId(connectionId, platformId);
      const doc = await col.findOne({ _id }, { projection: { linked: 1 } });
      if (!doc) throw new NotFoundError(`${spec.noun} mapping`, _id);
      if (!doc.linked) throw new ConflictError(`${spec.noun} "${platformId}" is not mapped on connection "${connectionId}"; map it before syncing`);
      await col.updateOne({ _id }, { $set: set, $unset: { error: '' } });
    },

    async markFailed(connectionId, platformId, message, opts = {}) {
      const at = opts.at ?? now();
      const set = { ...displaySet(opts.display), status: 'failed', error: { message: message.slice(0, 2000), at }, updatedAt: now() };
      return toView(await upsert(connectionId, platformId, { $set: set }));
    },

    async disconnect(connectionId, platformId) {
      const unset: Record<string, ''> = { error: '', contentHash: '' };
      for (const f of spec.linkFields) unset[f] = '';
      const set: Record<string, unknown> = { status: 'unmapped', linked: false, updatedAt: now() };
      if (spec.psaKeyOf) set.psaKey = unlinkedKey(platformId);
      const before = await col.findOneAndUpdate({ _id: docId(connectionId, platformId) }, { $set: set, $unset: unset }, { returnDocument: 'before' });
      return before ? toView(before) : null;
    },

    async remove(connectionId, platformId) {
      const res = await col.deleteOne({ _id: docId(connectionId, platformId) });
      return res.deletedCount === 1;
    },

    async list(connectionId, query = {}) {
      const filter: Filter<MappingDoc> = { connectionId };
      if (query.status) filter.status = Array.isArray(query.status) ? { $in: query.status } : query.status;
      if (query.linked !== undefined) filter.linked = query.linked;
      if (query.customerId !== undefined) filter.customerId = query.customerId;
      if (query.search) filter.$or = spec.searchFields.map((f) => ({ [f]: containsRegex(query.search!) }));
      const { limit, skip } = paging(query);
      const [docs, total] = await Promise.all([
        col.find(filter).sort({ label: 1, platformId: 1 }).skip(skip).limit(limit).toArray(),
        col.countDocuments(filter),
      ]);
      return { items: docs.map(toView), total };
    },

    async counts(connectionId) {
      const [mapped, unmapped, failed] = await Promise.all([
        col.countDocuments({ connectionId, linked: true }),
        col.countDocuments({ connectionId, linked: false }),
        col.countDocuments({ connectionId, status: 'failed' }),
      ]);
      return { total: mapped + unmapped, mapped, unmapped, failed };
    },
  };
  return { api, col, toView };
}

const psaLinkView = (doc: MappingDoc) => defined({ psaId: doc.psaId as number | undefined, psaName: doc.psaName as string | undefined });
const labelOnly = (d: { label?: string }) => ({ label: d.label });

/** The three mapping repositories over `db`. */
export function createMappingRepositories(db: Db, now: () => Date = () => new Date()): MappingRepositories {
  const customers = mappingRepository<CustomerMapping, CustomerLink, { label?: string }>(
    db,
    {
      collection: CUSTOMER_MAPPINGS,
      noun: 'customer',
      psaNoun: 'PSA company',
      linkFields: ['psaId', 'psaName'],
      optionalLinkFields: ['psaName'],
      linkDoc: (l) => defined({ psaId: l.psaId, psaName: l.psaName }),
      displayDoc: labelOnly,
      psaKeyOf: (l) => `psa:${l.psaId}`,
      searchFields: ['platformId', 'label', 'psaName'],
      view: (c, doc) => ({ ...c, ...psaLinkView(doc) }),
    },
    now,
  );
  const products = mappingRepository<ProductMapping, ProductLink, { label?: string }>(
    db,
    {
      collection: PRODUCT_MAPPINGS,
      noun: 'product',
      linkFields: ['psaId', 'psaName'],
      optionalLinkFields: ['psaName'],
      linkDoc: (l) => defined({ psaId: l.psaId, psaName: l.psaName }),
      displayDoc: labelOnly,
      searchFields: ['platformId', 'label', 'psaName'],
      view: (c, doc) => ({ ...c, ...psaLinkView(doc) }),
    },
    now,
  );
  const subs = mappingRepository<SubscriptionMapping, SubscriptionLink, SubscriptionDisplay>(
    db,
    {
      collection: SUBSCRIPTION_MAPPINGS,
      noun: 'subscription',
      linkFields: ['companyId', 'agreementId', 'productIds', 'description', 'billCustomer', 'billing'],
      optionalLinkFields: ['billCustomer', 'billing'],
      linkDoc: (l) =>
        defined({
          companyId: l.companyId,
          agreementId: l.agreementId,
          productIds: encodeKeys(l.productIds),
          description: l.description,
          billCustomer: l.billCustomer,
          billing: l.billing,
        }),
      displayDoc: (d) => ({ label: d.label, customerId: d.customerId, customerName: d.customerName, productId: d.productId }),
      searchFields: ['platformId', 'label', 'customerName', 'customerId'],
      view: (c, doc) => ({
        ...c,
        ...defined({
          customerId: doc.customerId as string | undefined,
          customerName: doc.customerName as string | undefined,
          productId: doc.productId as string | undefined,
          companyId: doc.companyId as number | undefined,
          agreementId: doc.agreementId as number | undefined,
          productIds: doc.productIds ? decodeKeys(doc.productIds as Record<string, number>) : undefined,
          description: doc.description as string | undefined,
          billCustomer: doc.billCustomer as SubscriptionLink['billCustomer'],
          billing: doc.billing as Billing | undefined,
        }),
        lineIds: {}, // filled from the lines collection by the subscription repository
      }),
    },
    now,
  );

  // Line ids live in their own documents, one per (connection, subscription, line key), not
  // in the mapping: FerretDB 1.24 applies an update by reading the document and writing all of
  // it back, so two concurrent updates of one document lose one of them (a global sync marking
  // the mapping synced while the subscription workflow records a new line would drop the line
  // id, and the next retry would create a second line). Separate documents never contend.
  const lines = db.collection<LineDoc>(SUBSCRIPTION_LINES);
  const lineDocId = (connectionId: string, subscriptionId: string, lineKey: string) => JSON.stringify([connectionId, subscriptionId, lineKey]);

  /** Line ids per subscription, and when a line was last written (a step's sync time). */
  async function lineIdsOf(connectionId: string, subscriptionIds: string[]): Promise<Map<string, { lineIds: Record<string, number>; lastWrite?: Date }>> {
    const out = new Map<string, { lineIds: Record<string, number>; lastWrite?: Date }>(subscriptionIds.map((id) => [id, { lineIds: {} }]));
    if (subscriptionIds.length === 0) return out;
    const docs = await lines.find({ connectionId, subscriptionId: { $in: subscriptionIds } }).toArray();
    for (const d of docs) {
      const entry = out.get(d.subscriptionId)!;
      entry.lineIds[d.lineKey] = d.psaId;
      if (!entry.lastWrite || d.updatedAt > entry.lastWrite) entry.lastWrite = d.updatedAt;
    }
    return out;
  }
  /**
   * The mapping with its line ids. A step that only writes lines leaves the mapping document
   * alone (recordSynced), so the last sync is the later of the document's and the lines' times.
   */
  function joinLines(v: SubscriptionMapping, lineInfo: { lineIds: Record<string, number>; lastWrite?: Date } | undefined): SubscriptionMapping {
    const lastWrite = v.linked ? lineInfo?.lastWrite?.toISOString() : undefined;
    const lastSyncAt = lastWrite && (!v.lastSyncAt || lastWrite > v.lastSyncAt) ? lastWrite : v.lastSyncAt;
    return { ...v, lineIds: lineInfo?.lineIds ?? {}, ...(lastSyncAt ? { lastSyncAt } : {}) };
  }
  async function withLines(v: SubscriptionMapping): Promise<SubscriptionMapping>;
  async function withLines(v: SubscriptionMapping | null): Promise<SubscriptionMapping | null>;
  async function withLines(v: SubscriptionMapping | null): Promise<SubscriptionMapping | null> {
    if (!v) return null;
    return joinLines(v, (await lineIdsOf(v.connectionId, [v.platformId])).get(v.platformId));
  }

  async function setLines(connectionId: string, subscriptionId: string, changes: Record<string, number | null>): Promise<SubscriptionMapping> {
    const exists = await subs.col.findOne({ _id: docId(connectionId, subscriptionId) });
    if (!exists) throw new NotFoundError('subscription mapping', docId(connectionId, subscriptionId));
    for (const [lineKey, psaId] of Object.entries(changes)) {
      if (lineKey.length === 0) throw new RangeError('line key must not be empty');
      const _id = lineDocId(connectionId, subscriptionId, lineKey);
      if (psaId === null) {
        await lines.deleteOne({ _id });
        continue;
      }
      const update = { $set: { psaId, updatedAt: now() }, $setOnInsert: { connectionId, subscriptionId, lineKey } };
      try {
        await lines.updateOne({ _id }, update, { upsert: true });
      } catch (e) {
        // Two first writes of one line raced; the line exists now, so a plain update finishes the job.
        if (!isDuplicateKeyError(e)) throw e;
        await lines.updateOne({ _id }, { $set: update.$set });
      }
    }
    return withLines(subs.toView(exists));
  }

  const subscriptions: SubscriptionMappingRepository = {
    ...subs.api,
    get: async (connectionId, subscriptionId) => withLines(await subs.api.get(connectionId, subscriptionId)),
    async getMany(connectionId, subscriptionIds, opts = {}) {
      const ids = [...new Set(subscriptionIds)];
      const docs = await mapConcurrent(ids, READS_IN_FLIGHT, (id) => subs.col.findOne({ _id: docId(connectionId, id) }));
      const found = docs.flatMap((d) => (d ? [subs.toView(d)] : []));
      if (opts.lines === false) return new Map(found.map((m) => [m.platformId, { ...m, lineIds: {} }]));
      const byId = await lineIdsOf(connectionId, found.map((m) => m.platformId));
      return new Map(found.map((m) => [m.platformId, joinLines(m, byId.get(m.platformId))]));
    },
    async lineIdsByKey(connectionId, subscriptionId, lineKeys) {
      const keys = [...new Set(lineKeys)];
      const docs = await mapConcurrent(keys, READS_IN_FLIGHT, (lineKey) => lines.findOne({ _id: lineDocId(connectionId, subscriptionId, lineKey) }, { projection: { psaId: 1 } }));
      return Object.fromEntries(keys.flatMap((lineKey, i) => (docs[i] ? [[lineKey, docs[i]!.psaId]] : [])));
    },
    async markMapped(connectionId, subscriptionId, link, opts) {
      // Lines live on one agreement: moving a subscription that has lines must go through disconnect.
      const current = await subscriptions.get(connectionId, subscriptionId);
      const count = Object.keys(current?.lineIds ?? {}).length;
      if (current?.linked && current.agreementId !== link.agreementId && count > 0) {
        throw new ConflictError(
          `subscription "${subscriptionId}" has ${count} PSA line(s) on agreement ${current.agreementId}; disconnect it before mapping it to agreement ${link.agreementId}`,
        );
      }
      return withLines(await subs.api.markMapped(connectionId, subscriptionId, link, opts));
    },
    markSynced: (connectionId, subscriptionId, outcome) => subs.api.markSynced(connectionId, subscriptionId, outcome),
    markFailed: async (connectionId, subscriptionId, message, opts) => withLines(await subs.api.markFailed(connectionId, subscriptionId, message, opts)),
    async disconnect(connectionId, subscriptionId) {
      const before = await withLines(await subs.api.disconnect(connectionId, subscriptionId));
      await lines.deleteMany({ connectionId, subscriptionId });
      return before;
    },
    async remove(connectionId, subscriptionId) {
      await lines.deleteMany({ connectionId, subscriptionId });
      return subs.api.remove(connectionId, subscriptionId);
    },
    async list(connectionId, query) {
      const page = await subs.api.list(connectionId, query);
      const byId = await lineIdsOf(connectionId, page.items.map((i) => i.platformId));
      return { ...page, items: page.items.map((i) => joinLines(i, byId.get(i.platformId))) };
    },
    setLineIds: (connectionId, subscriptionId, changes) => setLines(connectionId, subscriptionId, changes),
    async recordSynced(connectionId, subscriptionId, link, lineChanges) {
      const at = now();
      const writes = Object.entries(lineChanges).map(([lineKey, psaId]) => {
        if (lineKey.length === 0) throw new RangeError('line key must not be empty');
        const _id = lineDocId(connectionId, subscriptionId, lineKey);
        return psaId === null
          ? { deleteOne: { filter: { _id } } }
          : { updateOne: { filter: { _id }, update: { $set: { psaId, updatedAt: at }, $setOnInsert: { connectionId, subscriptionId, lineKey } }, upsert: true } };
      });
      if (writes.length > 0) await lines.bulkWrite(writes, { ordered: false });
      if (!link) return;
      const set = { ...defined({ companyId: link.companyId, agreementId: link.agreementId, description: link.description, billCustomer: link.billCustomer }), status: 'mapped' as const, linked: true, lastSyncAt: at, updatedAt: at };
      await subs.col.updateOne(
        { _id: docId(connectionId, subscriptionId) },
        { $set: set, $unset: { error: '' }, $setOnInsert: { connectionId, platformId: subscriptionId, createdAt: at } },
        { upsert: true },
      );
    },
    recordApplied: (connectionId, subscriptionId, applied) =>
      setLines(connectionId, subscriptionId, Object.fromEntries(applied.map((a) => [a.lineKey, a.psaId]))),
    async setProductId(connectionId, subscriptionId, productId, psaId) {
      const doc = await subs.col.findOneAndUpdate(
        { _id: docId(connectionId, subscriptionId) },
        { $set: { [`productIds.${encodeLineKey(productId)}`]: psaId, updatedAt: now() } },
        { returnDocument: 'after' },
      );
      if (!doc) throw new NotFoundError('subscription mapping', docId(connectionId, subscriptionId));
      return withLines(subs.toView(doc));
    },
  };

  return {
    customers: customers.api,
    products: products.api,
    subscriptions,
    async summary(connectionId) {
      const [c, p, s] = await Promise.all([customers.api.counts(connectionId), products.api.counts(connectionId), subs.api.counts(connectionId)]);
      return { customers: c, products: p, subscriptions: s };
    },
    async removeConnection(connectionId) {
      const results = await Promise.all([customers.col, products.col, subs.col].map((c) => c.deleteMany({ connectionId })));
      await lines.deleteMany({ connectionId });
      return results.reduce((n, r) => n + r.deletedCount, 0);
    },
  };
}
