/**
 * Platform records (customers, products, subscriptions, monthly invoices). The platform is the
 * source of truth and pushes them to us; we keep the latest copy of each for mapping, the
 * global sync and reconciliation. Upserts replace a record's fields with what was pushed.
 */
import type { Db, Document, Filter } from 'mongodb';
import { z } from 'zod';
import { isIsoDate } from '../../domain/dates';
import { isMoney, normalizeMoney } from '../../domain/money';
import { CommitmentTermSchema } from '../../domain/schemas';
import { ConflictError, parseInput } from './errors';
import { containsRegex, isDuplicateKeyError, paging, type IndexSpec, type Page } from './mongo';

export const PLATFORM_CUSTOMERS = 'platform_customers';
export const PLATFORM_PRODUCTS = 'platform_products';
export const PLATFORM_SUBSCRIPTIONS = 'platform_subscriptions';
export const PLATFORM_INVOICES = 'platform_invoices';

export const platformIndexes: IndexSpec[] = [
  { collection: PLATFORM_PRODUCTS, key: { provider: 1 }, name: 'provider' },
  { collection: PLATFORM_SUBSCRIPTIONS, key: { subscriptionId: 1 }, name: 'subscription' },
  { collection: PLATFORM_SUBSCRIPTIONS, key: { connectionId: 1, customerId: 1 }, name: 'connection_customer' },
  { collection: PLATFORM_SUBSCRIPTIONS, key: { connectionId: 1, productId: 1 }, name: 'connection_product' },
  { collection: PLATFORM_SUBSCRIPTIONS, key: { connectionId: 1, provider: 1, status: 1 }, name: 'connection_provider_status' },
  // The reconciliation listing's one pass (streamSubscriptions): in `_id` order, resumable after an id, no blocking sort.
  { collection: PLATFORM_SUBSCRIPTIONS, key: { connectionId: 1, provider: 1, _id: 1 }, name: 'connection_provider_id' },
  { collection: PLATFORM_INVOICES, key: { subscriptionId: 1, month: 1, kind: 1 }, name: 'subscription_month_kind', unique: true },
  { collection: PLATFORM_INVOICES, key: { month: 1, provider: 1 }, name: 'month_provider' },
  { collection: PLATFORM_INVOICES, key: { invoiceId: 1 }, name: 'invoice_id' },
];

const Id = z.string({ required_error: 'is required', invalid_type_error: 'must be a string' }).min(1, 'must not be empty').max(200, 'is too long');
const Text = (max = 500) => z.string({ required_error: 'is required', invalid_type_error: 'must be a string' }).max(max, 'is too long');
const MoneyField = z
  .string({ required_error: 'is required', invalid_type_error: 'must be a decimal string such as "22.00"' })
  .refine(isMoney, 'must be a decimal string with at most 4 decimals, such as "22.00"')
  .transform(normalizeMoney);
const DateField = z
  .string({ required_error: 'is required', invalid_type_error: 'must be a date string YYYY-MM-DD' })
  .refine(isIsoDate, 'must be a calendar date YYYY-MM-DD');
const Quantity = z.number({ required_error: 'is required', invalid_type_error: 'must be a number' }).int('must be a whole number').nonnegative('must not be negative');
const Frequency = z.enum(['monthly', 'yearly'], { errorMap: () => ({ message: 'must be "monthly" or "yearly"' }) });
/** Billing month `YYYY-MM`. */
export const MonthSchema = z
  .string({ required_error: 'is required', invalid_type_error: 'must be a month YYYY-MM' })
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month YYYY-MM');

export const PlatformCustomerSchema = z
  .object({
    id: Id,
    name: Text(200).min(1, 'must not be empty'),
    address: Text().optional(),
    city: Text(100).optional(),
    state: Text(100).optional(),
    zip: Text(20).optional(),
    country: Text(100).optional(),
  })
  .strict();
export type PlatformCustomer = z.infer<typeof PlatformCustomerSchema>;

export const PlatformProductSchema = z
  .object({
    id: Id,
    name: Text(200).min(1, 'must not be empty'),
    /** Manufacturer part number (MPN). */
    partNumber: Text(100).min(1, 'must not be empty'),
    /** Provider / manufacturer, e.g. "Microsoft CSP" (ConnectWise manufacturer, Autotask vendor). */
    provider: Text(100).min(1, 'must not be empty'),
    description: Text(2000).optional(),
    unitPrice: MoneyField,
    unitCost: MoneyField,
    billingFrequency: Frequency,
    kind: z.enum(['saas', 'iaas'], { errorMap: () => ({ message: 'must be "saas" or "iaas"' }) }).default('saas'),
  })
  .strict();
