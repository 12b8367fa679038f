import { hash } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import type { Wire } from './wire.ts';

/**
 * Calico names a pod's host-side veth prefix + the first 11 hex digits of sha1("<namespace>.<pod>").
 * One-shot hash(): a Hash object per pod was 20 ms of a node's 3,300 pods, hash() 3 ms.
 */
export function calicoIface(namespace: string, pod: string, prefix = 'cali'): string {
  return prefix + hash('sha1', `${namespace}.${pod}`, 'hex').slice(0, 11);
}

/**
 * Where calico-node runs, and how its pods are labelled: MicroK8s' own manifest puts its DaemonSet in
 * kube-system (upgrade-scripts/000-switch-to-calico/resources/calico.yaml); the Tigera operator,
 * for a Calico installed by it instead, in calico-system (tigera/operator pkg/common/common.go
 * CalicoNamespace; pkg/render/node.go labels the pods k8s-app: calico-node).
 */
export const CALICO_NODE_NAMESPACES = ['kube-system', 'calico-system'] as const;
export const CALICO_NODE_LABEL = 'k8s-app=calico-node';

/** Whether a pod is calico-node: labelled so, in one of the namespaces it runs in. */
export function isCalicoNode(pod: Wire<V1Pod>): boolean {
  const ns = pod.metadata?.namespace;
  return (CALICO_NODE_NAMESPACES as readonly (string | undefined)[]).includes(ns) && pod.metadata?.labels?.['k8s-app'] === 'calico-node';
}

export function restarts(pod: Wire<V1Pod>): number {
  return (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}
