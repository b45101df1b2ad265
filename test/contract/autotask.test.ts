/**
 * Contract tests of the Autotask gateway. The same suite runs against the in-process sandbox
 * and, when AT_USERNAME / AT_SECRET / AT_INTEGRATION_CODE are set, against a real Autotask
 * (writes there only with AT_TEST_WRITE=1 and AT_TEST_CONTRACT_ID, a recurring-service
 * contract the suite may add services and adjustments to).
 */
import { addDays } from '../../domain/dates';
import type { KeyedOperation, PsaTarget } from '../../activities/psa/psa-gateway.port';
import { createMemoryJournal, type MemoryJournal } from '../support/memory-journal';
import type { AtOperation } from '../../domain/psa-operations';
import { createAutotaskGateway, type AutotaskGateway } from '../../activities/psa/autotask/autotask-gateway';
import type { AutotaskCredentials } from '../../activities/psa/autotask/autotask-client';
import { DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS, startAutotaskSandbox, type AutotaskSandbox } from '../../sandbox/autotask/server';

const TODAY = '2026-03-10';

interface Fixture {
  /** A recurring-service contract, monthly, covering TODAY ± a year. */
  contractId: number;
  companyId: number;
  /** Two services the suite may put on that contract. */
  serviceIds: [number, number];
}

interface Target {
  name: string;
  discoveryUrl: () => string;
  credentials: AutotaskCredentials;
  canWrite: boolean;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  fixture(gateway: AutotaskGateway): Promise<Fixture>;
}

let sandbox: AutotaskSandbox;
let unique = 0;
const sandboxTarget: Target = {
  name: 'sandbox',
  discoveryUrl: () => sandbox.url,
  credentials: DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS,
  canWrite: true,
  async setup() {
    sandbox = await startAutotaskSandbox({ port: 0, seed: 'demo', today: () => TODAY });
  },
  async teardown() {
    await sandbox.close();
  },
  // A fresh contract and services per test keeps tests independent of each other.
  async fixture(gateway) {
    const companyId = 1001;
    const n = ++unique;
    const contractId = await gateway.client.create('/Contracts', {
      contractName: `Contract test ${n}`, companyID: companyId, contractType: 7, status: 1, contractPeriodType: 1,
      startDate: '2026-01-01T00:00:00Z', endDate: '2027-12-31T00:00:00Z', timeReportingRequiresStartAndStopTimes: 0,
    });
    const service = (name: string) =>
      gateway.client.create('/Services', { name: `${name} ${n}`, billingCodeID: 29682803, periodType: 1, unitPrice: 22, unitCost: 18.7 });
    return { contractId, companyId, serviceIds: [await service('Test service A'), await service('Test service B')] };
  },
};

const env = process.env;
const realTarget: Target | null =
  env.AT_USERNAME && env.AT_SECRET && env.AT_INTEGRATION_CODE
    ? {
        name: 'real Autotask',
        discoveryUrl: () => env.AT_DISCOVERY_URL ?? 'https://webservices.autotask.net',
        credentials: { username: env.AT_USERNAME, secret: env.AT_SECRET, integrationCode: env.AT_INTEGRATION_CODE },
        canWrite: env.AT_TEST_WRITE === '1' && !!env.AT_TEST_CONTRACT_ID,
        setup: async () => {},
        teardown: async () => {},
        async fixture(gateway) {
          const contractId = Number(env.AT_TEST_CONTRACT_ID);
          const [contract] = await gateway.client.query('Contracts', { filter: [{ op: 'eq', field: 'id', value: contractId }] }, (await import('../../activities/psa/autotask/autotask-schemas')).contractSchema);
          const stamp = Date.now();
          const make = (label: string) =>
            gateway.createCatalogItem({ name: `psa-connector contract test ${label} ${stamp}`, partNumber: `PSAC-${label}-${stamp}`, unitPrice: '22.00', unitCost: '18.70', periodType: 'monthly' });
          return { contractId, companyId: contract!.companyID, serviceIds: [(await make('A')).id, (await make('B')).id] };
        },
      }
    : null;

if (!realTarget) console.info('Autotask contract tests: real Autotask skipped (set AT_USERNAME, AT_SECRET and AT_INTEGRATION_CODE to run them)');
else if (!realTarget.canWrite) console.info('Autotask contract tests: real Autotask write tests skipped (set AT_TEST_WRITE=1 and AT_TEST_CONTRACT_ID)');

const targets = [sandboxTarget, ...(realTarget ? [realTarget] : [])];

