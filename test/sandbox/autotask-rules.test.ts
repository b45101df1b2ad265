/**
 * The Autotask sandbox's pure parts: its own reading of the query grammar and its evaluation,
 * ContractServiceUnits derived from adjustments (under both readings of the unit-period
 * boundary), and the gateway's same-date planning over those units.
 */
import { adjustmentDates, landedOn, planAdjustments } from '../../activities/psa/autotask/adjustment-dates';
import { addDays } from '../../domain/dates';
import { addMonths, billingPeriods, contractServiceUnits } from '../../sandbox/autotask/contract-units';
import type { AtContract, AtContractService, AtContractServiceAdjustment } from '../../sandbox/autotask/entities';
import { matchesAll, project } from '../../sandbox/autotask/query-evaluator';
import { parseQuery, QueryError } from '../../sandbox/autotask/query-parser';

type Filter = Record<string, unknown>;

const rows = [
  { id: 1, companyName: 'Acme Corporation', isActive: true, taxID: null, createDate: '2026-01-05T00:00:00Z', userDefinedFields: [{ name: 'Tier', value: 'Gold' }] },
  { id: 2, companyName: 'Globex Ltd', isActive: false, taxID: 'GB1', createDate: '2026-02-05T00:00:00Z', userDefinedFields: [] },
  { id: 3, companyName: 'Initech LLC', isActive: true, taxID: 'US3', createDate: '2026-03-05T00:00:00Z', userDefinedFields: [] },
];
const ids = (filter: Filter[]) => {
  const query = parseQuery('Companies', { filter });
  return rows.filter((r) => matchesAll(r, query.filter)).map((r) => r.id);
};

describe('Autotask query grammar', () => {
  it.each<[string, Filter[], number[]]>([
    ['eq (case-insensitive field and value)', [{ op: 'eq', field: 'COMPANYNAME', value: 'acme corporation' }], [1]],
    ['noteq', [{ op: 'noteq', field: 'id', value: 1 }], [2, 3]],
    ['gt / lte', [{ op: 'gt', field: 'id', value: 1 }, { op: 'lte', field: 'id', value: 2 }], [2]],
    ['gte / lt on datetimes', [{ op: 'gte', field: 'createDate', value: '2026-02-05' }, { op: 'lt', field: 'createDate', value: '2026-03-05T00:00:00Z' }], [2]],
    ['beginsWith', [{ op: 'beginsWith', field: 'companyName', value: 'glo' }], [2]],
    ['endsWith', [{ op: 'endsWith', field: 'companyName', value: 'LLC' }], [3]],
    ['contains', [{ op: 'contains', field: 'companyName', value: 'CORP' }], [1]],
    ['exist / notExist', [{ op: 'exist', field: 'taxID' }], [2, 3]],
    ['notExist', [{ op: 'notExist', field: 'taxID' }], [1]],
    ['in / notIn', [{ op: 'in', field: 'id', value: [1, 3] }, { op: 'notIn', field: 'id', value: [3] }], [1]],
    ['booleans', [{ op: 'eq', field: 'isActive', value: true }], [1, 3]],
    ['or group', [{ op: 'or', items: [{ op: 'eq', field: 'id', value: 2 }, { op: 'contains', field: 'companyName', value: 'tech' }] }], [2, 3]],
    ['nested and inside or', [{ op: 'or', items: [{ op: 'and', items: [{ op: 'eq', field: 'isActive', value: true }, { op: 'gt', field: 'id', value: 2 }] }, { op: 'eq', field: 'id', value: 1 }] }], [1, 3]],
    ['udf', [{ op: 'eq', field: 'tier', value: 'gold', udf: true }], [1]],
  ])('%s', (_name, filter, expected) => {
    expect(ids(filter)).toEqual(expected);
  });

  it('parses case-insensitive top-level keys, operator names and field names', () => {
    const parsed = parseQuery('Companies', { Filter: [{ op: 'BEGINSWITH', field: 'COMPANYNAME', value: 'A' }], maxRecords: 10, includeFields: ['companyName'] });
    expect(parsed).toEqual({ filter: [{ kind: 'condition', op: 'beginsWith', field: 'companyName', value: 'A', udf: false }], maxRecords: 10, includeFields: ['companyName'] });
  });

  it('refuses a filter on a field the entity does not have, in Autotask\'s words', () => {
    expect(() => parseQuery('ContractCharges', { filter: [{ op: 'contains', field: 'internalDescription', value: 'x' }] })).toThrow(
      new QueryError('Unable to find internalDescription in the ContractCharge Entity'),
    );
    expect(() => parseQuery('Companies', { filter: [{ op: 'or', items: [{ op: 'eq', field: 'nope', value: 1 }] }] })).toThrow('Unable to find nope in the Company Entity');
  });

  it('drops a condition whose operator Autotask does not know (it answers as if it were not there)', () => {
    expect(ids([{ op: 'ne', field: 'id', value: 1 }])).toEqual([1, 2, 3]);
    expect(ids([{ op: 'like', field: 'companyName', value: 'Acme%' }, { op: 'eq', field: 'isActive', value: true }])).toEqual([1, 3]);
  });

  it.each([
    [{ filter: [] }, 'at least one filter'],
    [{ filter: [{ op: 'in', field: 'id', value: { a: 1 } }] }, 'not valid'],
    [{ filter: [{ op: 'gte', field: 'id', value: 0 }], MaxRecords: 501 }, 'maxrecords'],
  ])('rejects %j', (body, message) => {
    expect(() => parseQuery('Companies', body)).toThrow(new RegExp(message, 'i'));
  });

  it('projects IncludeFields and always keeps id', () => {
    expect(project(rows[0]!, ['COMPANYNAME'])).toEqual({ id: 1, companyName: 'Acme Corporation' });
  });
});

