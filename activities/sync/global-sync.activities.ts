/**
 * The global sync (docs/billing-rules.md §2, seed 004 "Global Sync Rules"): pushes the platform's
 * values of mapped customers, products and subscriptions to the PSA — only the fields the
 * connection's toggles enable, and only when they changed since the last successful push.
 *
 * "Changed" is the mapping's `contentHash` (the hash Map & Sync stores too, sync-fields.ts):
 * the same values give the same hash, so a sync with nothing changed writes nothing, and one
 * changed field gives exactly one PATCH of the record.
 *
 * Subscriptions are not visited: their lines (quantities, products, prices) are owned by the
 * subscription's lifecycle events (price-changed, full-upgrade, ...) and have one writer, the
 * subscription's workflow. A sync that pushed the platform record's price would undo an upgrade.
 */
import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import { BillingInputError } from '../../domain/problems';
import { enabledFields, pushValues, syncHash } from './sync-fields';
import { isPsaError } from '../psa/http';
import type { GatewayRegistry } from '../psa/gateway-registry';
import type { CatalogItemUpdate, CompanyUpdate, PsaGateway } from '../psa/psa-gateway.port';
import { withFailureTypes } from '../psa-failure';
import { NotFoundError, type Connection, type MappingCommon, type PlatformCustomer, type PlatformProduct, type Store } from '../store';

type PlatformRecord = PlatformCustomer | PlatformProduct;

export const SYNC_KINDS = ['customer', 'product', 'subscription'] as const;
export type SyncKind = (typeof SYNC_KINDS)[number];

export type SyncOutcome = 'pushed' | 'unchanged' | 'failed' | 'skipped';

export interface SyncEntityResult {
  kind: SyncKind;
  platformId: string;
  outcome: SyncOutcome;
  /** Fields written (pushed) — for subscriptions, handed to the subscription workflow. */
  fields?: string[];
  /** Fields the toggles enable that this PSA has no place for (reported, not written). */
  unsupported?: string[];
  /** Why it failed or was skipped. */
  reason?: string;
}

export interface SyncTally { pushed: number; unchanged: number; failed: number; skipped: number }

export interface SyncPageResult extends SyncTally {
  kind: SyncKind;
  skip: number;
  /** Failed and skipped entities of the page (pushed/unchanged ones are only counted). */
  problems: SyncEntityResult[];
}

export interface SyncPlan {
  /** False when the connection turned autoSync off after the schedule fired. */
  autoSync: boolean;
  psa: Connection['psa'];
  /** Linked (mapped or failed-after-mapped) records per kind: what a full sync visits. */
  linked: Record<SyncKind, number>;
}

export interface GlobalSyncActivityDeps {
  store: Store;
  gateways: GatewayRegistry;
  now?: () => Date;
}

const SUBSCRIPTIONS_OWNED = "a subscription's lines are owned by its lifecycle events (send price-changed / full-upgrade events); the global sync never writes them";

