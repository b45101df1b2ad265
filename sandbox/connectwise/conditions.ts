/**
 * ConnectWise `conditions` filters (docs/psa-apis.md §1.5): a tokenizer, a recursive-descent parser
 * and an evaluator over plain JSON records. Pure TypeScript.
 *
 *   expr       := and ( "or" and )*
 *   and        := unary ( "and" unary )*
 *   unary      := "(" expr ")" | comparison
 *   comparison := path ( "=" | "!=" | "<" | "<=" | ">" | ">=" ) literal
 *               | path [ "not" ] ( "like" | "contains" ) string
 *               | path [ "not" ] "in" "(" literal ( "," literal )* ")"
 *   literal    := "string" | 'string' | [datetime] | number | true | false | null
 *
 * Keywords are case-insensitive; string comparison is case-insensitive (as on SQL Server's
 * default collation); `like` accepts both `*` and `%` as the wildcard (unverified which one the
 * real server expects, so both).
 */
export class ConditionsError extends Error {
  override readonly name = 'ConditionsError';
}

export type Literal =
  | { type: 'string'; value: string }
  | { type: 'number'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'null' }
  | { type: 'date'; value: number; text: string };

export type ComparisonOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type Condition =
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'compare'; path: string[]; op: ComparisonOp; value: Literal }
  | { kind: 'text'; path: string[]; op: 'like' | 'contains'; negated: boolean; value: string }
  | { kind: 'in'; path: string[]; negated: boolean; values: Literal[] };

type Token =
  | { t: 'punct'; v: '(' | ')' | ',' }
  | { t: 'op'; v: ComparisonOp }
  | { t: 'word'; v: string }
  | { t: 'lit'; v: Literal };

const KEYWORDS = new Set(['and', 'or', 'not', 'like', 'contains', 'in']);

export function tokenize(text: string): (Token & { at: number })[] {
  const tokens: (Token & { at: number })[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const at = i;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ t: 'punct', v: c, at });
      i++;
    } else if ('=!<>'.includes(c)) {
      const two = text.slice(i, i + 2);
      if (two === '!=' || two === '<=' || two === '>=') {
        tokens.push({ t: 'op', v: two, at });
        i += 2;
      } else if (c === '!') {
        throw new ConditionsError(`unexpected "!" at ${at}; use != or not`);
      } else {
        tokens.push({ t: 'op', v: c as ComparisonOp, at });
        i++;
      }
    } else if (c === '"' || c === "'") {
      let value = '';
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
      if (i >= text.length) throw new ConditionsError(`unterminated string starting at ${at}`);
      i++;
      tokens.push({ t: 'lit', v: { type: 'string', value }, at });
    } else if (c === '[') {
      const end = text.indexOf(']', i);
      if (end < 0) throw new ConditionsError(`unterminated date starting at ${at}`);
      const raw = text.slice(i + 1, end).trim();
      const ms = Date.parse(raw);
      if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(ms)) {
        throw new ConditionsError(`invalid date [${raw}] at ${at}; dates look like [2026-03-01T00:00:00Z]`);
      }
      tokens.push({ t: 'lit', v: { type: 'date', value: ms, text: raw }, at });
      i = end + 1;
    } else if (/[-\d]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(text.slice(i));
      if (!m) throw new ConditionsError(`invalid number at ${at}`);
      tokens.push({ t: 'lit', v: { type: 'number', value: Number(m[0]) }, at });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*/.exec(text.slice(i))!;
      const lower = m[0].toLowerCase();
      if (lower === 'true' || lower === 'false') tokens.push({ t: 'lit', v: { type: 'boolean', value: lower === 'true' }, at });
      else if (lower === 'null') tokens.push({ t: 'lit', v: { type: 'null' }, at });
      else tokens.push({ t: 'word', v: m[0], at });
      i += m[0].length;
    } else {
      throw new ConditionsError(`unexpected character "${c}" at ${at}`);
    }
  }
  return tokens;
}