const contract: AtContract = {
  id: 10, contractName: 'C', companyID: 1, contractType: 7, status: 1, startDate: '2026-01-31T00:00:00Z', endDate: '2026-04-29T00:00:00Z',
  contractPeriodType: 1, timeReportingRequiresStartAndStopTimes: 0, description: null, userDefinedFields: [],
};
const line: AtContractService = {
  id: 20, contractID: 10, serviceID: 30, unitPrice: 10, unitCost: 8, adjustedPrice: 12, internalCurrencyAdjustedPrice: 12,
  internalCurrencyUnitPrice: 10, invoiceDescription: null, internalDescription: null, quoteItemID: null,
};
const adj = (id: number, date: string, unitChange: number): AtContractServiceAdjustment => ({
  id, contractID: 10, serviceID: 30, contractServiceID: 20, effectiveDate: `${date}T00:00:00Z`, unitChange, adjustedUnitPrice: null, adjustedUnitCost: null,
});

describe('ContractServiceUnits from adjustments', () => {
  it('anchors periods on the contract start, clamping month ends', () => {
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(billingPeriods(contract)).toEqual([
      { start: '2026-01-31', end: '2026-02-27' },
      { start: '2026-02-28', end: '2026-03-30' },
      { start: '2026-03-31', end: '2026-04-29' },
    ]);
  });

  it('splits periods at adjustment dates and sums unit changes; a split period ends ON the next adjustment\'s date (documented)', () => {
    const units = contractServiceUnits(contract, line, [adj(1, '2026-01-31', 10), adj(2, '2026-03-10', -4)], { through: '2026-02-27', on: '2026-03-01' });
    expect(units.map((u) => [u.startDate.slice(0, 10), u.endDate.slice(0, 10), u.units, u.approveAndPostDate])).toEqual([
      ['2026-01-31', '2026-02-27', 10, '2026-03-01T00:00:00Z'],
      ['2026-02-28', '2026-03-10', 10, null],
      ['2026-03-10', '2026-03-30', 6, null],
      ['2026-03-31', '2026-04-29', 6, null],
    ]);
    // Prices are prorated over the period, the boundary day billed once (by the later slice):
    // 10 units × 12.00 × 10/31 days, then 6 × 12.00 × 21/31.
    expect(units[1]!.price).toBe(38.7097);
    expect(units[2]!.price).toBe(48.7742);
    expect(units[0]!.price).toBe(120);
  });

  it('under the other reading a split period ends the day before; prices are the same', () => {
    const units = contractServiceUnits(contract, line, [adj(1, '2026-01-31', 10), adj(2, '2026-03-10', -4)], undefined, { boundary: 'day-before', exchangeRate: 1 });
    expect(units.slice(1, 3).map((u) => [u.startDate.slice(0, 10), u.endDate.slice(0, 10), u.units, u.price])).toEqual([
      ['2026-02-28', '2026-03-09', 10, 38.7097],
      ['2026-03-10', '2026-03-30', 6, 48.7742],
    ]);
  });

  it('prices slices in the customer\'s currency and the internal one', () => {
    const [first] = contractServiceUnits(contract, line, [adj(1, '2026-01-31', 10)], undefined, { boundary: 'adjustment-date', exchangeRate: 0.92 });
    expect([first!.price, first!.internalCurrencyPrice]).toEqual([120, 130.4348]);
  });
});

describe.each([
  ['documented: a split period ends on the next adjustment\'s date', 'adjustment-date'],
  ['other reading: it ends the day before', 'day-before'],
] as const)('same-date planning over the units read model (%s)', (_name, boundary) => {
  // 02-15 +5, 02-16 +2, 03-01 −3 (03-01 is also a period start); a slice ends on the next
  // adjustment's date under the documented reading, the day before under the other.
  const end = (nextStart: string) => (boundary === 'adjustment-date' ? nextStart : addDays(nextStart, -1));
  const slices = [
    { startDate: '2026-01-01', endDate: '2026-01-31', units: 0 },
    { startDate: '2026-02-01', endDate: end('2026-02-15'), units: 0 },
    { startDate: '2026-02-15', endDate: end('2026-02-16'), units: 5 },
    { startDate: '2026-02-16', endDate: '2026-02-28', units: 7 },
    { startDate: '2026-03-01', endDate: '2026-03-31', units: 4 },
  ];

  it('tells adjustment dates from period starts', () => {
    expect([...adjustmentDates(slices)]).toEqual([['2026-02-15', 5], ['2026-02-16', 2], ['2026-03-01', -3]]);
  });

  it('nets changes per date and shifts taken dates to the first free day', () => {
    const taken = adjustmentDates(slices);
    const plan = planAdjustments(
      [
        { key: 'a', effectiveDate: '2026-02-15', unitChange: 1 },
        { key: 'b', effectiveDate: '2026-02-20', unitChange: 2 },
        { key: 'c', effectiveDate: '2026-02-17', unitChange: -1 },
        { key: 'd', effectiveDate: '2026-02-20', unitChange: 3 },
      ],
      taken,
    );
    expect(plan.map((g) => [g.postDate, g.unitChange, g.members.map((m) => m.key)])).toEqual([
      ['2026-02-17', 0, ['a', 'c']],
      ['2026-02-20', 5, ['b', 'd']],
    ]);
  });

  it('finds where an unfinished adjustment landed', () => {
    const taken = adjustmentDates(slices);
    expect(landedOn('2026-02-15', 2, taken)).toBe('2026-02-16');
    expect(landedOn('2026-02-15', 3, taken)).toBeNull();
    expect(landedOn('2026-02-20', 2, taken)).toBeNull();
  });
});
