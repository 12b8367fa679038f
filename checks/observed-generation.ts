// Runbook, "If kcm/scheduler watches are stale" and "If a Deployment is stuck (phantom RS status)":
// when kine connections drop, the controller-manager works from a frozen informer cache. Its
// Deployments stop reconciling (observedGeneration stays behind generation), and ReplicaSets keep
// reporting pods that no longer exist. Both are read here; nothing is patched or restarted.
import { AppsV1Api, CoreV1Api, type V1DaemonSet, type V1Deployment, type V1Pod, type V1ReplicaSet, type V1StatefulSet } from '@kubernetes/client-node';
import { formatDuration, parseDuration } from '../lib/duration.ts';
import { connect, kubeOptions, type KubeArgs } from '../lib/kube-input.ts';
import { generationLag, isLiveReady, progressDeadlineExceeded, specChangedAt } from '../lib/k8s/rollout.ts';
import { dns1123Label } from '../lib/names.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict } from '../lib/plugin/verdict.ts';
import { byScope, listAcross } from '../lib/k8s/list.ts';
import { plural } from '../lib/text.ts';
import type { Wire } from '../lib/sources/kube.ts';

const KINDS = ['deployment', 'statefulset', 'daemonset'] as const;
type Kind = (typeof KINDS)[number];

interface Args extends KubeArgs {
  namespace?: string[];
  grace: string;
  kind?: Kind[];
}

interface Tally {
  count: number;
  lagging: string[];
  recent: string[];
  stalled: string[];
}

const freshTally = (): Tally => ({ count: 0, lagging: [], recent: [], stalled: [] });

interface Phantom {
  ref: string;
  owner: string;
  available: number;
}

