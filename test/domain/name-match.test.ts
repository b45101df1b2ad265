/**
 * domain/name-match.ts is typo-tolerant: a customer or product typed with a slip finds the
 * right PSA record first, while exact names and whole-word matches still rank highest, and
 * words with digits (editions, seat counts) never pass for each other. The search fragments
 * a gateway's server-side `contains` filter would need to see typo'd names at all are pure too.
 */
import fc from 'fast-check';
import { nameSimilarity, nameTokens, normalizeName, rankByName, searchFragments, typoDistance } from '../../domain/name-match';

/** PSA companies as the sandboxes seed them, plus look-alikes. */
const COMPANIES = [
  'Acme Ltd', 'Acme Cloud Services', 'Globex Corporation', 'Initech LLC', 'Intel Partners', 'Initiative Tech Group',
  'Umbrella Health GmbH', 'Umbrella Corp', 'Health Partners Ltd', 'Hooli Inc', 'Soylent Co', 'Wayne Enterprises',
];
const PRODUCTS = ['Microsoft 365 Business Premium', 'Microsoft 365 Business Basic', 'Microsoft 365 E3', 'Microsoft 365 E5', 'Defender for Endpoint P1', 'Exchange Online Plan 1'];

const best = (query: string, names: readonly string[]) => rankByName(query, names, (n) => n)[0]!;

describe('typo-tolerant name matching', () => {
  it.each([
    ['Inittech', 'Initech LLC'],
    ['Umbrela Helth', 'Umbrella Health GmbH'],
    ['Initech', 'Initech LLC'],
    ['Globx Corp', 'Globex Corporation'],
    ['Acme', 'Acme Ltd'],
    ['Wayne Enterprizes', 'Wayne Enterprises'],
    ['Hooly', 'Hooli Inc'],
  ])('"%s" ranks "%s" first', (query, expected) => {
    expect(best(query, COMPANIES).item).toBe(expected);
  });

  it.each([
    ['Micrsoft 365 Busines Premium', 'Microsoft 365 Business Premium'],
    ['Microsoft 365 Bussiness Basic', 'Microsoft 365 Business Basic'],
    ['Defnder for Endpoint P1', 'Defender for Endpoint P1'],
  ])('product "%s" ranks "%s" first', (query, expected) => {
    expect(best(query, PRODUCTS).item).toBe(expected);
  });

  it('scores a one-typo name well above unrelated names, and lifts it over the typo-blind score', () => {
    expect(nameSimilarity('Inittech', 'Initech LLC')).toBeGreaterThanOrEqual(0.75);
    expect(nameSimilarity('Umbrela Helth', 'Umbrella Health GmbH')).toBeGreaterThanOrEqual(0.7);
    expect(nameSimilarity('Inittech', 'Intel Partners')).toBeLessThan(0.3);
    // Before typo tolerance a misspelt word shared nothing: Inittech / Initech scored 0.554.
    expect(nameSimilarity('Inittech', 'Initech')).toBeGreaterThan(0.554);
  });

  it('keeps exact and whole-word matches ahead of typo matches', () => {
    expect(rankByName('Acme', ['Acmee Ltd', 'Acme Cloud Services', 'ACME Inc.'], (n) => n).map((r) => [r.item, r.score])).toEqual([
      ['ACME Inc.', 1],
      ['Acme Cloud Services', expect.any(Number)],
      ['Acmee Ltd', expect.any(Number)],
    ]);
    const ranked = rankByName('Umbrella Health', ['Umbrela Helth AG', 'Umbrella Health GmbH', 'Umbrella Health Partners'], (n) => n);
    expect(ranked.map((r) => r.item)).toEqual(['Umbrella Health GmbH', 'Umbrella Health Partners', 'Umbrela Helth AG']);
    expect(ranked[0]!.score).toBe(1);
  });

  it('never takes words with digits, or short words, for typos of each other', () => {
    expect(best('Microsoft 365 E3', PRODUCTS).item).toBe('Microsoft 365 E3');
    expect(best('Microsoft 365 E5', PRODUCTS).item).toBe('Microsoft 365 E5');
    expect(nameSimilarity('Microsoft 365 E3', 'Microsoft 365 E5')).toBe(0.821); // as before typo tolerance
    expect(nameSimilarity('Plan 1', 'Plan 2')).toBe(nameSimilarity('Plan 1', 'Plan 9'));
    // Below 4 letters only the shared letters count (0.6 × bigram Dice 0.5), no word credit; from 4 letters a typo earns half a word.
    expect(nameSimilarity('Hub', 'Hug')).toBe(0.3);
    expect(nameSimilarity('Hubs', 'Hugs')).toBe(0.4);
  });

  it('counts edits: insert, delete, substitute, swap of neighbours; stops past the limit', () => {
    expect(typoDistance('initech', 'inittech', 2)).toBe(1);
    expect(typoDistance('acme', 'acem', 2)).toBe(1); // swap
    expect(typoDistance('health', 'helth', 2)).toBe(1);
    expect(typoDistance('kitten', 'sitting', 3)).toBe(3);
    expect(typoDistance('kitten', 'sitting', 1)).toBe(2); // cut short: more than 1
    expect(typoDistance('abc', 'abcdef', 2)).toBe(3);
    expect(typoDistance('same', 'same', 0)).toBe(0);
  });

  it('properties: 0..1, 1 exactly for equal normalised names, symmetric, a typo never below an unrelated word', () => {
    const word = fc.stringMatching(/^[a-z]{4,10}$/);
    const name = fc.array(fc.oneof(word, fc.constantFrom('365', 'e3', 'ltd', 'co', 'p1')), { minLength: 1, maxLength: 4 }).map((w) => w.join(' '));
    fc.assert(
      fc.property(name, name, (a, b) => {
        const s = nameSimilarity(a, b);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(1);
        expect(s === 1).toBe(normalizeName(a) === normalizeName(b));
        expect(nameSimilarity(b, a)).toBe(s);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{6,10}$/), fc.nat(), fc.constantFrom('x', 'q', 'z'), (w, at, ch) => {
        const i = at % w.length;
        const typo = w.slice(0, i) + ch + w.slice(i + 1);
        fc.pre(typo !== w);
        expect(nameSimilarity(typo, `${w} ltd`)).toBeGreaterThan(nameSimilarity(typo, 'unrelated words'));
      }),
      { numRuns: 200 },
    );
  });
});

