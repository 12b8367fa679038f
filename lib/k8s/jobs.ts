import type { V1Job } from '@kubernetes/client-node';
import type { Wire } from '../sources/kube.ts';

export interface Finish {
  type: 'Complete' | 'Failed';
  at?: Date;
}

/**
 * A Job is finished when a Complete or Failed condition is True, wherever it sits: the
 * controller writes SuccessCriteriaMet before Complete and FailureTarget before Failed, so
 * conditions[0] is often not the terminal one. FailureTarget alone is still terminating.
 * completionTime is set only on success; a failure's time is its Failed condition's.
 */
export function jobFinish(job: Wire<V1Job>): Finish | undefined {
  for (const c of job.status?.conditions ?? []) {
    if (c.status !== 'True') continue;
    if (c.type === 'Complete') return { type: 'Complete', at: toDate(job.status?.completionTime ?? c.lastTransitionTime) };
    if (c.type === 'Failed') return { type: 'Failed', at: toDate(c.lastTransitionTime) };
  }
  return undefined;
}

const toDate = (t: string | undefined) => (t ? new Date(t) : undefined);

export function ownedByCronJob(job: Wire<V1Job>): boolean {
  return (job.metadata?.ownerReferences ?? []).some((o) => o.kind === 'CronJob' && o.controller);
}