export type PlatformProduct = z.infer<typeof PlatformProductSchema>;

export const SUBSCRIPTION_STATUSES = ['pending', 'active', 'suspended', 'cancelled', 'expired'] as const;
export const PlatformSubscriptionSchema = z
  .object({
    /** The PSA connection it is reported on: subscriptions are kept per connection (never shared). */
    connectionId: Id,
    id: Id,
    customerId: Id,
    productId: Id,
    provider: Text(100).min(1, 'must not be empty'),
    quantity: Quantity,
    unitPrice: MoneyField,
    unitCost: MoneyField,
    startDate: DateField,
    /** Last day of the term; null = open-ended. */
    endDate: DateField.nullable(),
    billingFrequency: Frequency,
    autoRenew: z.boolean({ invalid_type_error: 'must be true or false' }).default(false),
    status: z.enum(SUBSCRIPTION_STATUSES, { errorMap: () => ({ message: `must be one of ${SUBSCRIPTION_STATUSES.join(', ')}` }) }),
    kind: z.enum(['saas', 'iaas'], { errorMap: () => ({ message: 'must be "saas" or "iaas"' }) }).default('saas'),
    /** Commitment term length (docs/renewals.md); absent = none. */
    commitmentTerm: CommitmentTermSchema.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.endDate !== null && s.endDate < s.startDate) {
      ctx.addIssue({ code: 'custom', path: ['endDate'], message: `must not be before startDate (${s.startDate})` });
    }
  });
export type PlatformSubscription = z.infer<typeof PlatformSubscriptionSchema>;

/**
 * A final monthly invoice line for one subscription: what the reseller pays (cost) or the
 * customer pays (price). `id` is the platform's invoice id: the same id sent again with the
 * same content changes nothing, with other content it is an amendment that replaces it
 * (docs/platform-intake.md).
 */
export const PlatformInvoiceSchema = z
  .object({
    id: Id,
    subscriptionId: Id,
    customerId: Id,
    provider: Text(100).min(1, 'must not be empty'),
    month: MonthSchema,
    kind: z.enum(['reseller', 'customer'], { errorMap: () => ({ message: 'must be "reseller" or "customer"' }) }),
    /** Licenses of the last billing period (IaaS: 1). */
    quantity: Quantity,
    /** Billed usage quantity (proration / consumption), when it differs from `quantity`. */
    usageQuantity: z.number({ invalid_type_error: 'must be a number' }).nonnegative('must not be negative').optional(),
    /** Invoice total for the month: the reseller cost or the customer price. */
    amount: MoneyField,
    issuedOn: DateField.optional(),
  })
  .strict();
export type PlatformInvoice = z.infer<typeof PlatformInvoiceSchema>;
export type PlatformInvoiceInput = z.input<typeof PlatformInvoiceSchema>;

/** The fields an amendment may change (identity — id, subscription, month, kind — never changes). */
const AMENDABLE = ['customerId', 'provider', 'quantity', 'usageQuantity', 'amount', 'issuedOn'] as const;
type Amendable = (typeof AMENDABLE)[number];

/** One amendment of an invoice: who sent it, when, and each field's value before and after. */
export interface InvoiceAmendment {
  at: string;
  by: string;
  changes: Array<{ field: Amendable; from: string | number | null; to: string | number | null }>;
}

/** An invoice as stored: what the platform sent last, plus its amendments, oldest first. */
export interface PlatformInvoiceRecord extends PlatformInvoice {
  receivedAt: string;
  receivedBy: string;
  amendments: InvoiceAmendment[];
}

/** What receiving one invoice did. */
export interface InvoiceReceipt {
  id: string;
  outcome: 'created' | 'unchanged' | 'amended';
  /** Fields the amendment changed. */
  changed?: Amendable[];
}

const invoiceSlot = (i: { subscriptionId: string; month: string; kind: string }) => `${i.subscriptionId}|${i.month}|${i.kind}`;


