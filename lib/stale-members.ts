// Clusters keep dqlite members of nodes long removed, and a voter among them that never answers
// still counts against the majority.
import type { V1Node } from '@kubernetes/client-node';
import { nodeWithAddress } from './k8s/nodes.ts';
import type { Wire } from './k8s/wire.ts';
import { State } from './plugin/state.ts';
import type { Verdict } from './plugin/verdict.ts';
import { removeStaleMembers } from './runbook.ts';
import { unanswered } from './sources/dqlite-cluster.ts';
import { isLoopback, type Member, thisNodeIn } from './sources/dqlite-members.ts';
import type { ClusterView } from './sources/dqlite-view.ts';
import type { NodesAside } from './sources/kube/nodes-aside.ts';
import { plural } from './text.ts';

/** The Nodes to judge stale members by, or why there are none. */
export interface StaleFacts {
  /** The Nodes, for stale members; undefined when they could not be listed (then staleProblem). */
  nodes?: Wire<V1Node>[];
  /** Why stale members were not judged: no kubeconfig (said), or the API failing (UNKNOWN). */
  staleProblem?: NodesAside['problem'];
}

/**
 * A member that does not answer the probe (no connection, or neither a reply to the dqlite hello
 * nor a close) and matches no address of any Node; never a loopback one, never this node (by its ID, else its address).
 */
function staleMembers(f: Pick<ClusterView, 'members' | 'probes' | 'self'> & StaleFacts): Member[] | undefined {
  const nodes = f.nodes;
  if (!nodes) return undefined;
  const me = f.self && thisNodeIn(f.members, f.self);
  return f.members.filter(
    (m) => !isLoopback(m.address) && m !== me && unanswered(f.probes.get(m.address)) && nodeWithAddress(nodes, m.address) === undefined,
  );
}

/** Stale members found (with what to do), or why they were not judged. */
export function judgeStaleMembers(v: Verdict, f: Pick<ClusterView, 'members' | 'probes' | 'self'> & StaleFacts): void {
  const stale = staleMembers(f);
  if (stale?.length)
    v.find(State.WARNING, `${plural(stale.length, 'member')} with no matching node: ${stale.map((m) => m.address).join(', ')}`);
  if (f.staleProblem?.failed) v.find(State.UNKNOWN, `cannot judge stale members: ${f.staleProblem.why}`);
  else if (f.staleProblem) v.detail(`stale members not judged: ${f.staleProblem.why}`);
  if (stale?.length) v.detail(...removeStaleMembers(stale.map((m) => m.address)));
}
