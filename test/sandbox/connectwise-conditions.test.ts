import { ConditionsError, evaluate, parseConditions, tokenize } from '../../sandbox/connectwise/conditions';

const addition = {
  id: 7,
  description: 'Acme sub-1 op:abc123',
  quantity: 12.5,
  cancelledDate: null,
  effectiveDate: '2026-03-15T00:00:00Z',
  taxableFlag: true,
  product: { id: 8812, identifier: 'M365-BP' },
  agreement: { id: 44 },
};
const match = (conditions: string): boolean => evaluate(parseConditions(conditions), addition);

describe('ConnectWise conditions', () => {
  test('tokenizes paths, operators, strings, dates, numbers and keywords', () => {
    expect(tokenize('company/id >= -2.5 and name like "A*" or d < [2026-03-01T00:00:00Z]').map((t) => t.t)).toEqual([
      'word', 'op', 'lit', 'word', 'word', 'word', 'lit', 'word', 'word', 'op', 'lit',
    ]);
  });

  test.each([
    ['id = 7', true],
    ['id != 7', false],
    ['quantity > 12 and quantity <= 12.5', true],
    ['quantity < 12', false],
    ['product/identifier = "m365-bp"', true], // case-insensitive, like SQL Server
    ["product/identifier = 'M365-BP'", true],
    ['product/id = 8812 and agreement/id = 44', true],
    ['cancelledDate = null', true],
    ['cancelledDate != null', false],
    ['taxableFlag = true', true],
    ['taxableFlag = false', false],
    ['effectiveDate >= [2026-03-01T00:00:00Z]', true],
    ['effectiveDate < [2026-03-15T00:00:00Z]', false],
    ['description like "*op:abc123*"', true],
    ['description like "%op:abc123%"', true],
    ['description like "op:abc123*"', false],
    ['description not like "*zzz*"', true],
    ['description contains "SUB-1"', true],
    ['description not contains "sub-1"', false],
    ['id in (1, 7, 9)', true],
    ['id not in (1, 2)', true],
    ['product/identifier in ("A", "M365-BP")', true],
    ['id = 1 or id = 7 and quantity > 100', false], // and binds tighter than or
    ['(id = 1 or id = 7) and quantity > 1', true],
    ['id = 1 OR (ID = 7 AND product/identifier LIKE "M365*")', true],
    ['missing/field = null', true],
  ])('%s → %s', (conditions, expected) => {
    expect(match(conditions)).toBe(expected);
  });

  test.each([
    ['name = ACME', /strings need double quotes/],
    ['id = ', /expected a value/],
    ['(id = 1', /expected "\)"/],
    ['id = 1 id = 2', /unexpected/],
    ['date > [yesterday]', /invalid date/],
    ['name = "open', /unterminated string/],
    ['name like 5', /needs a quoted string/],
    ['id ~ 3', /unexpected character/],
    ['', /empty/],
  ])('rejects %s', (conditions, message) => {
    expect(() => parseConditions(conditions)).toThrow(ConditionsError);
    expect(() => parseConditions(conditions)).toThrow(message);
  });
});
