/** Demo records for a standalone sandbox: four companies, four catalog items, one agreement each. */
import type { TenantClock } from '../shared/tenant-time';
import { buildAgreement, buildCatalogItem, buildCompany } from './entities';
import type { CwState } from './state';

export type CwSeed = 'demo' | 'empty';

export function loadSeed(state: CwState, seed: CwSeed, now: number, clock: TenantClock): void {
  if (seed === 'empty') return;
  const companies = [
    { identifier: 'ACME', name: 'Acme Ltd', city: 'Leeds' },
    { identifier: 'GLOBEX', name: 'Globex Corporation', city: 'Springfield' },
    { identifier: 'INITECH', name: 'Initech LLC', city: 'Austin' },
    { identifier: 'UMBRELLA', name: 'Umbrella Health GmbH', city: 'Berlin' },
  ].map((c) => buildCompany(state, c, now));
  state.companies.push(...companies);

  const product = (identifier: string, description: string, price: number, cost: number): Record<string, unknown> => ({
    identifier,
    description,
    customerDescription: description,
    subcategory: { id: 1 },
    type: { id: 1 },
    productClass: 'Service',
    price,
    cost,
    recurringFlag: true,
    manufacturer: { id: 1, name: 'Microsoft' },
  });
  state.catalog.push(
    ...[
      product('M365-BP', 'Microsoft 365 Business Premium', 22, 18.7),
      product('M365-E3', 'Microsoft 365 E3', 36, 30.6),
      product('M365-E5', 'Microsoft 365 E5', 57, 48.45),
      product('AZURE-PLAN', 'Azure plan (consumption)', 0, 0),
    ].map((p) => buildCatalogItem(state, p, now)),
  );

  const agreements: { name: string; billStart: string; cycle: number; prorate: boolean }[] = [
    { name: 'Acme - Cloud Licensing', billStart: '2026-03-01', cycle: 1, prorate: true },
    { name: 'Globex - Managed Services', billStart: '2026-01-01', cycle: 1, prorate: false },
    { name: 'Initech - Annual Licensing', billStart: '2026-04-01', cycle: 2, prorate: true },
    { name: 'Umbrella - Cloud Licensing', billStart: '2026-02-01', cycle: 1, prorate: true },
  ];
  agreements.forEach((a, i) =>
    state.agreements.push(
      buildAgreement(
        state,
        {
          name: a.name,
          type: { id: 2 },
          company: { id: companies[i]!.id },
          startDate: clock.startOfDay(a.billStart),
          billStartDate: clock.startOfDay(a.billStart),
          billingCycle: { id: a.cycle },
          prorateFlag: a.prorate,
        },
        now,
        clock,
      ),
    ),
  );
}
