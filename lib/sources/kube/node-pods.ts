import type { V1Pod } from '@kubernetes/client-node';
import { isCalicoNode, restarts } from '../../k8s/calico.ts';
import { isReady } from '../../k8s/ready.ts';
import { apiTime } from '../../k8s/time.ts';
import type { Wire } from '../../k8s/wire.ts';
import type { Cluster } from './cluster.ts';
import { listPods } from './reads.ts';

/** A Running pod of the pod network on a node: the IPs it needs a route to. */
export interface PodOnNode {
  namespace: string;
  name: string;
  ips: string[];
}

export interface CalicoNodePod {
  name: string;
  namespace: string;
  ready: boolean;
  restarts: number;
}

/** The pods on a node: those Running on the pod network (with their start, ms), and calico-node. */
export interface NodePods {
  pods: (PodOnNode & { startedAt?: number })[];
  calico: CalicoNodePod[];
}

/**
 * The pods the API server places on the node, in one list: calico-node is the pod labelled
 * k8s-app=calico-node in kube-system (MicroK8s' manifest) or calico-system (the Tigera operator's).
 * Pods on the host's network (no veth of their own) and pods being deleted are left out.
 */
export async function readNodePods(cluster: Cluster, node: string): Promise<NodePods> {
  const found: NodePods = { pods: [], calico: [] };
  await listPods(cluster, { namespaces: [], fieldSelector: `spec.nodeName=${node}` }, (pod: Wire<V1Pod>) => {
    if (isCalicoNode(pod))
      found.calico.push({
        name: pod.metadata?.name ?? '',
        namespace: pod.metadata?.namespace ?? '',
        ready: isReady(pod),
        restarts: restarts(pod),
      });
    if (pod.status?.phase !== 'Running' || pod.spec?.hostNetwork || pod.metadata?.deletionTimestamp) return;
    const started = pod.status?.startTime ?? pod.metadata?.creationTimestamp;
    const startedAt = apiTime(started, `start time of pod ${pod.metadata?.namespace}/${pod.metadata?.name}`);
    const ips = pod.status?.podIPs?.map((p) => p.ip) ?? (pod.status?.podIP ? [pod.status.podIP] : []);
    found.pods.push({ namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', ips, startedAt });
  });
  return found;
}
