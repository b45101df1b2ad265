/**
 * Autotask picklist values are per tenant (docs/psa-apis.md §2.5): values differ, and admins rename
 * labels ("Client" for "Customer", "Annually" for "Yearly", "Recurring Service Code" for
 * "Recurring Contract Service"). So nothing is looked up by one fixed label: each value the
 * connector needs is a *concept* recognised in the labels of the entity's field metadata
 * (`/{Entity}/entityInformation/fields`), read once per entity and cached. Only contract type
 * 7 (Recurring Service) is fixed and documented.
 */
import { PsaSetupError } from '../psa-setup-error';
import type { AutotaskClient } from './autotask-client';
import type { FieldInfo } from './autotask-schemas';

export const RECURRING_SERVICE_CONTRACT_TYPE = 7;

/** A picklist value the connector needs, and how to recognise its label in any tenant. */
export interface PicklistConcept {
  /** How the concept is named in messages. */
  name: string;
  matches(normalisedLabel: string): boolean;
}

const normalise = (label: string): string => label.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
/** A word of the label starting with one of `stems` ("month" matches "monthly"). */
const has = (label: string, ...stems: string[]): boolean => stems.some((w) => new RegExp(`(^| )${w}`).test(label));
/** Periods other than one month / one year: "Quarterly", "Semi-Annual", "Bi-Monthly", "2 Years"… */
const MULTIPLE = ['quarter', 'semi', 'bi ', 'bimonth', 'biannual', 'biennial', 'half', 'two', '2', 'three', '3', 'six', '6', 'multi'];

export const CONCEPTS = {
  monthly: { name: 'Monthly', matches: (l: string) => has(l, 'month') && !has(l, ...MULTIPLE) },
  yearly: { name: 'Yearly', matches: (l: string) => has(l, 'year', 'annual') && !has(l, ...MULTIPLE) },
  recurringContractService: { name: 'Recurring Contract Service', matches: (l: string) => has(l, 'recurring') },
  customer: { name: 'Customer', matches: (l: string) => has(l, 'customer', 'client') },
  operationalCharge: { name: 'Operational', matches: (l: string) => has(l, 'operational') },
} satisfies Record<string, PicklistConcept>;

/** A concept named exactly by the admin (e.g. `companyTypeLabel`): that label, ignoring case. */
export const exactLabel = (label: string): PicklistConcept => ({ name: label, matches: (l) => l === normalise(label) });

export interface Picklists {
  /** The active value whose label is the concept; throws naming the field and the labels it has when none is. */
  valueOf(entity: string, field: string, concept: PicklistConcept): Promise<number>;
  labelOf(entity: string, field: string, value: number): Promise<string | undefined>;
  /** Whether the value's label is the concept. */
  is(entity: string, field: string, value: number, concept: PicklistConcept): Promise<boolean>;
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
    async valueOf(entity, field, concept) {
      const all = await values(entity, field);
      const hits = all.filter((v) => v.isActive !== false && concept.matches(normalise(v.label)));
      if (hits.length === 0) {
        const labels = all.map((v) => `"${v.label}"`).join(', ') || 'none';
        throw new PsaSetupError(`Autotask ${entity}.${field} has no picklist value for "${concept.name}" (its labels: ${labels})`);
      }
      // Of several candidates ("Recurring Service", "Recurring Service (legacy)"), the shortest label is the plain one.
      return Number([...hits].sort((a, b) => a.label.length - b.label.length)[0]!.value);
    },
    async labelOf(entity, field, value) {
      return (await values(entity, field)).find((v) => Number(v.value) === value)?.label;
    },
    async is(entity, field, value, concept) {
      const label = (await values(entity, field)).find((v) => Number(v.value) === value)?.label;
      return label !== undefined && concept.matches(normalise(label));
    },
  };
}