/** Most records one page visits; keeps each activity short and the workflow history small. */
export const MAX_SYNC_PAGE = 500;

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function createGlobalSyncActivities(deps: GlobalSyncActivityDeps) {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());

  async function connection(connectionId: string): Promise<Connection> {
    const conn = await store.connections.get(connectionId);
    if (!conn) throw new NotFoundError('connection', connectionId);
    return conn;
  }

  /** The platform's customer / product (subscriptions are never pushed, so never read). */
  const readRecord = (kind: SyncKind, platformId: string): Promise<PlatformRecord | null> =>
    kind === 'customer' ? store.platform.getCustomer(platformId) : kind === 'product' ? store.platform.getProduct(platformId) : Promise.resolve(null);

  /** A page's platform customers / products by id (none for subscriptions). */
  const readRecords = async (kind: SyncKind, ids: string[]): Promise<Map<string, PlatformRecord>> =>
    kind === 'customer' ? store.platform.getCustomers(ids) : kind === 'product' ? store.platform.getProducts(ids) : new Map();

  const repoOf = (kind: SyncKind) =>
    kind === 'customer' ? store.mappings.customers : kind === 'product' ? store.mappings.products : store.mappings.subscriptions;

  /**
   * One record. A refusal (PSA validation, bad data) is recorded on the mapping as `failed`
   * and returned; a transient error (429, 5xx, network) is thrown so the activity retries —
   * records already pushed in the page are `unchanged` on the retry, so nothing is written twice.
   */
  async function syncOne(conn: Connection, gateway: PsaGateway, kind: SyncKind, mapping: MappingCommon & { psaId?: number }, loaded?: PlatformRecord | null): Promise<SyncEntityResult> {
    const base = { kind, platformId: mapping.platformId };
    if (!mapping.linked) return { ...base, outcome: 'skipped', reason: 'not mapped' };
    try {
      if (kind === 'subscription') return { ...base, outcome: 'skipped', reason: SUBSCRIPTIONS_OWNED };
      const record = loaded !== undefined ? loaded : await readRecord(kind, mapping.platformId);
      if (!record) return { ...base, outcome: 'skipped', reason: `the platform no longer has ${kind} ${mapping.platformId}` };
      const fields: string[] = kind === 'customer' ? enabledFields(conn.rules.fieldToggles.company) : enabledFields(conn.rules.fieldToggles.product);
      if (fields.length === 0) return { ...base, outcome: 'skipped', reason: 'every field toggle is off' };
      const hash = syncHash(record, fields);
      if (hash === mapping.contentHash) return { ...base, outcome: 'unchanged' };
      const values = pushValues(record, fields);
      const res =
        kind === 'customer'
          ? await gateway.updateCompany(mapping.psaId!, values as CompanyUpdate)
          : await gateway.updateCatalogItem(mapping.psaId!, values as CatalogItemUpdate);
      await repoOf(kind).markSynced(conn.id, mapping.platformId, { at: now(), contentHash: hash });
      return { ...base, outcome: 'pushed', fields: res.written, ...(res.unsupported.length ? { unsupported: res.unsupported } : {}) };
    } catch (e) {
      if (isPsaError(e) && e.retryable) throw e;
      if (!isPsaError(e) && !(e instanceof NotFoundError) && !(e instanceof BillingInputError)) throw e;
      const reason = `global sync failed: ${messageOf(e)}`;
      await repoOf(kind).markFailed(conn.id, mapping.platformId, reason);
      return { ...base, outcome: 'failed', reason };
    }
  }

  return {
    /** What a run will visit, and whether the schedule should still run it. */
    async planGlobalSync(input: { connectionId: string }): Promise<SyncPlan> {
      const conn = await withFailureTypes(() => connection(input.connectionId));
      const linked = Object.fromEntries(
        await Promise.all(SYNC_KINDS.map(async (k) => [k, k === 'subscription' ? 0 : (await repoOf(k).list(conn.id, { linked: true, limit: 1 })).total] as const)),
      ) as Record<SyncKind, number>;
      return { autoSync: conn.rules.autoSync, psa: conn.psa, linked };
    },

    /** One page of linked records of one kind, in the repository's stable order (label, id). */
    async syncPage(input: { connectionId: string; kind: SyncKind; skip: number; limit: number }): Promise<SyncPageResult> {
      const limit = Math.min(Math.max(1, input.limit), MAX_SYNC_PAGE);
      const conn = await withFailureTypes(() => connection(input.connectionId));
      const gateway = await deps.gateways.forConnection(conn.id);
      const page = await repoOf(input.kind).list(conn.id, { linked: true, skip: input.skip, limit });
      // The page's platform records in one query (`$in`), not one read per record; then per
      // record only the PSA write and one update of its mapping (docs/operations.md "Global sync").
      const mappings: Array<MappingCommon & { psaId?: number }> = page.items;
      const records = await readRecords(input.kind, mappings.map((m) => m.platformId));
      const out: SyncPageResult = { kind: input.kind, skip: input.skip, pushed: 0, unchanged: 0, failed: 0, skipped: 0, problems: [] };
      for (const [i, m] of mappings.entries()) {
        const r = await withFailureTypes(() => syncOne(conn, gateway, input.kind, m, input.kind === 'subscription' ? undefined : (records.get(m.platformId) ?? null)));
        out[r.outcome]++;
        if (r.outcome === 'failed' || r.outcome === 'skipped') out.problems.push(r);
        // A page of PSA writes can take minutes: the heartbeat tells Temporal it is alive.
        heartbeat(i + 1);
      }
      return out;
    },

    /** On-demand sync of one record ("Map & Sync" later, or `sync run --entity customer:ID`). */
    async syncEntity(input: { connectionId: string; kind: SyncKind; platformId: string }): Promise<SyncEntityResult> {
      return withFailureTypes(async () => {
        const conn = await connection(input.connectionId);
        const mapping = await repoOf(input.kind).get(conn.id, input.platformId);
        if (!mapping) throw ApplicationFailure.nonRetryable(`${input.kind} "${input.platformId}" has no mapping on connection "${conn.id}"`, 'NotFoundError');
        return syncOne(conn, await deps.gateways.forConnection(conn.id), input.kind, mapping as MappingCommon & { psaId?: number });
      });
    },
  };
}

export type GlobalSyncActivities = ReturnType<typeof createGlobalSyncActivities>;
