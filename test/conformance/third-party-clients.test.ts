/**
 * Third-party clients against the sandboxes (issue 11): the npm packages MSP tooling uses —
 * `connectwise-rest` (ConnectWise PSA) and `@apigrate/autotask-restapi` (Autotask REST) — run
 * their ordinary calls unchanged. What would trip them (paging, sub-path PATCH, DELETE with a
 * JSON content type, error bodies, child-entity paths) must behave as the real APIs do.
 *
 * The one thing arranged for the test: connectwise-rest only speaks https to `companyUrl`, so the
 * ConnectWise sandbox is reached through a loopback TLS front with a throw-away certificate that
 * this process trusts (nothing leaves 127.0.0.1).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutotaskApiError, AutotaskRestApi } from '@apigrate/autotask-restapi';
import { ManageAPI } from 'connectwise-rest';
import { DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS as AT, startAutotaskSandbox, type AutotaskSandbox } from '../../sandbox/autotask/server';
import { startConnectWiseSandbox, type ConnectWiseSandbox } from '../../sandbox/connectwise/server';

jest.setTimeout(60_000);

describe('@apigrate/autotask-restapi against the Autotask sandbox', () => {
  let sandbox: AutotaskSandbox;
  let api: AutotaskRestApi;
  beforeAll(async () => {
    sandbox = await startAutotaskSandbox({ port: 0, seed: 'demo', today: () => '2026-03-10' });
    // Zone discovery as in production, only the discovery host is the sandbox's.
    api = new AutotaskRestApi(AT.username, AT.secret, AT.integrationCode, { base_url: `${sandbox.url}/atservicesrest/` });
  });
  afterAll(() => sandbox.close());

  it('queries with conditions, pages by id, counts and reads one', async () => {
    for (let i = 0; i < 5; i++) await api.Companies.create({ companyName: `Apigrate Co ${i}`, companyType: 1, phone: '1', ownerResourceID: 29682885 });
    const names: unknown[] = [];
    let last = 0;
    for (;;) {
      const page = await api.Companies.query({ filter: [{ op: 'beginsWith', field: 'companyName', value: 'Apigrate' }, { op: 'gt', field: 'id', value: last }], MaxRecords: 2 });
      names.push(...page.items.map((c) => c.companyName));
      if (page.items.length < 2) break;
      last = page.items.at(-1)!.id as number;
    }
    expect(names).toEqual([0, 1, 2, 3, 4].map((i) => `Apigrate Co ${i}`));
    expect((await api.Companies.count({ filter: [{ op: 'beginsWith', field: 'companyName', value: 'apigrate' }] })).queryCount).toBe(5);
    expect((await api.Companies.get(1001))?.item).toMatchObject({ id: 1001, companyName: 'Acme Corporation' });
    expect(await api.Companies.get(999_999)).toBeNull(); // the library maps 404 to null
  });

  it('creates and patches, reads field metadata, and gets Autotask\'s 500 for a field the entity lacks', async () => {
    const { itemId } = await api.Services.create({ name: 'Apigrate Service', billingCodeID: 29682803, periodType: 1, unitPrice: 9, unitCost: 5 });
    await api.Services.update({ id: itemId, unitPrice: 10 });
    expect((await api.Services.get(itemId))?.item).toMatchObject({ unitPrice: 10 });
    expect((await api.Services.fieldInfo()).fields.map((f) => f.name)).toEqual(expect.arrayContaining(['name', 'periodType', 'billingCodeID']));
    const error = await api.Services.query({ filter: [{ op: 'eq', field: 'serviceName', value: 'x' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AutotaskApiError);
    expect((error as AutotaskApiError).details).toEqual({ errors: ['Unable to find serviceName in the Service Entity'] });
  });

  it('posts an adjustment under its contract, reads the unit periods, posts and deletes a charge', async () => {
    await api.ContractServiceAdjustments.create(2002, { contractID: 2002, serviceID: 3002, effectiveDate: '2026-03-05T00:00:00', unitChange: 7 });
    const line = (await api.ContractServices.query({ filter: [{ op: 'eq', field: 'contractID', value: 2002 }] })).items[0]!;
    const units = (await api.ContractServiceUnits.query({ filter: [{ op: 'eq', field: 'contractServiceID', value: line.id as number }] })).items;
    expect(units.find((u) => String(u.startDate).startsWith('2026-03-05'))).toMatchObject({ units: 7 });
    const { itemId } = await api.ContractCharges.create(2002, {
      contractID: 2002, name: 'One-off', chargeType: 1, billingCodeID: 29682803, datePurchased: '2026-03-31T00:00:00', unitQuantity: 1, unitCost: 1, unitPrice: 2, isBillableToCompany: true,
    });
    expect((await api.ContractCharges.get(itemId))?.item).toMatchObject({ name: 'One-off', datePurchased: '2026-03-31T00:00:00Z' });
    await api.ContractCharges.delete(2002, itemId);
    expect(await api.ContractCharges.get(itemId)).toBeNull();
  });
});

describe('connectwise-rest against the ConnectWise sandbox', () => {
  let sandbox: ConnectWiseSandbox;
  let front: https.Server;
  let cwm: ManageAPI;
  const savedCa = https.globalAgent.options.ca;
  beforeAll(async () => {
    sandbox = await startConnectWiseSandbox({ seed: 'demo', rateLimit: { limit: 0, windowMs: 1 } });
    const dir = mkdtempSync(join(tmpdir(), 'cw-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const cert = readFileSync(join(dir, 'cert.pem'));
    https.globalAgent.options.ca = cert;
    const target = new URL(sandbox.url);
    front = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
      const upstream = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const c = sandbox.credentials;
    cwm = new ManageAPI({
      companyId: c.companyId, publicKey: c.publicKey, privateKey: c.privateKey, clientId: c.clientId,
      companyUrl: `127.0.0.1:${(front.address() as { port: number }).port}`, entryPoint: 'v4_6_release',
      logger: () => {}, // its default logs the refusal the test provokes
    });
  });
  afterAll(async () => {
    https.globalAgent.options.ca = savedCa;
    await new Promise((resolve) => front?.close(resolve));
    await sandbox?.close();
  });

  it('lists with conditions and paging (its paginator), counts', async () => {
    for (let i = 0; i < 5; i++) await cwm.CompanyAPI.postCompanyCompanies({ identifier: `CWREST${i}`, name: `CW Rest ${i}`, city: 'Leeds' });
    const all = (await cwm.paginate(cwm.CompanyAPI.getCompanyCompanies, { startPage: 1, pageSize: 2 }, { conditions: 'identifier like "CWREST*"', orderBy: 'id asc' })) as { identifier: string }[];
    expect(all.map((c) => c.identifier)).toEqual(['CWREST0', 'CWREST1', 'CWREST2', 'CWREST3', 'CWREST4']);
    expect(await cwm.CompanyAPI.getCompanyCompaniesCount({ conditions: 'identifier like "CWREST*"' })).toEqual({ count: 5 });
    await expect(cwm.CompanyAPI.getCompanyCompanies({ conditions: 'nope = 1' })).rejects.toMatchObject({ status: 400, data: { message: 'nope is not a recognized name.' } });
  });

  it('creates, patches (also a reference sub-path) and deletes an agreement addition', async () => {
    const acme = sandbox.state.agreements.find((a) => String(a.name).startsWith('Acme'))!.id;
    const e3 = sandbox.state.catalog.find((c) => c.identifier === 'M365-E3')!.id;
    const line = await cwm.FinanceAPI.postFinanceAgreementsByParentIdAdditions(acme, {
      product: { identifier: 'M365-BP' }, billCustomer: 'Billable', quantity: 3, effectiveDate: '2026-03-01T00:00:00Z',
    });
    const patched = await cwm.FinanceAPI.patchFinanceAgreementsByParentIdAdditionsById(line.id!, acme, [
      { op: 'replace', path: 'quantity', value: 4 as never },
      { op: 'replace', path: 'product/id', value: e3 as never },
    ]);
    expect(patched).toMatchObject({ quantity: 4, product: { identifier: 'M365-E3' } });
    expect(await cwm.FinanceAPI.getFinanceAgreementsByParentIdAdditionsCount(acme)).toEqual({ count: 1 });
    await cwm.FinanceAPI.deleteFinanceAgreementsByParentIdAdditionsById(line.id!, acme);
    expect(await cwm.FinanceAPI.getFinanceAgreementsByParentIdAdditionsCount(acme)).toEqual({ count: 0 });
  });
});
