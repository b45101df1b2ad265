/**
 * Issue 11, real-PSA fidelity on ConnectWise: what a real tenant does differently from a friendly
 * sandbox, and the gateway doing the right thing there. Each block names its gap.
 */
import { createConnectWiseGateway } from '../../activities/psa/connectwise/connectwise-gateway';
import { createMemoryJournal, type MemoryJournal } from '../support/memory-journal';
import type { KeyedOperation, PsaGateway, PsaTarget } from '../../activities/psa/psa-gateway.port';
import type { CwAddition } from '../../domain/psa-operations';
import { startConnectWiseSandbox, type ConnectWiseSandbox, type ConnectWiseSandboxOptions } from '../../sandbox/connectwise/server';

const sandboxes: ConnectWiseSandbox[] = [];
afterAll(async () => {
  await Promise.all(sandboxes.map((s) => s.close()));
});

async function setup(options: ConnectWiseSandboxOptions = {}, journal: MemoryJournal = createMemoryJournal()) {
  const sandbox = await startConnectWiseSandbox({ seed: 'demo', rateLimit: { limit: 0, windowMs: 1 }, ...options });
  sandboxes.push(sandbox);
  const gateway: PsaGateway = createConnectWiseGateway({
    baseUrl: sandbox.apiUrl, credentials: sandbox.credentials, journal, sleep: async () => {},
  });
  const acme = sandbox.state.agreements.find((a) => String(a.name).startsWith('Acme'))!;
  const bp = sandbox.state.catalog.find((c) => c.identifier === 'M365-BP')!;
  const target: PsaTarget = { companyId: 0, agreementId: acme.id, productIds: { 'm365-bp': bp.id }, description: 'sub cw-acme-bp | Microsoft 365 Business Premium' };
  return { sandbox, gateway, journal, target, acme };
}

const addition = (over: Partial<CwAddition> = {}): CwAddition => ({
  lineKey: 'cw-acme-bp/m365-bp/base/2026-03-01', subscriptionId: 'cw-acme-bp', productId: 'm365-bp', kind: 'base',
  quantity: 10, unitPrice: '22.00', unitCost: '18.70', effectiveDate: '2026-03-01', cancelledDate: null, ...over,
});
const create = (key: string, over: Partial<CwAddition> = {}): KeyedOperation => ({ idempotencyKey: key, operation: { type: 'cw.create-addition', addition: addition(over) } });

describe('gap 5: a company or catalog item whose create answer was lost is adopted, not created twice', () => {
  it('looks the company up by identifier (asking for its id only) after a 500 that followed the write', async () => {
    const { sandbox, gateway } = await setup();
    sandbox.faults.add({ fault: { type: 'status', status: 500, afterWrite: true }, times: 1, method: 'POST', pathIncludes: '/company/companies' });
    const before = sandbox.state.companies.length;
    const { id } = await gateway.createCompany({ name: 'Lost Answer Ltd', identifier: 'LOSTANSWER' });
    expect(sandbox.state.companies.length).toBe(before + 1);
    expect(sandbox.state.companies.find((c) => c.identifier === 'LOSTANSWER')?.id).toBe(id);
  });

  it('does the same for a catalog item', async () => {
    const { sandbox, gateway } = await setup();
    sandbox.faults.add({ fault: { type: 'status', status: 500, afterWrite: true }, times: 1, method: 'POST', pathIncludes: '/procurement/catalog' });
    const { id } = await gateway.createCatalogItem({ name: 'Lost Answer Backup', partNumber: 'LOST-BKP', unitPrice: '5.00', unitCost: '4.00', periodType: 'monthly' });
    expect(sandbox.state.catalog.filter((c) => c.identifier === 'LOST-BKP').map((c) => c.id)).toEqual([id]);
  });
});

