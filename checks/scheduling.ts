// Runbook, "Symptom": with a stale informer cache the scheduler stops binding pods and "new pods
// fail to schedule". Pods Pending without PodScheduled=True past --min-age are counted; when none
// was bound anywhere since the oldest of them it never judged arrived, the scheduler itself looks stalled.
import type { V1Pod } from '@kubernetes/client-node';
import { formatDuration, parseDuration } from '../lib/duration.ts';
import { judgedUnschedulable, otherScheduler, scheduledAt, schedulingGates, unscheduledWhy } from '../lib/k8s/pod-scheduling.ts';
import { apiTime } from '../lib/k8s/time.ts';
import { namespacesOf } from '../lib/options/kube.ts';
import { newestPodContext, schedulingOptions, type SchedulingArgs } from '../lib/options/scheduling.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';
import { type Range, thresholdsOf } from '../lib/plugin/range.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import { staleLeaderCache } from '../lib/runbook.ts';
import { judgedLines, stalledScheduler, type WaitingPod } from '../lib/scheduler-stall.ts';
import type { Wire } from '../lib/k8s/wire.ts';
import { connect, type Cluster } from '../lib/sources/kube/cluster.ts';
import { listPods } from '../lib/sources/kube/reads.ts';
import { plural } from '../lib/text.ts';

/** What the pod list says about scheduling, at `now`. Times are ms since the epoch; 0: none. */
export interface SchedulingFacts {
  now: number;
  /** Pods Pending and unbound for at least --min-age; `scheduler`: the one it asks for, where not default-scheduler. */
  waiting: WaitingPod[];
  newestBind: number;
  newestCreated: number;
  newestBindByNode: Map<string, number>;
  /** Pending past --min-age, held by scheduling gates: "namespace/name (gate, ...)". */
  gated: string[];
  /** Pending past --min-age, created with its node (kubectl debug node/), no scheduler's to bind: "namespace/name (node)". */
  assigned: string[];
}

export interface Limits {
  minAge: number;
  namespaces: string[];
  warning?: Range;
  critical?: Range;
  /** Seconds since the newest pod was created: a frozen controller-manager creates none. */
  newestPod: ScalarContext;
}

export const defaults = { warning: '0', critical: '5', minAge: '5m' };
/** The defaults parsed, as the options judge when not given: every namespace, no limit on the newest pod's age. */
export const defaultLimits: Limits = {
  ...thresholdsOf(defaults),
  minAge: parseDuration(defaults.minAge, '--min-age'),
  namespaces: [],
  newestPod: new ScalarContext(),
};

export function evaluate(f: SchedulingFacts, l: Limits): Outcome {
  const { now, waiting, newestBind } = f;
  const v = new Verdict(check.name);
  v.measure({ label: 'unscheduled', value: waiting.length, min: 0 }, new ScalarContext(l.warning, l.critical));
  const bindAge = newestBind ? (now - newestBind) / 1000 : NaN;
  v.measure({ label: 'newest_bind_age', value: bindAge, uom: 's', min: 0 });
  const podAge = f.newestCreated ? Math.max(0, (now - f.newestCreated) / 1000) : NaN;
  const noNewPod = v.measure({ label: 'newest_pod_age', value: podAge, uom: 's', min: 0 }, l.newestPod) !== State.OK;
  if (noNewPod) {
    if (Number.isNaN(podAge)) v.find(State.UNKNOWN, 'no pod to date the newest creation by');
    else
      v.find(
        State.WARNING,
        `no pod created ${l.namespaces.length ? `in ${l.namespaces.join(', ')} ` : ''}for ` +
          `${formatDuration(podAge)}: is the controller-manager (or its API server's watch cache) frozen?`,
      );
  }
  const stalled = stalledScheduler(waiting, newestBind, now);
  if (stalled) v.find(stalled.state, stalled.text);
  for (const w of [...waiting].sort((a, b) => a.since - b.since).slice(0, 20))
    v.detail(`${w.ref} waiting ${formatDuration((now - w.since) / 1000)}: ${w.why}`);
  const aside = [
    [f.gated, 'held by scheduling gates (spec.schedulingGates)'],
    [f.assigned, 'given its node directly (spec.nodeName), not yet started by its kubelet'],
  ] as const;
  for (const [pods, why] of aside)
    if (pods.length) v.detail(`${plural(pods.length, 'pod')} ${why}, not counted: ${pods.slice(0, 20).join(', ')}`);
  for (const [node, t] of [...f.newestBindByNode].sort())
    if (node) v.detail(`newest pod on ${node} bound ${formatDuration(Math.max(1, (now - t) / 1000))} ago`);
  // 'It sees new pods' is not so of a scheduler that stalled since it judged them.
  const judged = stalled ? [] : judgedLines(waiting, newestBind);
  // Pods waiting are the scheduler's; no pod created at all, the controller-manager's (it creates them).
  if (stalled || judged.length) v.detail(...judged, ...staleLeaderCache('kube-scheduler'));
  if (noNewPod && !Number.isNaN(podAge)) v.detail(...staleLeaderCache('kube-controller-manager'));
  const bind = newestBind ? `, newest bind ${formatDuration(Math.max(1, bindAge))} ago` : '';
  return v.conclude(`${plural(waiting.length, 'pod')} unscheduled for over ${formatDuration(l.minAge)}${bind}`);
}

