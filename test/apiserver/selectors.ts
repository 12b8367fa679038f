// Label and field selectors as the API server parses them (apimachinery labels/fields packages).

export type Labels = Record<string, string> | undefined;

interface Requirement {
  key: string;
  op: 'exists' | '!exists' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';
  values: string[];
}

export class SelectorError extends Error {}

// A label selector is read as kube-apiserver reads it (k8s.io/apimachinery/pkg/labels/selector.go:
// Lexer.Lex, Parser.parse, parseRequirement, parseValues, parseIdentifiersList, parseExactValue,
// NewRequirement): tokens first, then requirements joined by single commas. An empty requirement
// (a leading, trailing or doubled comma) is refused, never skipped.

/** Blanks as the lexer has them (isWhitespace): no others. */
const BLANKS = ' \t\r\n';
/** Characters that start an operator (isSpecialSymbol); every other non-blank is part of a word. */
const SPECIALS = '=!(),<>';
const OPERATORS = new Set(['!', '=', '==', '!=', '>', '<', '(', ')', ',']);

interface Token {
  /** 'word' for identifiers; 'in' and 'notin' are words too, except where an operator is expected. */
  kind: string;
  text: string;
}

function tokens(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && BLANKS.includes(text[i]!)) i++;
    if (i >= text.length) {
      out.push({ kind: 'end', text: '' });
      return out;
    }
    let j = i + 1;
    if (SPECIALS.includes(text[i]!)) {
      // The longest run of operator characters that still spells an operator: "!=" and "==", not "=(".
      while (j < text.length && OPERATORS.has(text.slice(i, j + 1))) j++;
      out.push({ kind: text.slice(i, j), text: text.slice(i, j) });
    } else {
      while (j < text.length && !SPECIALS.includes(text[j]!) && !BLANKS.includes(text[j]!)) j++;
      const word = text.slice(i, j);
      out.push({ kind: word === 'in' || word === 'notin' ? word : 'word', text: word });
    }
    i = j;
  }
}

const KEY_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const INT64 = /^[+-]?\d+$/;
const int64 = (v: string) => INT64.test(v) && BigInt(v) <= 9223372036854775807n && BigInt(v) >= -9223372036854775808n;

