/**
 * The daily §8 digests of one connection. Each template is opt-in (connection notification
 * preferences), goes to the connection's recipients, at most once per UTC day (the store's
 * digest claim: claimed before sending, released when sending fails, so a retry can send), and
 * not at all when nothing changed since the last mail:
 *  - service mapping: the set of subscriptions needing action (unmapped, or failed with their
 *    error) differs from the set the last mail listed; the mail then lists all of them;
 *  - billing reconciliation: statuses that changed since the last mail (store snapshot);
 *  - renewals (docs/renewals.md): the subscriptions whose commitment ends within the
 *    connection's renewal days differ from those the last mail listed; it lists all of them.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Collection, Db } from 'mongodb';
import { addDays, type IsoDate } from '../../domain/dates';
import {
  contentHash,
  DEFAULT_RENEWAL_DAYS,
  NotFoundError,
  renewalRow,
  type RenewalRow,
  statusChangesSince,
  type Connection,
  type NotificationTemplate,
  type NotifiedStatus,
  type Store,
  type SubscriptionMapping,
} from '../store';
import { driftRows } from '../sync/drift.activities';
import { renderReconciliationDigest, renderRenewalsDigest, renderServiceMappingDigest, type ReconciliationRow, type RenderedMail, type ServiceMappingRow } from './digest-templates';
import type { Mailer } from './mailer';

export const MAPPING_DIGEST_SNAPSHOTS = 'notification_mapping_snapshots';

export interface DigestOutcome {
  template: NotificationTemplate;
  day: IsoDate;
  sent: boolean;
  /** Why nothing was sent, or what was. */
  reason: string;
  recipients?: string[];
  itemCount?: number;
}

export interface NotificationActivityDeps {
  store: Store;
  /** For the service-mapping snapshot (what the last mail listed). Optional so workers without mail still build every activity. */
  db?: Db;
  /** SMTP_URL / MAIL_FROM; without it sendDigest fails with NotificationsNotConfigured. */
  mailer?: Mailer;
  /** Billing months looked at for reconciliation changes, counting back from the digest day (default 3). */
  reconciliationMonths?: number;
}

/** Rows listed per table at most; the rest are counted ("and N more"). */
const MAX_ROWS = 500;
/** Subscriptions the platform has ended need no mapping action. */
const ENDED = new Set(['cancelled', 'expired']);

interface SnapshotDoc { _id: string; hash: string; savedAt: Date }

function monthsBack(day: IsoDate, n: number): string {
  const [y, m] = day.split('-').map(Number) as [number, number];
  const idx = y * 12 + (m - 1) - (n - 1);
  return `${String(Math.floor(idx / 12)).padStart(4, '0')}-${String((idx % 12) + 1).padStart(2, '0')}`;
}

