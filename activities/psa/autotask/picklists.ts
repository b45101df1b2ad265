/**
 * Autotask picklist values are per tenant (psa-apis.md §2.5): resolved by label through
 * `entityInformation/fields` once per entity and cached. Only contract type 7 (Recurring
 * Service) is fixed and documented.
 */
import { PsaSetupError } from '../psa-setup-error';
import type { AutotaskClient } from './autotask-client';
import type { FieldInfo } from './autotask-schemas';

export const RECURRING_SERVICE_CONTRACT_TYPE = 7;

export interface Picklists {
  /** The value whose label is `label` (case-insensitive); throws naming the field when absent. */
  valueOf(entity: string, field: string, label: string): Promise<number>;
  labelOf(entity: string, field: string, value: number): Promise<string | undefined>;
}

export function createPicklists(client: AutotaskClient): Picklists {
  const cache = new Map<string, Promise<FieldInfo[]>>();
  const fields = (entity: string): Promise<FieldInfo[]> => {
    let hit = cache.get(entity);
    if (!hit) {
      hit = client.fields(entity);
      hit.catch(() => cache.delete(entity));
      cache.set(entity, hit);
    }
    return hit;
  };
  const values = async (entity: string, field: string) =>
    (await fields(entity)).find((f) => f.name.toLowerCase() === field.toLowerCase())?.picklistValues ?? [];

  return {
    async valueOf(entity, field, label) {
      const hit = (await values(entity, field)).find((v) => v.label.toLowerCase() === label.toLowerCase());
      if (!hit) throw new PsaSetupError(`Autotask ${entity}.${field} has no picklist value labelled "${label}"`);
      return Number(hit.value);
    },
    async labelOf(entity, field, value) {
      return (await values(entity, field)).find((v) => Number(v.value) === value)?.label;
    },
  };
}
