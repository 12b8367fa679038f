import { CALICO_NODE_LABEL, CALICO_NODE_NAMESPACES } from '../../k8s/calico.ts';
import { inOrder } from '../../in-order.ts';
import type { Deadline } from '../../plugin/deadline.ts';
import type { Cluster } from './cluster.ts';
import { KubeError } from './errors.ts';
import { anyPod, nodeExists } from './reads.ts';

/**
 * Asked only where no calico-node is on the node. That may just mean a mistyped --node (or a host
 * name that is not the node name): that is no verdict on calico, and must not page anyone as
 * CRITICAL, so a node not in the cluster fails the read. Nor is a cluster that runs calico-node
 * nowhere (another CNI): the namespace it runs in elsewhere, if any, asked with a list of at most
 * one pod in each namespace it runs in.
 */
export async function calicoElsewhere(cluster: Cluster, node: string, deadline: Deadline): Promise<string | undefined> {
  if (!(await nodeExists(cluster, node)))
    throw new KubeError(`no node named '${node}' in the cluster`, { fix: 'give --node as kubectl get nodes names it' });
  const found = await inOrder(
    CALICO_NODE_NAMESPACES.map((ns) => anyPod(cluster, ns, CALICO_NODE_LABEL)),
    deadline,
  );
  return CALICO_NODE_NAMESPACES.find((_, i) => found[i]);
}
