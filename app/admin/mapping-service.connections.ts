/**
 * PSA connections as the MSP admin manages them (seed 004 "Validating the Credentials"): the
 * credentials must pass a live test against the PSA before anything is saved, and again
 * whenever they change. The secret goes in and never comes back out.
 *
 * A change that alters the connection's Temporal Schedules (adding or deleting it, its name,
 * autoSync, notifications) applies them itself, Temporal first: when Temporal cannot apply
 * them, nothing is saved and the caller hears why (docs/mapping.md "Schedules follow
 * connections"). A change of the effective-date rules is recorded with the day it applies from
 * and pushed to every placed subscription (docs/mapping.md "Rules change").
 */
import { z } from 'zod';
import { gatewayFor } from '../../activities/psa/gateway-registry';
import {
  AutotaskSettingsSchema,
  ConnectWiseSettingsSchema,
  CreateConnectionInputSchema,
  DEFAULT_RENEWAL_DAYS,
  effectiveDateRules,
  NotificationSettingsPatchSchema,
  parseInput,
  placementRules,
  UpdateCredentialsInputSchema,
  zodInputProblems,
  type Connection,
  type ConnectionRules,
  type ConnectionRulesHistory,
  type CreateConnectionInput,
  type NotificationSettings,
  type PsaKind,
  type UpdateCredentialsInput,
} from '../../activities/store';
import { withRulesChange } from '../../domain/rules-history';
import { ConflictError, invalid, NotFoundError, SchedulesUnavailableError, ValidationError } from './mapping-errors';
import type { MappingServiceDeps, ScheduleChanges } from './mapping-service.deps';
import { RulesPatchSchema, type RulesPatch } from './mapping-service.schemas';
import type { MappingSettings } from './mapping-settings';
import { createOutboundPolicy } from './outbound-policy';
import { fanOut, type FanOutReport } from './subscription-fan-out';
import { dayIn } from './tenant-day';

/** A connection's §2 rules together with the §7 mapping switch, the tenant's time zone and the rules' history. */
export type ConnectionRulesView = ConnectionRules & MappingSettings & { rulesHistory?: ConnectionRulesHistory };

/** What a rules change did: the saved rules, the Schedules applied, and the push to the placed subscriptions. */
export type RulesChangeOutcome = ConnectionRulesView & { schedules?: ScheduleChanges; pushed?: FanOutReport };

export interface CredentialsTest {
  ok: true;
  psa: PsaKind;
  testedAt: string;
}

