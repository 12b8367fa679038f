// Runbook, "If kcm/scheduler watches are stale": a controller-manager working from a frozen cache
// stops creating Jobs, and on most clusters CronJobs are where that shows first. A CronJob is
// late when its schedule says a run was due (allowing --grace and its startingDeadlineSeconds)
// after its last schedule; its last Job failed when no run is active and the last success is
// older than the last schedule. Nothing is triggered or deleted.
import { BatchV1Api, type V1CronJob } from '@kubernetes/client-node';
import { CronExpressionParser } from 'cron-parser';
import { formatDuration, parseDuration } from '../lib/duration.ts';
import { UsageError } from '../lib/errors.ts';
import { apiTime } from '../lib/k8s/time.ts';
import { kubeOptions, namespaceOptions, namespacesOf, scopeSelectors, type KubeArgs, type NamespaceArgs } from '../lib/options/kube.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';
import type { Range } from '../lib/plugin/range.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import { staleLeaderCache } from '../lib/runbook.ts';
import type { Wire } from '../lib/sources/kube/client.ts';
import { connect, type Cluster } from '../lib/sources/kube/cluster.ts';
import { byScope, listAcross } from '../lib/sources/kube/list.ts';
import { plural } from '../lib/text.ts';

interface Args extends KubeArgs, NamespaceArgs {
  grace: string;
  'time-zone'?: string;
}

/** What one CronJob's spec and status say, times in ms since the epoch. */
export interface CronJobFacts {
  namespace: string;
  name: string;
  schedule: string;
  timeZone?: string;
  suspended: boolean;
  startingDeadlineSeconds?: number;
  created: number;
  lastSchedule?: number;
  lastSuccess?: number;
  active: number;
}

export const defaults = { warning: '0', grace: '3m' };

// Kubernetes takes these descriptors besides the five fields; cron-parser lacks @midnight.
const DESCRIPTORS: Record<string, string> = { '@midnight': '0 0 * * *' };

/** When the schedule last fell due at or before `at`, in its time zone; throws on a schedule that cannot be read. */
export function lastDue(schedule: string, at: number, tz: string): number {
  const expr = DESCRIPTORS[schedule.trim()] ?? schedule.trim();
  // Kubernetes' schedules have five fields (or a descriptor); a sixth would be read as seconds here.
  if (!expr.startsWith('@') && expr.split(/\s+/).length !== 5) throw new Error(`'${schedule}' is not a five-field cron schedule`);
  return CronExpressionParser.parse(expr, { currentDate: new Date(at + 1), tz })
    .prev()
    .getTime();
}

export interface CronJudgement {
  late: { job: CronJobFacts; due: number }[];
  failed: CronJobFacts[];
  unreadable: { job: CronJobFacts; why: string }[];
  judged: number;
}

export function judge(jobs: CronJobFacts[], now: number, grace: number, defaultTz: string): CronJudgement {
  const j: CronJudgement = { late: [], failed: [], unreadable: [], judged: 0 };
  for (const job of jobs) {
    if (job.suspended) continue;
    j.judged++;
    const allowance = (grace + (job.startingDeadlineSeconds ?? 0)) * 1000;
    let due: number;
    try {
      due = lastDue(job.schedule, now - allowance, job.timeZone ?? defaultTz);
    } catch (err) {
      j.unreadable.push({ job, why: (err as Error).message });
      continue;
    }
    // A run due after the last schedule (or, never scheduled, after its creation) has not happened.
    if (due > (job.lastSchedule ?? job.created)) j.late.push({ job, due });
    if (
      job.active === 0 &&
      job.lastSchedule !== undefined &&
      now - job.lastSchedule > grace * 1000 &&
      (job.lastSuccess ?? 0) < job.lastSchedule
    ) {
      j.failed.push(job);
    }
  }
  return j;
}

export function evaluate(jobs: CronJobFacts[], now: number, grace: number, defaultTz: string, warning?: Range, critical?: Range): Outcome {
  const j = judge(jobs, now, grace, defaultTz);
  const ref = (c: CronJobFacts) => `${c.namespace}/${c.name}`;
  const v = new Verdict(check.name);
  v.measure({ label: 'late', value: j.late.length, min: 0, max: j.judged }, new ScalarContext(warning, critical));
  v.measure({ label: 'failed_last', value: j.failed.length, min: 0, max: j.judged });
  v.measure({ label: 'cronjobs', value: j.judged, min: 0 });
  if (j.late.length >= 2 && j.late.length === j.judged)
    v.find(State.CRITICAL, 'no CronJob was scheduled on time: is the controller-manager frozen?');
  if (j.failed.length)
    v.find(State.WARNING, `last Job failed: ${j.failed.slice(0, 3).map(ref).join(', ')}${j.failed.length > 3 ? ', ...' : ''}`);
  for (const u of j.unreadable) v.find(State.UNKNOWN, `${ref(u.job)}: cannot read its schedule (${u.why})`);
  for (const { job, due } of j.late) {
    const last =
      job.lastSchedule === undefined
        ? 'never scheduled'
        : `last scheduled ${formatDuration(Math.max(1, (now - job.lastSchedule) / 1000))} ago`;
    v.detail(
      `late ${ref(job)} (${job.schedule}${job.timeZone ? ` ${job.timeZone}` : ''}): ${last}, a run was due ${formatDuration(Math.max(1, (now - due) / 1000))} ago`,
    );
  }
  for (const job of j.failed)
    v.detail(
      `last Job failed ${ref(job)}: kubectl -n ${job.namespace} get jobs --sort-by=.metadata.creationTimestamp, then kubectl describe job`,
    );
  if (j.late.length) v.detail(...staleLeaderCache('kube-controller-manager'));
  const names = j.late.length
    ? `: ${j.late
        .slice(0, 3)
        .map((l) => ref(l.job))
        .join(', ')}${j.late.length > 3 ? ', ...' : ''}`
    : '';
  return v.conclude(`${j.late.length} of ${plural(j.judged, 'CronJob')} late${names}`);
}

const meta = (c: Wire<V1CronJob>, field: string, value: string | undefined) =>
  apiTime(value, `${field} of CronJob ${c.metadata?.namespace}/${c.metadata?.name}`);

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
      facts.push({
        namespace: c.metadata?.namespace ?? '',
        name: c.metadata?.name ?? '',
        schedule: c.spec?.schedule ?? '',
        timeZone: c.spec?.timeZone,
        suspended: Boolean(c.spec?.suspend),
        startingDeadlineSeconds: c.spec?.startingDeadlineSeconds,
        created: meta(c, 'creationTimestamp', c.metadata?.creationTimestamp) ?? 0,
        lastSchedule: meta(c, 'status.lastScheduleTime', c.status?.lastScheduleTime),
        lastSuccess: meta(c, 'status.lastSuccessfulTime', c.status?.lastSuccessfulTime),
        active: c.status?.active?.length ?? 0,
      });
    },
  );
  return facts;
}

/** The controller-manager reads a schedule without timeZone in its own local time: on a node, this host's. */
function localTimeZone(given: string | undefined): string {
  const tz = given ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw new UsageError(`--time-zone '${tz}' is not an IANA time zone (e.g. Europe/Berlin, UTC)`);
  }
  return tz;
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
  async run({ args, warning, critical, deadline, log }) {
    const grace = parseDuration(args.grace, '--grace');
    const tz = localTimeZone(args['time-zone']);
    const { only, excluded } = namespacesOf(args);
    const jobs = await gather(connect(args, deadline, log), deadline, only, excluded);
    return evaluate(jobs, Date.now(), grace, tz, warning, critical);
  },
};
