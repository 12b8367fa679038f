// Each leader lease as check_leases judges it: its perfdata, whether anybody leads (released,
// expired, past its renew deadline), its churn, and its line in the long output.
import type { V1Lease } from '@kubernetes/client-node';
import { formatDuration } from './duration.ts';
import { reasonOf } from './errors.ts';
import { durationSaid, holderNode, LEADER_LEASES, leaseLife, type LeaseLife } from './k8s/leases.ts';
import { judgeChurn, type Seen } from './lease-churn.ts';
import { State } from './plugin/state.ts';
import type { Verdict } from './plugin/verdict.ts';

const SHORT: Record<(typeof LEADER_LEASES)[number], string> = { 'kube-controller-manager': 'kcm', 'kube-scheduler': 'scheduler' };

/** A lease judged: its renew age, the state its own finding said, and its holder as the summary names it. */
export interface JudgedLease {
  short: string;
  /** Seconds since the last renewal; undefined when never renewed. */
  age?: number;
  /** The state of the finding on its life (released, expired: CRITICAL; late: WARNING); undefined: none. */
  saidAt?: State;
  late: boolean;
  holder: string;
}

/** The leader leases (in LEADER_LEASES order), each judged; undefined for one that cannot be. */
export function judgeLeases(v: Verdict, leases: V1Lease[], now: number, before?: Seen): (JudgedLease | undefined)[] {
  const judged = leases.map((lease, i) => judgeLease(v, lease, LEADER_LEASES[i]!, now, before));
  if (judged.some((j) => j?.late))
    v.detail(
      'A leader whose renewals fail for its renew deadline stops leading (kcm exits, taking kubelite down); no other may take ' +
        "the lease before it expires. A healthy holder renews every 2s: a late one on a healthy leader is this node's clock " +
        "ahead of the holder's (timedatectl).",
    );
  return judged;
}

/** Why a lease is expired: its duration past, or none to keep it (client-go reads a missing one as 0 s). */
const expiredBy = (duration: number | undefined) =>
  `${durationSaid(duration)}${duration === undefined ? ': leader election reads 0s' : ''}`;

function judgeLease(
  v: Verdict,
  lease: V1Lease,
  name: (typeof LEADER_LEASES)[number],
  now: number,
  before: Seen | undefined,
): JudgedLease | undefined {
  const short = SHORT[name];
  const transitions = lease.spec?.leaseTransitions ?? 0;
  let life: LeaseLife;
  try {
    life = leaseLife(lease, now);
  } catch (err) {
    // Not a fresh lease, and not an expired one either: this lease cannot be judged.
    v.find(State.UNKNOWN, `${short} lease cannot be judged: ${reasonOf(err)}`);
    v.measure({ label: `${short}_renew_age`, value: NaN, uom: 's', min: 0 });
    v.measure({ label: `${short}_transitions`, value: transitions, uom: 'c', min: 0 });
    return undefined;
  }
  const { age, duration, released, expired, late, deadline } = life;
  v.measure({ label: `${short}_renew_age`, value: age ?? NaN, uom: 's', min: 0 });
  v.measure({ label: `${short}_transitions`, value: transitions, uom: 'c', min: 0 });
  if (released) v.find(State.CRITICAL, `${short} lease released (no holder): no ${name} is leading`);
  else if (expired)
    v.find(
      State.CRITICAL,
      `${short} lease expired${age !== undefined ? ` (renewed ${formatDuration(age)} ago, ${expiredBy(duration)})` : ''}: ` +
        `no ${name} is leading`,
    );
  // Whatever -w/-c say of renew_age, as an expired lease is CRITICAL whatever they say.
  else if (late)
    v.find(
      State.WARNING,
      `${short} lease not renewed for ${formatDuration(age!)} (renew deadline ${deadline}s): its leader is giving it up, ` +
        `nobody can take it before ${duration}s`,
    );
  judgeChurn(v, lease, name, short, before?.[name]);
  // A released lease's renewTime is its release ('holder , renewed 5s ago' read as an empty name renewing).
  v.detail(
    `${name}: ${released ? 'no holder' : `holder ${lease.spec?.holderIdentity}`}, ` +
      `${age === undefined ? 'never renewed' : `${released ? 'released' : 'renewed'} ${formatDuration(Math.max(age, 1))} ago`} ` +
      `(${durationSaid(duration)}), ${transitions} transitions`,
  );
  if (duration === undefined && !released)
    v.detail(
      `${name}: its Lease has no leaseDurationSeconds, which client-go's leader election reads as 0s: expired as soon as ` +
        'read, any candidate takes it at its next try (every 2s), and a leader renewing it writes its duration each time. ' +
        'Left without one, no leader renews it: something else wrote it (kubectl?)',
    );
  // Edited args: their renew deadline is not in the Lease, and a guess would name a leader beaten that is not.
  if (deadline === undefined && duration !== undefined && !released)
    v.detail(
      `${name}: renew deadline not known for a ${duration}s lease (only MicroK8s' 60s/30s and the default 15s/10s are): ` +
        'judged only once expired; -w/-c on renew_age judge it earlier',
    );
  const saidAt = released || expired ? State.CRITICAL : late ? State.WARNING : undefined;
  return { short, age, saidAt, late, holder: `${short} ${holderNode(lease) ?? 'none'}` };
}
