import type { V1NodeCondition, V1PodCondition } from '@kubernetes/client-node';
import type { Wire } from './wire.ts';

/**
 * Ready as the kubelet and the node controller say it, for pods and nodes alike: a Ready
 * condition whose status is "True" (Unknown and False are not Ready, and no condition at all is
 * a node or pod nobody has reported on).
 */
export function isReady(obj: { status?: { conditions?: Wire<V1PodCondition | V1NodeCondition>[] } }): boolean {
  return (obj.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}
