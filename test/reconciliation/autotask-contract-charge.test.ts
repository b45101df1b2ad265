/**
 * §6 accepted SaaS reconciliation on Autotask: `at.create-contract-charge` posts one ContractCharge
 * (quantity 1, delta cost and price) through the gateway into the sandbox, once per key — also
 * when the journal's `complete` was lost after the write (the retry finds the charge).
 */
import { createAutotaskGateway } from '../../activities/psa/autotask/autotask-gateway';
import { createMemoryJournal } from '../../activities/psa/memory-journal';
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
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
    });
    const target: PsaTarget = { companyId: 1001, agreementId: 2001, productIds: {}, description: 'Subscription sub-9' };
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
      name: 'Billing reconciliation 2026-10',
    });
    expect(charges[0]!.internalDescription).toContain('[sub-9/m365-bp/reconciliation/2026-10]');
    expect(applied).toMatchObject({ psaId: charges[0]!.id, lineKey: 'sub-9/m365-bp/reconciliation/2026-10', replayed: false });
    expect(replayed).toMatchObject({ psaId: charges[0]!.id, replayed: true });
  });
});
