// "Restart a non-leader first where possible": what a node leads, read from the leader leases and
// from the dqlite CLI's answer, since leadership moves when the node restarts.
import type { V1Lease, V1Node } from '@kubernetes/client-node';
import { holderNode, LEADER_LEASES } from './k8s/leases.ts';
import { nodeAt } from './k8s/nodes.ts';
import type { Wire } from './k8s/wire.ts';
import type { Leader } from './sources/dqlite-view.ts';

/**
 * Each thing `node` leads, or cannot be told not to lead, said: the leader leases it holds, the
 * dqlite leader at one of its addresses (any NIC: dqlite may listen on another than the
 * InternalIP). The dqlite CLI not asked (none here, or cluster.key unreadable without --sudo)
 * leaves open whether it leads dqlite: said, never taken for "it does not".
 */
export function leaderships(node: string, leases: V1Lease[], nodes: Wire<V1Node>[], dqlite?: Leader): string[] {
  const held = leases.flatMap((lease, i) => (holderNode(lease) === node ? [`${node} holds the ${LEADER_LEASES[i]} lease`] : []));
  if (dqlite?.kind === 'known' && nodeAt(nodes, dqlite.address) === node) held.push(`${node} is the dqlite leader`);
  if (dqlite?.kind === 'not-asked')
    held.push(`cannot tell whether ${node} leads dqlite (${dqlite.why}${dqlite.fix ? ` (fix: ${dqlite.fix})` : ''})`);
  return held;
}
