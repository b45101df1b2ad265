/**
 * How close two organisation or product names are, as a score from 0 (nothing in common) to
 * 1 (the same name once case, accents, punctuation and legal suffixes are ignored). Used to
 * rank PSA companies and catalog items for the mapping UI and the gateways. Pure.
 *
 * Typo-tolerant: a word one edit away from a word of the other name ("Inittech" / "Initech",
 * "Umbrela Helth" / "Umbrella Health"; two edits in words of 8+ letters) counts as half a shared
 * word, so exact and whole-word matches still rank first. Words with digits never count as typos
 * of each other: "E3" is not "E5", "365" is not "356".
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

/**
 * Edits (insert, delete, substitute, swap two neighbours) between `a` and `b`, or `max + 1`
 * once it is known to exceed `max` (optimal string alignment distance, cut short).
 */
export function typoDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      row.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > max) return max + 1;
    before = prev;
    prev = row;
  }
  return Math.min(prev[b.length]!, max + 1);
}

/** Typos a pair of words may differ by and still match: none in short words or words with digits. */
function typosAllowed(a: string, b: string): number {
  if (/\d/.test(a) || /\d/.test(b)) return 0;
  const shorter = Math.min(a.length, b.length);
  return shorter >= 8 ? 2 : shorter >= 4 ? 1 : 0;
}

/** What a word matched only by a typo counts for, against 1 for the same word: 0.5 for one edit, 0.25 for two. */
const TYPO_WEIGHT = 0.5;

/** Words of `sa` shared with `sb`: 1 per equal word, part of one per typo match (each word of `sb` used once). */
function sharedWords(sa: readonly string[], sb: readonly string[]): number {
  const unused = new Set(sb);
  let shared = 0;
  for (const t of sa) if (unused.delete(t)) shared += 1;
  for (const t of sa.filter((w) => !sb.includes(w))) {
    let best: { word: string; edits: number } | undefined;
    for (const w of unused) {
      const allowed = typosAllowed(t, w);
      if (allowed === 0) continue;
      const edits = typoDistance(t, w, allowed);
      if (edits <= allowed && (!best || edits < best.edits)) best = { word: w, edits };
    }
    if (best) {
      unused.delete(best.word);
      shared += TYPO_WEIGHT / best.edits;
    }
  }
  return shared;
}

/**
 * Dice coefficient over word sets, where a word with no equal in the other name may still
 * match one of its words within the typo allowance, for part of a shared word. Matching is
 * greedy, so both directions are tried: the score does not depend on the argument order.
 */
function tokenDice(a: readonly string[], b: readonly string[]): number {
  const sa = [...new Set(a)];
  const sb = [...new Set(b)];
  if (sa.length === 0 || sb.length === 0) return 0;
  return (2 * Math.max(sharedWords(sa, sb), sharedWords(sb, sa))) / (sa.length + sb.length);
}

/**
 * 1 for names equal after normalisation; otherwise below 1: a blend of character-bigram
 * similarity (tolerates typos and run-together words) and shared words (whole, or half a word
 * for a typo), raised when one name contains the other as whole words ("Acme" vs "Acme Cloud
 * Services").
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

/**
 * Pieces of `name` for a PSA's server-side `contains` pre-filter that still find the name when
 * the query carries a typo: each word of 6+ letters gives its first and its second half (an
 * inserted, dropped or wrong letter spoils at most one half: "inittech" → "init", "tech", and
 * "Initech" contains "init"),
 * words of 4–5 letters their first and last three letters, shorter words and words with digits
 * themselves. Ranking the rows that come back is `nameSimilarity`'s job. Distinct, in order.
 */
export function searchFragments(name: string): string[] {
  const out: string[] = [];
  for (const w of nameTokens(name)) {
    if (/\d/.test(w) || w.length < 4) out.push(w);
    else if (w.length < 6) out.push(w.slice(0, 3), w.slice(-3));
    else out.push(w.slice(0, Math.ceil(w.length / 2)), w.slice(Math.ceil(w.length / 2)));
  }
  return [...new Set(out)];
}
