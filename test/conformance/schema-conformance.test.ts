/**
 * Schema conformance (issue 11): every request body the connector's clients send and every
 * answer the sandboxes give is checked against the vendors' published schemas
 * (test/fixtures/vendor). The gateways run their whole repertoire against each sandbox through a
 * recording fetch; each exchange is matched to its route's model and validated. Also: the
 * sandboxes' own field catalogs are the fixtures' field lists.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAutotaskGateway } from '../../activities/psa/autotask/autotask-gateway';
import { createConnectWiseGateway } from '../../activities/psa/connectwise/connectwise-gateway';
import { createMemoryJournal } from '../support/memory-journal';
import type { KeyedOperation, PsaTarget } from '../../activities/psa/psa-gateway.port';
import type { AtOperation, CwOperation } from '../../domain/psa-operations';
import { DEFAULT_AUTOTASK_SANDBOX_CREDENTIALS as AT, startAutotaskSandbox, type AutotaskSandbox } from '../../sandbox/autotask/server';
import { VENDOR_FIELDS as AT_FIELDS } from '../../sandbox/autotask/vendor-fields';
import { startConnectWiseSandbox, type ConnectWiseSandbox } from '../../sandbox/connectwise/server';
import { VENDOR_FIELDS as CW_FIELDS } from '../../sandbox/connectwise/vendor-fields';
import { loadVendorSchemas, missingRequired, validate, type VendorSchemas } from './vendor-schema';

interface Exchange { method: string; path: string; requestBody: unknown; status: number; responseBody: unknown }

/** A fetch that records what went over the wire (bodies parsed as JSON). */
function recordingFetch(log: Exchange[]): typeof fetch {
  return async (input, init) => {
    const url = new URL(String(input));
    const res = await fetch(input, init);
    const text = await res.clone().text();
    log.push({
      method: init?.method ?? 'GET',
      path: url.pathname,
      requestBody: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
      status: res.status,
      responseBody: text ? JSON.parse(text) : undefined,
    });
    return res;
  };
}

/**
 * Services fields Autotask added after the fixture's swagger (2020), as live tenants list them
 * (fixture README): accepted on Services in both directions.
 */
const LATER_SERVICE_FIELDS = ['catalogNumberPartNumber', 'externalID', 'internalID', 'manufacturerServiceProvider', 'manufacturerServiceProviderProductNumber', 'sku', 'url'];
/** Documented on the entity's help page as writable, absent from the model: request bodies only (fixture README). */
const WRITE_ONLY: Record<string, string[]> = { ContractServiceModel: ['adjustedPrice'] };

const AT_MODELS: Record<string, string> = {
  companies: 'CompanyModel', contracts: 'ContractModel', services: 'ServiceModel', billingcodes: 'BillingCodeModel', resources: 'ResourceModel',
  contractservices: 'ContractServiceModel', contractserviceunits: 'ContractServiceUnitModel', contractcharges: 'ContractChargeModel',
  contractserviceadjustments: 'ContractServiceAdjustmentModel',
};
const AT_CHILDREN: Record<string, string> = { services: 'ContractServiceModel', charges: 'ContractChargeModel', serviceadjustments: 'ContractServiceAdjustmentModel' };

