// Runbook, "If kcm/scheduler watches are stale" and "If a Deployment is stuck (phantom RS status)":
// when kine connections drop, the controller-manager works from a frozen informer cache. Its
// Deployments stop reconciling (observedGeneration stays behind generation), and ReplicaSets keep
// reporting pods that no longer exist. Both are read here; nothing is patched or restarted.
import { inOrder } from '../lib/in-order.ts';
import { AppsV1Api, type V1DaemonSet, type V1Deployment, type V1Pod, type V1ReplicaSet, type V1StatefulSet } from '@kubernetes/client-node';
import { formatDuration, parseDuration } from '../lib/duration.ts';
import { PhantomFinder } from '../lib/k8s/phantoms.ts';
import { progressDeadlineExceeded } from '../lib/k8s/rollout.ts';
import { namespacesOf } from '../lib/options/kube.ts';
import { kindsOf, workloadOptions, type WorkloadArgs } from '../lib/options/workloads.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';
import { thresholdsOf, type Thresholds } from '../lib/plugin/range.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import { phantomStatusFix, staleLeaderCache } from '../lib/runbook.ts';
import type { Wire } from '../lib/k8s/wire.ts';
import { connect, type Cluster } from '../lib/sources/kube/cluster.ts';
import { byScope, listAcross } from '../lib/sources/kube/list.ts';
import { listDeployments, listPods } from '../lib/sources/kube/reads.ts';
import { plural } from '../lib/text.ts';
import { type Kind, lagOf, lagText, pastGrace, type RolloutFacts, workloadRef } from '../lib/workload-lag.ts';

export type { RolloutFacts };

export const defaults = { warning: '0', critical: '2', grace: '120s' };

/** -w/-c on lagging workloads, and how long a spec change may go unobserved. */
export interface Limits extends Thresholds {
  graceMs: number;
}
/** The defaults parsed, as the options judge when not given. */
export const defaultLimits: Limits = { ...thresholdsOf(defaults), graceMs: parseDuration(defaults.grace, '--grace') * 1000 };

export function evaluate(f: RolloutFacts, { graceMs, warning, critical }: Limits): Outcome {
  const grace = graceMs / 1000;
  const { lagging, recent } = pastGrace(f.lags, grace);
  const v = new Verdict(check.name);
  v.measure({ label: 'lagging', value: lagging.length, min: 0 }, new ScalarContext(warning, critical));
  v.measure({ label: 'phantom', value: f.phantoms.length, min: 0 });
  for (const [kind, n] of f.counts) v.measure({ label: `${kind}s`, value: n, min: 0 });
  if (f.phantoms.length) v.find(State.WARNING, plural(f.phantoms.length, 'phantom ReplicaSet'));
  if (f.stalled.length) v.find(State.WARNING, `${plural(f.stalled.length, 'Deployment')} past its progress deadline`);

  for (const l of lagging) v.detail(`lagging ${lagText(l)}`);
  for (const p of f.phantoms)
    v.detail(
      `phantom replicaset/${p.namespace}/${p.name}${p.owner ? ` (deployment ${p.owner})` : ''}: ` +
        `status says ${p.available} available, no Ready pod owns it`,
    );
  for (const s of f.stalled) v.detail(`ProgressDeadlineExceeded ${workloadRef(s)}`);
  for (const r of recent) v.detail(`within --grace ${lagText(r)}`);
  if (lagging.length) v.detail(...staleLeaderCache('kube-controller-manager'));
  const p = f.phantoms[0];
  if (p) v.detail(...phantomStatusFix(p.namespace, p.name, p.owner));
  const total = [...f.counts.values()].reduce((n, c) => n + c, 0);
  const onlyDeployments = f.counts.size === 1 && f.counts.has('deployment');
  const names = lagging.length
    ? `, ${lagging
        .slice(0, 3)
        .map((l) => `${l.namespace}/${l.name}`)
        .join(', ')}${lagging.length > 3 ? ', ...' : ''}`
    : '';
  return v.conclude(
    `${lagging.length} of ${plural(total, onlyDeployments ? 'Deployment' : 'workload')} lagging past ${formatDuration(grace)}${names}`,
  );
}