describe.each(targets)('Autotask gateway against $name', (target) => {
  let journal: MemoryJournal;
  let gateway: AutotaskGateway;
  const writeIt = target.canWrite ? it : it.skip;

  beforeAll(() => target.setup());
  afterAll(() => target.teardown());
  beforeEach(() => {
    journal = createMemoryJournal();
    gateway = createAutotaskGateway({
      discoveryUrl: target.discoveryUrl(),
      credentials: target.credentials,
      journal,
      now: () => Date.parse(`${TODAY}T12:00:00Z`),
    });
  });

  const targetFor = (f: Fixture): PsaTarget => ({
    companyId: f.companyId,
    agreementId: f.contractId,
    productIds: { 'prod-a': f.serviceIds[0], 'prod-b': f.serviceIds[1] },
    description: 'subscription sub-1',
  });
  let seq = 0;
  const keyed = (operation: AtOperation, key = `wf-1/${++seq}`): KeyedOperation => ({ idempotencyKey: key, operation });
  const createService = (serviceKey: string, productId = 'prod-a'): AtOperation => ({
    type: 'at.create-contract-service',
    service: { serviceKey, subscriptionId: 'sub-1', productId, unitPrice: '22.00', unitCost: '18.70' },
  });
  const adjust = (serviceKey: string, effectiveDate: string, unitChange: number): AtOperation => ({ type: 'at.adjust-units', serviceKey, effectiveDate, unitChange });

  it('accepts the credentials and rejects wrong ones without echoing the secret', async () => {
    await expect(gateway.testCredentials()).resolves.toBeUndefined();
    const wrongSecret = 'definitely-wrong-secret-123';
    const bad = createAutotaskGateway({
      discoveryUrl: target.discoveryUrl(),
      credentials: { ...target.credentials, secret: wrongSecret },
      journal,
      retry: { maxAttempts: 1 },
    });
    const error = await bad.testCredentials().then(() => null, (e: unknown) => e);
    expect(error).toMatchObject({ name: 'PsaError', kind: 'auth', status: 401 });
    expect(JSON.stringify(error)).not.toContain(wrongSecret);
    expect(String((error as Error).message)).not.toContain(wrongSecret);
  });

  it('finds companies ranked by closeness to a name', async () => {
    if (target.name === 'sandbox') {
      const matches = await gateway.findCompanies('ACME Corp.');
      expect(matches[0]).toMatchObject({ id: 1001, name: 'Acme Corporation', identifier: 'ACME' });
      expect(matches[0]!.score).toBeGreaterThan(0.9);
    } else {
      const matches = await gateway.findCompanies('a');
      for (let i = 1; i < matches.length; i++) expect(matches[i]!.score).toBeLessThanOrEqual(matches[i - 1]!.score);
    }
  });

  it('finds the right company first despite typos (server-side filter on word fragments)', async () => {
    if (target.name !== 'sandbox') return; // the demo seed's companies
    expect((await gateway.findCompanies('Inittech'))[0]).toMatchObject({ id: 1003, name: 'Initech LLC' });
    expect((await gateway.findCompanies('Umbrela Helth'))[0]).toMatchObject({ id: 1004, name: 'Umbrella Health GmbH' });
  });

  writeIt('creates a company and finds it', async () => {
    const name = `Contract Test Company ${Date.now()}`;
    const { id } = await gateway.createCompany({ name, identifier: 'CTC' });
    const [best] = await gateway.findCompanies(name);
    expect(best).toMatchObject({ id, name, score: 1 });
  });

  writeIt('creates a catalog service and finds it by part number and by name', async () => {
    const stamp = Date.now();
    const { id } = await gateway.createCatalogItem({ name: `Backup Storage ${stamp}`, partNumber: `BKP-${stamp}`, unitPrice: '10.00', unitCost: '7.50', periodType: 'yearly' });
    expect((await gateway.findCatalogItems({ partNumber: `BKP-${stamp}` }))[0]).toMatchObject({ id, partNumber: `BKP-${stamp}`, score: 1 });
    expect((await gateway.findCatalogItems({ name: `backup storage ${stamp}` }))[0]).toMatchObject({ id, score: 1 });
  });

  it('lists recurring-service contracts with their period', async () => {
    if (target.name !== 'sandbox') {
      await expect(gateway.listAgreements(0)).resolves.toEqual([]);
      return;
    }
    expect(await gateway.listAgreements(1001)).toEqual(
      expect.arrayContaining([{ id: 2001, name: 'Acme - Cloud Services', companyId: 1001, startDate: '2026-01-01', endDate: '2027-12-31', periodType: 'monthly' }]),
    );
    expect((await gateway.listAgreements(1003))[0]).toMatchObject({ id: 2003, periodType: 'yearly' });
  });

  writeIt('creates a contract service, changes its price, adjusts units and reads the line back', async () => {
    const f = await target.fixture(gateway);
    const t = targetFor(f);
    const [created] = await gateway.apply(t, [keyed(createService('line-a'))], {});
    expect(created).toMatchObject({ lineKey: 'line-a', replayed: false });
    const csId = created!.psaId!;
    const applied = await gateway.apply(
      t,
      [keyed({ type: 'at.update-contract-service', serviceKey: 'line-a', unitPrice: '21.50', unitCost: '18.70' }), keyed(adjust('line-a', '2026-03-01', 10))],
      { 'line-a': csId },
    );
    expect(applied[1]).toMatchObject({ psaId: csId, effectiveDate: '2026-03-01', replayed: false });
    expect(applied[1]!.shiftedFrom).toBeUndefined();
    expect(await gateway.readLine(t, csId)).toEqual({ psaId: csId, quantity: 10, unitPrice: '21.50', unitCost: '18.70', invoiced: false });
  });

  writeIt('listLines reads every contract service of the contract with its units and adjustment dates, hand-made ones too', async () => {
    const f = await target.fixture(gateway);
    const t = targetFor(f);
    // As an MSP billing by hand makes it: a contract service and two adjustments, not journaled.
    const csId = await gateway.client.create(`/Contracts/${f.contractId}/Services`, { contractID: f.contractId, serviceID: f.serviceIds[1], adjustedPrice: 20, internalDescription: 'by hand' });
    const adjustBy = (date: string, unitChange: number) =>
      gateway.client.create(`/Contracts/${f.contractId}/ServiceAdjustments`, { contractID: f.contractId, serviceID: f.serviceIds[1], contractServiceID: csId, effectiveDate: `${date}T00:00:00Z`, unitChange });
    await adjustBy('2026-01-01', 8);
    await adjustBy('2026-03-05', 2);
    const [ours] = await gateway.apply(t, [keyed(createService('line-a')), keyed(adjust('line-a', '2026-03-01', 10))], {});
    const lines = await gateway.listLines(f.contractId);
    expect(lines.find((l) => l.psaId === csId)).toEqual({
      psaId: csId, psaProductId: f.serviceIds[1], quantity: 10, unitPrice: '20.00', unitCost: '18.70', effectiveDate: null, cancelledDate: null, description: 'by hand',
      adjustments: [{ date: '2026-01-01', unitChange: 8 }, { date: '2026-03-05', unitChange: 2 }],
    });
    expect(lines.find((l) => l.psaId === ours!.psaId)).toMatchObject({ psaProductId: f.serviceIds[0], quantity: 10, unitPrice: '22.00', adjustments: [{ date: '2026-03-01', unitChange: 10 }] });
    // The units in force on another day.
    expect((await gateway.listLines(f.contractId, '2026-02-01')).find((l) => l.psaId === csId)).toMatchObject({ quantity: 8 });
  });

  writeIt('nets two changes on one date into one adjustment', async () => {
    const f = await target.fixture(gateway);
    const t = targetFor(f);
    const [created] = await gateway.apply(t, [keyed(createService('line-a'))], {});
    const ids = { 'line-a': created!.psaId! };
    const applied = await gateway.apply(t, [keyed(adjust('line-a', '2026-03-05', 3)), keyed(adjust('line-a', '2026-03-05', 1))], ids);
    expect(applied.map((a) => [a.effectiveDate, a.shiftedFrom])).toEqual([['2026-03-05', undefined], ['2026-03-05', undefined]]);
    expect(await gateway.readLine(t, ids['line-a'])).toMatchObject({ quantity: 4 });
    if (target.name === 'sandbox') expect(sandbox.state.adjustments.filter((a) => a.contractServiceID === ids['line-a'])).toHaveLength(1);
  });

  writeIt('posts a change to a date that already holds an adjustment on the next free day, recording shiftedFrom', async () => {
    const f = await target.fixture(gateway);
    const t = targetFor(f);
    const [created] = await gateway.apply(t, [keyed(createService('line-a'))], {});
    const ids = { 'line-a': created!.psaId! };
    await gateway.apply(t, [keyed(adjust('line-a', '2026-03-15', 5)), keyed(adjust('line-a', '2026-03-16', 1))], ids);
    const [shifted] = await gateway.apply(t, [keyed(adjust('line-a', '2026-03-15', -2))], ids);
    expect(shifted).toMatchObject({ effectiveDate: '2026-03-17', shiftedFrom: '2026-03-15' });
    // Posted one by one in the order given (the planner chooses free days; a day Autotask refuses
    // as taken moves the change to the first free day after it).
    const both = await gateway.apply(t, [keyed(adjust('line-a', '2026-03-15', 1)), keyed(adjust('line-a', '2026-03-18', 1))], ids);
    expect(both.map((a) => [a.effectiveDate, a.shiftedFrom])).toEqual([['2026-03-18', '2026-03-15'], ['2026-03-19', '2026-03-18']]);
    expect(await gateway.readLine(t, ids['line-a'])).toMatchObject({ quantity: 0 }); // TODAY is before all of them
    const later = createAutotaskGateway({ discoveryUrl: target.discoveryUrl(), credentials: target.credentials, journal, now: () => Date.parse('2026-03-20T00:00:00Z') });
    expect(await later.readLine(t, ids['line-a'])).toMatchObject({ quantity: 6 });
  });

  writeIt('applies the same idempotency key once', async () => {
    const f = await target.fixture(gateway);
    const t = targetFor(f);
    const ops = [keyed(createService('line-b', 'prod-b'), 'wf-2/1'), keyed(adjust('line-b', '2026-04-01', 7), 'wf-2/2')];
    const first = await gateway.apply(t, ops, {});
    const again = await gateway.apply(t, ops, {});
    expect(first.map((a) => a.replayed)).toEqual([false, false]);
    expect(again).toEqual(first.map((a) => ({ ...a, replayed: true })));
    expect(await gateway.readLine(t, first[0]!.psaId!)).toMatchObject({ quantity: 0 });
    if (target.name === 'sandbox') {
      expect(sandbox.state.adjustments.filter((a) => a.contractServiceID === first[0]!.psaId)).toHaveLength(1);
      expect(sandbox.state.contractServices.filter((cs) => cs.contractID === f.contractId)).toHaveLength(1);
    }
  });

  writeIt('reports Autotask validation errors with its own message, without retrying them', async () => {
    const f = await target.fixture(gateway);
    const t = targetFor(f);
    const [created] = await gateway.apply(t, [keyed(createService('line-a'))], {});
    const outside = addDays('2027-12-31', 1);
    const error = await gateway.apply(t, [keyed(adjust('line-a', outside, 1))], { 'line-a': created!.psaId! }).then(() => null, (e: unknown) => e);
    expect(error).toMatchObject({ name: 'PsaError', kind: 'validation', retryable: false });
    expect((error as Error).message).toMatch(/contract/i);
  });

  writeIt('pushes the service catalog together and refuses clashing names up front', async () => {
    const stamp = Date.now();
    const plans = [
      { key: `plan-m-${stamp}`, name: `Workplace License Monthly ${stamp}`, unitCost: '4.00', unitPrice: '6.00', periodType: 'monthly' as const, billingCodeId: 29682803 },
      { key: `plan-y-${stamp}`, name: `Workplace License Yearly ${stamp}`, unitCost: '40.00', unitPrice: '60.00', periodType: 'yearly' as const, billingCodeId: 29682803 },
    ];
    if (target.name !== 'sandbox') return; // billing code ids are tenant-specific
    const first = await gateway.pushServiceCatalog(plans);
    expect(first.map((r) => r.status)).toEqual(['synced', 'synced']);
    // Pushing again updates our own services (price change) instead of clashing with them.
    const second = await gateway.pushServiceCatalog([{ ...plans[0]!, unitPrice: '6.50' }, plans[1]!]);
    expect(second.map((r) => [r.status, r.serviceId])).toEqual(first.map((r) => ['synced', r.serviceId]));
    expect(sandbox.state.services.find((s) => s.id === first[0]!.serviceId)).toMatchObject({ unitPrice: 6.5, externalID: plans[0]!.key });
    // A duplicate inside the push, or a same-named service that is not ours, fails naming it.
    await expect(gateway.pushServiceCatalog([plans[0]!, { ...plans[1]!, name: plans[0]!.name }])).rejects.toThrow(plans[0]!.name);
    await expect(gateway.pushServiceCatalog([{ ...plans[0]!, key: 'someone-else', name: 'Microsoft 365 Business Basic (Monthly)' }])).rejects.toThrow(
      '"Microsoft 365 Business Basic (Monthly)" already exists',
    );
    // One bad plan is an error of its own; the others still sync.
    const mixed = await gateway.pushServiceCatalog([{ ...plans[0]!, key: `bad-${stamp}`, name: `Bad ${stamp}`, billingCodeId: 29682802 }, plans[1]!]);
    expect(mixed.map((r) => r.status)).toEqual(['error', 'synced']);
    expect(mixed[0]!.error).toMatch(/Recurring Contract Service/);
  });
});
