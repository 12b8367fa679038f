// A watch cache holding the same node leases as storage follows it only if storage moved lately:
// in a storage no kubelet renewed in for 16 h, a cache frozen 16 h ago reads "0 behind".
import { formatDuration } from './duration.ts';
import { NODE_LEASE_NAMESPACE, type NodeLease } from './sources/kube/node-leases.ts';

/** kubelet's nodeLeaseDurationSeconds default, for a node lease that does not say its own. */
const NODE_LEASE_DURATION = 40;

/**
 * Why storage's node leases say nothing of a cache following them: none renewed within its own
 * lease duration of `now` (the storage read's start); undefined where one was. A renewal stamped
 * further ahead than its duration (that kubelet's clock ahead, or this one behind) is no proof:
 * frozen, it would read fresh for as long as that clock's lead.
 */
export function quietStorage(leases: Map<string, NodeLease>, now: number): string | undefined {
  let newest: { name: string; renewed: number; duration: number } | undefined;
  let ahead: { name: string; renewed: number } | undefined;
  // Each renewal by both its clocks: the kubelet's renewTime and the API server's record of it
  // (managedFields), either of which may run behind this host's; a fresh one by either clock is
  // storage that moved, and one of them ahead by more than the duration is no proof.
  for (const [name, lease] of leases) {
    const duration = lease.duration ?? NODE_LEASE_DURATION;
    for (const renewed of [lease.renewed, lease.recorded]) {
      if (renewed === undefined) continue;
      if (renewed - now > duration * 1000) {
        if (!ahead || renewed > ahead.renewed) ahead = { name, renewed };
      } else if (!newest || renewed > newest.renewed) newest = { name, renewed, duration };
    }
  }
  if (newest && now - newest.renewed <= newest.duration * 1000) return undefined;
  const seen = newest ? `${newest.name}, ${formatDuration((now - newest.renewed) / 1000)} ago` : ahead ? 'none' : 'none ever renewed';
  const skewed = ahead ? `; ${ahead.name} renewed ${formatDuration((ahead.renewed - now) / 1000)} ahead of this clock, not counted` : '';
  return (
    `no node Lease in ${NODE_LEASE_NAMESPACE} renewed in the last ${newest?.duration ?? NODE_LEASE_DURATION}s ` +
    `(newest: ${seen}${skewed}): ` +
    'cannot tell whether the watch cache follows (are the kubelets renewing? check_nodes; is this clock right?)'
  );
}
