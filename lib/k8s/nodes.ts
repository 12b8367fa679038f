import { CoreV1Api, type V1Node, type V1Taint } from '@kubernetes/client-node';
import type { Cluster } from '../kube-input.ts';
import { listAcross } from './list.ts';
import { KubeError, request, type Wire } from '../sources/kube.ts';

export function nodeReady(node: Wire<V1Node>): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

// Taints the node controller and kubectl put on for states counted on their own (NotReady,
// unreachable, cordoned), so they are not counted again as taints.
const STATE_TAINTS = new Set(['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable', 'node.kubernetes.io/unschedulable']);

export const taintText = (t: Wire<V1Taint>) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;

/** Taints not allowed by any pattern: "key", "key=value", "key:Effect" or "key=value:Effect". */
export function unexpectedTaints(node: Wire<V1Node>, allowed: string[]): Wire<V1Taint>[] {
  return (node.spec?.taints ?? []).filter((t) => {
    if (STATE_TAINTS.has(t.key)) return false;
    return !allowed.some((a) => {
      const [kv, effect] = a.split(':');
      const [key, value] = kv!.split('=');
      return key === t.key && (value === undefined || value === t.value) && (effect === undefined || effect === t.effect);
    });
  });
}

export function internalIps(node: Wire<V1Node>): string[] {
  return (node.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address);
}

/** The node whose InternalIP is this address ("10.0.0.11:19001", "[fd00::1]:19001" or bare). */
export function nodeAt(nodes: Wire<V1Node>[], address: string): string | undefined {
  const host = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return nodes.find((n) => internalIps(n).includes(host))?.metadata?.name;
}

/** Every node (a cluster holds few enough to keep them). */
export async function listNodes(cluster: Cluster): Promise<Wire<V1Node>[]> {
  const core = cluster.api(CoreV1Api);
  const nodes: Wire<V1Node>[] = [];
  await listAcross({ namespaces: [], cluster }, { resource: 'nodes', group: '' }, (p, o) => core.listNode(p, o), (n: Wire<V1Node>) => nodes.push(n));
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
