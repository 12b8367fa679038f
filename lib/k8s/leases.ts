import type { V1Lease } from '@kubernetes/client-node';
import { apiTime } from './time.ts';

/** The leader locks of the controller-manager and the scheduler, in kube-system. */
export const LEADER_LEASES = ['kube-controller-manager', 'kube-scheduler'] as const;

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