function checkAutotask(s: VendorSchemas, x: Exchange): string[] {
  const rel = x.path.replace(/^\/atservicesrest\/v1\.0/i, '');
  const parts = rel.split('/').filter(Boolean).map((p) => p.toLowerCase());
  const extra = (model: string) => (model === 'ServiceModel' ? LATER_SERVICE_FIELDS : []);
  if (x.status >= 400) {
    const body = x.responseBody as { errors?: unknown[] } | undefined;
    return body?.errors?.every((e) => typeof e === 'string') ? [] : [`error body is not { errors: string[] }: ${JSON.stringify(body)}`];
  }
  if (parts[0] === 'zoneinformation') return validate(s, 'ZoneInformationResultModel', x.responseBody);
  if (parts[0] === 'thresholdinformation') return validate(s, 'ThresholdStatusResultModel', x.responseBody);
  const model = parts.length >= 3 && /^\d+$/.test(parts[1]!) ? AT_CHILDREN[parts[2]!] : AT_MODELS[parts[0]!];
  if (!model) return [`no model for ${x.method} ${x.path}`];
  const problems: string[] = [];
  if (parts[1] === 'entityinformation') return validate(s, parts[2] === 'fields' ? 'FieldInformationResultModel' : 'EntityInformationResultModel', x.responseBody);
  if (parts[1] === 'query' && parts[2] === 'count') return validate(s, 'QueryCountResultModel', x.responseBody);
  if (parts[1] === 'query') {
    if (x.requestBody !== undefined) problems.push(...validate(s, 'QueryModel', x.requestBody).map((p) => `request ${p}`));
    const body = x.responseBody as { items?: unknown[]; pageDetails?: Record<string, unknown> };
    if (!Array.isArray(body.items) || typeof body.pageDetails !== 'object') return [`query answer is not { items, pageDetails }`];
    body.items.forEach((item, i) => problems.push(...validate(s, model, item, `$.items[${i}]`, extra(model))));
    const pd = Object.keys(body.pageDetails ?? {}).sort();
    if (pd.join() !== 'count,nextPageUrl,prevPageUrl,requestCount') problems.push(`pageDetails has ${pd.join()}`);
    return problems;
  }
  if (x.method === 'GET') {
    const body = x.responseBody as { item?: unknown };
    return 'item' in (body ?? {}) ? validate(s, model, body.item, '$.item', extra(model)) : ['get answer is not { item }'];
  }
  // A write: the body is the model (plus documented write-only fields), the answer { itemId }.
  problems.push(...validate(s, model, x.requestBody, '$', [...extra(model), ...(WRITE_ONLY[model] ?? [])]).map((p) => `request ${p}`));
  problems.push(...validate(s, 'OperationResultModel', x.responseBody));
  if (typeof (x.responseBody as { itemId?: unknown }).itemId !== 'number') problems.push('answer has no numeric itemId');
  return problems;
}

const CW_MODELS: [RegExp, string][] = [
  [/^\/company\/companies/, 'Company'],
  [/^\/procurement\/catalog/, 'CatalogItem'],
  [/^\/finance\/agreements\/\d+\/additions/, 'Addition'],
  [/^\/finance\/agreements/, 'Agreement'],
];