describe('gap 7: the duplicate guard survives a tenant that cuts descriptions short', () => {
  it('finds the line written before a crash even when the tenant kept only 25 characters of its description', async () => {
    const journal = createMemoryJournal();
    const { sandbox, gateway, target, acme } = await setup({ rules: { additionDescriptionMax: 25 } }, journal);
    const op = create('subscription/cw-demo/cw-acme-bp/1/0');
    journal.failNextComplete();
    await expect(gateway.apply(target, [op], {})).rejects.toThrow('simulated crash');
    const [retried] = await gateway.apply(target, [op], {});
    const lines = sandbox.state.additions.filter((a) => a.agreementId === acme.id);
    expect(lines).toHaveLength(1);
    expect(retried!.psaId).toBe(lines[0]!.id);
    expect(String(lines[0]!.description)).toMatch(/^op:[0-9a-f]{16} sub c$/); // the cut kept the tag
  });

});

describe('line descriptions: the whole text where the tenant keeps it (the model publishes no maximum)', () => {
  const long = `sub x | Contoso licences | Microsoft 365 Business Premium | monthly plan | PN CFQ7TTC0LCHC | 17 licenses`;

  it('writes the whole description behind the tag, not 40 characters of it', async () => {
    const { sandbox, gateway, acme, target } = await setup();
    await gateway.apply({ ...target, description: long }, [create('k-long')], {});
    const [line] = sandbox.state.additions.filter((a) => a.agreementId === acme.id);
    expect(String(line!.description)).toMatch(/^op:[0-9a-f]{16} /);
    expect(String(line!.description).slice(20)).toBe(long);
  });

  it('cuts it on a word boundary to 60 in all, the tag first, when the tenant refuses a long one', async () => {
    const { sandbox, gateway, acme, target } = await setup({ rules: { additionDescriptionMax: 60, overlongDescription: 'refuse' } });
    await gateway.apply({ ...target, description: long }, [create('k-refused')], {});
    const lines = sandbox.state.additions.filter((a) => a.agreementId === acme.id);
    expect(lines).toHaveLength(1);
    expect(String(lines[0]!.description)).toMatch(/^op:[0-9a-f]{16} sub x \| Contoso licences \| Microsoft…$/);
    expect(String(lines[0]!.description).length).toBeLessThanOrEqual(60);
  });

  it('renames the line when a full upgrade swaps its product in place, keeping the tag', async () => {
    const { sandbox, gateway, acme, target } = await setup();
    const e3 = sandbox.state.catalog.find((c) => c.identifier !== 'M365-BP')!;
    const upgraded: PsaTarget = {
      ...target,
      productIds: { ...target.productIds, 'm365-e3': e3.id },
      descriptions: { 'm365-e3': 'sub cw-acme-bp | Microsoft 365 E3' },
    };
    const [created] = await gateway.apply(upgraded, [create('k-up-1')], {});
    const tag = String(sandbox.state.additions.find((a) => a.id === created!.psaId)!.description).split(' ')[0];
    const swap: KeyedOperation = { idempotencyKey: 'k-up-2', operation: { type: 'cw.update-addition', lineKey: addition().lineKey, set: { productId: 'm365-e3' } } };
    await gateway.apply(upgraded, [swap], { [addition().lineKey]: created!.psaId! });
    const line = sandbox.state.additions.find((a) => a.agreementId === acme.id)!;
    expect(line.description).toBe(`${tag} sub cw-acme-bp | Microsoft 365 E3`);
  });
});

describe.each(['America/New_York', 'Europe/Berlin', 'Asia/Tokyo'])('gap 4: dates are exact on a ConnectWise server in %s', (timeZone) => {
  it('writes additions on the day meant and reads agreement and addition dates as that day', async () => {
    const { sandbox, gateway, target, acme } = await setup({ timeZone });
    // A day written as midnight UTC would be the day before in New York, before the billing start.
    const [line] = await gateway.apply(target, [create('tz-1', { cancelledDate: '2026-03-31' })], {});
    expect(await gateway.readLine(target, line!.psaId!)).toMatchObject({ effectiveDate: '2026-03-01', cancelledDate: '2026-03-31' });
    const summary = (await gateway.listAgreements(Number((acme.company as { id: number }).id))).find((a) => a.id === acme.id);
    expect(summary).toMatchObject({ startDate: '2026-03-01' });
    // What the server keeps: its own calendar days.
    const stored = sandbox.state.additions.find((a) => a.id === line!.psaId)!;
    const clock = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    expect(clock.format(new Date(String(stored.effectiveDate)))).toBe('2026-03-01');
  });
});
