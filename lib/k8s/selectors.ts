// Label and field selectors as kube-apiserver applies them to a list, for a list read once and
// handed to several checks that each asked with their own: only the forms judged here exactly.
// Label selectors: equality-based requirements (`k=v`, `k==v`, `k!=v`) and existence (`k`,
// `!k`), joined by commas (k8s.io/apimachinery/pkg/labels, Parse); a missing label is "not
// equal"; a key or value the API server refuses (k8s.io/apimachinery/pkg/util/validation:
// a name of at most 63 characters, a DNS subdomain of at most 253 as its prefix, a value of
// at most 63) is left to it, so that its 400 reaches the asker as it does alone. Field
// selectors: `f=v`, `f==v`, `f!=v` on the fields every resource offers (metadata.name,
// metadata.namespace) and those of Pods this project asks by (spec.nodeName, status.phase:
// k8s.io/kubernetes/pkg/registry/core/pod, ToSelectableFields); a field not set is the empty string.

export interface Selectors {
  labelSelector?: string;
  fieldSelector?: string;
}

/** An object as far as selectors look at it. */
export interface Selectable {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  // Open: a Deployment has neither spec.nodeName nor status.phase (a field never set is '').
  spec?: { nodeName?: string; [field: string]: unknown };
  status?: { phase?: string; [field: string]: unknown };
}

type Test = (o: Selectable) => boolean;

const FIELDS: Record<string, (o: Selectable) => string> = {
  'metadata.name': (o) => o.metadata?.name ?? '',
  'metadata.namespace': (o) => o.metadata?.namespace ?? '',
  'spec.nodeName': (o) => o.spec?.nodeName ?? '',
  'status.phase': (o) => o.status?.phase ?? '',
};

const LABEL_NAME = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** A label key the API server accepts: [prefix/]name (IsQualifiedName). */
function labelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  if (slash === -1) return LABEL_NAME.test(key);
  const prefix = key.slice(0, slash);
  return prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix) && LABEL_NAME.test(key.slice(slash + 1));
}

/** The object's own label (a label named `constructor` is not the prototype's). */
const label = (o: Selectable, key: string): string | undefined => {
  const labels = o.metadata?.labels;
  return labels && Object.hasOwn(labels, key) ? labels[key] : undefined;
};
// Values as this project writes them (names, phases): a backslash escape would need the server's unescaping.
const FIELD_VALUE = /^[A-Za-z0-9._-]*$/;
// A label selector's blanks are the API server's four (labels.Lexer, isWhitespace): JavaScript's
// \s and trim() take more (a no-break space, \v, \f, U+FEFF), which the API server keeps in the
// key or value it then refuses (400), so such a selector must reach it, not be judged here.
const LABEL_EQUALITY = /^([^!= \t\r\n]+)[ \t\r\n]*(==|=|!=)[ \t\r\n]*(.*)$/;
const blankTrimmed = (s: string) => s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
// A field selector's terms are taken as written (fields.ParseSelector trims nothing): a blank
// beside the operator is part of the field or the value.
const FIELD_EQUALITY = /^([^!=]+)(==|=|!=)(.*)$/;

function labelTest(term: string): Test | undefined {
  const t = blankTrimmed(term);
  const eq = LABEL_EQUALITY.exec(t);
  if (eq) {
    const [, key, op, raw] = eq;
    const value = blankTrimmed(raw!);
    if (!labelKey(key!) || !LABEL_VALUE.test(value)) return undefined;
    return op === '!=' ? (o) => label(o, key!) !== value : (o) => label(o, key!) === value;
  }
  const absent = t.startsWith('!');
  const key = absent ? blankTrimmed(t.slice(1)) : t;
  if (!labelKey(key)) return undefined;
  return absent ? (o) => label(o, key) === undefined : (o) => label(o, key) !== undefined;
}

function fieldTest(term: string): Test | undefined {
  const eq = FIELD_EQUALITY.exec(term);
  if (!eq) return undefined;
  const field = Object.hasOwn(FIELDS, eq[1]!) ? FIELDS[eq[1]!] : undefined;
  const value = eq[3]!;
  if (!field || !FIELD_VALUE.test(value)) return undefined;
  return eq[2] === '!=' ? (o) => field(o) !== value : (o) => field(o) === value;
}

function all(selector: string | undefined, test: (term: string) => Test | undefined): Test[] | undefined {
  if (selector === undefined || blankTrimmed(selector) === '') return [];
  // Set-based requirements (`k in (a,b)`) carry commas of their own: not judged here.
  if (/[()]/.test(selector)) return undefined;
  const tests: Test[] = [];
  for (const term of selector.split(',')) {
    const t = test(term);
    if (!t) return undefined;
    tests.push(t);
  }
  return tests;
}

/**
 * Whether an object is one the API server would list for these selectors; undefined when the
 * selectors use a form not judged here (the asker then reads on its own, selectors sent).
 */
export function selectorFilter(s: Selectors): ((o: Selectable) => boolean) | undefined {
  const labels = all(s.labelSelector, labelTest);
  const fields = all(s.fieldSelector, fieldTest);
  if (!labels || !fields) return undefined;
  const tests = [...labels, ...fields];
  return (o) => tests.every((t) => t(o));
}
