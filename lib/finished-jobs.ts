// check_stale_jobs' tally: a finished Job counts once it finished --min-age ago, by namespace,
// with those a CronJob keeps and those without a TTL counted apart, since each has its own fix
// (history limits, ttlSecondsAfterFinished). Only counts are kept: 50,000 Jobs cost no memory.
import type { V1Job } from '@kubernetes/client-node';
import { jobFinish, ownedByCronJob } from './k8s/jobs.ts';
import type { Wire } from './k8s/wire.ts';

/** Finished Jobs counted as they stream by. */
export interface JobTally {
  /** When the Jobs were listed (ms): a Job counts once it finished --min-age before this. */
  at?: number;
  jobs: number;
  cron: number;
  noTtl: number;
  byNamespace: Map<string, { complete: number; failed: number }>;
}

export const freshTally = (at?: number): JobTally => ({ at, jobs: 0, cron: 0, noTtl: 0, byNamespace: new Map() });

export function tallyJob(t: JobTally, job: Wire<V1Job>, now: number, minAgeSeconds: number): void {
  t.jobs++;
  const finish = jobFinish(job);
  if (!finish?.at || now - finish.at < minAgeSeconds * 1000) return;
  const ns = job.metadata?.namespace ?? '';
  const entry = t.byNamespace.get(ns) ?? { complete: 0, failed: 0 };
  if (finish.type === 'Complete') entry.complete++;
  else entry.failed++;
  t.byNamespace.set(ns, entry);
  if (ownedByCronJob(job)) t.cron++;
  if (job.spec?.ttlSecondsAfterFinished === undefined) t.noTtl++;
}

/** The Jobs tallied that finished `k`, over every namespace. */
export const finishedAs = (t: JobTally, k: 'complete' | 'failed') => [...t.byNamespace.values()].reduce((n, e) => n + e[k], 0);