function checkConnectWise(s: VendorSchemas, x: Exchange): string[] {
  const rel = x.path.replace(/^\/v4_6_release\/apis\/3\.0/, '');
  if (x.status >= 400) return validate(s, 'ErrorResponseMessage', x.responseBody);
  if (rel === '/system/info') return validate(s, 'Info', x.responseBody);
  if (/^\/procurement\/(types|subcategories)$/.test(rel)) return []; // reference lists: not in the fixture
  if (rel.endsWith('/count')) return validate(s, 'Count', x.responseBody);
  const model = CW_MODELS.find(([re]) => re.test(rel))?.[1];
  if (!model) return [`no model for ${x.method} ${x.path}`];
  const problems: string[] = [];
  if (x.method === 'POST') {
    problems.push(...validate(s, model, x.requestBody).map((p) => `request ${p}`));
    problems.push(...missingRequired(s, model, x.requestBody as Record<string, unknown>).map((p) => `request ${p}`));
  }
  if (x.method === 'PATCH') {
    problems.push(...validate(s, { type: 'array', items: { $ref: '#/definitions/PatchOperation' } }, x.requestBody).map((p) => `request ${p}`));
    for (const op of x.requestBody as { path: string }[]) {
      const field = op.path.replace(/^\//, '').split('/')[0]!;
      if (!(field in (s.definitions[model]!.properties ?? {}))) problems.push(`request: PATCH path ${op.path} is not a field of ${model}`);
    }
  }
  if (x.method === 'DELETE') return problems;
  const isList = x.method === 'GET' && !/\/\d+$/.test(rel);
  problems.push(...validate(s, isList ? { type: 'array', items: { $ref: `#/definitions/${model}` } } : model, x.responseBody));
  return problems;
}

function findings(s: VendorSchemas, log: Exchange[], check: (s: VendorSchemas, x: Exchange) => string[]): string[] {
  return log.flatMap((x) => check(s, x).map((p) => `${x.method} ${x.path} (${x.status}): ${p}`));
}

describe('schema conformance: Autotask', () => {
  let sandbox: AutotaskSandbox;
  const log: Exchange[] = [];
  beforeAll(async () => {
    sandbox = await startAutotaskSandbox({ port: 0, seed: 'demo', today: () => '2026-03-10' });
  });
  afterAll(() => sandbox.close());

  it('every request the gateway sends and every answer the sandbox gives conforms to the Autotask REST swagger', async () => {
    const gateway = createAutotaskGateway({
      discoveryUrl: sandbox.url,
      credentials: { username: AT.username, secret: AT.secret, integrationCode: AT.integrationCode },
      journal: createMemoryJournal(),
      fetch: recordingFetch(log),
      now: () => Date.parse('2026-03-10T12:00:00Z'),
    });
    await gateway.testCredentials();
    await gateway.findCompanies('Acme Corp');
    const { id: companyId } = await gateway.createCompany({ name: 'Conformance Co', identifier: 'CONF' });
    await gateway.updateCompany(companyId, { name: 'Conformance Company', city: 'Leeds' });
    await gateway.findCatalogItems({ name: 'Microsoft 365', partNumber: 'CFQ7TTC0LCHC' });
    const { id: serviceId } = await gateway.createCatalogItem({ name: 'Conformance Service', partNumber: 'CONF-1', unitPrice: '10.00', unitCost: '7.00', periodType: 'monthly' });
    await gateway.updateCatalogItem(serviceId, { unitPrice: '11.00', description: 'now dearer' });
    await gateway.listAgreements(1001);
    await gateway.pushServiceCatalog([{ key: 'conf-plan', name: 'Conformance Plan', unitCost: '1.00', unitPrice: '2.00', periodType: 'yearly', billingCodeId: 29682803 }]);
    const target: PsaTarget = { companyId: 1001, agreementId: 2001, productIds: { p: serviceId }, description: 'sub conf-1' };
    const ops: AtOperation[] = [
      { type: 'at.create-contract-service', service: { serviceKey: 'conf-1/p', subscriptionId: 'conf-1', productId: 'p', unitPrice: '12.00', unitCost: '7.00' } },
      { type: 'at.update-contract-service', serviceKey: 'conf-1/p', unitPrice: '12.50', unitCost: '7.00' },
      { type: 'at.adjust-units', serviceKey: 'conf-1/p', effectiveDate: '2026-03-01', unitChange: 5 },
      { type: 'at.create-contract-charge', charge: { chargeKey: 'conf-1/p/reconciliation/2026-02', subscriptionId: 'conf-1', productId: 'p', date: '2026-02-28', quantity: 1, unitCost: '1.00', unitPrice: '2.00' } },
    ];
    const applied = await gateway.apply(target, ops.map((operation, i): KeyedOperation => ({ idempotencyKey: `conf/${i}`, operation })), {});
    await gateway.apply(target, [{ idempotencyKey: 'conf/shift', operation: { type: 'at.adjust-units', serviceKey: 'conf-1/p', effectiveDate: '2026-03-01', unitChange: 1 } }], { 'conf-1/p': applied[0]!.psaId! });
    await gateway.readLine(target, applied[0]!.psaId!);
    expect([...(await gateway.readLines(target.agreementId, [applied[0]!.psaId!])).keys()]).toEqual([applied[0]!.psaId!]);
    // A refusal, for the error body's shape.
    await expect(gateway.apply(target, [{ idempotencyKey: 'conf/late', operation: { type: 'at.adjust-units', serviceKey: 'conf-1/p', effectiveDate: '2030-01-01', unitChange: 1 } }], { 'conf-1/p': applied[0]!.psaId! })).rejects.toMatchObject({ kind: 'validation' });

    expect(log.length).toBeGreaterThan(25);
    expect(findings(loadVendorSchemas('autotask'), log, checkAutotask)).toEqual([]);
  });

  it('a contract service answer carries no adjustedPrice (it is not a field of the model)', async () => {
    const answers = log.filter((x) => /contractservices/i.test(x.path) && x.method !== 'POST');
    expect(answers.length).toBeGreaterThan(0);
    expect(JSON.stringify(answers.map((x) => x.responseBody))).not.toContain('"adjustedPrice"');
  });

  it('the sandbox knows exactly the fields the swagger lists (plus the later Services fields)', () => {
    const s = loadVendorSchemas('autotask');
    for (const [entity, model] of Object.entries({
      Companies: 'CompanyModel', Contracts: 'ContractModel', Services: 'ServiceModel', BillingCodes: 'BillingCodeModel', Resources: 'ResourceModel',
      ContractServices: 'ContractServiceModel', ContractServiceUnits: 'ContractServiceUnitModel', ContractCharges: 'ContractChargeModel',
      ContractServiceAdjustments: 'ContractServiceAdjustmentModel',
    })) {
      const swagger = Object.keys(s.definitions[model]!.properties!).filter((p) => p !== 'UserDefinedFields').map((p) => p.toLowerCase());
      const extra = entity === 'Services' ? LATER_SERVICE_FIELDS.map((f) => f.toLowerCase()) : [];
      expect(Object.keys(AT_FIELDS[entity]!).map((f) => f.toLowerCase()).sort()).toEqual([...swagger, ...extra].sort());
    }
  });
});

describe('schema conformance: ConnectWise', () => {
  let sandbox: ConnectWiseSandbox;
  const log: Exchange[] = [];
  beforeAll(async () => {
    sandbox = await startConnectWiseSandbox({ seed: 'demo', rateLimit: { limit: 0, windowMs: 1 } });
  });
  afterAll(() => sandbox.close());

  it('every request the gateway sends and every answer the sandbox gives conforms to the ConnectWise models', async () => {
    const gateway = createConnectWiseGateway({ baseUrl: sandbox.apiUrl, credentials: sandbox.credentials, journal: createMemoryJournal(), fetch: recordingFetch(log) });
    await gateway.testCredentials();
    await gateway.findCompanies('Acme');
    const { id: companyId } = await gateway.createCompany({ name: 'Conformance Co' });
    await gateway.updateCompany(companyId, { name: 'Conformance Company', city: 'Leeds', country: 'United Kingdom' });
    await gateway.findCatalogItems({ name: 'Microsoft 365', partNumber: 'M365-BP' });
    const { id: itemId } = await gateway.createCatalogItem({ name: 'Conformance Item', partNumber: 'CONF-ITEM', unitPrice: '10.00', unitCost: '7.00', periodType: 'monthly' });
    await gateway.updateCatalogItem(itemId, { unitPrice: '11.00', provider: 'Contoso' });
    const acme = sandbox.state.agreements.find((a) => String(a.name).startsWith('Acme'))!;
    await gateway.listAgreements(Number((acme.company as { id: number }).id));
    const bp = sandbox.state.catalog.find((c) => c.identifier === 'M365-BP')!.id;
    const target: PsaTarget = { companyId, agreementId: acme.id, productIds: { bp, item: itemId }, description: 'sub conf-1 | Conformance' };
    const line = { subscriptionId: 'conf-1', productId: 'bp', kind: 'base' as const, quantity: 10, unitPrice: '22.00', unitCost: '18.70', effectiveDate: '2026-03-01', cancelledDate: null };
    const ops: CwOperation[] = [
      { type: 'cw.create-addition', addition: { ...line, lineKey: 'conf-1/bp/base/2026-03-01' } },
      { type: 'cw.create-addition', addition: { ...line, lineKey: 'conf-1/bp/delta/2026-03-15', kind: 'delta', quantity: 2, effectiveDate: '2026-03-15', cancelledDate: '2026-03-31' } },
      { type: 'cw.update-addition', lineKey: 'conf-1/bp/base/2026-03-01', set: { quantity: 12, unitPrice: '21.00', cancelledDate: '2027-02-28', productId: 'item' } },
      { type: 'cw.delete-addition', lineKey: 'conf-1/bp/delta/2026-03-15' },
    ];
    const applied = await gateway.apply(target, ops.map((operation, i): KeyedOperation => ({ idempotencyKey: `conf/${i}`, operation })), {});
    await gateway.readLine(target, applied[0]!.psaId!);
    expect([...(await gateway.readLines(target.agreementId, [applied[0]!.psaId!])).keys()]).toEqual([applied[0]!.psaId!]);
    await expect(gateway.apply(target, [{ idempotencyKey: 'conf/early', operation: { type: 'cw.create-addition', addition: { ...line, lineKey: 'x', effectiveDate: '2020-01-01' } } }], {})).rejects.toMatchObject({ kind: 'validation' });

    expect(log.length).toBeGreaterThan(15);
    expect(findings(loadVendorSchemas('connectwise'), log, checkConnectWise)).toEqual([]);
  });

  it('the sandbox knows exactly the fields the models list, with their reference fields', () => {
    const s = loadVendorSchemas('connectwise');
    for (const [resource, model] of Object.entries({ company: 'Company', catalogItem: 'CatalogItem', agreement: 'Agreement', addition: 'Addition' })) {
      const props = s.definitions[model]!.properties!;
      expect(Object.keys(CW_FIELDS[resource]!).sort()).toEqual(Object.keys(props).sort());
      for (const [field, schema] of Object.entries(props)) {
        const ref = schema.$ref?.split('/').pop();
        if (ref) expect(CW_FIELDS[resource]![field]).toEqual({ ref: Object.keys(s.definitions[ref]!.properties ?? {}).sort() });
      }
    }
  });
});

describe('the fixtures', () => {
  it('name their source and licence', () => {
    const readme = readFileSync(join(__dirname, '..', 'fixtures', 'vendor', 'README.md'), 'utf8');
    expect(readme).toMatch(/KelvinTegelaar\/AutotaskAPI[\s\S]*MIT/);
    expect(readme).toMatch(/ai-connor\/connectwise[\s\S]*MIT/);
  });
});
