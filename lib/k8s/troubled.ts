// What check_pod_restarts keeps of a pod: only its containers that ever restarted or wait in
// CrashLoopBackOff, so that a cluster of thousands of healthy pods costs next to nothing to hold.
import type { V1Pod } from '@kubernetes/client-node';
import type { Wire } from './wire.ts';

/** A container that restarted at least once, or waits in CrashLoopBackOff. */
export interface Troubled {
  /** pod UID and container name: a pod recreated under the same name starts again from zero. */
  key: string;
  namespace: string;
  pod: string;
  container: string;
  restarts: number;
  crashLooping: boolean;
  /** Why it last ended (lastState.terminated): reason and exit code. */
  lastEnd?: { reason?: string; exitCode: number };
}

/**
 * A pod's troubled containers, init containers first, as the kubelet reports them. A pod being
 * deleted is in CrashLoopBackOff no more: its kubelet restarts none of its containers, and its
 * status is the last one posted (for good, where that kubelet is gone with its node).
 */
export function troubledIn(pod: Wire<V1Pod>): Troubled[] {
  const troubled: Troubled[] = [];
  const deleting = Boolean(pod.metadata?.deletionTimestamp);
  for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const crashLooping = !deleting && c.state?.waiting?.reason === 'CrashLoopBackOff';
    if (!crashLooping && !(c.restartCount > 0)) continue;
    const last = c.lastState?.terminated;
    troubled.push({
      key: `${pod.metadata?.uid}/${c.name}`,
      namespace: pod.metadata?.namespace ?? '',
      pod: pod.metadata?.name ?? '',
      container: c.name,
      restarts: c.restartCount ?? 0,
      crashLooping,
      lastEnd: last ? { reason: last.reason, exitCode: last.exitCode } : undefined,
    });
  }
  return troubled;
}
