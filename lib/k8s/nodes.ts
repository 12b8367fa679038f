import type { V1Node, V1NodeCondition, V1Taint } from '@kubernetes/client-node';
import type { Wire } from './wire.ts';

// Taints the node lifecycle controller puts on for states counted on their own (NotReady or
// unreachable, cordoned), so they are not counted again as taints while that state holds.
const NOT_READY_TAINTS = new Set(['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']);
const CORDON_TAINT = 'node.kubernetes.io/unschedulable';

/**
 * The kubelet's conditions (and Calico's NetworkUnavailable) that the node lifecycle controller
 * mirrors, while True, as a NoSchedule taint of its own (its nodeConditionToTaintKeyStatusMap).
 * Such a node is said by its condition, in the kubelet's words; the taint is the controller's echo
 * of it, not an operator's taint, and is not said again.
 */
const CONDITION_TAINTS: ReadonlyMap<string, string> = new Map([
  ['MemoryPressure', 'node.kubernetes.io/memory-pressure'],
  ['DiskPressure', 'node.kubernetes.io/disk-pressure'],
  ['PIDPressure', 'node.kubernetes.io/pid-pressure'],
  ['NetworkUnavailable', 'node.kubernetes.io/network-unavailable'],
]);

/** One of CONDITION_TAINTS' conditions, True on a node. */
export interface Pressure {
  type: string;
  /** Its reason and message, as the kubelet wrote them. */
  why?: string;
}

/** The node's conditions that keep new pods off it (CONDITION_TAINTS), those True now. */
export function pressures(node: Wire<V1Node>): Pressure[] {
  return (node.status?.conditions ?? [])
    .filter((c: Wire<V1NodeCondition>) => CONDITION_TAINTS.has(c.type) && c.status === 'True')
    .map((c) => ({ type: c.type, ...(c.reason ? { why: `${c.reason}${c.message ? `: ${c.message}` : ''}` } : {}) }));
}

export const pressureText = (p: Pressure) => `${p.type}${p.why ? ` (${p.why})` : ''}`;

export const taintText = (t: Wire<V1Taint>) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;

/**
 * Taints not allowed by any pattern: "key", "key=value", "key:Effect" or "key=value:Effect". A
 * condition's own taint counts only where that condition is not True (said by it), and a state's
 * (not-ready and unreachable, unschedulable) only where the node is Ready, or not cordoned: placed
 * by hand, or not yet lifted (a controller-manager working from a stale cache never saw the node
 * come back), it is a taint like any other, and keeps new pods off the node as one.
 */
export function unexpectedTaints(
  taints: Wire<V1Taint>[],
  allowed: string[],
  said: Pressure[],
  state: { ready: boolean; cordoned: boolean },
): Wire<V1Taint>[] {
  const echoes = new Set(said.map((p) => CONDITION_TAINTS.get(p.type)));
  return taints.filter((t) => {
    if (echoes.has(t.key) || (NOT_READY_TAINTS.has(t.key) && !state.ready) || (t.key === CORDON_TAINT && state.cordoned)) return false;
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
