// Runbook, "Symptom": with a stale informer cache the scheduler stops binding pods and "new pods
// fail to schedule". Pods Pending without PodScheduled=True past --min-age are counted; when none
// was bound anywhere since the oldest of them arrived, the scheduler itself looks stalled.
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { formatDuration, parseDuration } from '../lib/duration.ts';
import { apiTime } from '../lib/k8s/time.ts';
import { byScope, listAcross } from '../lib/k8s/list.ts';
import { connect, kubeOptions, type KubeArgs } from '../lib/kube-input.ts';
import { dns1123Label } from '../lib/names.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { Range } from '../lib/plugin/range.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict } from '../lib/plugin/verdict.ts';
import { plural } from '../lib/text.ts';
import type { Wire } from '../lib/sources/kube.ts';

interface Args extends KubeArgs {
  namespace?: string[];
  'min-age': string;
  'newest-pod-warning'?: string;
  'newest-pod-critical'?: string;
}

const scheduledAt = (pod: Wire<V1Pod>) => pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'True')?.lastTransitionTime;

export const check: CheckDefinition<Args> = {
  name: 'SCHEDULING',
  command: 'check_scheduling',
  description: 'counts pods left unscheduled past --min-age and tells whether the scheduler still binds pods at all',
  defaultWarning: '0',
  defaultCritical: '5',
  options: (y) =>
    kubeOptions(y)
      .option('namespace', { alias: 'n', type: 'string', array: true, describe: 'only these namespaces (repeatable)' })
      .option('min-age', { type: 'string', default: '5m', describe: 'a pod counts once it has waited this long' })
      .option('newest-pod-warning', { type: 'string', describe: 'WARNING when no pod was created for this long (e.g. 15m); newest_pod_age is perfdata without it' })
      .option('newest-pod-critical', { type: 'string', describe: 'CRITICAL when no pod was created for this long (e.g. 30m)' }),
  examples: [
    ['check_scheduling --min-age 10m', 'pods unscheduled for 10 minutes or more'],
    ['check_scheduling --newest-pod-warning 15m --newest-pod-critical 30m', 'also: a controller-manager that creates no pod anywhere (per-minute CronJobs)'],
  ],
  async run({ args, warning, critical, deadline, log }) {
    const minAge = parseDuration(args['min-age'], '--min-age');
    // A frozen controller-manager (or a frozen watch cache under it) shows as no pod created anywhere.
    const newestRange = (option: 'newest-pod-warning' | 'newest-pod-critical') => (args[option] === undefined ? undefined : Range.parse(String(parseDuration(args[option]!, `--${option}`)), `--${option}`));
    const newestPod = new ScalarContext(newestRange('newest-pod-warning'), newestRange('newest-pod-critical'));
    const namespaces = (args.namespace ?? []).map((n) => dns1123Label(n, '-n/--namespace'));
    const cluster = connect(args, deadline, log);
    const core = cluster.api(CoreV1Api);
    const now = Date.now();
    const waiting: { ref: string; since: number; why: string }[] = [];
    let newestBind = 0;
    let newestCreated = 0;
    const newestByNode = new Map<string, number>();
    deadline.activity = `listing pods from ${cluster.server}`;
    await listAcross({ namespaces, cluster }, { resource: 'pods', group: '' }, byScope(core.listNamespacedPod.bind(core), core.listPodForAllNamespaces.bind(core)), (pod: Wire<V1Pod>) => {
      newestCreated = Math.max(newestCreated, apiTime(pod.metadata?.creationTimestamp, `creationTimestamp of pod ${pod.metadata?.namespace}/${pod.metadata?.name}`) ?? 0);
      const bound = scheduledAt(pod);
      if (bound) {
        const t = apiTime(bound, `scheduling time of pod ${pod.metadata?.namespace}/${pod.metadata?.name}`)!;
        newestBind = Math.max(newestBind, t);
        const node = pod.spec?.nodeName ?? '';
        newestByNode.set(node, Math.max(newestByNode.get(node) ?? 0, t));
        return;
      }
      if (pod.status?.phase !== 'Pending' || pod.metadata?.deletionTimestamp) return;
      const created = apiTime(pod.metadata?.creationTimestamp, `creationTimestamp of pod ${pod.metadata?.namespace}/${pod.metadata?.name}`) ?? now;
      if (now - created < minAge * 1000) return;
      const cond = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
      waiting.push({ ref: `${pod.metadata?.namespace}/${pod.metadata?.name}`, since: created, why: cond?.message ?? cond?.reason ?? 'not scheduled yet' });
    });

    const v = new Verdict(check.name);
    v.measure({ label: 'unscheduled', value: waiting.length, min: 0 }, new ScalarContext(warning, critical));
    const bindAge = newestBind ? (now - newestBind) / 1000 : NaN;
    v.measure({ label: 'newest_bind_age', value: bindAge, uom: 's', min: 0 });
    const podAge = newestCreated ? Math.max(0, (now - newestCreated) / 1000) : NaN;
    if (v.measure({ label: 'newest_pod_age', value: podAge, uom: 's', min: 0 }, newestPod) !== State.OK) {
      v.find(
        Number.isNaN(podAge) ? State.UNKNOWN : State.WARNING,
        Number.isNaN(podAge) ? 'no pod to date the newest creation by' : `no pod created ${namespaces.length ? `in ${namespaces.join(', ')} ` : ''}for ${formatDuration(podAge)}: is the controller-manager (or its API server's watch cache) frozen?`,
      );
    }
    const oldestWait = Math.min(...waiting.map((w) => w.since));
    if (waiting.length && newestBind < oldestWait) {
      v.find(State.CRITICAL, `no pod bound anywhere since the oldest waiting one arrived ${formatDuration((now - oldestWait) / 1000)} ago: the scheduler looks stalled`);
    }
    for (const w of waiting.sort((a, b) => a.since - b.since).slice(0, 20)) v.detail(`${w.ref} waiting ${formatDuration((now - w.since) / 1000)}: ${w.why}`);
    for (const [node, t] of [...newestByNode].sort()) if (node) v.detail(`newest pod on ${node} bound ${formatDuration(Math.max(1, (now - t) / 1000))} ago`);
    if (v.findings.length) {
      v.detail(
        "Stale scheduler cache: find the leader (kubectl -n kube-system get lease kube-scheduler -o jsonpath={.spec.holderIdentity}),",
        '  restart snap.microk8s.daemon-k8s-dqlite on it, sleep 10, then cordon, restart kubelite, wait Ready, uncordon.',
      );
    }
    const head = `${plural(waiting.length, 'pod')} unscheduled for over ${formatDuration(minAge)}`;
    const bind = newestBind ? `, newest bind ${formatDuration(Math.max(1, bindAge))} ago` : '';
    return v.outcome([head + bind, ...v.findings.map((f) => f.text)].join(', '));
  },
};