export interface PlatformRepository {
  upsertCustomer(input: z.input<typeof PlatformCustomerSchema>): Promise<PlatformCustomer>;
  upsertProduct(input: z.input<typeof PlatformProductSchema>): Promise<PlatformProduct>;
  /** Keyed by (connection, subscription): reporting it on another connection never touches this one. */
  upsertSubscription(input: z.input<typeof PlatformSubscriptionSchema>): Promise<PlatformSubscription>;
  /** Receives a final invoice by its id: new, unchanged (a no-op) or amended (replaced; the change is kept). */
  receiveInvoice(input: PlatformInvoiceInput, by: string): Promise<InvoiceReceipt>;
  getCustomer(id: string): Promise<PlatformCustomer | null>;
  getProduct(id: string): Promise<PlatformProduct | null>;
  /** Several customers / products in one query (`_id` `$in`), by id; ids not stored are absent. */
  getCustomers(ids: readonly string[]): Promise<Map<string, PlatformCustomer>>;
  getProducts(ids: readonly string[]): Promise<Map<string, PlatformProduct>>;
  getSubscription(connectionId: string, id: string): Promise<PlatformSubscription | null>;
  /** The connections a subscription id is reported on. */
  subscriptionConnections(id: string): Promise<string[]>;
  getInvoice(subscriptionId: string, month: string, kind: PlatformInvoice['kind']): Promise<PlatformInvoiceRecord | null>;
  /** Both invoices of a subscription's month, each null until the platform has generated it (§6 `pending`). */
  invoicesFor(subscriptionId: string, month: string): Promise<{ reseller: PlatformInvoiceRecord | null; customer: PlatformInvoiceRecord | null }>;
  /** Customers by name/id text, sorted by name. */
  listCustomers(q?: { search?: string; limit?: number; skip?: number }): Promise<Page<PlatformCustomer>>;
  listProducts(q?: { provider?: string; search?: string; limit?: number; skip?: number }): Promise<Page<PlatformProduct>>;
  listSubscriptions(q: {
    connectionId: string;
    customerId?: string;
    productId?: string;
    provider?: string;
    status?: PlatformSubscription['status'] | PlatformSubscription['status'][];
    limit?: number;
    skip?: number;
  }): Promise<Page<PlatformSubscription>>;
  listInvoices(q: { month: string; provider?: string; subscriptionId?: string; kind?: PlatformInvoice['kind'] }): Promise<PlatformInvoiceRecord[]>;
  /**
   * A connection's subscriptions of one provider in one pass, in id order, after `after` (an id
   * already handled) when given: one query read through its cursor, no skip and no count (on
   * FerretDB 1.24 any filter but a lone `_id` is a scan, so paging with skip and a count per
   * page costs O(N²); on MongoDB the `connection_provider_id` index serves filter and order).
   */
  streamSubscriptions(q: { connectionId: string; provider: string; after?: string }): AsyncIterable<SubscriptionListEntry>;
}

/** What a one-pass listing of subscriptions carries (the fields a reconciliation subject needs). */
export type SubscriptionListEntry = Pick<PlatformSubscription, 'id' | 'customerId' | 'productId' | 'kind'>;
/** Subscriptions per cursor batch of streamSubscriptions. */
const STREAM_BATCH = 1_000;

type StoredDoc = { _id: string; updatedAt?: Date } & Document;

/** One collection of pushed records keyed by the platform id (`_id`). */
function keptRecords<T extends { id: string }>(db: Db, name: string, now: () => Date) {
  const col = db.collection<StoredDoc>(name);
  const toRecord = (doc: StoredDoc): T => {
    const { _id, updatedAt: _u, ...rest } = doc;
    return { id: _id, ...rest } as unknown as T;
  };
  return {
    /** A pushed record replaces the stored one whole, so a field the platform dropped disappears too. */
    async put(record: T): Promise<T> {
      const { id, ...fields } = record;
      await col.replaceOne({ _id: id }, { ...fields, updatedAt: now() }, { upsert: true });
      return record;
    },
    async get(id: string): Promise<T | null> {
      const doc = await col.findOne({ _id: id });
      return doc ? toRecord(doc) : null;
    },
    /**
     * One `$in` query for a page of records. On FerretDB 1.24 that is a scan, yet under load it
     * beat the same 500 reads by `_id` (one at a time or 16 in flight) by 2-6x at 10,000 records
     * (docs/operations.md "Global sync").
     */
    async getMany(ids: readonly string[]): Promise<Map<string, T>> {
      if (ids.length === 0) return new Map();
      const docs = await col.find({ _id: { $in: [...new Set(ids)] } }).toArray();
      return new Map(docs.map((d) => [d._id, toRecord(d)]));
    },
    async page(filter: Filter<StoredDoc>, sort: Record<string, 1>, p: { limit?: number; skip?: number }): Promise<Page<T>> {
      const { limit, skip } = paging(p);
      const [docs, total] = await Promise.all([col.find(filter).sort(sort).skip(skip).limit(limit).toArray(), col.countDocuments(filter)]);
      return { items: docs.map(toRecord), total };
    },
  };
}

