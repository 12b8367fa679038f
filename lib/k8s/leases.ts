import type { V1Lease } from '@kubernetes/client-node';
import { formatDuration } from '../duration.ts';
import { reasonOf } from '../errors.ts';
import { ApiTimeError, apiTime } from './time.ts';

/** The leader locks of the controller-manager and the scheduler, in kube-system. */
export const LEADER_LEASES = ['kube-controller-manager', 'kube-scheduler'] as const;

/** holderIdentity is "<hostname>_<uuid>" for kcm and scheduler leader locks. */
export function holderNode(lease: V1Lease): string | undefined {
  const id = lease.spec?.holderIdentity;
  if (!id) return undefined;
  const cut = id.indexOf('_');
  return cut === -1 ? id : id.slice(0, cut);
}

/**
 * The renew deadline that goes with a lease's duration, where the pair is known: a Lease holds its
 * duration, never its holder's renew deadline. MicroK8s runs kcm and the scheduler with 60 s and
 * 30 s (their args); 15 s and 10 s are the components' own defaults, where those flags were taken
 * out. Not half the duration: that is MicroK8s' ratio, not the defaults' (10 of 15), and 7.5 s would
 * call a 15 s lease's leader beaten while it had until 10 s. Any other duration is args someone
 * edited, whose renew deadline only they say: undefined, and not judged.
 */
const RENEW_DEADLINES: ReadonlyMap<number, number> = new Map([
  [60, 30],
  [15, 10],
]);

/** A leader lease as a gate or a check judges it: expired means nobody leads. */
export interface LeaseLife {
  /** Seconds since the last renewal; undefined when never renewed. */
  age?: number;
  /**
   * spec.leaseDurationSeconds; undefined where the Lease has none. client-go's LeaseLock reads a
   * missing one as 0 s (LeaseSpecToLeaderElectionRecord), so every candidate finds it expired and
   * takes it at its next try, and a leader renewing it writes its own each time: one left without
   * it is renewed by no leader. Never a default taken for it (it read "duration 15s").
   */
  duration?: number;
  /**
   * Let go by its leader (client-go's ReleaseOnCancel, as kubelite stops): no holder. The next
   * leader takes it within seconds, and until then nobody leads. The release writes a 1 s
   * duration, so seconds later it has run out too: it is released, never expired (which would
   * name a leader that stopped renewing, not one that let go), nor late.
   */
  released: boolean;
  /** Not renewed within its duration (any time at all, where it has none) by a holder it still names: nobody leads. */
  expired: boolean;
  /** The holder's renew deadline, where known from the duration (RENEW_DEADLINES). */
  deadline?: number;
  /**
   * Not renewed within the renew deadline, not yet expired: client-go's leader gives the lead up
   * once its renewals have failed for that long (kcm exits, taking kubelite down), and no other
   * candidate may take the lease before it expires. Judged on the age as said (whole seconds).
   */
  late: boolean;
}

/**
 * How long ago the lease was renewed, against its duration; throws on a time that is not one.
 * The holder writes renewTime by its own clock: a renewal ahead of this node's clock by less than
 * the duration is taken as renewed now (the expiry is then seen late by as much); one further
 * ahead cannot be judged. A holder whose clock runs an hour ahead would otherwise read as
 * renewed a moment ago for an hour after it stopped.
 */
export function leaseLife(lease: V1Lease, now: number): LeaseLife {
  const renewed = renewTime(lease);
  const duration = lease.spec?.leaseDurationSeconds ?? undefined;
  const deadline = duration === undefined ? undefined : RENEW_DEADLINES.get(duration);
  const released = !lease.spec?.holderIdentity;
  if (renewed === undefined) return { duration, deadline, released, expired: !released, late: false };
  const age = (now - renewed.at) / 1000;
  // Without a duration no renewal time keeps it: client-go counts from when it read the Lease, not from renewTime.
  if (duration !== undefined && -age > duration)
    throw new ApiTimeError(
      `lease ${lease.metadata?.name} spec.${renewed.field} is ${formatDuration(-age)} in the future, more than its duration ` +
        `(${duration}s): this node's clock and the holder's differ`,
      { fix: "check time synchronisation (timedatectl) on this node and on the holder's" },
    );
  const expired = !released && (duration === undefined || age > duration);
  const late = !released && !expired && deadline !== undefined && Math.round(age) > deadline;
  return { age: Math.max(0, age), duration, deadline, released, expired, late };
}

/**
 * The leader leases (in LEADER_LEASES order) that nobody holds now, whose holder is giving them up
 * (past its renew deadline), or whose holder cannot be told: why, for each.
 */
export function unled(leases: V1Lease[], now: number): string[] {
  return leases.flatMap((lease, i) => {
    const name = LEADER_LEASES[i]!;
    try {
      const { age, duration, released, expired, late, deadline } = leaseLife(lease, now);
      const renewed = age === undefined ? 'never renewed' : `renewed ${formatDuration(Math.max(age, 1))} ago, ${durationSaid(duration)}`;
      if (released) return [`no ${name} is leading (lease released: no holder)`];
      if (expired) return [`no ${name} is leading (lease ${renewed})`];
      return late ? [`the ${name} leader is giving up its lease (${renewed}, past its ${deadline}s renew deadline)`] : [];
    } catch (err) {
      return [`cannot tell who leads ${name} (${reasonOf(err)})`];
    }
  });
}

/** A lease's duration as the output says it: the Lease's own, or that it has none. */
export const durationSaid = (duration: number | undefined): string =>
  duration === undefined ? 'no leaseDurationSeconds' : `duration ${duration}s`;

/** When the holder last renewed (or acquired) the lease; undefined when it never did; throws on a time that is not one. */
function renewTime(lease: V1Lease): { at: number; field: string } | undefined {
  const field = lease.spec?.renewTime !== undefined ? 'renewTime' : 'acquireTime';
  const at = apiTime(lease.spec?.[field] as unknown as string | undefined, `lease ${lease.metadata?.name} spec.${field}`);
  return at === undefined ? undefined : { at, field };
}
