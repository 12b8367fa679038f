// nrpe/rbac.yaml promises get/list on exactly what the checks read. Its ClusterRole is taken as
// the test API server's RBAC for a token of its own (403 for anything it does not grant), and
// the checks are run with it over every read they make: each request they send must be granted,
// and each grant must be one they use, or the manifest asks the cluster admin for more than the
// monitor needs (it granted events, which no check reads, and get on lists it only lists).
// Its nonResourceURLs likewise: each path the checks GET must match one, and each must match a path
// they GET (RBAC's matching: the URL itself, or a prefix ending in *; the query is no part of it).
// The NRPE commands are run as production runs them, through the shared poll cycle. And a token
// without one grant (a manifest applied from an older release, an admin's trimmed copy) must
// leave each check that needs it UNKNOWN with what was denied and the fix, never OK, and the
// other checks of `all` as they were.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAllYaml, type V1ClusterRole, type V1PolicyRule } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKubeconfig } from '../apiserver/certs.ts';
import { calicoNode, cronJob, deployment, job, pod, replicaSet, unschedulablePod } from '../apiserver/objects.ts';
import { RESOURCES, startApiServer, type ApiServer, type Identity, type RequestRecord } from '../apiserver/server.ts';
import { addHealthyCluster, renewHealthyLeases, startCluster, type TestCluster } from '../helpers/cluster.ts';
import { runBuilt, type Run } from '../helpers/run.ts';

const MANIFEST = join(import.meta.dirname, '../../nrpe/rbac.yaml');
const NRPE_CFG = join(import.meta.dirname, '../../nrpe/microk8s-checks.cfg');
const NRPE_KUBECONFIG = '/etc/nagios/microk8s.kubeconfig';
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

