/**
 * Which Autotask object endpoint a request path addresses, for the per-endpoint thread limit and
 * for routing child paths (docs/psa-apis.md §2.3, §2.7): the sandbox's own table, not the client's.
 * A child path (`/Contracts/12/ServiceAdjustments`) counts as the child entity it writes.
 */
export const CHILD_ENTITIES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  contracts: { services: 'ContractServices', serviceadjustments: 'ContractServiceAdjustments', charges: 'ContractCharges', serviceunits: 'ContractServiceUnits' },
};

/** `/Companies/query` → `Companies`; `/Contracts/12/Charges/5` → `ContractCharges`. Case-insensitive. */
export function endpointOf(apiPath: string): string {
  const [first = '', second, third] = apiPath.split('?')[0]!.split('/').filter(Boolean);
  const child = third === undefined || !/^\d+$/.test(second ?? '') ? undefined : CHILD_ENTITIES[first.toLowerCase()]?.[third.toLowerCase()];
  return (child ?? first).toLowerCase();
}
