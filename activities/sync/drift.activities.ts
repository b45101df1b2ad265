/**
 * Drift, the daily global sync's last part (docs/adopt-and-drift.md): the lines each mapped
 * subscription owns, read from the PSA, compared with its ledger (domain/owned-lines.ts ·
 * findDrift). Each subscription's workflow is told the result (its `state` query shows it) and
 * the findings are kept per subscription for the daily digest. Nothing is written to the PSA:
 * an admin restores or accepts (`services restore` / `services accept-drift`).
 *
 * Only subscriptions in step with the PSA are compared (a workflow that is writing, or failed,
 * would show its own pending work as drift). Lines are read once per agreement per page.
 */
import type { Db } from 'mongodb';
import type { SubscriptionMessenger } from '../../contracts/subscription';
import { isoDateOf } from '../../domain/dates';
import { findDrift, type DriftFinding, type PsaLineFound } from '../../domain/owned-lines';
import { withFailureTypes } from '../psa-failure';
import { mappedProductIds } from '../psa-targets';
import type { GatewayRegistry } from '../psa/gateway-registry';
import type { Store } from '../store';

/** One document per (connection, subscription): the last comparison's findings (the digest reads them). */
export const LINE_DRIFT = 'line_drift';

export interface DriftRow extends DriftFinding {
  subscriptionId: string;
}

interface DriftDoc {
  _id: string;
  connectionId: string;
  subscriptionId: string;
  at: Date;
  findings: DriftFinding[];
}

export interface DriftPageResult {
  checked: number;
  drifted: number;
  /** Not compared: not placed yet, writing, or failed (with why). */
  skipped: Array<{ subscriptionId: string; reason: string }>;
  /** Findings of the page (at most 200 listed). */
  findings: DriftRow[];
  /** Where the next page starts; null after the last. */
  next: number | null;
}

export interface DriftActivityDeps {
  store: Store;
  gateways: GatewayRegistry;
  subscriptions: Pick<SubscriptionMessenger, 'state' | 'reportDrift'>;
  db?: Db;
  now?: () => Date;
}

const MAX_LISTED = 200;

export function createDriftActivities(deps: DriftActivityDeps) {
  const now = deps.now ?? (() => new Date());
  const docs = () => deps.db?.collection<DriftDoc>(LINE_DRIFT);

  return {
    /** One page of the connection's mapped subscriptions compared with their ledgers. */
    async checkDrift(input: { connectionId: string; skip: number; limit: number }): Promise<DriftPageResult> {
      return withFailureTypes(async () => {
        const limit = Math.min(Math.max(1, input.limit), 500);
        const page = await deps.store.mappings.subscriptions.list(input.connectionId, { linked: true, skip: input.skip, limit });
        const gateway = await deps.gateways.forConnection(input.connectionId);
        const productIds = await mappedProductIds(deps.store, input.connectionId);
        const lines = new Map<number, Promise<PsaLineFound[]>>();
        const at = now();
        const asOf = isoDateOf(at.getTime());
        const out: DriftPageResult = { checked: 0, drifted: 0, skipped: [], findings: [], next: page.items.length < limit ? null : input.skip + limit };
        for (const m of page.items) {
          const s = await deps.subscriptions.state(input.connectionId, m.platformId, { timeoutMs: 5_000 }).catch((e: unknown) => e as Error);
          if (s instanceof Error) {
            out.skipped.push({ subscriptionId: m.platformId, reason: `no state: ${s.message}` });
            continue;
          }
          if (!s.placement || s.syncing || s.status === 'failed') {
            out.skipped.push({ subscriptionId: m.platformId, reason: !s.placement ? 'not placed yet' : s.syncing ? 'writing to the PSA' : 'failed (its own error comes first)' });
            continue;
          }
          const agreementId = s.placement.agreementId;
          if (!lines.has(agreementId)) lines.set(agreementId, gateway.listLines(agreementId, asOf));
          const findings = findDrift(s.placement.psa, s.ledger, s.held, await lines.get(agreementId)!, { ...productIds, ...(m.productIds ?? {}) }, asOf);
          out.checked += 1;
          if (findings.length > 0) out.drifted += 1;
          out.findings.push(...findings.slice(0, Math.max(0, MAX_LISTED - out.findings.length)).map((f) => ({ ...f, subscriptionId: m.platformId })));
          await deps.subscriptions.reportDrift(input.connectionId, m.platformId, { at: at.toISOString(), asOf, findings });
          await docs()?.replaceOne({ _id: JSON.stringify([input.connectionId, m.platformId]) }, { connectionId: input.connectionId, subscriptionId: m.platformId, at, findings }, { upsert: true });
        }
        return out;
      });
    },
  };
}

/** Every drifted line of a connection as last compared (for the digest), by subscription. */
export async function driftRows(db: Db, connectionId: string): Promise<DriftRow[]> {
  const found = await db.collection<DriftDoc>(LINE_DRIFT).find({ connectionId }).sort({ subscriptionId: 1 }).toArray();
  return found.flatMap((d) => d.findings.map((f) => ({ ...f, subscriptionId: d.subscriptionId })));
}

export type DriftActivities = ReturnType<typeof createDriftActivities>;
