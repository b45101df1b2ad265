/**
 * The data a benchmark runs on, built through the product's public surfaces only: PSA records
 * in the sandboxes (ConnectWise's seed route, Autotask's vendor API), connections, platform
 * customers and products, customer and product mappings through the admin API, and
 * subscriptions reported through the client library (each becomes a workflow that maps itself
 * and writes its base line, the way `npm start`'s demo does).
 *
 * Shape: one platform customer per subscription, each mapped to a PSA company of its own with
 * exactly one agreement (ConnectWise) / recurring contract (Autotask), so every subscription
 * maps itself and no two share a contract service. Every subscription starts on the first day
 * of the previous month with 10 licenses of one product at 22.00 / 18.70, so its base line
 * spans a month start that has already passed.
 */
import { addDays, firstOfMonth, isoDateOf, monthOf } from '../../domain/dates';
import type { SubscriptionReport } from '../../contracts/subscription';
import { DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS } from '../../sandbox/autotask/server';
import { DEFAULT_CW_SANDBOX_CREDENTIALS } from '../../sandbox/connectwise/auth';
import type { BenchStack } from './stack';
import { adminApi, requestJson, vendorApis, type AdminApi } from './http';
import { mapLimit } from './stats';

export const PROVIDER = 'Microsoft CSP';
export const PRODUCT = {
  id: 'bench-m365-bp',
  name: 'Bench 365 Business Premium',
  partNumber: 'BENCH-365-BP',
  provider: PROVIDER,
  unitPrice: '22.00',
  unitCost: '18.70',
  billingFrequency: 'monthly',
} as const;
export const START_QUANTITY = 10;

export type Psa = 'connectwise' | 'autotask';

export interface BenchDates {
  today: string;
  monthStart: string;
  /** First day of the previous month: every subscription's start, the agreements' start. */
  previousMonthStart: string;
  /** The previous month as YYYY-MM (the reconciliation month). */
  previousMonth: string;
  /** Autotask contracts run over these dates (wide, so any adjustment date fits). */
  contractStart: string;
  contractEnd: string;
}

export function benchDates(now = Date.now()): BenchDates {
  const today = isoDateOf(now);
  const monthStart = firstOfMonth(today);
  const previousMonthStart = firstOfMonth(addDays(monthStart, -1));
  return {
    today,
    monthStart,
    previousMonthStart,
    previousMonth: monthOf(previousMonthStart),
    contractStart: `${Number(previousMonthStart.slice(0, 4)) - 1}-01-01`,
    contractEnd: `${Number(today.slice(0, 4)) + 2}-12-31`,
  };
}

/** A PSA company with its one agreement / contract. */
export interface PsaSlot {
  companyId: number;
  agreementId: number;
}

export interface BenchSubscription {
  id: string;
  customerId: string;
  slot: PsaSlot;
  report: SubscriptionReport;
  /** Events sent so far, in the order sent (the plan check replays them). */
  sent: Array<{ id: string; event: Record<string, unknown> }>;
  /** Licenses the PSA bills on the last day of the previous month (the reconciliation invoices). */
  previousMonthQuantity: number;
}

export interface BenchConnection {
  id: string;
  psa: Psa;
  subscriptions: BenchSubscription[];
}

export class World {
  readonly api: AdminApi;
  readonly vendor: ReturnType<typeof vendorApis>;
  private productPsaId: Partial<Record<Psa, number>> = {};
  private slotsMade = 0;

  constructor(
    readonly stack: BenchStack,
    readonly dates: BenchDates,
  ) {
    this.api = adminApi(stack.api.url, stack.api.token);
    this.vendor = vendorApis(stack.bare);
  }

  /** `count` companies, each with one agreement / contract, in the PSA's sandbox. */
  async seedSlots(psa: Psa, count: number, label: string): Promise<PsaSlot[]> {
    const first = this.slotsMade;
    this.slotsMade += count;
    const names = Array.from({ length: count }, (_, i) => `${label} ${String(first + i + 1).padStart(5, '0')}`);
    if (psa === 'connectwise') {
      const seed = `${this.stack.cw.url}/__sandbox/seed`;
      const day = (d: string) => `${d}T00:00:00Z`;
      const slots: PsaSlot[] = [];
      for (let i = 0; i < names.length; i += 1000) {
        const chunk = names.slice(i, i + 1000);
        const { companies } = await requestJson<{ companies: Array<{ id: number }> }>('POST', seed, {}, {
          companies: chunk.map((name, j) => ({ identifier: `BENCH${first + i + j + 1}`, name, city: 'Leeds' })),
        });
        const { agreements } = await requestJson<{ agreements: Array<{ id: number }> }>('POST', seed, {}, {
          agreements: companies.map((c, j) => ({
            name: `${chunk[j]} - Cloud Licensing`,
            type: { id: 2 },
            company: { id: c.id },
            startDate: day(this.dates.previousMonthStart),
            billStartDate: day(this.dates.previousMonthStart),
            billingCycle: { id: 1 },
            prorateFlag: true,
          })),
        });
        slots.push(...companies.map((c, j) => ({ companyId: c.id, agreementId: agreements[j]!.id })));
      }
      return slots;
    }
    // Autotask: its vendor API (3 concurrent requests per endpoint, as Autotask allows).
    return mapLimit(names, 3, async (name) => {
      const { itemId: companyId } = await this.vendor.autotask<{ itemId: number }>('POST', '/Companies', { companyName: name, companyType: 1, phone: '+1 555 0100', ownerResourceID: 29682885 });
      const { itemId: agreementId } = await this.vendor.autotask<{ itemId: number }>('POST', '/Contracts', {
        contractName: `${name} - Cloud Services`,
        companyID: companyId,
        contractType: 7,
        status: 1,
        startDate: `${this.dates.contractStart}T00:00:00Z`,
        endDate: `${this.dates.contractEnd}T00:00:00Z`,
        contractPeriodType: 1,
        timeReportingRequiresStartAndStopTimes: 0,
      });
      return { companyId, agreementId };
    });
  }