export function parseConditions(text: string): Condition {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = (): (Token & { at: number }) | undefined => tokens[pos];
  const isKeyword = (k: string): boolean => {
    const tok = peek();
    return tok?.t === 'word' && tok.v.toLowerCase() === k;
  };
  const where = (): string => (peek() ? `at ${peek()!.at}` : 'at end of conditions');

  function literal(): Literal {
    const tok = peek();
    if (tok?.t !== 'lit') {
      throw new ConditionsError(
        `expected a value ${where()}: strings need double quotes, dates need square brackets, numbers and true/false/null are bare`,
      );
    }
    pos++;
    return tok.v;
  }

  function comparison(): Condition {
    const field = peek();
    if (field?.t !== 'word' || KEYWORDS.has(field.v.toLowerCase())) throw new ConditionsError(`expected a field name ${where()}`);
    pos++;
    const path = field.v.split('/');
    const opTok = peek();
    if (opTok?.t === 'op') {
      pos++;
      return { kind: 'compare', path, op: opTok.v, value: literal() };
    }
    const negated = isKeyword('not');
    if (negated) pos++;
    if (isKeyword('like') || isKeyword('contains')) {
      const op = (peek() as { v: string }).v.toLowerCase() as 'like' | 'contains';
      pos++;
      const value = literal();
      if (value.type !== 'string') throw new ConditionsError(`${op} needs a quoted string ${where()}`);
      return { kind: 'text', path, op, negated, value: value.value };
    }
    if (isKeyword('in')) {
      pos++;
      expectPunct('(');
      const values = [literal()];
      while (peek()?.t === 'punct' && peek()!.v === ',') {
        pos++;
        values.push(literal());
      }
      expectPunct(')');
      return { kind: 'in', path, negated, values };
    }
    throw new ConditionsError(`expected an operator after ${field.v} ${where()}`);
  }

  function expectPunct(p: '(' | ')'): void {
    const tok = peek();
    if (tok?.t !== 'punct' || tok.v !== p) throw new ConditionsError(`expected "${p}" ${where()}`);
    pos++;
  }

  function unary(): Condition {
    const tok = peek();
    if (tok?.t === 'punct' && tok.v === '(') {
      pos++;
      const inner = expr();
      expectPunct(')');
      return inner;
    }
    return comparison();
  }

  function and(): Condition {
    let left = unary();
    while (isKeyword('and')) {
      pos++;
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  }

  function expr(): Condition {
    let left = and();
    while (isKeyword('or')) {
      pos++;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  }

  if (tokens.length === 0) throw new ConditionsError('conditions are empty');
  const result = expr();
  if (pos < tokens.length) throw new ConditionsError(`unexpected ${JSON.stringify(text.slice(tokens[pos]!.at))} ${where()}`);
  return result;
}

/** Reads `company/id` from a record; a missing step reads as null. */
export function readPath(record: unknown, path: readonly string[]): unknown {
  let v: unknown = record;
  for (const step of path) {
    if (v === null || typeof v !== 'object') return null;
    const obj = v as Record<string, unknown>;
    const key = step in obj ? step : Object.keys(obj).find((k) => k.toLowerCase() === step.toLowerCase());
    v = key === undefined ? null : obj[key];
  }
  return v ?? null;
}

function compare(actual: unknown, literal: Literal): number | null {
  if (actual === null || actual === undefined) return null;
  switch (literal.type) {
    case 'string': {
      const a = String(actual).toLowerCase();
      const b = literal.value.toLowerCase();
      return a < b ? -1 : a > b ? 1 : 0;
    }
    case 'number': {
      const a = Number(actual);
      return Number.isNaN(a) ? null : Math.sign(a - literal.value);
    }
    case 'boolean':
      return actual === literal.value ? 0 : null;
    case 'date': {
      const a = Date.parse(String(actual));
      return Number.isNaN(a) ? null : Math.sign(a - literal.value);
    }
    case 'null':
      return null;
  }
}

function equals(actual: unknown, literal: Literal): boolean {
  if (literal.type === 'null') return actual === null || actual === undefined;
  return compare(actual, literal) === 0;
}

const likeRegex = (pattern: string): RegExp =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/[*%]/g, '.*')}$`, 'is');

export function evaluate(condition: Condition, record: unknown): boolean {
  switch (condition.kind) {
    case 'and':
      return evaluate(condition.left, record) && evaluate(condition.right, record);
    case 'or':
      return evaluate(condition.left, record) || evaluate(condition.right, record);
    case 'compare': {
      const actual = readPath(record, condition.path);
      if (condition.op === '=') return equals(actual, condition.value);
      if (condition.op === '!=') return !equals(actual, condition.value);
      const c = compare(actual, condition.value);
      if (c === null) return false;
      return condition.op === '<' ? c < 0 : condition.op === '<=' ? c <= 0 : condition.op === '>' ? c > 0 : c >= 0;
    }
    case 'text': {
      const actual = readPath(record, condition.path);
      if (actual === null) return condition.negated;
      const text = String(actual);
      const hit =
        condition.op === 'like'
          ? likeRegex(condition.value).test(text)
          : text.toLowerCase().includes(condition.value.toLowerCase());
      return hit !== condition.negated;
    }
    case 'in': {
      const actual = readPath(record, condition.path);
      return condition.values.some((v) => equals(actual, v)) !== condition.negated;
    }
  }
}