/** One pass over the pods: the newest creation and binding, and the pods left waiting. */
export async function gather(cluster: Cluster, deadline: Deadline, namespaces: string[], minAge: number): Promise<SchedulingFacts> {
  const f: SchedulingFacts = {
    now: Date.now(),
    waiting: [],
    newestBind: 0,
    newestCreated: 0,
    newestBindByNode: new Map(),
    gated: [],
    assigned: [],
  };
  deadline.activity = `listing pods from ${cluster.server}`;
  await listPods(cluster, { namespaces }, (pod: Wire<V1Pod>) => {
    const ref = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const created = apiTime(pod.metadata?.creationTimestamp, `creationTimestamp of pod ${ref}`);
    f.newestCreated = Math.max(f.newestCreated, created ?? 0);
    const bound = scheduledAt(pod);
    if (bound) {
      const t = apiTime(bound, `scheduling time of pod ${ref}`)!;
      f.newestBind = Math.max(f.newestBind, t);
      const node = pod.spec?.nodeName ?? '';
      f.newestBindByNode.set(node, Math.max(f.newestBindByNode.get(node) ?? 0, t));
      return;
    }
    if (pod.status?.phase !== 'Pending' || pod.metadata?.deletionTimestamp) return;
    const since = created ?? f.now;
    if (f.now - since < minAge * 1000) return;
    const gates = schedulingGates(pod);
    if (pod.spec?.nodeName) f.assigned.push(`${ref} (${pod.spec.nodeName})`);
    else if (gates.length) f.gated.push(`${ref} (${gates.join(', ')})`);
    else f.waiting.push({ ref, since, why: unscheduledWhy(pod), scheduler: otherScheduler(pod), judged: judgedUnschedulable(pod) });
  });
  return f;
}

export const check: CheckDefinition<SchedulingArgs> = {
  name: 'SCHEDULING',
  command: 'check_scheduling',
  description: 'counts pods left unscheduled past --min-age and tells whether the scheduler still binds pods at all',
  defaultWarning: defaults.warning,
  defaultCritical: defaults.critical,
  thresholdUnit: 'unscheduled pods',
  options: (y) => schedulingOptions(y, defaults),
  examples: [
    ['check_scheduling --min-age 10m', 'pods unscheduled for 10 minutes or more'],
    [
      'check_scheduling --newest-pod-warning 15m --newest-pod-critical 30m',
      'also: a controller-manager that creates no pod anywhere (per-minute CronJobs)',
    ],
  ],
  async run({ args, warning, critical, deadline, log, shared }) {
    const minAge = parseDuration(args['min-age'], '--min-age');
    const newestPod = newestPodContext(args);
    const { only } = namespacesOf(args);
    const facts = await gather(connect(args, deadline, log, { share: shared?.kube }), deadline, only, minAge);
    return evaluate(facts, { minAge, namespaces: only, warning, critical, newestPod });
  },
};
