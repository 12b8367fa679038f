import { AppsV1Api, CoordinationV1Api, CoreV1Api, type V1Deployment, type V1Lease, type V1Node, type V1Pod } from '@kubernetes/client-node';
import { LEADER_LEASES } from '../../k8s/leases.ts';
import type { Selectors } from '../../k8s/selectors.ts';
import { inOrder } from '../../in-order.ts';
import { KubeError } from './errors.ts';
import { request } from './request.ts';
import type { Wire } from '../../k8s/wire.ts';
import type { Cluster } from './cluster.ts';
import { byScope, listAcross } from './list.ts';
import type { ListAsk } from './share.ts';
import { getRaw } from './raw.ts';

// Reads several checks share (within `all` and the shared poll cycle, once: lib/sources/kube/share.ts);
// what the objects mean is in lib/k8s/.

/** Which pods: in all namespaces (none given) or in each given one, with selectors for the API server. */
export interface PodScope extends Selectors {
  namespaces: string[];
}

function listPodsAlone(cluster: Cluster, ask: ListAsk, onItem: (pod: Wire<V1Pod>) => void): Promise<void> {
  const core = cluster.api(CoreV1Api);
  const selectors = { labelSelector: ask.labelSelector, fieldSelector: ask.fieldSelector };
  return listAcross(
    { namespaces: ask.namespaces, cluster },
    { resource: 'pods', group: '' },
    byScope(core.listNamespacedPod.bind(core), core.listPodForAllNamespaces.bind(core), selectors),
    onItem,
  );
}

/**
 * The pods in scope, page by page. Alone with the selectors sent to the API server; in a shared
 * run, one list for every check that asks in the same turn, each handed the pods its selectors select.
 */
export function listPods(cluster: Cluster, scope: PodScope, onItem: (pod: Wire<V1Pod>) => void): Promise<void> {
  const ask: ListAsk = { resource: 'pods', ...scope };
  return cluster.share ? cluster.share.list(cluster, ask, onItem, listPodsAlone) : listPodsAlone(cluster, ask, onItem);
}

function listDeploymentsAlone(cluster: Cluster, ask: ListAsk, onItem: (d: Wire<V1Deployment>) => void): Promise<void> {
  const apps = cluster.api(AppsV1Api);
  return listAcross(
    { namespaces: ask.namespaces, cluster },
    { resource: 'deployments', group: 'apps' },
    byScope(apps.listNamespacedDeployment.bind(apps), apps.listDeploymentForAllNamespaces.bind(apps)),
    onItem,
  );
}

/** The Deployments in all namespaces (none given) or in each given one, page by page; shared as the pods are. */
export function listDeployments(cluster: Cluster, namespaces: string[], onItem: (d: Wire<V1Deployment>) => void): Promise<void> {
  const ask: ListAsk = { resource: 'deployments', namespaces };
  return cluster.share
    ? cluster.share.list<Wire<V1Deployment>>(cluster, ask, onItem, listDeploymentsAlone)
    : listDeploymentsAlone(cluster, ask, onItem);
}

async function listNodesAlone(cluster: Cluster): Promise<Wire<V1Node>[]> {
  const core = cluster.api(CoreV1Api);
  const nodes: Wire<V1Node>[] = [];
  await listAcross(
    { namespaces: [], cluster },
    { resource: 'nodes', group: '' },
    (p, o) => core.listNode(p, o),
    (n: Wire<V1Node>) => nodes.push(n),
  );
  return nodes;
}

/** Every node (a cluster holds few enough to keep them); in a shared run, listed once for all. */
export function listNodes(cluster: Cluster): Promise<Wire<V1Node>[]> {
  return cluster.share ? cluster.share.once(cluster, 'nodes', listNodesAlone) : listNodesAlone(cluster);
}

