/**
 * Demo data for the standalone sandbox: four customers (one billed in EUR), each with a monthly or yearly
 * recurring-service contract running from January 1st of this year to the end of next year,
 * recurring-contract-service billing codes and three services.
 */
import type { IsoDate } from '../../domain/dates';
import { emptyState, type AutotaskSandboxState } from './store';

export type AutotaskSeed = 'demo' | 'empty';

export function seedState(seed: AutotaskSeed, today: IsoDate): AutotaskSandboxState {
  const state = emptyState();
  if (seed === 'empty') {
    // Even an empty tenant has its API user's resource and the billing codes Autotask ships with.
    state.resources.push({ id: 29682885, firstName: 'API', lastName: 'User', userName: 'api.user', email: 'api.user@example.com', isActive: true });
    state.billingCodes.push(
      { id: 29682801, name: 'Recurring Services', description: 'Recurring contract services', billingCodeType: 0, useType: 6, isActive: true, unitPrice: null, unitCost: null },
      { id: 29682802, name: 'Remote Support', description: 'Work type', billingCodeType: 0, useType: 1, isActive: true, unitPrice: 125, unitCost: null },
    );
    return state;
  }
  const base = seedState('empty', today);
  const year = Number(today.slice(0, 4));
  const start = `${year}-01-01T00:00:00Z`;
  const end = `${year + 1}-12-31T00:00:00Z`;
  base.billingCodes.push(
    { id: 29682803, name: 'Cloud Licensing', description: 'Marketplace subscriptions', billingCodeType: 0, useType: 6, isActive: true, unitPrice: null, unitCost: null },
    { id: 29682804, name: 'Legacy Recurring (inactive)', description: null, billingCodeType: 0, useType: 6, isActive: false, unitPrice: null, unitCost: null },
  );
  const service = (id: number, name: string, sku: string, periodType: number, unitPrice: number, unitCost: number) => ({
    id, name, description: `${name} (demo)`, invoiceDescription: name, billingCodeID: 29682803, periodType, unitPrice, unitCost,
    isActive: true, sku, externalID: null, createDate: start, lastModifiedDate: start,
  });
  base.services.push(
    service(3001, 'Microsoft 365 Business Premium (Monthly)', 'CFQ7TTC0LCHC', 1, 22, 18.7),
    service(3002, 'Microsoft 365 Business Basic (Monthly)', 'CFQ7TTC0LH18', 1, 6, 5.1),
    service(3003, 'Acronis Cyber Protect (Yearly)', 'ACR-CP-Y', 4, 96, 72),
  );
  const company = (id: number, companyName: string, companyNumber: string, currencyID: number | null = null) => ({
    id, companyName, companyType: 1, phone: '+1 555 0100', ownerResourceID: 29682885, isActive: true,
    companyNumber, currencyID, createDate: start, userDefinedFields: [],
  });
  base.companies.push(
    company(1001, 'Acme Corporation', 'ACME'),
    company(1002, 'Globex Ltd', 'GLOBEX'),
    company(1003, 'Initech LLC', 'INITECH'),
    // Billed in EUR (Multi-currency module): its contract services read back in two currencies.
    company(1004, 'Umbrella Health GmbH', 'UMBRELLA', 2),
  );
  const contract = (id: number, companyID: number, contractName: string, contractPeriodType: number) => ({
    id, contractName, companyID, contractType: 7, status: 1, startDate: start, endDate: end, contractPeriodType,
    timeReportingRequiresStartAndStopTimes: 0, description: null, userDefinedFields: [],
  });
  base.contracts.push(
    contract(2001, 1001, 'Acme - Cloud Services', 1),
    contract(2002, 1002, 'Globex - Cloud Services', 1),
    contract(2003, 1003, 'Initech - Annual Services', 4),
    contract(2004, 1004, 'Umbrella - Cloud Services (EUR)', 1),
  );
  base.nextId = 10_000;
  return base;
}
