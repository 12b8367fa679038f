import { CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import type { Cluster } from '../kube-input.ts';
import { request } from '../sources/kube.ts';
import { apiTime } from './time.ts';

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

/** A leader lease as a gate or a check judges it: expired means nobody leads. */
export interface LeaseLife {
  /** Seconds since the last renewal; undefined when never renewed. */
  age?: number;
  duration: number;
  expired: boolean;
}

/** How long ago the lease was renewed, against its duration; throws on a time that is not one. */
export function leaseLife(lease: V1Lease, now: number): LeaseLife {
  const age = renewAge(lease, now);
  const duration = lease.spec?.leaseDurationSeconds ?? 15;
  return { age, duration, expired: age === undefined || age > duration };
}

/** Seconds since the holder last renewed; undefined when it never did; throws on a time that is not one. */
export function renewAge(lease: V1Lease, now: number): number | undefined {
  const field = lease.spec?.renewTime !== undefined ? 'renewTime' : 'acquireTime';
  const t = apiTime(lease.spec?.[field] as unknown as string | undefined, `lease ${lease.metadata?.name} spec.${field}`);
  return t === undefined ? undefined : Math.max(0, (now - t) / 1000);
}
