/**
 * Money (docs/billing-rules.md §1): a decimal string in JSON ("22.00"), exact integer arithmetic
 * inside. Never a binary float. Scale: 4 decimal places (ten-thousandths), enough for the unit
 * prices PSAs accept and for bundled averages (§7), which round half-even to that scale.
 */
export type Money = string;

export const MONEY_SCALE = 4;
const FACTOR = 10n ** BigInt(MONEY_SCALE);
const MONEY_RE = /^-?\d{1,13}(\.\d{1,4})?$/;

/** True when `s` is a decimal string this module accepts (at most 4 decimals). */
export function isMoney(s: string): boolean {
  return MONEY_RE.test(s);
}

/** Parses a decimal string into ten-thousandths. Throws on anything that is not a decimal. */
export function toMinor(m: Money): bigint {
  if (!MONEY_RE.test(m)) throw new RangeError(`not a decimal amount: "${m}"`);
  const negative = m.startsWith('-');
  const [whole, frac = ''] = (negative ? m.slice(1) : m).split('.');
  const v = BigInt(whole!) * FACTOR + BigInt(frac.padEnd(MONEY_SCALE, '0'));
  return negative ? -v : v;
}

/** Formats ten-thousandths as a decimal string with at least 2 and at most 4 decimals. */
export function fromMinor(v: bigint): Money {
  const negative = v < 0n;
  const abs = negative ? -v : v;
  const whole = abs / FACTOR;
  let frac = (abs % FACTOR).toString().padStart(MONEY_SCALE, '0');
  while (frac.length > 2 && frac.endsWith('0')) frac = frac.slice(0, -1);
  return `${negative && abs !== 0n ? '-' : ''}${whole}.${frac}`;
}

/** Canonical form of an amount ("22" → "22.00", "1.5000" → "1.50"). */
export const normalizeMoney = (m: Money): Money => fromMinor(toMinor(m));
export const addMoney = (a: Money, b: Money): Money => fromMinor(toMinor(a) + toMinor(b));
export const subMoney = (a: Money, b: Money): Money => fromMinor(toMinor(a) - toMinor(b));
export const negateMoney = (a: Money): Money => fromMinor(-toMinor(a));
/** Amount × an integer count (quantity). */
export const mulMoney = (a: Money, n: number): Money => {
  if (!Number.isSafeInteger(n)) throw new RangeError(`not an integer count: ${n}`);
  return fromMinor(toMinor(a) * BigInt(n));
};
export const compareMoney = (a: Money, b: Money): number => {
  const d = toMinor(a) - toMinor(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
};
export const moneyEquals = (a: Money, b: Money): boolean => toMinor(a) === toMinor(b);
export const sumMoney = (xs: readonly Money[]): Money => fromMinor(xs.reduce((s, x) => s + toMinor(x), 0n));

/** Divides by a positive integer, rounding half-even to the money scale (bundled averages, §7). */
export function divMoney(a: Money, n: number): Money {
  if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`not a positive integer divisor: ${n}`);
  const v = toMinor(a);
  const d = BigInt(n);
  let q = v / d;
  const r = v % d;
  const twice = 2n * (r < 0n ? -r : r);
  if (twice > d || (twice === d && q % 2n !== 0n)) q += v < 0n ? -1n : 1n;
  return fromMinor(q);
}

/**
 * PSA JSON boundary. The PSAs carry amounts as JSON numbers. A decimal with at most 15
 * significant digits survives the trip through a double exactly (the shortest round-trip
 * form of the double is the original decimal), so these are the only two places a JS number
 * meets money, and both check that nothing was lost.
 */
export function moneyFromJsonNumber(n: number): Money {
  if (!Number.isFinite(n)) throw new RangeError(`not a finite amount: ${n}`);
  const text = Math.abs(n) < 1e-6 && n !== 0 ? n.toFixed(MONEY_SCALE) : String(n);
  if (/e/i.test(text)) throw new RangeError(`amount out of range: ${text}`);
  const [whole, frac = ''] = text.split('.');
  if (frac.length > MONEY_SCALE && !/^0*$/.test(frac.slice(MONEY_SCALE))) {
    throw new RangeError(`amount has more than ${MONEY_SCALE} decimals: ${text}`);
  }
  return normalizeMoney(frac ? `${whole}.${frac.slice(0, MONEY_SCALE)}` : whole!);
}

export function moneyToJsonNumber(m: Money): number {
  const n = Number(normalizeMoney(m));
  if (moneyFromJsonNumber(n) !== normalizeMoney(m)) throw new RangeError(`amount not representable: ${m}`);
  return n;
}
