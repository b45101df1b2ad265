/**
 * Issue 11, real-PSA fidelity on Autotask: what a real tenant does differently from a friendly
 * sandbox, and the gateway doing the right thing there. Each block names its gap.
 */
import { createAutotaskGateway, type AutotaskGateway } from '../../activities/psa/autotask/autotask-gateway';
import { createMemoryJournal, type MemoryJournal } from '../support/memory-journal';
import type { KeyedOperation, PsaTarget } from '../../activities/psa/psa-gateway.port';
import type { AtOperation } from '../../domain/psa-operations';
import { DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS as C, startAutotaskSandbox, type AutotaskSandbox, type AutotaskSandboxOptions } from '../../sandbox/autotask/server';
import { RENAMED_PICKLISTS, DEFAULT_TENANT } from '../../sandbox/autotask/tenant';

const TODAY = '2026-03-10';
const sandboxes: AutotaskSandbox[] = [];
afterAll(async () => {
  await Promise.all(sandboxes.map((s) => s.close()));
});

async function setup(options: AutotaskSandboxOptions = {}, journal: MemoryJournal = createMemoryJournal()): Promise<{ sandbox: AutotaskSandbox; gateway: AutotaskGateway; journal: MemoryJournal }> {
  const sandbox = await startAutotaskSandbox({ port: 0, seed: 'demo', today: () => TODAY, ...options });
  sandboxes.push(sandbox);
  const gateway = createAutotaskGateway({
    discoveryUrl: sandbox.url,
    credentials: { username: C.username, secret: C.secret, integrationCode: C.integrationCode },
    journal,
    now: () => Date.parse(`${TODAY}T12:00:00Z`),
  });
  return { sandbox, gateway, journal };
}

const createService = (productId = 'bp'): AtOperation => ({
  type: 'at.create-contract-service',
  service: { serviceKey: `sub-1/${productId}`, subscriptionId: 'sub-1', productId, unitPrice: '22.00', unitCost: '18.70' },
});
const adjust = (effectiveDate: string, unitChange: number): AtOperation => ({ type: 'at.adjust-units', serviceKey: 'sub-1/bp', effectiveDate, unitChange });
const keyed = (operation: AtOperation, key: string): KeyedOperation => ({ idempotencyKey: key, operation });
const target = (contractId: number): PsaTarget => ({ companyId: 0, agreementId: contractId, productIds: { bp: 3001 }, description: 'sub sub-1' });
const requests = async (sandbox: AutotaskSandbox) =>
  ((await (await fetch(`${sandbox.url}/__sandbox/requests`)).json()) as { log: { method: string; url: string }[] }).log;

describe('gap 2: prices read back in the customer\'s currency in a multi-currency tenant', () => {
  it('reads 22.00 EUR back as 22.00 (not the internal-currency price) and adopts the line without a price PATCH', async () => {
    const { sandbox, gateway } = await setup();
    // Contract 2004 belongs to Umbrella, billed in EUR (0.92 EUR per internal USD).
    const op = keyed(createService(), 'fx/1');
    const [created] = await gateway.apply(target(2004), [op], {});
    const line = sandbox.state.contractServices.find((cs) => cs.id === created!.psaId)!;
    expect(line.internalCurrencyAdjustedPrice).toBe(23.913); // what the old code took for the price
    expect((await gateway.readLine(target(2004), created!.psaId!)).unitPrice).toBe('22.00');

    // A retry of an unfinished create adopts the existing line: its price is already right.
    const again = createMemoryJournal();
    await again.begin('fx/1', op.operation);
    const retry = createAutotaskGateway({ discoveryUrl: sandbox.url, credentials: { username: C.username, secret: C.secret, integrationCode: C.integrationCode }, journal: again });
    await fetch(`${sandbox.url}/__sandbox/requests`, { method: 'DELETE' });
    expect((await retry.apply(target(2004), [op], {}))[0]).toMatchObject({ psaId: created!.psaId });
    expect((await requests(sandbox)).filter((r) => r.method === 'PATCH')).toEqual([]);
  });
});

describe.each([
  ['documented: a split unit period ends on the next adjustment\'s date', 'adjustment-date'],
  ['other reading: it ends the day before', 'day-before'],
] as const)('gap 3: crash recovery finds a landed adjustment (%s)', (_name, unitPeriodBoundary) => {
  it('writes the adjustment once when the journal missed its completion', async () => {
    const journal = createMemoryJournal();
    const { sandbox, gateway } = await setup({ tenant: { unitPeriodBoundary } }, journal);
    const [created] = await gateway.apply(target(2001), [keyed(createService(), 'b/1')], {});
    const ids = { 'sub-1/bp': created!.psaId! };
    await gateway.apply(target(2001), [keyed(adjust('2026-03-01', 10), 'b/2'), keyed(adjust('2026-03-15', 5), 'b/3')], ids);

    journal.failNextComplete(); // the adjustment lands, the worker dies before the journal hears of it
    await expect(gateway.apply(target(2001), [keyed(adjust('2026-03-20', 2), 'b/4')], ids)).rejects.toThrow('simulated crash');
    const [retried] = await gateway.apply(target(2001), [keyed(adjust('2026-03-20', 2), 'b/4')], ids);

    expect(retried).toMatchObject({ effectiveDate: '2026-03-20', replayed: false });
    const own = sandbox.state.adjustments.filter((a) => a.contractServiceID === ids['sub-1/bp']).map((a) => [a.effectiveDate.slice(0, 10), a.unitChange]);
    expect(own).toEqual([['2026-03-01', 10], ['2026-03-15', 5], ['2026-03-20', 2]]);
    expect((await gateway.readLine(target(2001), ids['sub-1/bp'], '2026-03-20')).quantity).toBe(17);
    expect((await gateway.readLine(target(2001), ids['sub-1/bp'], '2026-03-19')).quantity).toBe(15);
  });
});

