// nrpe/rbac.yaml promises get/list on exactly what the checks read. Its ClusterRole is taken as
// the test API server's RBAC for a token of its own (403 for anything it does not grant), and
// the checks are run with it over every read they make: each request they send must be granted,
// and each grant must be one they use, or the manifest asks the cluster admin for more than the
// monitor needs (it granted events, which no check reads, and get on lists it only lists).
// Its nonResourceURLs likewise: each path the checks GET must match one, and each must match a path
// they GET (RBAC's matching: the URL itself, or a prefix ending in *; the query is no part of it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAllYaml, type V1ClusterRole, type V1PolicyRule } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKubeconfig } from '../apiserver/certs.ts';
import { calicoNode, cronJob, deployment, job, pod, replicaSet, unschedulablePod } from '../apiserver/objects.ts';
import { RESOURCES, startApiServer, type ApiServer, type RequestRecord } from '../apiserver/server.ts';
import { addHealthyCluster, startCluster, type TestCluster } from '../helpers/cluster.ts';
import { runBuilt } from '../helpers/run.ts';

const MANIFEST = join(import.meta.dirname, '../../nrpe/rbac.yaml');
const TOKEN = 'Rb4cT0kenMonitoringNagios00000000';

/** The manifest's ClusterRole's resource rules, as "verb group/resource" grants. */
function grants(): Set<string> {
  const docs = loadAllYaml(readFileSync(MANIFEST, 'utf8')) as { kind?: string }[];
  const role = docs.find((d) => d.kind === 'ClusterRole') as V1ClusterRole;
  const out = new Set<string>();
  for (const rule of role.rules ?? ([] as V1PolicyRule[]))
    for (const group of rule.apiGroups ?? [])
      for (const resource of rule.resources ?? []) for (const verb of rule.verbs) out.add(`${verb} ${group}/${resource}`);
  return out;
}

/** The manifest's ClusterRole's non-resource rules, as "verb url" grants (the url may end in *). */
function pathGrants(): Set<string> {
  const docs = loadAllYaml(readFileSync(MANIFEST, 'utf8')) as { kind?: string }[];
  const role = docs.find((d) => d.kind === 'ClusterRole') as V1ClusterRole;
  const out = new Set<string>();
  for (const rule of role.rules ?? ([] as V1PolicyRule[]))
    for (const url of rule.nonResourceURLs ?? []) for (const verb of rule.verbs) out.add(`${verb} ${url}`);
  return out;
}

/** Whether a "verb url" grant allows this verb on this path, as RBAC matches nonResourceURLs (rbac/v1 NonResourceURLMatches). */
function pathAllows(grant: string, verb: string, path: string): boolean {
  const [v, url] = grant.split(' ') as [string, string];
  if (v !== verb && v !== '*') return false;
  return url === path || (url.endsWith('*') && path.startsWith(url.slice(0, -1)));
}

/** A request to the API as RBAC names it: its verb and group/resource; undefined for a non-resource path (/readyz). */
function asked(r: RequestRecord): string | undefined {
  const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)(?:\/namespaces\/[^/]+)?\/([^/]+)(\/[^/]+)?$/.exec(r.path);
  if (!m || !RESOURCES[m[2]!]) return undefined;
  return `${m[3] ? 'get' : 'list'} ${m[1] ?? ''}/${m[2]}`;
}

describe('nrpe/rbac.yaml', () => {
  let c: TestCluster;
  let api: ApiServer;
  let kubeconfig: string;
  const granted = grants();
  const pathsGranted = pathGrants();
  beforeAll(async () => {
    c = await startCluster();
    // The manifest's rules, and nothing else, for this token (the group is the resource's own).
    const can = (verb: string, resource: string) => granted.has(`${verb} ${RESOURCES[resource]?.group ?? '?'}/${resource}`);
    // Without the default ClusterRoles (system:public-info-viewer, system:discovery): the manifest alone.
    const canPath = (verb: string, path: string) => [...pathsGranted].some((g) => pathAllows(g, verb, path));
    api = await startApiServer({
      certs: c.certs,
      tokens: { [TOKEN]: { user: 'system:serviceaccount:monitoring:nagios', can, canPath } },
    });
    kubeconfig = writeKubeconfig(c.dir, api.url, c.certs.ca, TOKEN, 'kubeconfig-rbac');
    // Something of every kind each check reads, so that each asks for all it may.
    addHealthyCluster(api);
    const d = deployment({ namespace: 'web', name: 'frontend', generation: 3, observedGeneration: 3, specChangedAgo: 900 });
    const rs = replicaSet(d, 1);
    api.add('deployments', d);
    api.add('replicasets', rs);
    api.add('namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'quiet', uid: 'ns-quiet' },
      status: { phase: 'Active' },
    });
    api.add(
      'pods',
      calicoNode({ name: 'calico-node-x7k2p', node: 'k8s02' }),
      pod({
        namespace: 'web',
        name: `${rs.metadata.name}-abcde`,
        node: 'k8s02',
        ip: '10.1.22.7',
        owner: { kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid },
      }),
      unschedulablePod('web', 'batch-pending', 600),
    );
    api.add('jobs', job({ namespace: 'batch', name: 'report-1', state: 'complete', finishedAgo: 7200 }));
    api.add('cronjobs', cronJob({ namespace: 'batch', name: 'report', schedule: '*/5 * * * *', scheduledAgo: 120, succeededAgo: 120 }));
  });
  afterAll(async () => {
    await api?.close();
    await c?.close();
  });

  it('grants every read the checks make, and nothing they never ask for', async () => {
    const kc = ['--kubeconfig', kubeconfig];
    const runs = await Promise.all([
      // Every API check.
      runBuilt('microk8s-checks', ['all', ...kc, '--format', 'json']),
      // A node with no calico-node pod is looked up (get nodes).
      runBuilt('check_calico_routes', [...kc, '--node', 'k8s03']),
      // A namespace that lists nothing is looked up (get namespaces).
      runBuilt('check_pod_restarts', [...kc, '-n', 'quiet']),
      // The workload kinds beside Deployments.
      runBuilt('check_observed_generation', [...kc, '--kind', 'statefulset', '--kind', 'daemonset']),
    ]);
    const refused = api.requests.filter((r) => r.status === 403).map((r) => `${r.method} ${r.path}`);
    expect(refused, runs.map((r) => r.stdout).join('\n')).toEqual([]);
    // Whole word: the test API server's random port (127.0.0.1:40337) holds 403 now and then.
    for (const r of runs) expect(r.stdout).not.toMatch(/forbidden|\b403\b/i);
    const used = new Set(api.requests.map(asked).filter((a) => a !== undefined));
    expect([...granted].sort()).toEqual([...used].sort());
    // Each non-resource grant matches a path the checks asked for.
    const paths = api.requests.filter((r) => asked(r) === undefined).map((r) => r.path);
    const pathsUsed = [...pathsGranted].filter((g) => paths.some((p) => pathAllows(g, 'get', p)));
    expect([...pathsGranted].sort()).toEqual(pathsUsed.sort());
  }, 60_000);
});
