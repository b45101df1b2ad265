/**
 * §6 accepted SaaS reconciliation on Autotask: `at.create-contract-charge` posts one ContractCharge
 * (quantity 1, delta cost and price) through the gateway into the sandbox, once per key — also
 * when the journal's `complete` was lost after the write (the retry finds the charge).
 *
 * Issue 11 gap 1: ContractCharges have no `internalDescription` (the swagger model lists none),
 * so looking a charge up by it is answered, as real Autotask does, with HTTP 500 "Unable to find
 * internalDescription in the ContractCharge Entity"; and a charge needs a billing code or a
 * product. The charge key now rides in `description`, and the charge carries the billing code of
 * the subscription's service.
 */
import { createAutotaskGateway } from '../../activities/psa/autotask/autotask-gateway';
import { createMemoryJournal } from '../support/memory-journal';
import type { KeyedOperation, PsaTarget } from '../../activities/psa/psa-gateway.port';
import { planAcceptedReconciliation } from '../../domain/reconciliation';
import { DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS, startAutotaskSandbox, type AutotaskSandbox } from '../../sandbox/autotask/server';

describe('Autotask contract charge (§6 accepted SaaS reconciliation)', () => {
  let sandbox: AutotaskSandbox;
  beforeAll(async () => {
    sandbox = await startAutotaskSandbox({ port: 0, seed: 'demo' });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('posts one quantity-1 charge with the delta cost and price, once per idempotency key', async () => {
    const journal = createMemoryJournal();
    const c = DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS;
    const gateway = createAutotaskGateway({
      discoveryUrl: sandbox.url,
      credentials: { username: c.username, secret: c.secret, integrationCode: c.integrationCode },
      journal,
    });
    // The subscription's product is the demo service 3001 (billing code 29682803).
    const target: PsaTarget = { companyId: 1001, agreementId: 2001, productIds: { 'm365-bp': 3001 }, description: 'Subscription sub-9' };
    const [op] = planAcceptedReconciliation({
      kind: 'saas', subscriptionId: 'sub-9', productId: 'm365-bp', billingMonth: '2026-10',
      platform: { cost: '190.50', price: '224.00' }, psa: { cost: '187.00', price: '220.00' },
    }).autotask;
    const keyed: KeyedOperation[] = [{ idempotencyKey: 'reconciliation/at-1/microsoft-csp/2026-10/sub-9/accept', operation: op! }];

    // The write lands but the journal never hears of it (a crash): the retry must not post again.
    journal.failNextComplete();
    await expect(gateway.apply(target, keyed, {})).rejects.toThrow('simulated crash');
    const [applied] = await gateway.apply(target, keyed, {});
    const [replayed] = await gateway.apply(target, keyed, {});

    const charges = sandbox.state.contractCharges ?? [];
    expect(charges).toHaveLength(1);
    expect(charges[0]).toMatchObject({
      contractID: 2001, unitQuantity: 1, unitCost: 3.5, unitPrice: 4, datePurchased: '2026-10-31T00:00:00Z', isBillableToCompany: true,
      name: 'Billing reconciliation 2026-10', billingCodeID: 29682803, chargeType: 1,
    });
    expect(charges[0]!.description).toBe('Subscription sub-9 [sub-9/m365-bp/reconciliation/2026-10]');
    expect(applied).toMatchObject({ psaId: charges[0]!.id, lineKey: 'sub-9/m365-bp/reconciliation/2026-10', replayed: false });
    expect(replayed).toMatchObject({ psaId: charges[0]!.id, replayed: true });
  });
});

describe('the Autotask sandbox on ContractCharges (what real Autotask does)', () => {
  let sandbox: AutotaskSandbox;
  beforeAll(async () => {
    sandbox = await startAutotaskSandbox({ port: 0, seed: 'demo' });
  });
  afterAll(async () => {
    await sandbox?.close();
  });
  const c = DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS;
  const call = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${sandbox.url}/ATServicesRest/V1.0${path}`, {
      method, headers: { ApiIntegrationCode: c.integrationCode, UserName: c.username, Secret: c.secret, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { errors?: string[] } };
  };

  it('answers a filter on internalDescription with 500 "Unable to find internalDescription in the ContractCharge Entity"', async () => {
    const res = await call('POST', '/ContractCharges/query', { filter: [{ op: 'contains', field: 'internalDescription', value: '[x]' }] });
    expect(res).toEqual({ status: 500, body: { errors: ['Unable to find internalDescription in the ContractCharge Entity'] } });
  });

  it('refuses a charge with neither a billing code nor a product', async () => {
    const res = await call('POST', '/Contracts/2001/Charges', {
      contractID: 2001, name: 'x', chargeType: 1, datePurchased: '2026-10-31T12:00:00Z', unitQuantity: 1, unitCost: 1, unitPrice: 1, isBillableToCompany: true,
    });
    expect(res.status).toBe(500);
    expect(res.body.errors?.[0]).toMatch(/productID or billingCodeID is required/);
  });
});
