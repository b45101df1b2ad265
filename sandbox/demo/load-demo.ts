/**
 * Loads the demo world into a running stack (idempotent: a restart finds it and adds nothing):
 * PSA connections to both sandboxes, platform records, customer and product mappings, and the
 * subscriptions with their lifecycle events, reported through the platform client library so
 * each becomes a subscription workflow in the Temporal Web UI. October's invoices arrive the
 * way a platform delivers them: through the admin API's invoice intake, with an operator token.
 */
import type { GatewayRegistry } from '../../activities/psa/gateway-registry';
import type { Store } from '../../activities/store';
import { createPlatformIntakeClient } from '../../client/platform-invoices';
import type { SubscriptionMessenger } from '../../contracts/subscription';
import { parseConfig } from '../../runtime/config';
import { createRuntime, runtimeSettings } from '../../runtime/runtime';
import { DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS } from '../autotask/server';
import { DEFAULT_CW_SANDBOX_CREDENTIALS } from '../connectwise/auth';
import { demoCustomers, demoInvoices, demoProducts, demoSubscriptions } from './demo-data';

export interface DemoTargets {
  env: NodeJS.ProcessEnv;
  /** ConnectWise sandbox root and Autotask sandbox (zone discovery) root. */
  connectWiseUrl: string;
  autotaskUrl: string;
  /** The admin API and a token that may deliver invoices (operator or admin). */
  apiUrl: string;
  apiToken: string;
}

export async function loadDemoData(t: DemoTargets): Promise<string> {
  const rt = await createRuntime(runtimeSettings(parseConfig(t.env)));
  try {
    const { store, gateways, subscriptions: platform } = rt;
    const intake = createPlatformIntakeClient({ baseUrl: t.apiUrl, token: t.apiToken });
    await ensureConnections(store, t);
    for (const c of demoCustomers) await store.platform.upsertCustomer({ id: c.id, name: c.name, city: c.city });
    for (const p of demoProducts) {
      await store.platform.upsertProduct({ ...p, provider: 'Microsoft CSP', billingFrequency: 'monthly' });
    }
    let started = 0;
    for (const [connectionId, psa, prefix] of [['cw-demo', 'connectwise', 'cw'], ['at-demo', 'autotask', 'at']] as const) {
      await mapCustomersAndProducts(store, gateways, connectionId, psa);
      await intake.sendInvoices(demoInvoices(prefix)); // a restart re-sends them: unchanged, a no-op
      for (const { report, events } of demoSubscriptions(prefix)) {
        if (await alreadyLoaded(platform, connectionId, report.subscription.id)) continue;
        await platform.reportSubscription(connectionId, report);
        for (const [i, e] of events.entries()) await platform.sendEvent(connectionId, report.subscription.id, { id: `${report.subscription.id}-e${i + 1}`, ...e });
        started++;
      }
    }
    return started ? `demo data: ${started} subscription workflows started` : 'demo data: already loaded';
  } finally {
    await rt.close();
  }
}

async function ensureConnections(store: Store, t: DemoTargets): Promise<void> {
  const cw = DEFAULT_CW_SANDBOX_CREDENTIALS;
  const at = DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS;
  const notifications = { enabled: true, recipients: ['msp-admin@example.test'], templates: { serviceMapping: true, billingReconciliation: true } };
  if (!(await store.connections.get('cw-demo'))) {
    await store.connections.create({
      id: 'cw-demo', psa: 'connectwise', name: 'ConnectWise sandbox (demo)', notifications,
      settings: { baseUrl: `${t.connectWiseUrl}/v4_6_release/apis/3.0`, companyId: cw.companyId, publicKey: cw.publicKey, clientId: cw.clientId },
      secret: cw.privateKey,
    });
  }
  if (!(await store.connections.get('at-demo'))) {
    await store.connections.create({
      id: 'at-demo', psa: 'autotask', name: 'Autotask sandbox (demo)', notifications,
      settings: { discoveryUrl: t.autotaskUrl, username: at.username, integrationCode: at.integrationCode },
      secret: at.secret,
    });
  }
}

/** Maps the demo customers to the sandbox companies of the same name, and the products to catalog items. */
async function mapCustomersAndProducts(store: Store, gateways: GatewayRegistry, connectionId: string, psa: 'connectwise' | 'autotask'): Promise<void> {
  const gateway = await gateways.forConnection(connectionId);
  for (const c of demoCustomers) {
    await store.mappings.customers.track(connectionId, [{ platformId: c.id, label: c.name }]);
    const existing = await store.mappings.customers.get(connectionId, c.id);
    if (!c.psaName || existing?.linked) continue;
    const [match] = await gateway.findCompanies(c.psaName[psa]);
    if (match) await store.mappings.customers.markMapped(connectionId, c.id, { psaId: match.id, psaName: match.name });
  }
  for (const p of demoProducts) {
    await store.mappings.products.track(connectionId, [{ platformId: p.id, label: p.name }]);
    if ((await store.mappings.products.get(connectionId, p.id))?.linked) continue;
    // Only the same name: "Microsoft 365 E5" is close to "Microsoft 365 E3" but another product,
    // and two products on one catalog item / service would bill together.
    const [match] = await gateway.findCatalogItems({ name: p.name });
    const psaId = match && match.score === 1 ? match.id : (await gateway.createCatalogItem({ ...p, periodType: 'monthly' })).id;
    await store.mappings.products.markMapped(connectionId, p.id, { psaId, psaName: match && match.id === psaId ? match.name : p.name });
  }
}

async function alreadyLoaded(platform: SubscriptionMessenger, connectionId: string, subscriptionId: string): Promise<boolean> {
  try {
    const s = await platform.state(connectionId, subscriptionId);
    return s.report !== null;
  } catch {
    return false; // no such workflow yet
  }
}
