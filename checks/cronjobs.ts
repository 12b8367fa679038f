// Runbook, "If kcm/scheduler watches are stale": a controller-manager working from a frozen cache
// stops creating Jobs, and on most clusters CronJobs are where that shows first. A CronJob is
// late when its schedule says a run was due (allowing --grace and its startingDeadlineSeconds)
// after its last schedule; its last Job failed when no run is active and the last success is
// older than the last schedule. Nothing is triggered or deleted.
import { BatchV1Api, type V1CronJob } from '@kubernetes/client-node';
import { formatDuration, parseDuration } from '../lib/duration.ts';
import { type CronJobFacts, cronJobOf, cronJobRuns, untoldWhy } from '../lib/k8s/cronjob.ts';
import { loadScheduleReader } from '../lib/k8s/cron.ts';
import { localTimeZone } from '../lib/k8s/time-zone.ts';
import { kubeOptions, namespaceOptions, namespacesOf, scopeSelectors, type KubeArgs, type NamespaceArgs } from '../lib/options/kube.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';
import { thresholdsOf, type Thresholds } from '../lib/plugin/range.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import { lateCronJobs } from '../lib/runbook.ts';
import type { Wire } from '../lib/k8s/wire.ts';
import { connect, type Cluster } from '../lib/sources/kube/cluster.ts';
import { byScope, listAcross } from '../lib/sources/kube/list.ts';
import { serverVersion, type ServerVersion } from '../lib/sources/kube/reads.ts';
import { isoSeconds, plural } from '../lib/text.ts';

interface Args extends KubeArgs, NamespaceArgs {
  grace: string;
  'time-zone'?: string;
}

export const defaults = { warning: '0', grace: '3m' };

/** -w/-c on late CronJobs, and the slack a due run has (--grace). */
export interface Limits extends Thresholds {
  graceMs: number;
}
/** The defaults parsed, as the options judge when not given. */
export const defaultLimits: Limits = { ...thresholdsOf(defaults), graceMs: parseDuration(defaults.grace, '--grace') * 1000 };

/** The CronJobs read at `now`, with the zone of schedules that name none. */
export interface CronFacts {
  jobs: CronJobFacts[];
  now: number;
  localZone: string;
  /** The API server's version, asked only where a CronJob keeps no successful Job (successfulJobsHistoryLimit 0). */
  server?: ServerVersion;
}

const ref = (c: CronJobFacts) => `${c.namespace}/${c.name}`;
const some = (jobs: CronJobFacts[]) => `${jobs.slice(0, 3).map(ref).join(', ')}${jobs.length > 3 ? ', ...' : ''}`;
const since = (now: number, t: number) => formatDuration(Math.max(1, (now - t) / 1000));

