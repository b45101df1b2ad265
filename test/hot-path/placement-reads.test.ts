/**
 * Issue 15, "Onboarding reads": a new subscription placing itself (its customer and product
 * mapped, the company holding one agreement / contract) reads the company's agreements ONCE —
 * the read that chooses the agreement also checks it is the company's — plus the agreement's
 * lines (the cutover check for a hand-billed line of the product); a subscription already placed
 * reads the agreements once to check its agreement is still the company's. Counted in the
 * sandbox's request log; it used to list the agreements twice per new subscription.
 */
import { automaticPlacement } from '../../activities/subscription-records';
import { startHarness, type Harness } from '../workflows/harness';
import { mapAcmeAndProducts } from '../workflows/fixtures';

jest.setTimeout(120_000);

interface PsaRequest { method: string; url: string }

describe.each(['connectwise', 'autotask'] as const)('automatic placement reads on %s', (psa) => {
  let h: Harness;
  let root: string;
  beforeAll(async () => {
    h = await startHarness(psa, 'placement_reads');
    root = psa === 'connectwise' ? h.cw!.url : h.at!.url;
    await mapAcmeAndProducts(h);
    // The gateway's one-off reads (zone, picklists) done before counting.
    await (await h.gateways.forConnection(h.connectionId)).listAgreements(psa === 'connectwise' ? 1 : 1001);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Path after the API root, ids as {id}, per request of `fn`. */
  async function requestsOf(fn: () => Promise<unknown>): Promise<string[]> {
    await fetch(`${root}/__sandbox/requests`, { method: 'DELETE' });
    await fn();
    const { log } = (await (await fetch(`${root}/__sandbox/requests`)).json()) as { log: PsaRequest[] };
    return log
      .filter((r) => !r.url.includes('/__sandbox'))
      .map((r) => `${r.method} ${r.url.split('?')[0]!.replace(/^.*\/apis\/3\.0|^.*\/v1\.0/i, '').replace(/\/\d+(?=\/|$)/g, '/{id}')}`);
  }
  const agreementReads = (routes: string[]) => routes.filter((r) => (psa === 'connectwise' ? r === 'GET /finance/agreements' || r === 'GET /finance/agreements/{id}' : /^(GET|POST) \/Contracts(\/\{id\}|\/query)$/i.test(r)));
  const companyReads = (routes: string[]) => routes.filter((r) => /companies/i.test(r));

  it('a new subscription: the agreements listed once, no company read; placed again: once', async () => {
    const sub = { id: `placed-${psa}`, customerId: 'cust-acme', productId: 'm365-bp', quantity: 10, billingFrequency: 'monthly' as const };
    let found: Awaited<ReturnType<typeof automaticPlacement>> | undefined;
    const first = await requestsOf(async () => (found = await automaticPlacement(h, h.connectionId, sub)));
    expect(found).toMatchObject({ placement: { psa } });
    expect(agreementReads(first)).toHaveLength(1);
    expect(companyReads(first)).toEqual([]);

    // Now linked: its own mapping names the agreement, checked against the company's list once.
    const again = await requestsOf(async () => (found = await automaticPlacement(h, h.connectionId, sub)));
    expect(found).toMatchObject({ placement: { psa } });
    expect(agreementReads(again)).toHaveLength(1);
    expect(again.filter((r) => /additions|ContractService/i.test(r))).toEqual([]);
  });
});
