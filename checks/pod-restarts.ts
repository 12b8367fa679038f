// After the runbook: watches broken by a write storm leave pods crash-looping (calico-node,
// operators, anything that talks to the API server), and a lifetime restart count says nothing
// about now. This check keeps each container's restart count between runs and counts the pods
// whose count grew since the previous run, and those in CrashLoopBackOff now.
import type { V1Pod } from '@kubernetes/client-node';
import { formatDuration } from '../lib/duration.ts';
import { kubeOptions, namespaceOptions, namespacesOf, scopeSelectors, type KubeArgs, type NamespaceArgs } from '../lib/options/kube.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';
import { thresholdsOf, type Thresholds } from '../lib/plugin/range.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import type { Wire } from '../lib/k8s/wire.ts';
import { connect, type Cluster } from '../lib/sources/kube/cluster.ts';
import { listPods } from '../lib/sources/kube/reads.ts';
import { writeState } from '../lib/state-file.ts';
import { countsFile, keepCounts, type PreviousCounts, readCounts } from '../lib/restart-counts-file.ts';
import { troubledIn, type Troubled } from '../lib/k8s/troubled.ts';
import { plural } from '../lib/text.ts';
import { counterGrowth } from '../lib/restart-history.ts';

// A part of the facts evaluate judges: named through this check, as its tests build them.
export type { Troubled } from '../lib/k8s/troubled.ts';

interface Args extends KubeArgs, NamespaceArgs {
  selector?: string;
  'state-file'?: string;
}

export interface RestartFacts {
  now: number;
  troubled: Troubled[];
  pods: number;
  before?: PreviousCounts;
  /** Why the previous counts are not known (first run, a damaged state file). */
  beforeProblem?: string;
  saveProblem?: string;
}

export const defaults = { warning: '0' };
/** The defaults parsed, as -w/-c judge when not given. */
export const defaultLimits = thresholdsOf(defaults);

/**
 * Restarts since the previous count. A count lower than before on the same pod UID and container
 * was reset (the kubelet recounts from the containers the runtime still has, e.g. after a reboot):
 * every restart it shows now happened since, so the new value is the growth.
 */
export const growth = counterGrowth;

export function evaluate(f: RestartFacts, { warning, critical }: Thresholds): Outcome {
  const previous = (t: Troubled) => f.before?.counts[t.key] ?? 0;
  const grew = f.before ? f.troubled.filter((t) => growth(previous(t), t.restarts) > 0) : [];
  const podOf = (t: Troubled) => `${t.namespace}/${t.pod}`;
  const restartedPods = [...new Set(grew.map(podOf))];
  const loopingPods = [...new Set(f.troubled.filter((t) => t.crashLooping).map(podOf))];
  const v = new Verdict(check.name);
  // A first run has nothing to compare with: the metric is U and not judged (said on the line).
  const restarted = { label: 'restarted', value: f.before ? restartedPods.length : Number.NaN, min: 0, max: f.pods };
  if (f.before) v.measure(restarted, new ScalarContext(warning, critical));
  else v.measure(restarted);
  v.measure({ label: 'crashlooping', value: loopingPods.length, min: 0, max: f.pods });
  v.measure({ label: 'pods', value: f.pods, min: 0 });
  if (loopingPods.length)
    v.find(
      State.WARNING,
      `${plural(loopingPods.length, 'pod')} in CrashLoopBackOff: ` +
        `${loopingPods.slice(0, 3).join(', ')}${loopingPods.length > 3 ? ', ...' : ''}`,
    );
  const since = f.before ? ` since the previous run ${formatDuration(Math.max(1, (f.now - f.before.at) / 1000))} ago` : '';
  const end = (t: Troubled) => (t.lastEnd ? `, last ended ${t.lastEnd.reason ?? 'without a reason'} (exit ${t.lastEnd.exitCode})` : '');
  for (const t of grew) {
    const reset = t.restarts < previous(t) ? ` (the count was reset: ${t.restarts} new)` : '';
    v.detail(`${podOf(t)} container ${t.container}: restarts ${previous(t)} -> ${t.restarts}${reset}${end(t)}`);
  }
  for (const t of f.troubled.filter((x) => x.crashLooping && !grew.includes(x)))
    v.detail(`${podOf(t)} container ${t.container}: CrashLoopBackOff, ${plural(t.restarts, 'restart')}${end(t)}`);
  // Counts that cannot be kept: no run ever has a previous one to compare with (or always the same
  // old one), so growth is never judged. An OK would promise it was: UNKNOWN, said once, every run.
  if (f.saveProblem) v.find(State.UNKNOWN, f.saveProblem);
  else if (!f.before) v.detail(`${f.beforeProblem ?? 'first run'}: restart counts recorded now, growth judged from the next run`);
  if (v.state !== State.OK) {
    v.detail(
      'Why a container exits: kubectl -n <namespace> logs <pod> -c <container> --previous, and kubectl describe pod.',
      'Many pods at once, after a kubelite restart or a write storm: their API watches broke; ' +
        'see check_kine_retries and check_watch_cache first.',
    );
  }
  // First run: the crash-looping pods are the finding (named once), what is not judged yet after.
  if (!f.before)
    return v.conclude(f.saveProblem ? plural(f.pods, 'pod') : `${plural(f.pods, 'pod')}, restarts counted from now on`, {
      problems: 'before',
      whenClear: `0 pods in CrashLoopBackOff of ${plural(f.pods, 'pod')} (restarts counted from now on)`,
    });
  const names = restartedPods.length ? `: ${restartedPods.slice(0, 3).join(', ')}${restartedPods.length > 3 ? ', ...' : ''}` : '';
  // No restart since the previous run is no news beside a crash loop: the finding leads then.
  return v.conclude(`${plural(restartedPods.length, 'pod')} restarted${since}${names}`, {
    problems: restartedPods.length ? 'after' : 'before',
  });
}

