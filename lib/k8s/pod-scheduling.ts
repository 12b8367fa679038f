// What a pod says of its scheduling: when the scheduler bound it (PodScheduled=True), the gates
// that keep the scheduler from looking at it yet, and, left waiting, the scheduler's own reason.
import type { V1Pod } from '@kubernetes/client-node';
import type { Wire } from './wire.ts';

/** When the pod was bound to a node, as the API wrote it; undefined for a pod not bound. */
export const scheduledAt = (pod: Wire<V1Pod>) =>
  pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'True')?.lastTransitionTime;

/**
 * The gates a pod is held by until a controller (Kueue, say) removes them: the scheduler does not
 * look at it yet, so its wait says nothing of the scheduler (Kubernetes 1.30+, spec.schedulingGates).
 */
export const schedulingGates = (pod: Wire<V1Pod>): string[] => (pod.spec?.schedulingGates ?? []).map((g) => g.name);

/**
 * The scheduler a pod asks for where it is not MicroK8s' kube-scheduler (its one profile,
 * default-scheduler, what the API server fills in): kube-scheduler leaves such a pod alone, so its
 * wait says nothing of kube-scheduler (Volcano's pods, Volcano not running).
 */
export function otherScheduler(pod: Wire<V1Pod>): string | undefined {
  const name = pod.spec?.schedulerName;
  return name && name !== 'default-scheduler' ? name : undefined;
}

/** Why an unbound pod waits, in the scheduler's words where it wrote any. */
export function unscheduledWhy(pod: Wire<V1Pod>): string {
  const cond = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  const other = otherScheduler(pod);
  const why = cond?.message ?? cond?.reason ?? 'not scheduled yet';
  return other ? `for scheduler ${other} (spec.schedulerName), not default-scheduler: ${why}` : why;
}

/**
 * Whether the scheduler has looked at the pod and found no node for it (PodScheduled=False,
 * reason Unschedulable, its message saying why): a scheduler that writes that sees new pods. One
 * whose watch never brought the pod writes nothing; one that failed to bind writes SchedulerError.
 */
export const judgedUnschedulable = (pod: Wire<V1Pod>) =>
  pod.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable') ?? false;
