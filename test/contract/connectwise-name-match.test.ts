/** domain/name-match.ts, the scoring behind findCompanies / findCatalogItems ranking. */
import { nameSimilarity, nameTokens, rankByName } from '../../domain/name-match';

test('normalisation ignores case, accents, punctuation and legal suffixes', () => {
  expect(nameTokens('Müller & Söhne GmbH')).toEqual(['muller', 'and', 'sohne']);
  expect(nameSimilarity('ACME, Ltd.', 'acme limited')).toBe(1);
  expect(nameSimilarity('The Company', 'the company')).toBe(1);
});

test('scores are in 0..1, below 1 unless equal, and order sensible candidates', () => {
  expect(nameSimilarity('Acme', 'Zyxw')).toBe(0);
  const ranked = rankByName('Acme Corp', ['Acme Cloud Services', 'Acmee Ltd', 'Globex', 'ACME Corporation'], (s) => s);
  expect(ranked.map((r) => r.item)).toEqual(['ACME Corporation', 'Acme Cloud Services', 'Acmee Ltd', 'Globex']);
  expect(ranked[0]!.score).toBe(1);
  for (const r of ranked.slice(1)) expect(r.score).toBeLessThan(1);
  expect(nameSimilarity('Micrsoft 365 Busines Premium', 'Microsoft 365 Business Premium')).toBeGreaterThan(0.7);
});