/** Workloads of the kinds asked for, with ReplicaSets and Ready pods when Deployments are judged. */
export async function gather(cluster: Cluster, deadline: Deadline, namespaces: string[], kinds: Set<Kind>): Promise<RolloutFacts> {
  const apps = cluster.api(AppsV1Api);
  const now = Date.now();
  const f: RolloutFacts = { counts: new Map(), lags: [], stalled: [], phantoms: [] };
  const judge = (kind: Kind) => (obj: Wire<V1Deployment> | Wire<V1StatefulSet> | Wire<V1DaemonSet>) => {
    f.counts.set(kind, (f.counts.get(kind) ?? 0) + 1);
    const lag = lagOf(kind, obj, now);
    if (lag) f.lags.push(lag);
    if (kind === 'deployment' && progressDeadlineExceeded(obj as Wire<V1Deployment>))
      f.stalled.push({ kind, namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' });
  };
  const phantoms = new PhantomFinder();
  deadline.activity = `listing workloads from ${cluster.server}`;
  const opts = { namespaces, cluster };
  const others = {
    statefulset: byScope(apps.listNamespacedStatefulSet.bind(apps), apps.listStatefulSetForAllNamespaces.bind(apps)),
    daemonset: byScope(apps.listNamespacedDaemonSet.bind(apps), apps.listDaemonSetForAllNamespaces.bind(apps)),
  };
  for (const kind of kinds) f.counts.set(kind, 0);
  // The Deployments as the restart gate reads them too: in a shared run, one list for both.
  const lists: Promise<void>[] = [...kinds].map((kind) =>
    kind === 'deployment'
      ? listDeployments(cluster, namespaces, judge(kind))
      : listAcross<V1StatefulSet | V1DaemonSet>(opts, { resource: `${kind}s`, group: 'apps' }, others[kind], judge(kind)),
  );
  if (kinds.has('deployment')) {
    lists.push(
      listAcross(
        opts,
        { resource: 'replicasets', group: 'apps' },
        byScope(apps.listNamespacedReplicaSet.bind(apps), apps.listReplicaSetForAllNamespaces.bind(apps)),
        (rs: Wire<V1ReplicaSet>) => phantoms.replicaSet(rs),
      ),
      listPods(cluster, { namespaces, fieldSelector: 'status.phase=Running' }, (pod: Wire<V1Pod>) => phantoms.pod(pod)),
    );
  }
  // Several failing (a Role without replicasets or pods), the reason is that of the first kind
  // asked about, then ReplicaSets, then pods: never whichever list failed first.
  await inOrder(lists, deadline);
  f.phantoms = phantoms.phantoms();
  return f;
}

export const check: CheckDefinition<WorkloadArgs> = {
  name: 'OBSERVED-GENERATION',
  command: 'check_observed_generation',
  description: 'finds Deployments whose controller stopped reconciling (observedGeneration < generation) and phantom ReplicaSet status',
  defaultWarning: defaults.warning,
  defaultCritical: defaults.critical,
  thresholdUnit: 'lagging workloads',
  options: (y) => workloadOptions(y, defaults),
  examples: [['check_observed_generation --grace 3m', 'Deployments lagging 3 minutes or more, and phantom ReplicaSets']],
  async run({ args, warning, critical, deadline, log, shared }) {
    const { only } = namespacesOf(args);
    const graceMs = parseDuration(args.grace, '--grace') * 1000;
    const cluster = connect(args, deadline, log, { share: shared?.kube });
    return evaluate(await gather(cluster, deadline, only, kindsOf(args)), { graceMs, warning, critical });
  },
};
