import { CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import type { Cluster } from '../kube-input.ts';
import { request } from '../sources/kube.ts';

/** The leader locks of the controller-manager and the scheduler, in kube-system. */
export const LEADER_LEASES = ['kube-controller-manager', 'kube-scheduler'] as const;

/** Both leader leases, in LEADER_LEASES order (GET, bounded by the run's deadline). */
export function readLeaderLeases(cluster: Cluster): Promise<V1Lease[]> {
  const coord = cluster.api(CoordinationV1Api);
  const what = { verb: 'get', resource: 'leases', group: 'coordination.k8s.io', namespace: 'kube-system' } as const;
  return Promise.all(LEADER_LEASES.map((name) => request(what, cluster.policy, (o) => coord.readNamespacedLease({ name, namespace: 'kube-system' }, o))));
}

/** holderIdentity is "<hostname>_<uuid>" for kcm and scheduler leader locks. */
export function holderNode(lease: V1Lease): string | undefined {
  const id = lease.spec?.holderIdentity;
  if (!id) return undefined;
  const cut = id.indexOf('_');
  return cut === -1 ? id : id.slice(0, cut);
}

/** Seconds since the holder last renewed; undefined when it never did. */
export function renewAge(lease: V1Lease, now: number): number | undefined {
  const t = lease.spec?.renewTime ?? lease.spec?.acquireTime;
  return t ? Math.max(0, (now - new Date(t).getTime()) / 1000) : undefined;
}