describe.each(['Europe/Berlin', 'America/New_York', 'Australia/Sydney'])('gap 4: dates are exact in a tenant in %s', (timeZone) => {
  it('reads contract dates and unit periods as the tenant\'s calendar days and writes adjustments on the day meant', async () => {
    const { sandbox, gateway } = await setup({ tenant: { timeZone } });
    expect((await gateway.listAgreements(1001)).find((a) => a.id === 2001)).toMatchObject({ startDate: '2026-01-01', endDate: '2027-12-31' });
    const [created] = await gateway.apply(target(2001), [keyed(createService(), 'tz/1')], {});
    const ids = { 'sub-1/bp': created!.psaId! };
    await gateway.apply(target(2001), [keyed(adjust('2026-03-01', 4), 'tz/2')], ids);
    // An adjustment on a day already taken goes to the next free day, read from the unit periods.
    const [shifted] = await gateway.apply(target(2001), [keyed(adjust('2026-03-01', 1), 'tz/3')], ids);
    expect(shifted).toMatchObject({ effectiveDate: '2026-03-02', shiftedFrom: '2026-03-01' });
    expect(sandbox.state.adjustments.filter((a) => a.contractServiceID === ids['sub-1/bp']).map((a) => a.effectiveDate.slice(0, 10))).toEqual(['2026-03-01', '2026-03-02']);
    expect((await gateway.readLine(target(2001), ids['sub-1/bp'], '2026-03-01')).quantity).toBe(4);
    expect((await gateway.readLine(target(2001), ids['sub-1/bp'], '2026-02-28')).quantity).toBe(0);
  });
});

describe('gap 8: picklist labels come from the tenant\'s field metadata', () => {
  it('works in a tenant whose admins renamed "Customer", "Yearly", "Monthly" and "Recurring Contract Service"', async () => {
    const { sandbox, gateway } = await setup({ tenant: { picklists: RENAMED_PICKLISTS } });
    const { id: companyId } = await gateway.createCompany({ name: 'Renamed Labels Ltd' });
    expect(sandbox.state.companies.find((c) => c.id === companyId)?.companyType).toBe(1); // "Client"
    const { id: serviceId } = await gateway.createCatalogItem({ name: 'Backup (annual)', partNumber: 'BKP-Y', unitPrice: '10.00', unitCost: '7.00', periodType: 'yearly' });
    expect(sandbox.state.services.find((s) => s.id === serviceId)).toMatchObject({ periodType: 4, billingCodeID: 29682801 });
    expect((await gateway.listAgreements(1003))[0]).toMatchObject({ id: 2003, periodType: 'yearly' });
    expect((await gateway.listAgreements(1001))[0]).toMatchObject({ id: 2001, periodType: 'monthly' });
  });

  it('names the field and the labels it found when a concept is missing', async () => {
    const picklists = { ...DEFAULT_TENANT.picklists, Companies: { companyType: { 2: 'Lead', 3: 'Prospect' } } };
    const { gateway } = await setup({ tenant: { picklists } });
    await expect(gateway.createCompany({ name: 'No Customers Inc' })).rejects.toThrow('Autotask Companies.companyType has no picklist value for "Customer" (its labels: "Lead", "Prospect")');
  });
});

describe('line descriptions: the 100 characters Autotask keeps of an internal description, naming the line\'s product', () => {
  it('writes a long description cut on a word boundary to 100 (not refused, not 40), and an upgrade\'s new service names its product', async () => {
    const { sandbox, gateway } = await setup();
    const long = 'sub sub-1 | Contoso licences for the whole head office | Microsoft 365 Business Premium | monthly plan | 17 licenses';
    const t: PsaTarget = { ...target(2001), productIds: { bp: 3001, bb: 3002 }, description: long, descriptions: { bb: 'sub sub-1 | Microsoft 365 Business Basic' } };
    const [bp, bb] = await gateway.apply(t, [keyed(createService('bp'), 'desc/1'), keyed(createService('bb'), 'desc/2')], {});
    const text = (id: number | null) => sandbox.state.contractServices.find((cs) => cs.id === id)!.internalDescription;
    expect(text(bp!.psaId)).toBe('sub sub-1 | Contoso licences for the whole head office | Microsoft 365 Business Premium | monthly…');
    expect(text(bp!.psaId)!.length).toBeLessThanOrEqual(100);
    expect(text(bb!.psaId)).toBe('sub sub-1 | Microsoft 365 Business Basic');
  });
});