/** Keyed by (subscription, month, kind): one final invoice per slot; `invoiceId` is the platform's id. */
type InvoiceDoc = Omit<PlatformInvoice, 'id'> & { _id: string; invoiceId: string; receivedAt: Date; receivedBy: string; amendments: InvoiceAmendment[]; updatedAt: Date };
function fromStoredInvoice(doc: InvoiceDoc): PlatformInvoiceRecord {
  const { _id, updatedAt, invoiceId, receivedAt, receivedBy, amendments, ...rest } = doc;
  // Records from before invoice ids were kept have neither id nor receipt (see receiveInvoice).
  return { id: invoiceId ?? _id, ...rest, receivedAt: (receivedAt ?? updatedAt).toISOString(), receivedBy: receivedBy ?? LEGACY_SENDER, amendments: amendments ?? [] };
}
const LEGACY_SENDER = 'unknown (received before invoice ids were kept)';
const shown = (v: string | number | undefined) => (v === undefined ? null : v);

/** The platform-records repository over `db`. */
export function createPlatformRepository(db: Db, now: () => Date = () => new Date()): PlatformRepository {
  const customers = keptRecords<PlatformCustomer>(db, PLATFORM_CUSTOMERS, now);
  const products = keptRecords<PlatformProduct>(db, PLATFORM_PRODUCTS, now);
  const subscriptionDocs = db.collection<StoredDoc>(PLATFORM_SUBSCRIPTIONS);
  const subscriptionKey = (connectionId: string, id: string) => `${connectionId}|${id}`;
  const toSubscription = (doc: StoredDoc): PlatformSubscription => {
    const { _id, updatedAt: _u, subscriptionId, ...rest } = doc;
    return { ...rest, id: subscriptionId } as unknown as PlatformSubscription;
  };
  const invoices = db.collection<InvoiceDoc>(PLATFORM_INVOICES);

  return {
    // async, so bad input rejects the promise like every other failure.
    upsertCustomer: async (input) => customers.put(parseInput(PlatformCustomerSchema, input)),
    upsertProduct: async (input) => products.put(parseInput(PlatformProductSchema, input)),
    async upsertSubscription(input) {
      const { id, ...fields } = parseInput(PlatformSubscriptionSchema, input);
      await subscriptionDocs.replaceOne({ _id: subscriptionKey(fields.connectionId, id) }, { ...fields, subscriptionId: id, updatedAt: now() }, { upsert: true });
      return { id, ...fields };
    },
    async receiveInvoice(input, by) {
      const { id, ...inv } = parseInput(PlatformInvoiceSchema, input);
      const slot = invoiceSlot(inv);
      const at = now();
      const current = await invoices.findOne({ _id: slot });
      if (!current) {
        const elsewhere = await invoices.findOne({ invoiceId: id });
        if (elsewhere) {
          throw new ConflictError(`invoice "${id}" was received for ${elsewhere.subscriptionId} ${elsewhere.month} (${elsewhere.kind}); an invoice's subscription, month and kind cannot change`);
        }
        try {
          await invoices.insertOne({ _id: slot, invoiceId: id, ...inv, receivedAt: at, receivedBy: by, amendments: [], updatedAt: at });
        } catch (e) {
          if (isDuplicateKeyError(e)) throw new ConflictError(`another ${inv.kind} invoice of ${inv.subscriptionId} for ${inv.month} arrived at the same time; send it again`);
          throw e;
        }
        return { id, outcome: 'created' };
      }
      // A record from before invoice ids were kept is taken over by the first id sent for its slot.
      if (current.invoiceId !== undefined && current.invoiceId !== id) {
        throw new ConflictError(
          `${inv.subscriptionId} already has a ${inv.kind} invoice for ${inv.month}: "${current.invoiceId}"; send a correction as an amendment under that id`,
        );
      }
      const changes = AMENDABLE.filter((f) => current[f] !== inv[f]).map((f) => ({ field: f, from: shown(current[f]), to: shown(inv[f]) }));
      if (changes.length === 0) {
        if (current.invoiceId === undefined) {
          await invoices.updateOne({ _id: slot }, { $set: { invoiceId: id, receivedAt: current.updatedAt, receivedBy: LEGACY_SENDER, amendments: [] } });
        }
        return { id, outcome: 'unchanged' };
      }
      const amendment: InvoiceAmendment = { at: at.toISOString(), by, changes };
      await invoices.replaceOne(
        { _id: slot },
        {
          invoiceId: id,
          ...inv,
          receivedAt: current.receivedAt ?? current.updatedAt,
          receivedBy: current.receivedBy ?? LEGACY_SENDER,
          amendments: [...(current.amendments ?? []), amendment],
          updatedAt: at,
        },
      );
      return { id, outcome: 'amended', changed: changes.map((c) => c.field) };
    },

    getCustomer: (id) => customers.get(id),
    getProduct: (id) => products.get(id),
    getCustomers: (ids) => customers.getMany(ids),
    getProducts: (ids) => products.getMany(ids),
    async getSubscription(connectionId, id) {
      const doc = await subscriptionDocs.findOne({ _id: subscriptionKey(connectionId, id) });
      return doc ? toSubscription(doc) : null;
    },
    async subscriptionConnections(id) {
      const docs = await subscriptionDocs.find({ subscriptionId: id }, { projection: { connectionId: 1 } }).toArray();
      return docs.map((d) => String(d.connectionId)).sort();
    },
    async getInvoice(subscriptionId, month, kind) {
      const d = await invoices.findOne({ _id: invoiceSlot({ subscriptionId, month, kind }) });
      return d ? fromStoredInvoice(d) : null;
    },
    async invoicesFor(subscriptionId, month) {
      const docs = await invoices.find({ subscriptionId, month }).toArray();
      const of = (k: PlatformInvoice['kind']) => {
        const d = docs.find((x) => x.kind === k);
        return d ? fromStoredInvoice(d) : null;
      };
      return { reseller: of('reseller'), customer: of('customer') };
    },

    listCustomers(q = {}) {
      const filter: Filter<StoredDoc> = q.search ? { $or: [{ name: containsRegex(q.search) }, { _id: containsRegex(q.search) }] } : {};
      return customers.page(filter, { name: 1, _id: 1 }, q);
    },
    listProducts(q = {}) {
      const filter: Filter<StoredDoc> = {};
      if (q.provider) filter.provider = q.provider;
      if (q.search) filter.$or = [{ name: containsRegex(q.search) }, { partNumber: containsRegex(q.search) }, { _id: containsRegex(q.search) }];
      return products.page(filter, { name: 1, _id: 1 }, q);
    },
    async listSubscriptions(q) {
      const filter: Filter<StoredDoc> = { connectionId: q.connectionId };
      if (q.customerId) filter.customerId = q.customerId;
      if (q.productId) filter.productId = q.productId;
      if (q.provider) filter.provider = q.provider;
      if (q.status) filter.status = Array.isArray(q.status) ? { $in: q.status } : q.status;
      const { limit, skip } = paging(q);
      const [docs, total] = await Promise.all([subscriptionDocs.find(filter).sort({ _id: 1 }).skip(skip).limit(limit).toArray(), subscriptionDocs.countDocuments(filter)]);
      return { items: docs.map(toSubscription), total };
    },
    async listInvoices(q) {
      const filter: Filter<InvoiceDoc> = { month: q.month };
      if (q.provider) filter.provider = q.provider;
      if (q.subscriptionId) filter.subscriptionId = q.subscriptionId;
      if (q.kind) filter.kind = q.kind;
      const docs = await invoices.find(filter).sort({ subscriptionId: 1, kind: 1 }).toArray();
      return docs.map(fromStoredInvoice);
    },
    async *streamSubscriptions(q) {
      const filter: Filter<StoredDoc> = { connectionId: q.connectionId, provider: q.provider };
      if (q.after !== undefined) filter._id = { $gt: subscriptionKey(q.connectionId, q.after) };
      const cursor = subscriptionDocs.find(filter, { projection: { subscriptionId: 1, customerId: 1, productId: 1, kind: 1 }, sort: { _id: 1 }, batchSize: STREAM_BATCH });
      try {
        for await (const d of cursor) {
          yield { id: String(d.subscriptionId), customerId: String(d.customerId), productId: String(d.productId), kind: d.kind as PlatformSubscription['kind'] };
        }
      } finally {
        await cursor.close();
      }
    },
  };
}