/** Whether the cluster has a node of this name (GET; a 404 is an answer, not a failure). */
export async function nodeExists(cluster: Cluster, name: string): Promise<boolean> {
  const core = cluster.api(CoreV1Api);
  try {
    await request({ verb: 'get', resource: 'nodes', group: '' }, cluster.policy, (o) => core.readNode({ name }, o));
    return true;
  } catch (err) {
    if (err instanceof KubeError && err.status === 404) return false;
    throw err;
  }
}

/**
 * Whether any pod in the namespace matches the label selector: one list request of at most one
 * pod, never a list of them all (a yes or no needs no more; not shared, as no other check asks it).
 */
export async function anyPod(cluster: Cluster, namespace: string, labelSelector: string): Promise<boolean> {
  const core = cluster.api(CoreV1Api);
  const what = { verb: 'list', resource: 'pods', group: '', namespace } as const;
  const list = await request(what, cluster.policy, (o) => core.listNamespacedPod({ namespace, labelSelector, limit: 1 }, o));
  return list.items.length > 0;
}

/**
 * A leader lease by name. One that is not there (the API server's own 404 for it, not a path it does
 * not serve) was never taken, or deleted and not taken again: leader election makes it.
 */
async function readLease(cluster: Cluster, name: string): Promise<V1Lease> {
  const what = { verb: 'get', resource: 'leases', group: 'coordination.k8s.io', namespace: 'kube-system' } as const;
  try {
    return await request(what, cluster.policy, (o) =>
      cluster.api(CoordinationV1Api).readNamespacedLease({ name, namespace: 'kube-system' }, o),
    );
  } catch (err) {
    if (!(err instanceof KubeError && err.status === 404 && err.message.includes(`"${name}" not found`))) throw err;
    throw new KubeError(
      `no Lease kube-system/${name}: no ${name} has led since it was made or deleted, or it runs with --leader-elect=false`,
      {
        fix:
          'check that kubelite runs on the control-plane nodes (journalctl -u snap.microk8s.daemon-kubelite): ' +
          'a leader makes the Lease when it takes the lead',
      },
      404,
    );
  }
}

/**
 * Both leader leases, in LEADER_LEASES order (GET, bounded by the run's deadline); in a shared run
 * each read once for all. Both failing, the reason is the first lease's every time (lib/in-order.ts),
 * each check waiting for it within its own time: with the pair shared as one read, a -t 3 line
 * waited half the time left of a -t 20 one beside it, and timed out where alone it named the
 * second lease's failure.
 */
export function readLeaderLeases(cluster: Cluster): Promise<V1Lease[]> {
  const share = cluster.share;
  const read = (name: string) => (share ? share.once(cluster, `lease ${name}`, (c) => readLease(c, name)) : readLease(cluster, name));
  return inOrder(LEADER_LEASES.map(read), cluster.policy);
}

/** What the API server says it is at /version: its gitVersion and minor (MicroK8s 1.30: v1.30.14, 30). */
export interface ServerVersion {
  gitVersion: string;
  minor: number;
}

/**
 * The API server's version (/version, which every user may get: system:public-info-viewer), or
 * undefined where it is refused or says no minor version: a rule that depends on it then says so.
 * A network failure or the deadline is thrown, as for any read.
 */
export async function serverVersion(cluster: Cluster): Promise<ServerVersion | undefined> {
  const answer = await getRaw(cluster, '/version');
  if (answer.status !== 200) return undefined;
  try {
    const v = JSON.parse(answer.text) as { gitVersion?: unknown; minor?: unknown };
    const minor = Number.parseInt(String(v.minor), 10);
    // Said in the long output: a version's few characters, not whatever a proxy put there.
    const said = typeof v.gitVersion === 'string' && /^v?[\w.+-]{1,40}$/.test(v.gitVersion) ? v.gitVersion : `1.${minor}`;
    return Number.isFinite(minor) ? { gitVersion: said, minor } : undefined;
  } catch {
    return undefined;
  }
}
