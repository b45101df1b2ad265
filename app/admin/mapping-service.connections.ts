/**
 * PSA connections as the MSP admin manages them (seed 004 "Validating the Credentials"): the
 * credentials must pass a live test against the PSA before anything is saved, and again
 * whenever they change. The secret goes in and never comes back out.
 */
import { z } from 'zod';
import { gatewayFor } from '../../activities/psa/gateway-registry';
import {
  AutotaskSettingsSchema,
  ConnectWiseSettingsSchema,
  CreateConnectionInputSchema,
  parseInput,
  UpdateCredentialsInputSchema,
  zodInputProblems,
  type Connection,
  type ConnectionRules,
  type CreateConnectionInput,
  type PsaKind,
  type UpdateCredentialsInput,
} from '../../activities/store';
import { ConflictError, invalid, NotFoundError, ValidationError } from './mapping-errors';
import type { MappingServiceDeps } from './mapping-service.deps';
import { RulesPatchSchema, type RulesPatch } from './mapping-service.schemas';
import type { MappingSettings } from './mapping-settings';
import { createOutboundPolicy } from './outbound-policy';

/** A connection's §2 rules together with the §7 mapping switch. */
export type ConnectionRulesView = ConnectionRules & MappingSettings;

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
    /** Tests the credentials live, then saves the connection; a failed test saves nothing (PsaError with the PSA's message). */
    async add(input: CreateConnectionInput): Promise<Connection> {
      const c = parseInput(CreateConnectionInputSchema, input);
      if (await store.connections.get(c.id)) throw new ConflictError(`connection "${c.id}" already exists`);
      await mustBeReachable(c.psa, c.settings);
      await gatewayFor(c, deps.journal).testCredentials();
      const created = await store.connections.create(c);
      await trackExistingRecords(created.id);
      return created;
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
      const updated = await store.connections.updateCredentials(id, u);
      deps.gateways.forget(id);
      return updated;
    },

    /**
     * Removes the connection, its mapping records and settings. Refused while subscriptions are
     * mapped: their workflows bill through it, so each must be unmapped first (a decision of ours).
     */
    async delete(id: string): Promise<{ deleted: true; mappingsRemoved: number }> {
      await mustGet(id);
      const linked = await store.mappings.subscriptions.list(id, { linked: true, limit: 5 });
      if (linked.total > 0) {
        throw new ConflictError(
          `connection "${id}" still has ${linked.total} mapped subscription(s) (${linked.items.map((s) => s.platformId).join(', ')}${linked.total > 5 ? ', …' : ''}); unmap them first`,
        );
      }
      const mappingsRemoved = await store.mappings.removeConnection(id);
      await deps.settings.remove(id);
      await store.connections.delete(id);
      deps.gateways.forget(id);
      return { deleted: true, mappingsRemoved };
    },

    async getRules(id: string): Promise<ConnectionRulesView> {
      const conn = await mustGet(id);
      return { ...conn.rules, ...(await deps.settings.get(id)) };
    },

    /** Partial update: only the given rules / toggles change. */
    async setRules(id: string, patch: RulesPatch): Promise<ConnectionRulesView> {
      const { oneAgreementPerCompany, ...rules } = parseInput(RulesPatchSchema, patch);
      if (Object.keys(patch ?? {}).length === 0) throw invalid({ path: '', message: 'must change at least one rule' });
      await mustGet(id);
      const conn = await store.connections.updateRules(id, rules);
      const settings = await deps.settings.update(id, { oneAgreementPerCompany });
      return { ...conn.rules, ...settings };
    },

    trackExistingRecords,
  };
}