  /** A connection to the sandbox of `psa` (credentials tested live by the API), with the bench product mapped. */
  async createConnection(id: string, psa: Psa): Promise<BenchConnection> {
    const cw = DEFAULT_CW_SANDBOX_CREDENTIALS;
    const at = DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS;
    const settings =
      psa === 'connectwise'
        ? { baseUrl: this.stack.cw.apiUrl, companyId: cw.companyId, publicKey: cw.publicKey, clientId: cw.clientId }
        : { discoveryUrl: this.stack.at.url, username: at.username, integrationCode: at.integrationCode };
    const secret = psa === 'connectwise' ? cw.privateKey : at.secret;
    await this.api.call('POST', '/api/connections', { id, psa, name: `Benchmark ${id}`, settings, secret });
    // Pushed again for every connection: each push gives the product a mapping record on every connection.
    await this.api.call('PUT', '/api/platform/products', { products: [PRODUCT] });
    const known = this.productPsaId[psa];
    if (known === undefined) {
      const created = await this.api.call<{ mapping: { psaId: number } }>('POST', `/api/connections/${id}/products/${PRODUCT.id}/create`, {});
      this.productPsaId[psa] = created.mapping.psaId;
    } else {
      await this.api.call('POST', `/api/connections/${id}/products/${PRODUCT.id}/mapping`, { psaId: known });
    }
    return { id, psa, subscriptions: [] };
  }

  /** PSA id of the bench product on `psa` (catalog item / service), once a connection created it. */
  productOn(psa: Psa): number {
    const id = this.productPsaId[psa];
    if (id === undefined) throw new Error(`no ${psa} connection has created the bench product yet`);
    return id;
  }

  /** Platform customers, each mapped on `connectionId` to the company of its slot. */
  async addCustomers(connectionId: string, ids: string[], slots: PsaSlot[], label: string): Promise<void> {
    const customers = ids.map((id, i) => ({ id, name: `${label} ${id}`, city: 'Leeds', address: `${i + 1} Bench Street` }));
    for (let i = 0; i < customers.length; i += 1000) await this.api.call('PUT', '/api/platform/customers', { customers: customers.slice(i, i + 1000) });
    await mapLimit(ids, 4, (id, i) => this.api.call('POST', `/api/connections/${connectionId}/customers/${id}/mapping`, { psaId: slots[i]!.companyId }));
  }

  /**
   * `count` subscriptions on the connection, each with its own customer, company and agreement;
   * customers mapped, nothing reported yet (`report` does that).
   */
  async prepareSubscriptions(conn: BenchConnection, count: number, prefix: string): Promise<BenchSubscription[]> {
    const slots = await this.seedSlots(conn.psa, count, `Bench ${conn.id}`);
    const ids = slots.map((_, i) => `${prefix}${String(i + 1).padStart(4, '0')}`);
    await this.addCustomers(conn.id, ids.map((id) => `c-${id}`), slots, 'Customer');
    const end = addDays(addDays(this.dates.previousMonthStart, 365), -1);
    const subs = ids.map<BenchSubscription>((id, i) => ({
      id,
      customerId: `c-${id}`,
      slot: slots[i]!,
      report: {
        customerId: `c-${id}`,
        provider: PROVIDER,
        subscription: {
          id, productId: PRODUCT.id, quantity: START_QUANTITY, unitPrice: PRODUCT.unitPrice, unitCost: PRODUCT.unitCost,
          startDate: this.dates.previousMonthStart, endDate: end, billingFrequency: 'monthly', autoRenew: true, kind: 'saas',
        },
      } as SubscriptionReport,
      sent: [],
      previousMonthQuantity: START_QUANTITY,
    }));
    conn.subscriptions.push(...subs);
    return subs;
  }
}
