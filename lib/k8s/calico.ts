import { createHash } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import type { Wire } from './wire.ts';

/** Calico names a pod's host-side veth prefix + the first 11 hex digits of sha1("<namespace>.<pod>"). */
export function calicoIface(namespace: string, pod: string, prefix = 'cali'): string {
  return prefix + createHash('sha1').update(`${namespace}.${pod}`).digest('hex').slice(0, 11);
}

export function restarts(pod: Wire<V1Pod>): number {
  return (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}