export function evaluate({ jobs, now, localZone, server }: CronFacts, { graceMs, warning, critical }: Limits): Outcome {
  const j = cronJobRuns(jobs, now, graceMs / 1000, localZone, server);
  const v = new Verdict(check.name);
  v.measure({ label: 'late', value: j.late.length, min: 0, max: j.judged }, new ScalarContext(warning, critical));
  v.measure({ label: 'failed_last', value: j.failed.length, min: 0, max: j.judged });
  v.measure({ label: 'cronjobs', value: j.judged, min: 0 });
  v.measure({ label: 'busy', value: j.busy.length, min: 0, max: j.judged });
  // Only CronJobs the controller should have run speak for it: busy ones wait by design, and
  // one whose schedule or clock cannot be read says nothing either way.
  const runnable = j.judged - j.busy.length - j.unreadable.length - j.ahead.length;
  if (j.late.length >= 2 && j.late.length === runnable)
    v.find(State.CRITICAL, 'no CronJob was scheduled on time: is the controller-manager frozen?');
  if (j.failed.length) v.find(State.WARNING, `last Job failed: ${some(j.failed)}`);
  if (j.overran.length) v.find(State.WARNING, `Job running longer than its schedule's period: ${some(j.overran.map((o) => o.job))}`);
  if (j.ahead.length) v.find(State.WARNING, `last scheduled in the future: ${some(j.ahead)}`);
  for (const u of j.unreadable) v.find(State.UNKNOWN, `${ref(u.job)}: cannot read its schedule (${u.why})`);
  const sched = (c: CronJobFacts) => `${c.schedule}${c.timeZone && !c.schedule.includes('TZ') ? ` ${c.timeZone}` : ''}`;
  for (const { job, due } of j.late) {
    const last = job.lastSchedule === undefined ? 'never scheduled' : `last scheduled ${since(now, job.lastSchedule)} ago`;
    v.detail(`late ${ref(job)} (${sched(job)}): ${last}, its next run was due ${since(now, due)} ago`);
  }
  for (const { job, due } of j.overran) {
    // The Job may be one started by hand (kubectl create job --from): how long it ran is not known, when it was last scheduled is.
    const last = job.lastSchedule === undefined ? 'never scheduled' : `last scheduled ${since(now, job.lastSchedule)} ago`;
    v.detail(
      `busy ${ref(job)} (${sched(job)}): Job ${job.active.join(', ')} still active, ${last}, a ` +
        `run was due ${since(now, due)} ago. concurrencyPolicy Forbid holds runs back until it ` +
        `ends: kubectl -n ${job.namespace} describe job ${job.active[0]}`,
    );
  }
  for (const job of j.ahead)
    v.detail(
      `${ref(job)}: lastScheduleTime ${isoSeconds(job.lastSchedule!)} is ` +
        `${since(job.lastSchedule!, now)} ahead of this host's clock: this host's and the ` +
        `controller-manager's clocks disagree (check NTP on both), lateness not judged`,
    );
  for (const job of j.failed)
    v.detail(
      `last Job failed ${ref(job)}: kubectl -n ${job.namespace} get jobs --sort-by=.metadata.creationTimestamp, then kubectl describe job`,
    );
  for (const job of j.untold) v.detail(`${ref(job)}: ${untoldWhy(server)}`);
  const late = j.late.map((l) => l.job);
  v.detail(...lateCronJobs(late, late.length === runnable));
  const names = late.length ? `: ${some(late)}` : '';
  const busy = j.busy.length ? ` (${j.busy.length} busy)` : '';
  return v.conclude(`${j.late.length} of ${plural(j.judged, 'CronJob')} late${names}${busy}`);
}

/** Every CronJob in scope, as the facts the judgement needs (CronJobs are few; they are kept). */
export async function gather(cluster: Cluster, deadline: Deadline, only: string[], excluded: string[]): Promise<CronJobFacts[]> {
  const batch = cluster.api(BatchV1Api);
  const facts: CronJobFacts[] = [];
  deadline.activity = `listing CronJobs from ${cluster.server}`;
  await listAcross(
    { namespaces: only, cluster },
    { resource: 'cronjobs', group: 'batch' },
    byScope(batch.listNamespacedCronJob.bind(batch), batch.listCronJobForAllNamespaces.bind(batch), scopeSelectors({ only, excluded })),
    (c: Wire<V1CronJob>) => {
      facts.push(cronJobOf(c));
    },
  );
  return facts;
}

export const check: CheckDefinition<Args> = {
  name: 'CRONJOBS',
  command: 'check_cronjobs',
  description: 'finds CronJobs whose schedule says a run was due that did not happen, and CronJobs whose last Job failed',
  defaultWarning: defaults.warning,
  thresholdUnit: 'late CronJobs',
  options: (y) =>
    namespaceOptions(kubeOptions(y), true)
      .option('grace', {
        type: 'string',
        default: defaults.grace,
        describe: "a run this late (plus the CronJob's startingDeadlineSeconds) is not yet missed",
      })
      .option('time-zone', {
        type: 'string',
        describe: "time zone of schedules without spec.timeZone (default: this host's, as the controller-manager on it)",
      }),
  examples: [
    ['check_cronjobs', 'every CronJob that is not suspended'],
    ['check_cronjobs --exclude-namespace dev --grace 10m', 'not dev; ten minutes of slack'],
  ],
  async run({ args, warning, critical, deadline, log, shared }) {
    const graceMs = parseDuration(args.grace, '--grace') * 1000;
    const { only, excluded } = namespacesOf(args);
    const cluster = connect(args, deadline, log, { share: shared?.kube });
    const listed = gather(cluster, deadline, only, excluded);
    // A zone given is checked (ICU's zone data, unless UTC) while the first page is on its way, not before it leaves.
    listed.catch(() => undefined);
    const tz = localTimeZone(args['time-zone']);
    const jobs = await listed;
    if (jobs.length) await loadScheduleReader();
    // Whether a history limit of 0 hides successes depends on the release (cronJobRuns): asked only then.
    const server = jobs.some((c) => c.successfulJobsHistoryLimit === 0 && !c.suspended) ? await serverVersion(cluster) : undefined;
    return evaluate({ jobs, now: Date.now(), localZone: tz, server }, { graceMs, warning, critical });
  },
};
