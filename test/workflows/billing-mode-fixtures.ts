/** Set-up shared by the billing-mode tests (docs/billing-modes.md): products of their own, Acme's agreement, the admin service. */
import type { AgreementSummary } from '../../activities/psa/psa-gateway.port';
import type { Harness } from './harness';

/**
 * A platform product with a PSA catalog item / service of its own (Autotask keeps one contract
 * service per service and contract, so each subscription of a test gets its own), mapped.
 */
export async function ownProduct(h: Harness, id: string, price: string, cost: string): Promise<number> {
  const gateway = await h.gateways.forConnection(h.connectionId);
  const name = `Test ${id}`;
  const { id: psaId } = await gateway.createCatalogItem({ name, partNumber: id.toUpperCase(), unitPrice: price, unitCost: cost, periodType: 'monthly' });
  await h.store.platform.upsertProduct({ id, name, partNumber: id.toUpperCase(), provider: 'Test', unitPrice: price, unitCost: cost, billingFrequency: 'monthly' });
  await h.store.mappings.products.markMapped(h.connectionId, id, { psaId, psaName: name });
  return psaId;
}

/** Acme's company and its one agreement (ConnectWise) / contract (Autotask). */
export async function acme(h: Harness): Promise<{ companyId: number; agreement: AgreementSummary }> {
  const gateway = await h.gateways.forConnection(h.connectionId);
  const [company] = await gateway.findCompanies('Acme Ltd');
  const [agreement] = await gateway.listAgreements(company!.id);
  return { companyId: company!.id, agreement: agreement! };
}

/** A subscription as the platform reports it (Acme's). */
export const acmeReport = (id: string, productId: string, quantity: number, unitPrice: string, unitCost: string) => ({
  customerId: 'cust-acme',
  subscription: {
    id, productId, quantity, unitPrice, unitCost, startDate: '2026-03-01', endDate: null,
    billingFrequency: 'monthly' as const, autoRenew: false, kind: 'saas' as const,
  },
});

/** Puts the subscription in the platform records first, as the intake would, so an admin can map it before its workflow hears of it. */
export async function knownToPlatform(h: Harness, report: ReturnType<typeof acmeReport>): Promise<void> {
  const { billCustomer: _b, ...s } = report.subscription as ReturnType<typeof acmeReport>['subscription'] & { billCustomer?: string };
  await h.store.platform.upsertSubscription({ ...s, connectionId: h.connectionId, customerId: report.customerId, provider: 'Test', status: 'active' });
}
