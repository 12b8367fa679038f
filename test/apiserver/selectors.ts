// Label and field selectors as the API server parses them (apimachinery labels/fields packages).

export type Labels = Record<string, string> | undefined;

interface Requirement {
  key: string;
  op: 'exists' | '!exists' | '=' | '!=' | 'in' | 'notin';
  values: string[];
}

export class SelectorError extends Error {}

/** A label selector's blanks, as the API server's lexer has them (labels.Lexer, isWhitespace): no others. */
const trimBlanks = (s: string) => s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');

function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (trimBlanks(cur) !== '') parts.push(cur);
  return parts.map(trimBlanks).filter(Boolean);
}

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A label key as the API server validates it (IsQualifiedName): [DNS subdomain/]name, name at most 63. */
function qualifiedName(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const name = parts.pop()!;
  const prefix = parts[0];
  if (prefix !== undefined && (prefix.length > 253 || !SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name);
}

export function parseLabelSelector(text: string): Requirement[] {
  const reqs: Requirement[] = [];
  for (const part of splitTop(text)) {
    const set = /^([^ \t\r\n]+)[ \t\r\n]+(in|notin)[ \t\r\n]+\(([^)]*)\)$/.exec(part);
    const equality = /^([^ \t\r\n]+?)[ \t\r\n]*(==|!=|=)[ \t\r\n]*([^ \t\r\n]*)$/.exec(part);
    const absent = /^![ \t\r\n]*([^ \t\r\n]+)$/.exec(part);
    if (set) {
      const m = set;
      reqs.push({
        key: m[1]!,
        op: m[2] as 'in' | 'notin',
        values: m[3]!.split(',').map(trimBlanks).filter(Boolean),
      });
    } else if (equality) {
      reqs.push({ key: equality[1]!, op: equality[2] === '!=' ? '!=' : '=', values: [equality[3]!] });
    } else if (absent) {
      reqs.push({ key: absent[1]!, op: '!exists', values: [] });
    } else if (KEY.test(part)) {
      reqs.push({ key: part, op: 'exists', values: [] });
    } else {
      throw new SelectorError(`unable to parse requirement: found '${part}', expected: identifier`);
    }
  }
  for (const r of reqs) {
    if (!qualifiedName(r.key)) throw new SelectorError(`unable to parse requirement: invalid label key "${r.key}"`);
    // As NewRequirement validates each value (IsValidLabelValue): at most 63 characters.
    r.values.forEach((v, i) => {
      if (v.length > 63 || !VALUE.test(v))
        throw new SelectorError(
          `unable to parse requirement: values[${i}][${r.key}]: Invalid value: "${v}": ` +
            (v.length > 63
              ? 'must be no more than 63 characters'
              : "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'"),
        );
    });
  }
  return reqs;
}

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
        return has && v === r.values[0];
      case '!=':
        return !has || v !== r.values[0];
      case 'in':
        return has && r.values.includes(v!);
      case 'notin':
        return !has || !r.values.includes(v!);
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
