/**
 * The subscription workflow's takeOverLines Update and driftFound signal (docs/adopt-and-drift.md),
 * on the time-skipping server with the in-memory PSA: a hand-made line adopted before the
 * mapping is UPDATED by the first sync (no second line); an adoption that would bill two lines
 * is refused naming the field; a drifted line restored gets the ledger's values back; drift
 * shows in the state query.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { SubscriptionWorkflowState } from '../../contracts/subscription';
import { addDays, isoDateOf, type IsoDate } from '../../domain/dates';
import type { HeldCwLine } from '../../domain/psa-diff';
import { BillingInputError } from '../../domain/problems';
import { mockedConnector, samplePlacement, sampleReport, type MockedConnector } from '../support/mocked-connector';
import { workflowBundle, temporalTestServer } from '../setup/workflow-setup-env';
import { startTimeSkippingEnv } from '../support/time-skipping-env';

jest.setTimeout(120_000);

describe('subscription workflow: adopting and restoring PSA lines', () => {
  let env: TestWorkflowEnvironment;
  let c: MockedConnector;
  const today = async (): Promise<IsoDate> => isoDateOf(await env.currentTimeMs());
  beforeAll(async () => {
    env = await startTimeSkippingEnv(temporalTestServer());
    c = await mockedConnector(env, workflowBundle());
  });
  afterAll(async () => {
    for (const id of c.reported) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
    await c.stop();
    await env?.teardown();
  });
  const quiet = (id: string, until: (s: SubscriptionWorkflowState) => boolean) => c.quiet('conn', id, until);

  it('a hand-made line adopted before the mapping is updated by the first sync; no second line is created', async () => {
    const start = addDays(await today(), -20);
    const key = `s-adopt/bp/base/${start}`;
    // The MSP's own line: 12 at 20.00, open-ended, started before the subscription was mapped.
    const handId = 77;
    c.psa.cw.set(handId, { lineKey: 'by-hand', subscriptionId: 's-adopt', productId: 'bp', kind: 'base', quantity: 12, unitPrice: '20.00', unitCost: '18.70', effectiveDate: addDays(start, -30), cancelledDate: null });
    await c.platform.reportSubscription('conn', sampleReport('s-adopt', start));
    const adopted: HeldCwLine = { lineKey: key, subscriptionId: 's-adopt', productId: 'bp', kind: 'base', quantity: 12, unitPrice: '20.00', unitCost: '18.70', effectiveDate: addDays(start, -30), cancelledDate: null, psaId: handId };
    await expect(c.platform.takeOverLines('conn', 's-adopt', { kind: 'adopt', agreementId: 2, connectwise: { [key]: adopted }, by: 'alice' })).resolves.toEqual({ outcome: 'recorded' });
    await expect(c.platform.takeOverLines('conn', 's-adopt', { kind: 'adopt', agreementId: 2, connectwise: { [key]: adopted } })).resolves.toEqual({ outcome: 'unchanged' });
    const linesBefore = c.psa.cw.size;
    await c.platform.place('conn', 's-adopt', samplePlacement(start));
    const s = await quiet('s-adopt', (x) => x.status === 'mapped' && x.step === 1);
    expect(c.psa.cw.size).toBe(linesBefore); // updated, not created
    expect(c.psa.cw.get(handId)).toMatchObject({ quantity: 10, unitPrice: '22.00', cancelledDate: addDays(start, 364) });
    expect(s.lineIds).toEqual({ [key]: handId });
    expect(s.history.map((h) => h.what)).toEqual([`adopted ${key} (by alice)`, 'mapped']);

    // A second line for the same key would bill twice: refused, naming the line.
    const other = { ...adopted, psaId: 78 };
    const refused = await c.platform.takeOverLines('conn', 's-adopt', { kind: 'adopt', agreementId: 2, connectwise: { [key]: other } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BillingInputError);
    expect((refused as BillingInputError).problems).toEqual([{ path: `connectwise.${key}`, message: `the connector already holds line ${handId} for ${key}; adopting 78 too would bill both` }]);
    // On another agreement: refused too.
    const elsewhere = await c.platform.takeOverLines('conn', 's-adopt', { kind: 'restore', agreementId: 99, connectwise: { [key]: null } }).catch((e: unknown) => e);
    expect((elsewhere as BillingInputError).problems[0]).toEqual({ path: 'agreementId', message: "is 99, but the subscription's lines are on 2" });
  });

  it('drift shows in the state; restoring a hand-edited line writes the ledger values back', async () => {
    const start = addDays(await today(), -20);
    const key = `s-drift/bp/base/${start}`;
    await c.platform.reportSubscription('conn', sampleReport('s-drift', start));
    await c.platform.place('conn', 's-drift', samplePlacement(start));
    const synced = await quiet('s-drift', (x) => x.step === 1);
    const id = synced.lineIds[key]!;
    c.psa.cw.get(id)!.quantity = 14; // edited by hand in the PSA
    const finding = { lineKey: key, psaId: id, productId: 'bp', field: 'quantity' as const, expected: 10, found: 14 };
    await c.platform.reportDrift('conn', 's-drift', { at: new Date().toISOString(), asOf: await today(), findings: [finding, { ...finding, psaId: 999 }] });
    const drifted = await quiet('s-drift', (x) => (x.drift?.findings.length ?? 0) > 0);
    expect(drifted.drift!.findings).toEqual([finding]); // a line the workflow does not hold is dropped

    const observed = { ...synced.held.connectwise[key]!, quantity: 14 };
    await c.platform.takeOverLines('conn', 's-drift', { kind: 'restore', agreementId: 2, connectwise: { [key]: observed }, by: 'bob' });
    const restored = await quiet('s-drift', (x) => x.step === 2);
    expect(c.psa.cw.get(id)!.quantity).toBe(10);
    expect(restored.drift!.findings).toEqual([]);
    expect(restored.history.at(-2)!.what).toBe(`restoring ${key} (by bob)`);
  });
});