describe('search fragments for a server-side contains filter', () => {
  const containsAny = (fragments: string[], candidate: string) => fragments.some((f) => normalizeName(candidate).includes(f));

  it.each([
    ['Inittech', 'Initech LLC'],
    ['Umbrela Helth', 'Umbrella Health GmbH'],
    ['Globx Corp', 'Globex Corporation'],
    ['Micrsoft 365', 'Microsoft 365 Business Premium'],
    ['Wayne Enterprizes', 'Wayne Enterprises'],
  ])('a fragment of "%s" is contained in "%s"', (query, candidate) => {
    expect(containsAny(searchFragments(query), candidate)).toBe(true);
  });

  it('halves long words, keeps short words and words with digits whole, drops legal suffixes and repeats', () => {
    expect(searchFragments('Inittech LLC')).toEqual(['init', 'tech']);
    expect(searchFragments('Umbrela Helth GmbH')).toEqual(['umbr', 'ela', 'hel', 'lth']);
    expect(searchFragments('Microsoft 365 E3')).toEqual(['micro', 'soft', '365', 'e3']);
    expect(searchFragments('Acme & Co')).toEqual(['acm', 'cme', 'and']);
    expect(searchFragments('Tech Tech')).toEqual(['tec', 'ech']);
    expect(nameTokens('Inittech LLC')).toEqual(['inittech']);
  });

  it('one edit anywhere in a long word still leaves a fragment the right name contains', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{6,12}$/), fc.nat(), fc.constantFrom('x', 'q'), fc.constantFrom('sub', 'ins', 'del'), (w, at, ch, kind) => {
        const i = at % w.length;
        const typo = kind === 'sub' ? w.slice(0, i) + ch + w.slice(i + 1) : kind === 'ins' ? w.slice(0, i) + ch + w.slice(i) : w.slice(0, i) + w.slice(i + 1);
        expect(containsAny(searchFragments(typo), w)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
