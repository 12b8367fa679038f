// A list read once for several checks hands each the items its own selectors select
// (lib/k8s/selectors.ts): the same items the test API server selects for those selectors.
import { describe, expect, it } from 'vitest';
import { selectorFilter } from '../../lib/k8s/selectors.ts';
import { matchesLabels, parseFieldSelector, parseLabelSelector } from '../apiserver/selectors.ts';

const pods: {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: { nodeName?: string };
  status: { phase: string };
}[] = [
  {
    metadata: { name: 'calico-node-a', namespace: 'kube-system', labels: { 'k8s-app': 'calico-node' } },
    spec: { nodeName: 'k8s01' },
    status: { phase: 'Running' },
  },
  {
    metadata: { name: 'web-1', namespace: 'web', labels: { app: 'web', tier: 'front' } },
    spec: { nodeName: 'k8s02' },
    status: { phase: 'Running' },
  },
  { metadata: { name: 'web-2', namespace: 'web', labels: { app: 'web' } }, spec: {}, status: { phase: 'Pending' } },
  { metadata: { name: 'job-1', namespace: 'batch' }, spec: { nodeName: 'k8s01' }, status: { phase: 'Succeeded' } },
];
const FIELDS: Record<string, (p: (typeof pods)[number]) => string> = {
  'metadata.name': (p) => p.metadata.name,
  'metadata.namespace': (p) => p.metadata.namespace,
  'spec.nodeName': (p) => p.spec.nodeName ?? '',
  'status.phase': (p) => p.status.phase,
};
/** What the test API server lists for these selectors. */
const served = (labelSelector = '', fieldSelector = '') =>
  pods
    .filter(
      (p) =>
        matchesLabels(parseLabelSelector(labelSelector), p.metadata.labels) &&
        parseFieldSelector(fieldSelector).every((f) => (FIELDS[f.field]!(p) === f.value) !== f.negate),
    )
    .map((p) => p.metadata.name);

describe('selectorFilter', () => {
  it.each([
    ['', ''],
    ['', 'status.phase=Running'],
    ['', 'spec.nodeName=k8s01'],
    ['', 'spec.nodeName='],
    ['', 'metadata.namespace!=kube-system,metadata.namespace!=batch'],
    ['', 'status.phase==Running,spec.nodeName!=k8s01'],
    ['k8s-app=calico-node', 'spec.nodeName=k8s01'],
    ['app=web', ''],
    ['app!=web', ''],
    ['tier', ''],
    ['!tier', ''],
    ['app==web,tier!=back', 'status.phase=Running'],
    ['constructor', ''],
    ['!toString', ''],
    [`app=${'w'.repeat(63)}`, ''],
    // The API server's blanks (space, tab, CR, LF) around a label requirement and its operator.
    [' app = web ,\ttier', ''],
  ])('labels %j, fields %j: the items the API server lists', (labelSelector, fieldSelector) => {
    const filter = selectorFilter({ labelSelector, fieldSelector });
    expect(filter).toBeDefined();
    expect(pods.filter((p) => filter!(p)).map((p) => p.metadata.name)).toEqual(served(labelSelector, fieldSelector));
  });

  it('forms it does not judge exactly are left to the API server (the asker reads alone)', () => {
    for (const labelSelector of ['app in (web,api)', 'app notin (web)', 'x>1', 'app=we b'])
      expect(selectorFilter({ labelSelector }), labelSelector).toBeUndefined();
    // The API server refuses these (400): a value or name over 63 characters, a prefix that is no DNS subdomain.
    for (const labelSelector of [`app=${'a'.repeat(64)}`, `${'k'.repeat(64)}=v`, 'a..b/app=web', 'Example.com/app', 'a/b/c'])
      expect(selectorFilter({ labelSelector }), labelSelector).toBeUndefined();
    for (const fieldSelector of ['spec.restartPolicy=Always', 'metadata.name=a\\,b', 'status.podIP=10.1.2.3'])
      expect(selectorFilter({ fieldSelector }), fieldSelector).toBeUndefined();
    // Blanks the API server does not take for blanks stay in the key or value it refuses: a
    // no-break space pasted from a web page, \v, U+FEFF. A field selector's terms are taken as
    // written (a blank is part of the field), and a field name is never one of Object's.
    for (const labelSelector of ['app=web\u00a0', '\u00a0app=web', 'app=web,\u00a0tier', 'app=web\v', '\ufeffapp=web', '!\u00a0tier'])
      expect(selectorFilter({ labelSelector }), JSON.stringify(labelSelector)).toBeUndefined();
    for (const fieldSelector of ['status.phase = Running', ' status.phase=Running', 'constructor=x'])
      expect(selectorFilter({ fieldSelector }), fieldSelector).toBeUndefined();
  });
});
