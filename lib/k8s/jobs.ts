import type { V1Job } from '@kubernetes/client-node';
import type { Wire } from './wire.ts';
import { apiTime } from './time.ts';

export interface Finish {
  type: 'Complete' | 'Failed';
  at?: number;
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
    const of = `Job ${job.metadata?.namespace}/${job.metadata?.name}`;
    if (c.type === 'Complete')
      return { type: 'Complete', at: apiTime(job.status?.completionTime ?? c.lastTransitionTime, `completion time of ${of}`) };
    if (c.type === 'Failed') return { type: 'Failed', at: apiTime(c.lastTransitionTime, `failure time of ${of}`) };
  }
  return undefined;
}

export function ownedByCronJob(job: Wire<V1Job>): boolean {
  return (job.metadata?.ownerReferences ?? []).some((o) => o.kind === 'CronJob' && o.controller);
}