export function createNotificationActivities(deps: NotificationActivityDeps) {
  const { store } = deps;
  const configured = (): { mailer: Mailer; snapshots: Collection<SnapshotDoc> } => {
    if (!deps.mailer || !deps.db) throw ApplicationFailure.nonRetryable('this worker was started without a mailer or database for notifications', 'NotificationsNotConfigured');
    return { mailer: deps.mailer, snapshots: deps.db.collection<SnapshotDoc>(MAPPING_DIGEST_SNAPSHOTS) };
  };

  async function allSubscriptionMappings(connectionId: string, status: 'unmapped' | 'failed'): Promise<SubscriptionMapping[]> {
    const out: SubscriptionMapping[] = [];
    for (let skip = 0; ; skip += 1000) {
      const page = await store.mappings.subscriptions.list(connectionId, { status, skip, limit: 1000 });
      out.push(...page.items);
      if (page.items.length < 1000) return out;
    }
  }

  async function serviceMappingRows(connectionId: string): Promise<{ unmapped: ServiceMappingRow[]; failed: ServiceMappingRow[] }> {
    const row = (m: SubscriptionMapping, status: string): ServiceMappingRow => ({
      customer: m.customerName ?? m.customerId ?? '',
      plan: m.label ?? m.productId ?? '',
      subscriptionId: m.platformId,
      status,
      ...(m.error ? { error: m.error.message } : {}),
    });
    const live = async (ms: SubscriptionMapping[]) => {
      const keep = await Promise.all(ms.map(async (m) => !ENDED.has((await store.platform.getSubscription(m.connectionId, m.platformId))?.status ?? 'active')));
      return ms.filter((_, i) => keep[i]);
    };
    const unmapped = await live(await allSubscriptionMappings(connectionId, 'unmapped'));
    const failed = await live(await allSubscriptionMappings(connectionId, 'failed'));
    return {
      // A failed mapping attempt never linked the subscription: it is still unmapped, with why.
      unmapped: [...unmapped.map((m) => row(m, 'Unmapped')), ...failed.filter((m) => !m.linked).map((m) => row(m, 'Mapping failed'))],
      failed: failed.filter((m) => m.linked).map((m) => row(m, 'Failed')),
    };
  }

  const capped = <T>(rows: T[]) => rows.slice(0, MAX_ROWS);

  /** Every subscription whose commitment ends between `from` and `through`, soonest first. */
  async function renewalRows(connectionId: string, from: IsoDate, through: IsoDate): Promise<RenewalRow[]> {
    const out: RenewalRow[] = [];
    for (let skip = 0; ; skip += 1000) {
      const page = await store.commitments.due(connectionId, { from, to: through, skip, limit: 1000 });
      out.push(...page.items.map(renewalRow));
      if (page.items.length < 1000) return out;
    }
  }

  /**
   * A mail that lists a set (who needs action, what renews): sent when the set differs from what
   * the last such mail listed (snapshot `key`), never while it is empty — and an empty set is
   * remembered, so the next item is news again.
   */
  async function whenListChanged(key: string, rows: unknown, itemCount: number, render: () => RenderedMail): Promise<{ mail: RenderedMail; itemCount: number; remember: () => Promise<void> } | null> {
    const { snapshots } = configured();
    const hash = contentHash(rows);
    const last = await snapshots.findOne({ _id: key });
    if (itemCount === 0 || last?.hash === hash) {
      if (itemCount === 0 && last && last.hash !== hash) await snapshots.replaceOne({ _id: key }, { hash, savedAt: new Date() }, { upsert: true });
      return null;
    }
    return {
      mail: render(),
      itemCount,
      remember: async () => {
        await snapshots.replaceOne({ _id: key }, { hash, savedAt: new Date() }, { upsert: true });
      },
    };
  }

  /** What one template would send today, with what to remember once it went out; null when nothing changed. */
  async function compose(conn: Connection, template: NotificationTemplate, day: IsoDate): Promise<{ mail: RenderedMail; itemCount: number; remember: () => Promise<void> } | null> {
    if (template === 'serviceMapping') {
      const rows = await serviceMappingRows(conn.id);
      const drifted = deps.db ? await driftRows(deps.db, conn.id) : [];
      // Drift joins the compared list only when there is some, so lists sent before drift existed still compare equal.
      const listed = drifted.length > 0 ? { ...rows, drifted } : rows;
      return whenListChanged(conn.id, listed, rows.unmapped.length + rows.failed.length + drifted.length, () =>
        renderServiceMappingDigest({ psa: conn.psa, connectionName: conn.name, unmapped: capped(rows.unmapped), failed: capped(rows.failed), drifted: capped(drifted) }),
      );
    }
    if (template === 'renewals') {
      // Connections stored before the setting existed have none: the default.
      const days = conn.notifications.renewalDays ?? DEFAULT_RENEWAL_DAYS;
      const through = addDays(day, days);
      const rows = await renewalRows(conn.id, day, through);
      return whenListChanged(`renewals/${conn.id}`, rows, rows.length, () =>
        renderRenewalsDigest({ psa: conn.psa, connectionName: conn.name, days, through, rows: capped(rows), more: Math.max(0, rows.length - MAX_ROWS) }),
      );
    }
    const records = await store.reconciliations.listForLog({ connectionId: conn.id, from: monthsBack(day, deps.reconciliationMonths ?? 3), to: day });
    const current: NotifiedStatus[] = records.map((r) => ({ connectionId: conn.id, provider: r.provider, month: r.month, subscriptionId: r.subscriptionId, status: r.status }));
    const last = await store.notifications.lastNotifiedStatuses(conn.id);
    const changes = statusChangesSince(current, last);
    if (changes.length === 0) return null;
    const byKey = new Map(records.map((r) => [`${r.provider}|${r.month}|${r.subscriptionId}`, r]));
    const rows: ReconciliationRow[] = changes.map((c) => {
      const r = byKey.get(`${c.provider}|${c.month}|${c.subscriptionId}`);
      return {
        customer: r?.customer ?? r?.customerId ?? '',
        plan: r?.plan ?? '',
        subscriptionId: c.subscriptionId,
        provider: c.provider,
        month: c.month,
        status: c.status,
        ...(c.previous ? { previous: c.previous } : {}),
        ...(r?.reason ? { reason: r.reason } : {}),
      };
    });
    return {
      mail: renderReconciliationDigest({ psa: conn.psa, connectionName: conn.name, changes: capped(rows) }),
      itemCount: rows.length,
      remember: () => store.notifications.saveNotifiedStatuses(conn.id, current),
    };
  }

  return {
    /** Sends today's mail of one template when it is enabled, something changed, and none went out today. */
    async sendDigest(input: { connectionId: string; template: NotificationTemplate; day: IsoDate }): Promise<DigestOutcome> {
      const { template, day } = input;
      const { mailer } = configured();
      const conn = await store.connections.get(input.connectionId);
      if (!conn) throw new NotFoundError('connection', input.connectionId);
      const n = conn.notifications;
      const base = { template, day };
      if (!n.enabled) return { ...base, sent: false, reason: 'notifications are off for this connection' };
      if (!n.templates[template]) return { ...base, sent: false, reason: `the ${template} notification is off` };
      if (n.recipients.length === 0) return { ...base, sent: false, reason: 'no recipients' };

      const existing = await store.notifications.getDigest(conn.id, template, day);
      if (existing) return { ...base, sent: false, reason: `already ${existing.state} today` };
      const composed = await compose(conn, template, day);
      if (!composed) return { ...base, sent: false, reason: 'nothing changed since the last mail' };
      if (!(await store.notifications.claimDigest(conn.id, template, day))) return { ...base, sent: false, reason: 'already sent today' };
      try {
        await mailer.send({ to: n.recipients, ...composed.mail });
      } catch (e) {
        // Give the day back so the activity's retry (or a later run today) can send it.
        await store.notifications.releaseDigest(conn.id, template, day);
        throw e;
      }
      await store.notifications.markDigestSent(conn.id, template, day, { recipients: n.recipients, itemCount: composed.itemCount });
      await composed.remember();
      return { ...base, sent: true, reason: `sent ${composed.itemCount} row(s)`, recipients: n.recipients, itemCount: composed.itemCount };
    },
  };
}

export type NotificationActivities = ReturnType<typeof createNotificationActivities>;