/** A label key as the API server validates it (IsQualifiedName): [DNS subdomain/]name, name at most 63. */
function qualifiedName(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const name = parts.pop()!;
  const prefix = parts[0];
  if (prefix !== undefined && (prefix.length > 253 || !SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && KEY_NAME.test(name);
}

// No parameter properties here: npm run test-api and the demo run this file under Node's type
// stripping, which refuses them.
class Reader {
  private at = 0;
  private readonly toks: Token[];
  constructor(toks: Token[]) {
    this.toks = toks;
  }
  peek(): Token {
    return this.toks[this.at]!;
  }
  next(): Token {
    return this.toks[this.at++]!;
  }
}

/** A word where a key or value may stand: "in" and "notin" are words there. */
const isWord = (t: Token) => t.kind === 'word' || t.kind === 'in' || t.kind === 'notin';
const refused = (why: string) => new SelectorError(`unable to parse requirement: ${why}`);

/** The values of `in (...)` / `notin (...)`: "()" is the empty value alone, and an empty item between commas is "". */
function setValues(r: Reader): string[] {
  const open = r.next();
  if (open.kind !== '(') throw refused(`found '${open.text}' expected: '('`);
  const first = r.peek();
  if (first.kind === ')') {
    r.next();
    return [''];
  }
  if (!isWord(first) && first.kind !== ',') throw refused(`found '${first.text}', expected: ',', ')' or identifier`);
  const values = new Set<string>();
  for (;;) {
    const t = r.next();
    if (isWord(t)) {
      values.add(t.text);
      const after = r.peek();
      if (after.kind === ')') break;
      if (after.kind !== ',') throw refused(`found '${after.text}', expected: ',' or ')'`);
    } else if (t.kind === ',') {
      if (values.size === 0) values.add('');
      const after = r.peek();
      if (after.kind === ')') {
        values.add('');
        break;
      }
      if (after.kind === ',') {
        r.next();
        values.add('');
      }
    } else throw refused(`found '${t.text}', expected: ',', or identifier`);
  }
  const close = r.next();
  if (close.kind !== ')') throw refused(`found '${close.text}', expected: ')'`);
  return [...values];
}

function requirement(r: Reader): Requirement {
  let t = r.next();
  const absent = t.kind === '!';
  if (absent) t = r.next();
  if (!isWord(t)) throw refused(`found '${t.text}', expected: identifier`);
  const key = t.text;
  if (!qualifiedName(key)) throw refused(`key: Invalid value: "${key}": not a qualified name ([DNS subdomain/]name, name at most 63)`);
  const after = r.peek();
  if (absent) return { key, op: '!exists', values: [] };
  if (after.kind === 'end' || after.kind === ',') return { key, op: 'exists', values: [] };
  const op = r.next();
  let req: Requirement;
  if (op.kind === 'in' || op.kind === 'notin') req = { key, op: op.kind, values: setValues(r) };
  else if (['=', '==', '!=', '>', '<'].includes(op.kind)) {
    const v = r.peek();
    let value = '';
    if (v.kind !== 'end' && v.kind !== ',') {
      r.next();
      if (!isWord(v)) throw refused(`found '${v.text}', expected: identifier`);
      value = v.text;
    }
    const kind = op.kind === '!=' ? '!=' : op.kind === '>' ? 'gt' : op.kind === '<' ? 'lt' : '=';
    req = { key, op: kind, values: [value] };
  } else throw refused(`found '${op.text}', expected: in, notin, =, ==, !=, gt, lt`);
  if ((req.op === 'gt' || req.op === 'lt') && !int64(req.values[0]!))
    throw refused(`values[0]: Invalid value: "${req.values[0]}": for 'Gt', 'Lt' operators, the value must be an integer`);
  req.values.forEach((v, i) => {
    if (v.length > 63 || !VALUE.test(v))
      throw refused(
        `values[${i}][${key}]: Invalid value: "${v}": ` +
          (v.length > 63
            ? 'must be no more than 63 characters'
            : "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'"),
      );
  });
  return req;
}

export function parseLabelSelector(text: string): Requirement[] {
  const r = new Reader(tokens(text));
  const reqs: Requirement[] = [];
  const startsRequirement = (t: Token) => isWord(t) || t.kind === '!';
  for (;;) {
    const t = r.peek();
    if (t.kind === 'end') return reqs;
    if (!startsRequirement(t)) throw new SelectorError(`found '${t.text}', expected: !, identifier, or 'end of string'`);
    reqs.push(requirement(r));
    const after = r.next();
    if (after.kind === 'end') return reqs;
    if (after.kind !== ',') throw new SelectorError(`found '${after.text}', expected: ',' or 'end of string'`);
    const following = r.peek();
    if (!startsRequirement(following)) throw new SelectorError(`found '${following.text}', expected: identifier after ','`);
  }
}

/** A label value as Go's strconv.ParseInt reads it, for gt/lt; undefined where it is no integer. */
const asInt = (v: string) => (int64(v) ? BigInt(v) : undefined);

export function matchesLabels(reqs: Requirement[], labels: Labels): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case '=':
      case 'in':
        return has && r.values.includes(v!);
      case '!=':
      case 'notin':
        return !has || !r.values.includes(v!);
      case 'gt':
      case 'lt': {
        const n = has ? asInt(v!) : undefined;
        if (n === undefined) return false;
        const bound = BigInt(r.values[0]!);
        return r.op === 'gt' ? n > bound : n < bound;
      }
      default:
        return false;
    }
  });
}

export interface FieldRequirement {
  field: string;
  negate: boolean;
  value: string;
}

/** As fields.ParseSelector: terms taken as written (a blank is part of the field or value), empty ones skipped. */
export function parseFieldSelector(text: string): FieldRequirement[] {
  return text
    .split(',')
    .filter(Boolean)
    .map((part) => {
      const m = /^([^=!]+?)(==|!=|=)(.*)$/.exec(part);
      if (!m) throw new SelectorError(`invalid selector: '${text}'; can't understand '${part}'`);
      return { field: m[1]!, negate: m[2] === '!=', value: m[3]! };
    });
}
