/**
 * How close two organisation or product names are, as a score from 0 (nothing in common) to
 * 1 (the same name once case, accents, punctuation and legal suffixes are ignored). Used to
 * rank PSA companies and catalog items for the mapping UI and the gateways. Pure.
 */

/** Legal-form and filler words that do not tell two names apart. */
const NOISE = new Set([
  'the', 'ltd', 'limited', 'inc', 'incorporated', 'llc', 'llp', 'lp', 'plc', 'gmbh', 'mbh', 'ag', 'kg', 'sa', 'sas', 'sarl',
  'srl', 'spa', 'bv', 'nv', 'ab', 'as', 'oy', 'pty', 'pte', 'co', 'corp', 'corporation', 'company',
]);

/** Lower case, accents and punctuation removed, `&` read as "and", legal suffixes dropped. */
export function nameTokens(name: string): string[] {
  const words = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, ' ')
    .split(' ')
    .filter(Boolean);
  const meaningful = words.filter((w) => !NOISE.has(w));
  // A name made only of noise words ("The Company") keeps them rather than vanish.
  return meaningful.length > 0 ? meaningful : words;
}

export const normalizeName = (name: string): string => nameTokens(name).join(' ');

function bigrams(s: string): Map<string, number> {
  const grams = new Map<string, number>();
  for (let i = 0; i < s.length - 1; i++) {
    const g = s.slice(i, i + 2);
    grams.set(g, (grams.get(g) ?? 0) + 1);
  }
  return grams;
}

/** Sørensen–Dice coefficient over character bigrams (multiset). */
function bigramDice(a: string, b: string): number {
  if (a.length < 2 || b.length < 2) return a === b ? 1 : 0;
  const ga = bigrams(a);
  const gb = bigrams(b);
  let common = 0;
  for (const [g, n] of ga) common += Math.min(n, gb.get(g) ?? 0);
  return (2 * common) / (a.length - 1 + (b.length - 1));
}

/** Dice coefficient over word sets. */
function tokenDice(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const sb = new Set(b);
  const common = new Set(a.filter((t) => sb.has(t))).size;
  return (2 * common) / (new Set(a).size + sb.size);
}

/**
 * 1 for names equal after normalisation; otherwise below 1: a blend of character-bigram
 * similarity (tolerates typos and run-together words) and shared whole words, raised when
 * one name contains the other ("Acme" vs "Acme Cloud Services").
 */
export function nameSimilarity(a: string, b: string): number {
  const ta = nameTokens(a);
  const tb = nameTokens(b);
  if (ta.length === 0 || tb.length === 0) return 0;
  const na = ta.join(' ');
  const nb = tb.join(' ');
  if (na === nb) return 1;
  const blended = 0.6 * bigramDice(na.replace(/ /g, ''), nb.replace(/ /g, '')) + 0.4 * tokenDice(ta, tb);
  const [shorter, longer] = na.length <= nb.length ? [na, nb] : [nb, na];
  const contained = ` ${longer} `.includes(` ${shorter} `) ? 0.7 + 0.25 * (shorter.length / longer.length) : 0;
  return Math.min(0.99, Math.round(Math.max(blended, contained) * 1000) / 1000);
}

/** Ranks candidates by similarity to `name`, best first; ties keep their input order. */
export function rankByName<T>(name: string, candidates: readonly T[], nameOf: (c: T) => string): { item: T; score: number }[] {
  return candidates
    .map((item, index) => ({ item, index, score: nameSimilarity(name, nameOf(item)) }))
    .sort((x, y) => y.score - x.score || x.index - y.index)
    .map(({ item, score }) => ({ item, score }));
}