/** The NRPE commands that read the API (they name the read-only kubeconfig): the check and its arguments. */
function nrpeApiCommands(): { command: string; args: string[] }[] {
  return readFileSync(NRPE_CFG, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('command[') && l.includes(NRPE_KUBECONFIG))
    .map((l) => {
      const [path, ...args] = l.slice(l.indexOf('=') + 1).split(' ');
      return { command: path!.split('/').pop()!, args };
    });
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
  const everyGrant = [...granted, ...pathsGranted];
  const kubeconfigWithout = new Map<string, string>();
  beforeAll(async () => {
    c = await startCluster();
    // The manifest's rules, and nothing else, for this token (the group is the resource's own);
    // without the default ClusterRoles (system:public-info-viewer, system:discovery) for paths.
    // And a token for each grant of it, with all the others but that one.
    const identity = (missing?: string): Identity => ({
      user: `system:serviceaccount:monitoring:nagios${missing ? `-without-${everyGrant.indexOf(missing)}` : ''}`,
      can: (verb, resource) => {
        const grant = `${verb} ${RESOURCES[resource]?.group ?? '?'}/${resource}`;
        return grant !== missing && granted.has(grant);
      },
      canPath: (verb, path) => [...pathsGranted].some((g) => g !== missing && pathAllows(g, verb, path)),
    });
    const tokenWithout = (i: number) => `Rb4cT0kenWithout${String(i).padStart(3, '0')}`.padEnd(33, 'x');
    const tokens = Object.fromEntries([[TOKEN, identity()], ...everyGrant.map((g, i) => [tokenWithout(i), identity(g)])]);
    api = await startApiServer({ certs: c.certs, tokens });
    kubeconfig = writeKubeconfig(c.dir, api.url, c.certs.ca, TOKEN, 'kubeconfig-rbac');
    for (const [i, g] of everyGrant.entries())
      kubeconfigWithout.set(g, writeKubeconfig(c.dir, api.url, c.certs.ca, tokenWithout(i), `kubeconfig-without-${i}`));
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

  /** Every read the checks make: `all`, and the reads only some options ask for. */
  const everyRead = (config: string) => {
    const kc = ['--kubeconfig', config];
    // The third test's runs take minutes on a loaded machine: leases made once would read given up.
    renewHealthyLeases(api);
    return Promise.all([
      // Every API check.
      runBuilt('microk8s-checks', ['all', ...kc, '--format', 'json']),
      // A node with no calico-node pod is looked up (get nodes).
      runBuilt('check_calico_routes', [...kc, '--node', 'k8s03']),
      // A namespace that lists nothing is looked up (get namespaces).
      runBuilt('check_pod_restarts', [...kc, '-n', 'quiet']),
      // The workload kinds beside Deployments.
      runBuilt('check_observed_generation', [...kc, '--kind', 'statefulset', '--kind', 'daemonset']),
    ]);
  };

  it('grants every read the checks make, and nothing they never ask for', async () => {
    const runs = await everyRead(kubeconfig);
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

  it('grants every read of the NRPE commands, served by the shared poll cycle as in production (--cycle=55)', async () => {
    api.requests.length = 0;
    const env = {
      ...process.env,
      XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'rbac-cycle-')),
      XDG_STATE_HOME: mkdtempSync(join(tmpdir(), 'rbac-state-')),
    };
    const commands = nrpeApiCommands();
    expect(commands.length).toBeGreaterThanOrEqual(10);
    const runs = await Promise.all(
      commands.map(({ command, args }) =>
        runBuilt(
          command,
          args.map((a) => (a === NRPE_KUBECONFIG ? kubeconfig : a)),
          { env },
        ),
      ),
    );
    const out = runs.map((r) => r.stdout).join('\n');
    for (const r of runs) expect(r.stdout.split('\n')[1], out).toMatch(/^answer of the shared poll cycle/);
    expect(
      api.requests.filter((r) => r.status === 403).map((r) => `${r.method} ${r.path}`),
      out,
    ).toEqual([]);
    for (const r of runs) expect(r.stdout).not.toMatch(/forbidden|\b403\b/i);
  }, 60_000);

  it('a token without one grant: the checks that need it UNKNOWN naming verb, resource and fix; the others unaffected', async () => {
    /** Each check's state and first line: in `all` by its name, alone by its command. */
    const outcomes = (runs: Run[]) => {
      const [all, ...alone] = runs;
      const rows = (JSON.parse(all!.stdout) as { check: string; state: string; summary: string }[])
        .filter((x) => x.state !== 'SKIPPED')
        .map((x) => ({ key: `all ${x.check}`, state: x.state, line: x.summary }));
      for (const r of alone) {
        const m = /^(\S+) (OK|WARNING|CRITICAL|UNKNOWN) - (.*)$/.exec(r.first);
        rows.push({ key: `alone ${m?.[1] ?? r.first}`, state: m?.[2] ?? '?', line: m?.[3] ?? r.first });
      }
      return rows;
    };
    const baseline = new Map(outcomes(await everyRead(kubeconfig)).map((o) => [o.key, o.state]));
    expect(baseline.size).toBeGreaterThanOrEqual(12);
    const RBAC_FIX = / \(fix: .*nrpe\/rbac\.yaml/;
    for (const missing of everyGrant) {
      const [verb, what] = missing.split(' ') as [string, string];
      const path = pathsGranted.has(missing);
      const [group, resource] = what.split('/') as [string, string];
      // What the first line names: the verb and the resource (with its group), or the path.
      const denied = path
        ? new RegExp(`${what}: forbidden \\(403\\)`)
        : new RegExp(
            `forbidden: cannot ${verb} ${resource}${group ? `\\.${group.replaceAll('.', '\\.')}` : ''} ` +
              '(at cluster scope|in namespace \\S+) \\(403\\)',
          );
      const runs = await everyRead(kubeconfigWithout.get(missing)!);
      for (const r of runs) expect(r.stderr, `${missing}: ${r.stderr}`).not.toMatch(/^\s+at /m);
      const rows = outcomes(runs);
      expect(rows.map((o) => o.key).sort(), missing).toEqual([...baseline.keys()].sort());
      const affected = rows.filter((o) => o.state !== baseline.get(o.key));
      // Every change is that check's UNKNOWN saying what was denied, and pointing at the manifest.
      const wrong = affected.filter((o) => o.state !== 'UNKNOWN' || !denied.test(o.line) || !RBAC_FIX.test(o.line));
      expect(
        wrong.map((o) => `${o.key} ${o.state} - ${o.line}`),
        `without ${missing}`,
      ).toEqual([]);
      // Each grant is some check's need; get on namespaces only looks up a -n that lists nothing,
      // and without it that empty list stands (docs/api.md).
      if (missing === 'get /namespaces') expect(affected, missing).toEqual([]);
      else expect(affected.length, `nothing needs ${missing}`).toBeGreaterThan(0);
    }
  }, 120_000);
});