/** Stream the pods, keeping only containers that ever restarted or wait in CrashLoopBackOff. */
export async function gather(
  cluster: Cluster,
  deadline: Deadline,
  only: string[],
  excluded: string[],
  selector?: string,
): Promise<Pick<RestartFacts, 'troubled' | 'pods' | 'now'>> {
  const troubled: Troubled[] = [];
  let pods = 0;
  deadline.activity = `listing pods from ${cluster.server}`;
  await listPods(cluster, { namespaces: only, ...scopeSelectors({ only, excluded }, selector) }, (pod: Wire<V1Pod>) => {
    pods++;
    troubled.push(...troubledIn(pod));
  });
  return { troubled, pods, now: Date.now() };
}

export const check: CheckDefinition<Args> = {
  name: 'POD-RESTARTS',
  command: 'check_pod_restarts',
  description: 'counts pods whose containers restarted since the previous run, and pods in CrashLoopBackOff now',
  defaultWarning: defaults.warning,
  thresholdUnit: 'restarted pods',
  options: (y) =>
    namespaceOptions(kubeOptions(y), true)
      .option('selector', { alias: 'l', type: 'string', describe: 'label selector, e.g. k8s-app=calico-node' })
      .option('state-file', {
        type: 'string',
        describe: 'where restart counts are kept between runs (default ~/.local/state/microk8s-checks/pod-restarts-<server>-<scope>.json)',
      }),
  examples: [
    ['check_pod_restarts', 'every pod: restarts since the previous run, CrashLoopBackOff now'],
    ['check_pod_restarts -n kube-system -w 0 -c 3', 'kube-system only; CRITICAL when more than 3 pods restarted'],
  ],
  async run({ args, warning, critical, deadline, log, shared, keepState = writeState }) {
    const { only, excluded } = namespacesOf(args);
    const cluster = connect(args, deadline, log, { share: shared?.kube });
    const seen = await gather(cluster, deadline, only, excluded, args.selector);
    const file = countsFile(args['state-file'], cluster.server, [only, excluded, args.selector ?? '']);
    const { value: before, problem: beforeProblem } = readCounts(file);
    const saveProblem = keepCounts(keepState, file, seen);
    return evaluate({ ...seen, before, beforeProblem, saveProblem }, { warning, critical });
  },
};
