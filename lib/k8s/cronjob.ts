// What a CronJob's spec and status say, and what the cronjob controller should have done with
// it by now: which runs fell due and did not happen, which wait by design (Forbid with a Job
// running), which last Job failed. Checks word and weigh this; the controller's rules live here.
import type { V1CronJob } from '@kubernetes/client-node';
import { reasonOf } from '../errors.ts';
import { readSchedule, type Schedule } from './cron.ts';
import type { ServerVersion } from '../sources/kube/reads.ts';
import { specChangedAt } from './rollout.ts';
import { apiTime } from './time.ts';
import type { Wire } from './wire.ts';

/** What one CronJob's spec and status say, times in ms since the epoch. */
export interface CronJobFacts {
  namespace: string;
  name: string;
  schedule: string;
  timeZone?: string;
  /** spec.suspend, or being deleted (metadata.deletionTimestamp): the controller starts no run of either. */
  suspended: boolean;
  /** spec.concurrencyPolicy: Allow (the default), Forbid or Replace. */
  concurrencyPolicy?: string;
  startingDeadlineSeconds?: number;
  /** spec.successfulJobsHistoryLimit (the API server defaults it to 3). */
  successfulJobsHistoryLimit?: number;
  created: number;
  /** When its spec was last written (managedFields; else its creation): a suspend lifted, a schedule changed. */
  specChanged?: number;
  lastSchedule?: number;
  lastSuccess?: number;
  /** Names of its Jobs still running (status.active). */
  active: string[];
}

const meta = (c: Wire<V1CronJob>, field: string, value: string | undefined) =>
  apiTime(value, `${field} of CronJob ${c.metadata?.namespace}/${c.metadata?.name}`);

/** One CronJob as read from the API, times in ms since the epoch. */
export function cronJobOf(c: Wire<V1CronJob>): CronJobFacts {
  return {
    namespace: c.metadata?.namespace ?? '',
    name: c.metadata?.name ?? '',
    schedule: c.spec?.schedule ?? '',
    timeZone: c.spec?.timeZone,
    suspended: Boolean(c.spec?.suspend || c.metadata?.deletionTimestamp),
    concurrencyPolicy: c.spec?.concurrencyPolicy,
    startingDeadlineSeconds: c.spec?.startingDeadlineSeconds,
    successfulJobsHistoryLimit: c.spec?.successfulJobsHistoryLimit,
    created: meta(c, 'creationTimestamp', c.metadata?.creationTimestamp) ?? 0,
    specChanged: specChangedAt(c.metadata),
    lastSchedule: meta(c, 'status.lastScheduleTime', c.status?.lastScheduleTime),
    lastSuccess: meta(c, 'status.lastSuccessfulTime', c.status?.lastSuccessfulTime),
    active: (c.status?.active ?? []).map((a) => a.name ?? '?'),
  };
}

export interface CronJudgement {
  /** Each late CronJob with the first run that did not happen. */
  late: { job: CronJobFacts; due: number }[];
  /** Forbid with a Job running: the controller skips its runs and keeps lastScheduleTime, by design. */
  busy: CronJobFacts[];
  /** Busy past a run that fell due meanwhile: its Job runs longer than the schedule's period. */
  overran: { job: CronJobFacts; due: number }[];
  failed: CronJobFacts[];
  /**
   * No success recorded since the last schedule, but none would be: with successfulJobsHistoryLimit 0
   * the controller deletes a Job that succeeded in the very sync that takes it out of status.active,
   * and before Kubernetes 1.31 (kubernetes/kubernetes#122025) only a later sync set lastSuccessfulTime;
   * on an API server of 1.31 or later (its /version), judged as any other.
   */
  untold: CronJobFacts[];
  unreadable: { job: CronJobFacts; why: string }[];
  /** lastScheduleTime ahead of this host's clock by more than --grace: lateness cannot be judged. */
  ahead: CronJobFacts[];
  /** Those not suspended. */
  judged: number;
}

/** Why a CronJob's last Job is not judged (CronJudgement.untold), with what the API server said it is. */
export const untoldWhy = (server?: ServerVersion): string =>
  'last Job not judged: successfulJobsHistoryLimit 0 deletes a Job that succeeded before lastSuccessfulTime is set ' +
  `(Kubernetes before 1.31; ${server ? `this API server is ${server.gitVersion}` : "this API server's /version was not read"}): ` +
  'its success leaves no trace';

/**
 * Each CronJob measured against its schedule at `now`, allowing `grace` seconds; `server`, the API
 * server's version where asked (a history limit of 0 hides successes only before 1.31).
 */
export function cronJobRuns(jobs: CronJobFacts[], now: number, grace: number, localZone: string, server?: ServerVersion): CronJudgement {
  // From 1.31 the controller sets lastSuccessfulTime whatever the history limit: a limit of 0 hides no success.
  const setsEverySuccess = (server?.minor ?? 0) >= 31;
  const j: CronJudgement = { late: [], busy: [], overran: [], failed: [], untold: [], unreadable: [], ahead: [], judged: 0 };
  for (const job of jobs) {
    if (job.suspended) continue;
    j.judged++;
    let schedule: Schedule;
    try {
      schedule = readSchedule(job.schedule, job.timeZone, localZone);
    } catch (err) {
      j.unreadable.push({ job, why: reasonOf(err) });
      continue;
    }
    if (job.lastSchedule !== undefined && job.lastSchedule > now + grace * 1000) {
      j.ahead.push(job);
      continue;
    }
    // The first run due after the last schedule (or, never scheduled, after its creation), as the
    // controller counts it; missed once that is past the allowance. With startingDeadlineSeconds the
    // controller starts no run due longer than that before it looks: one due before a spec written
    // since (a suspend lifted) less that deadline was never its to start, missed while suspended.
    const sds = job.startingDeadlineSeconds;
    const resumed = sds !== undefined && job.specChanged !== undefined ? job.specChanged - sds * 1000 : -Infinity;
    const due = schedule.next(Math.max(job.lastSchedule ?? job.created, resumed));
    const missed = due <= now - (grace + (job.startingDeadlineSeconds ?? 0)) * 1000;
    if (job.concurrencyPolicy === 'Forbid' && job.active.length > 0) {
      j.busy.push(job);
      if (missed) j.overran.push({ job, due });
      continue;
    }
    if (missed) j.late.push({ job, due });
    if (
      job.active.length === 0 &&
      job.lastSchedule !== undefined &&
      now - job.lastSchedule > grace * 1000 &&
      (job.lastSuccess ?? 0) < job.lastSchedule
    ) {
      (job.successfulJobsHistoryLimit === 0 && !setsEverySuccess ? j.untold : j.failed).push(job);
    }
  }
  return j;
}
