/**
 * Per-connection mapping settings the store's connection document does not hold yet: the §7
 * "one agreement per company" switch and the PSA tenant's time zone. Kept in their own small
 * collection so the connections repository stays as it is; the rules API shows them next to
 * the §2 rules.
 */
import type { Db } from 'mongodb';

export const MAPPING_SETTINGS = 'mapping_settings';

export interface MappingSettings {
  /** §7: a company's mapped subscriptions must all live on one agreement/contract. Default off. */
  oneAgreementPerCompany: boolean;
  /** The PSA tenant's IANA time zone: a rules change applies from that zone's day (tenant-day.ts). Default UTC. */
  timeZone: string;
}
export const DEFAULT_MAPPING_SETTINGS: MappingSettings = { oneAgreementPerCompany: false, timeZone: 'UTC' };

export interface MappingSettingsRepository {
  get(connectionId: string): Promise<MappingSettings>;
  update(connectionId: string, patch: Partial<MappingSettings>): Promise<MappingSettings>;
  remove(connectionId: string): Promise<void>;
}

interface SettingsDoc extends MappingSettings {
  _id: string;
  updatedAt: Date;
}

export function createMappingSettingsRepository(db: Db, now: () => Date = () => new Date()): MappingSettingsRepository {
  const col = db.collection<SettingsDoc>(MAPPING_SETTINGS);
  const view = (doc: SettingsDoc | null): MappingSettings => ({
    oneAgreementPerCompany: doc?.oneAgreementPerCompany ?? DEFAULT_MAPPING_SETTINGS.oneAgreementPerCompany,
    timeZone: doc?.timeZone ?? DEFAULT_MAPPING_SETTINGS.timeZone,
  });
  const get = async (connectionId: string) => view(await col.findOne({ _id: connectionId }));
  return {
    get,
    async update(connectionId, patch) {
      const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      if (Object.keys(set).length > 0) await col.updateOne({ _id: connectionId }, { $set: { ...set, updatedAt: now() } }, { upsert: true });
      return get(connectionId);
    },
    async remove(connectionId) {
      await col.deleteOne({ _id: connectionId });
    },
  };
}