export function createConnectionOperations(deps: MappingServiceDeps) {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const outbound = deps.outbound ?? createOutboundPolicy([]);

  /** Refuses settings whose URL reaches an internal address, before anything calls it (400 naming the field). */
  async function mustBeReachable(psa: PsaKind, settings: Record<string, unknown>): Promise<void> {
    const field = psa === 'connectwise' ? 'baseUrl' : 'discoveryUrl';
    const url = settings[field];
    const why = typeof url === 'string' ? await outbound.refusal(url) : null;
    if (why) throw invalid({ path: `settings.${field}`, message: why });
  }

  async function mustGet(id: string): Promise<Connection> {
    const conn = await store.connections.get(id);
    if (!conn) throw new NotFoundError('connection', id);
    return conn;
  }

  /**
   * Saves a change whose Schedules differ, Temporal first: the connection's Schedules are brought
   * in line with `wouldBe` (null: removed), then `save` runs. Temporal failing saves nothing; a
   * failing save puts the Schedules back in line with what is stored.
   */
  async function withSchedules<T>(id: string, wouldBe: Connection | null, what: string, save: () => Promise<T>): Promise<{ saved: T; schedules?: ScheduleChanges }> {
    if (!deps.schedules) return { saved: await save() };
    let schedules: ScheduleChanges;
    try {
      schedules = await deps.schedules.apply(id, wouldBe);
    } catch (e) {
      throw new SchedulesUnavailableError(
        `${what} was not saved: Temporal could not apply the connection's Schedules (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); nothing was changed, try again`,
        { cause: e },
      );
    }
    try {
      return { saved: await save(), schedules };
    } catch (e) {
      await deps.schedules.apply(id, await store.connections.get(id)).catch(() => undefined);
      throw e;
    }
  }

  /**
   * Tells every placed subscription of the connection its rules over time (idempotent: a
   * subscription that has them answers `unchanged`). A failure is reported per subscription.
   */
  async function pushRules(conn: Connection): Promise<FanOutReport> {
    const { rules, rulesHistory } = placementRules(conn);
    const message = { rules, rulesHistory: rulesHistory ?? [] };
    return fanOut(
      async (skip, limit) => (await store.mappings.subscriptions.list(conn.id, { linked: true, limit, skip })).items,
      (m) => m.platformId,
      async (m) => (await deps.platform.setRules(conn.id, m.platformId, message)).outcome,
    );
  }

  /** New platform records get a mapping record on every connection; a new connection gets one for every known record. */
  async function trackExistingRecords(connectionId: string): Promise<void> {
    for (let skip = 0; ; skip += 1000) {
      const page = await store.platform.listCustomers({ limit: 1000, skip });
      await store.mappings.customers.track(connectionId, page.items.map((c) => ({ platformId: c.id, label: c.name })));
      if (page.items.length < 1000) break;
    }
    for (let skip = 0; ; skip += 1000) {
      const page = await store.platform.listProducts({ limit: 1000, skip });
      await store.mappings.products.track(connectionId, page.items.map((p) => ({ platformId: p.id, label: p.name })));
      if (page.items.length < 1000) break;
    }
  }

  return {
    /**
     * Tests the credentials live, creates the connection's Schedules, then saves the connection;
     * a failed test (PsaError with the PSA's message) or an unreachable Temporal saves nothing.
     */
    async add(input: CreateConnectionInput): Promise<Connection & { schedules?: ScheduleChanges }> {
      const c = parseInput(CreateConnectionInputSchema, input);
      if (await store.connections.get(c.id)) throw new ConflictError(`connection "${c.id}" already exists`);
      await mustBeReachable(c.psa, c.settings);
      await gatewayFor(c, deps.journal).testCredentials();
      const at = now().toISOString();
      const { secret: _secret, ...fields } = c;
      const wouldBe = { ...fields, createdAt: at, updatedAt: at, credentialsUpdatedAt: at } as Connection;
      const { saved: created, schedules } = await withSchedules(c.id, wouldBe, `connection "${c.id}"`, () => store.connections.create(c));
      await trackExistingRecords(created.id);
      return { ...created, ...(schedules ? { schedules } : {}) };
    },

    /** Tests the stored credentials against the PSA. */
    async test(id: string): Promise<CredentialsTest> {
      const conn = await mustGet(id);
      // Also for connections saved before the allow-list changed.
      await mustBeReachable(conn.psa, conn.settings as unknown as Record<string, unknown>);
      await (await deps.gateways.forConnection(id)).testCredentials();
      return { ok: true, psa: conn.psa, testedAt: now().toISOString() };
    },

    list: (filter: { psa?: PsaKind } = {}): Promise<Connection[]> => store.connections.list(filter),

    get: mustGet,

    /** New settings and/or secret are tested live before they replace the stored ones; a name alone is just saved. */
    async updateCredentials(id: string, input: UpdateCredentialsInput): Promise<Connection> {
      const u = parseInput(UpdateCredentialsInputSchema, input);
      const current = await store.connections.getWithSecret(id);
      if (!current) throw new NotFoundError('connection', id);
      if (u.settings !== undefined || u.secret !== undefined) {
        const schema: z.ZodTypeAny = current.psa === 'connectwise' ? ConnectWiseSettingsSchema : AutotaskSettingsSchema;
        const merged = schema.safeParse({ ...current.settings, ...u.settings });
        if (!merged.success) {
          throw new ValidationError(zodInputProblems(merged.error).map((p) => ({ ...p, path: p.path ? `settings.${p.path}` : 'settings' })));
        }
        await mustBeReachable(current.psa, merged.data as Record<string, unknown>);
        await gatewayFor({ psa: current.psa, settings: merged.data, secret: u.secret ?? current.secret }, deps.journal).testCredentials();
      }
      // Only the name shows in the Schedules (their descriptions).
      const renamed = u.name !== undefined && u.name !== current.name;
      const { secret: _secret, ...view } = current;
      const { saved: updated } = renamed
        ? await withSchedules(id, { ...view, name: u.name! } as Connection, `the change of connection "${id}"`, () => store.connections.updateCredentials(id, u))
        : { saved: await store.connections.updateCredentials(id, u) };
      deps.gateways.forget(id);
      return updated;
    },

    /**
     * Removes the connection's Schedules, then the connection, its mapping records and settings.
     * Refused while subscriptions are mapped: their workflows bill through it, so each must be
     * unmapped first (a decision of ours). An unreachable Temporal deletes nothing.
     */
    async delete(id: string): Promise<{ deleted: true; mappingsRemoved: number; schedules?: ScheduleChanges }> {
      await mustGet(id);
      const linked = await store.mappings.subscriptions.list(id, { linked: true, limit: 5 });
      if (linked.total > 0) {
        throw new ConflictError(
          `connection "${id}" still has ${linked.total} mapped subscription(s) (${linked.items.map((s) => s.platformId).join(', ')}${linked.total > 5 ? ', …' : ''}); unmap them first`,
        );
      }
      const { saved: mappingsRemoved, schedules } = await withSchedules(id, null, `the deletion of connection "${id}"`, async () => {
        const removed = await store.mappings.removeConnection(id);
        await store.commitments.removeConnection(id);
        await deps.settings.remove(id);
        await store.connections.delete(id);
        return removed;
      });
      deps.gateways.forget(id);
      return { deleted: true, mappingsRemoved, ...(schedules ? { schedules } : {}) };
    },

    async getRules(id: string): Promise<ConnectionRulesView> {
      const conn = await mustGet(id);
      return { ...conn.rules, ...(await deps.settings.get(id)), ...(conn.rulesHistory ? { rulesHistory: conn.rulesHistory } : {}) };
    },

    /**
     * Partial update: only the given rules / toggles change. A change of the effective-date rules
     * applies to events dated from the tenant's today on (docs/mapping.md "Rules change"): it is
     * recorded in the rules' history and pushed to every placed subscription — also when the
     * rules given equal the current ones, so sending them again re-pushes them. A change of
     * autoSync applies the connection's Schedules first.
     */
    async setRules(id: string, patch: RulesPatch): Promise<RulesChangeOutcome> {
      const { oneAgreementPerCompany, timeZone, ...rules } = parseInput(RulesPatchSchema, patch);
      if (Object.keys(patch ?? {}).length === 0) throw invalid({ path: '', message: 'must change at least one rule' });
      const current = await mustGet(id);
      const settings = await deps.settings.update(id, { oneAgreementPerCompany, timeZone });
      const before = effectiveDateRules(current.rules);
      const after = effectiveDateRules({ ...current.rules, ...rules } as ConnectionRules);
      const touchesRules = rules.positiveChange !== undefined || rules.negativeChange !== undefined || rules.cancellation !== undefined;
      const history = current.rulesHistory ?? { initial: before, changes: [] };
      const changes = withRulesChange(history.initial, history.changes, dayIn(settings.timeZone, now()), after);
      const rulesHistory = touchesRules && JSON.stringify(changes) !== JSON.stringify(history.changes) ? { initial: history.initial, changes } : undefined;
      const save = () => store.connections.updateRules(id, rules, rulesHistory ? { rulesHistory } : {});
      const autoSyncChanges = rules.autoSync !== undefined && rules.autoSync !== current.rules.autoSync;
      const { saved: conn, schedules } = autoSyncChanges
        ? await withSchedules(id, { ...current, rules: { ...current.rules, autoSync: rules.autoSync! } }, `the rules change of connection "${id}"`, save)
        : { saved: await save() };
      const pushed = touchesRules ? await pushRules(conn) : undefined;
      return {
        ...conn.rules,
        ...settings,
        ...(conn.rulesHistory ? { rulesHistory: conn.rulesHistory } : {}),
        ...(schedules ? { schedules } : {}),
        ...(pushed ? { pushed } : {}),
      };
    },

    /** §8 preferences: only the given ones change; the digest's Schedule follows (Temporal first). */
    async updateNotifications(id: string, input: unknown): Promise<NotificationSettings & { schedules?: ScheduleChanges }> {
      const p = parseInput(NotificationSettingsPatchSchema, input ?? {});
      const current = await mustGet(id);
      const wouldBe: NotificationSettings = {
        enabled: p.enabled ?? current.notifications.enabled,
        recipients: p.recipients ?? current.notifications.recipients,
        templates: { ...current.notifications.templates, ...Object.fromEntries(Object.entries(p.templates ?? {}).filter(([, v]) => v !== undefined)) },
        renewalDays: p.renewalDays ?? current.notifications.renewalDays ?? DEFAULT_RENEWAL_DAYS,
      };
      const { saved, schedules } = await withSchedules(id, { ...current, notifications: wouldBe }, `the notification settings of connection "${id}"`, () =>
        store.connections.updateNotifications(id, p),
      );
      return { ...saved.notifications, ...(schedules ? { schedules } : {}) };
    },

    trackExistingRecords,
  };
}
