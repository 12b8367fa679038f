import { CoordinationV1Api, CoreV1Api, type V1Lease, type V1Node } from '@kubernetes/client-node';
import { LEADER_LEASES } from '../../k8s/leases.ts';
import { KubeError, request, type Wire } from './client.ts';
import type { Cluster } from './cluster.ts';
import { listAcross } from './list.ts';

// Small reads several checks share; what the objects mean is in lib/k8s/.

/** Every node (a cluster holds few enough to keep them). */
export async function listNodes(cluster: Cluster): Promise<Wire<V1Node>[]> {
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

/** Both leader leases, in LEADER_LEASES order (GET, bounded by the run's deadline). */
export function readLeaderLeases(cluster: Cluster): Promise<V1Lease[]> {
  const coord = cluster.api(CoordinationV1Api);
  const what = { verb: 'get', resource: 'leases', group: 'coordination.k8s.io', namespace: 'kube-system' } as const;
  return Promise.all(
    LEADER_LEASES.map((name) => request(what, cluster.policy, (o) => coord.readNamespacedLease({ name, namespace: 'kube-system' }, o))),
  );
}