export const check: CheckDefinition<Args> = {
  name: 'OBSERVED-GENERATION',
  command: 'check_observed_generation',
  description: 'finds Deployments whose controller stopped reconciling (observedGeneration < generation) and phantom ReplicaSet status',
  defaultWarning: '0',
  defaultCritical: '2',
  options: (y) =>
    kubeOptions(y)
      .option('namespace', { alias: 'n', type: 'string', array: true, describe: 'only these namespaces (repeatable)' })
      .option('grace', { type: 'string', default: '120s', describe: 'a spec change unobserved this long counts as lagging' })
      .option('kind', { type: 'string', array: true, choices: KINDS, describe: 'workload kinds to judge (repeatable; default deployment)' }),
  examples: [['check_observed_generation --grace 3m', 'Deployments lagging 3 minutes or more, and phantom ReplicaSets']],
  async run({ args, warning, critical, deadline, log }) {
    const grace = parseDuration(args.grace, '--grace');
    const namespaces = (args.namespace ?? []).map((n) => dns1123Label(n, '-n/--namespace'));
    const kinds = new Set<Kind>(args.kind?.length ? args.kind : ['deployment']);
    const cluster = connect(args, deadline, log);
    const apps = cluster.api(AppsV1Api);
    const core = cluster.api(CoreV1Api);
    const now = Date.now();

    const tallies = new Map<Kind, Tally>();
    const tally = (kind: Kind) => {
      const t = freshTally();
      tallies.set(kind, t);
      return judge(kind, t);
    };
    const judge = (kind: Kind, t: Tally) => (obj: Wire<V1Deployment> | Wire<V1StatefulSet> | Wire<V1DaemonSet>) => {
      t.count++;
      const ref = `${kind}/${obj.metadata?.namespace}/${obj.metadata?.name}`;
      const lag = generationLag(obj);
      if (lag) {
        const since = specChangedAt(obj.metadata);
        const age = since !== undefined ? (now - since) / 1000 : Infinity;
        const text = `${ref}: generation ${lag.generation} > observed ${lag.observed}${Number.isFinite(age) ? ` for ${formatDuration(Math.max(age, 1))}` : ''}`;
        (age > grace ? t.lagging : t.recent).push(text);
      }
      if (kind === 'deployment' && progressDeadlineExceeded(obj as Wire<V1Deployment>)) t.stalled.push(ref);
    };

    // ReplicaSets claiming available pods, and the owners of pods that are really Ready.
    // Only what a phantom needs is kept of each ReplicaSet, so memory stays small on big clusters.
    const claims: (Phantom & { uid: string })[] = [];
    const readyOwners = new Set<string>();
    deadline.activity = `listing workloads from ${cluster.server}`;
    const opts = { namespaces, cluster };
    const workloads = {
      deployment: byScope(apps.listNamespacedDeployment.bind(apps), apps.listDeploymentForAllNamespaces.bind(apps)),
      statefulset: byScope(apps.listNamespacedStatefulSet.bind(apps), apps.listStatefulSetForAllNamespaces.bind(apps)),
      daemonset: byScope(apps.listNamespacedDaemonSet.bind(apps), apps.listDaemonSetForAllNamespaces.bind(apps)),
    };
    const lists: Promise<void>[] = [...kinds].map((kind) => listAcross<V1Deployment | V1StatefulSet | V1DaemonSet>(opts, { resource: `${kind}s`, group: 'apps' }, workloads[kind], tally(kind)));
    if (kinds.has('deployment')) {
      lists.push(
        listAcross(opts, { resource: 'replicasets', group: 'apps' }, byScope(apps.listNamespacedReplicaSet.bind(apps), apps.listReplicaSetForAllNamespaces.bind(apps)), (rs: Wire<V1ReplicaSet>) => {
          const available = rs.status?.availableReplicas ?? 0;
          if (available > 0) {
            const owner = rs.metadata?.ownerReferences?.find((o) => o.controller)?.name ?? '';
            claims.push({ ref: `${rs.metadata?.namespace}/${rs.metadata?.name}`, owner, available, uid: rs.metadata?.uid ?? '' });
          }
        }),
        listAcross(opts, { resource: 'pods', group: '' }, byScope(core.listNamespacedPod.bind(core), core.listPodForAllNamespaces.bind(core), { fieldSelector: 'status.phase=Running' }), (pod: Wire<V1Pod>) => {
          if (!isLiveReady(pod)) return;
          for (const ref of pod.metadata?.ownerReferences ?? []) if (ref.controller) readyOwners.add(ref.uid);
        }),
      );
    }
    await Promise.all(lists);

    const phantoms: Phantom[] = claims.filter((c) => !readyOwners.has(c.uid));

    const all = [...tallies.values()];
    const lagging = all.flatMap((t) => t.lagging);
    const recent = all.flatMap((t) => t.recent);
    const stalled = all.flatMap((t) => t.stalled);
    const v = new Verdict(check.name);
    v.measure({ label: 'lagging', value: lagging.length, min: 0 }, new ScalarContext(warning, critical));
    v.measure({ label: 'phantom', value: phantoms.length, min: 0 });
    for (const [kind, t] of tallies) v.measure({ label: `${kind}s`, value: t.count, min: 0 });
    if (phantoms.length) v.find(State.WARNING, plural(phantoms.length, 'phantom ReplicaSet'));
    if (stalled.length) v.find(State.WARNING, `${plural(stalled.length, 'Deployment')} past its progress deadline`);

    for (const l of lagging) v.detail(`lagging ${l}`);
    for (const p of phantoms) v.detail(`phantom replicaset/${p.ref}${p.owner ? ` (deployment ${p.owner})` : ''}: status says ${p.available} available, no Ready pod owns it`);
    for (const s of stalled) v.detail(`ProgressDeadlineExceeded ${s}`);
    for (const r of recent) v.detail(`within --grace ${r}`);
    if (lagging.length) {
      v.detail(
        'Stale kcm informer cache: find the leader (kubectl -n kube-system get lease kube-controller-manager -o jsonpath={.spec.holderIdentity}),',
        '  restart snap.microk8s.daemon-k8s-dqlite on it, sleep 10, cordon it, restart snap.microk8s.daemon-kubelite, wait Ready, uncordon;',
        '  the new leader should reconcile within 2 minutes.',
      );
    }
    if (phantoms.length) {
      const p = phantoms[0]!;
      const [ns, rs] = p.ref.split('/');
      v.detail(
        `Phantom status: patch it, e.g. kubectl -n ${ns} patch rs ${rs} --subresource=status --type=merge -p '{"status":{"replicas":0,"readyReplicas":0,"availableReplicas":0}}'`,
        `  if observedGeneration still does not advance: kubectl -n ${ns} rollout restart deployment ${p.owner || '<name>'}`,
        "  (if ArgoCD selfHeal reverts the restart annotation, restart the kcm leader's kubelite instead).",
      );
    }

    const total = all.reduce((n, t) => n + t.count, 0);
    const parts = [`${lagging.length} of ${plural(total, kinds.size === 1 && kinds.has('deployment') ? 'Deployment' : 'workload')} lagging past ${formatDuration(grace)}`];
    parts.push(...v.findings.map((f) => f.text));
    if (lagging.length) parts.push(lagging.map((l) => l.split(':')[0]!.replace(/^\w+\//, '')).slice(0, 3).join(', ') + (lagging.length > 3 ? ', ...' : ''));
    return v.outcome(parts.join(', '));
  },
};
