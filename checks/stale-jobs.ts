// Runbook, "Prevention" and "Recovery": finished Jobs left in the cluster keep the single dqlite
// writer busy (job tracking, events); delete them before restarts. The runbook's own
// `kubectl delete job --field-selector=status.conditions[0].type=Complete` fails on a real API
// server (Jobs only select on metadata.name, metadata.namespace, status.successful), so Jobs are
// listed and judged here, and the long output gives a clean-up that works. Nothing is deleted.
import { BatchV1Api, type V1Job } from '@kubernetes/client-node';
import { formatDuration, parseDuration } from '../lib/duration.ts';
import { finishedAs, freshTally, tallyJob, type JobTally } from '../lib/finished-jobs.ts';
import { jobCleanup } from '../lib/job-cleanup.ts';
import { kubeOptions, namespaceOptions, namespacesOf, scopeSelectors, type KubeArgs, type NamespaceArgs } from '../lib/options/kube.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';
import { thresholdsOf, type Thresholds } from '../lib/plugin/range.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import type { Wire } from '../lib/k8s/wire.ts';
import { connect, type Cluster } from '../lib/sources/kube/cluster.ts';
import { byScope, listAcross } from '../lib/sources/kube/list.ts';
import { plural } from '../lib/text.ts';

interface Args extends KubeArgs, NamespaceArgs {
  selector?: string;
  'min-age': string;
  'page-size': number;
}

/** Which Jobs were listed: for the summary's "in ..." / "outside ...", and the clean-up's -l. */
export interface Scope {
  only: string[];
  excluded: string[];
  selector?: string;
}

export const defaults = { warning: '50', critical: '200', minAge: '1h' };

/** -w/-c on stale Jobs, and how long ago a Job finished to count. */
export interface Limits extends Thresholds {
  minAgeMs: number;
}
/** The defaults parsed, as the options judge when not given. */
export const defaultLimits: Limits = { ...thresholdsOf(defaults), minAgeMs: parseDuration(defaults.minAge, '--min-age') * 1000 };

/** The Jobs in scope, tallied. */
export interface StaleFacts {
  tally: JobTally;
  scope: Scope;
}

export function evaluate({ tally: t, scope }: StaleFacts, { minAgeMs, warning, critical }: Limits): Outcome {
  const minAge = minAgeMs / 1000;
  const complete = finishedAs(t, 'complete');
  const failed = finishedAs(t, 'failed');
  const stale = complete + failed;
  const v = new Verdict(check.name);
  v.measure({ label: 'stale', value: stale, min: 0 }, new ScalarContext(warning, critical));
  v.measure({ label: 'complete', value: complete, min: 0 });
  v.measure({ label: 'failed', value: failed, min: 0 });
  v.measure({ label: 'jobs', value: t.jobs, min: 0 });

  const age = formatDuration(minAge);
  const worst = [...t.byNamespace]
    .sort((a, b) => b[1].complete + b[1].failed - (a[1].complete + a[1].failed) || (a[0] < b[0] ? -1 : 1))
    .slice(0, 5);
  for (const [ns, n] of worst)
    v.detail(`${ns}: ${n.complete + n.failed} finished over ${age} ago (${n.complete} Complete, ${n.failed} Failed)`);
  if (stale > 0) {
    v.detail(
      `${plural(t.cron, 'belongs', 'belong')} to CronJobs ` +
        `(successfulJobsHistoryLimit/failedJobsHistoryLimit keep them). ${t.noTtl} ` +
        `${t.noTtl === 1 ? 'has' : 'have'} no ttlSecondsAfterFinished (never cleaned up).`,
    );
  }
  if (v.state !== State.OK) v.detail(...jobCleanup(worst[0]?.[0] ?? '<namespace>', (t.at ?? Date.now()) - minAgeMs, scope.selector));
  const where = scope.only.length
    ? `in ${scope.only.join(', ')}`
    : scope.excluded.length
      ? `outside ${scope.excluded.join(', ')}`
      : 'in all namespaces';
  return v.conclude(
    `${plural(stale, 'finished Job')} older than ${age} ${where} (${complete} Complete, ${failed} Failed, of ${t.jobs} Jobs)`,
  );
}

/** Stream every Job in scope into a tally. */
export async function gather(cluster: Cluster, deadline: Deadline, scope: Scope, minAge: number, pageSize?: number): Promise<JobTally> {
  const batch = cluster.api(BatchV1Api);
  const now = Date.now();
  const t = freshTally(now);
  deadline.activity = `listing Jobs from ${cluster.server}`;
  await listAcross(
    { namespaces: scope.only, cluster, pageSize },
    { resource: 'jobs', group: 'batch' },
    byScope(batch.listNamespacedJob.bind(batch), batch.listJobForAllNamespaces.bind(batch), scopeSelectors(scope, scope.selector)),
    (job: Wire<V1Job>) => tallyJob(t, job, now, minAge),
  );
  return t;
}

export const check: CheckDefinition<Args> = {
  name: 'STALE-JOBS',
  command: 'check_stale_jobs',
  description: 'counts finished (Complete/Failed) Jobs older than --min-age piling up in the cluster',
  defaultWarning: defaults.warning,
  defaultCritical: defaults.critical,
  thresholdUnit: 'stale Jobs',
  options: (y) =>
    namespaceOptions(kubeOptions(y), true)
      .option('selector', { alias: 'l', type: 'string', describe: 'label selector, e.g. app=backup' })
      .option('min-age', { type: 'string', default: defaults.minAge, describe: 'a Job counts once finished this long ago' })
      .option('page-size', { type: 'number', default: 500, hidden: true }),
  examples: [['check_stale_jobs --exclude-namespace kube-system -w 100 -c 500', 'finished Jobs outside kube-system']],
  async run({ args, warning, critical, deadline, log, shared }) {
    const minAge = parseDuration(args['min-age'], '--min-age');
    const scope = { ...namespacesOf(args), selector: args.selector };
    const cluster = connect(args, deadline, log, { share: shared?.kube });
    const tally = await gather(cluster, deadline, scope, minAge, args['page-size']);
    return evaluate({ tally, scope }, { minAgeMs: minAge * 1000, warning, critical });
  },
};
