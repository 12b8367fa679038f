import type { V1Node, V1Taint } from '@kubernetes/client-node';
import type { Wire } from './wire.ts';

// Taints the node controller and kubectl put on for states counted on their own (NotReady,
// unreachable, cordoned), so they are not counted again as taints.
const STATE_TAINTS = new Set(['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable', 'node.kubernetes.io/unschedulable']);

export const taintText = (t: Wire<V1Taint>) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;

/** Taints not allowed by any pattern: "key", "key=value", "key:Effect" or "key=value:Effect". */
export function unexpectedTaints(taints: Wire<V1Taint>[], allowed: string[]): Wire<V1Taint>[] {
  return taints.filter((t) => {
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

/**
 * The node at this address ("10.0.0.11:19001", "[fd00::1]:19001" or bare): the one whose InternalIP
 * it is, else the one with it among any of its addresses (dqlite on another NIC, see nodeWithAddress).
 */
export function nodeAt(nodes: Wire<V1Node>[], address: string): string | undefined {
  const host = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return nodes.find((n) => internalIps(n).includes(host))?.metadata?.name ?? nodeWithAddress(nodes, address);
}

/**
 * The node with any address equal to this one's host: a node's dqlite address can be another
 * NIC's than its InternalIP (MicroK8s' join rewrites --node-ip only where it was set).
 */
export function nodeWithAddress(nodes: Wire<V1Node>[], address: string): string | undefined {
  const host = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return nodes.find((n) => (n.status?.addresses ?? []).some((a) => a.address === host))?.metadata?.name;
}
