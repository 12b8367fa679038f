import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { deployment, pod, replicaSet } from '../apiserver/objects.ts';
import { useCluster, type TestCluster } from '../helpers/cluster.ts';
import { runBuilt } from '../helpers/run.ts';

const cluster = useCluster();
let c: TestCluster;
beforeEach(() => {
  c = cluster();
});

/** A Deployment with its ReplicaSet and `ready` Ready pods (plus `unready` ones). */
function workload(
  ns: string,
  name: string,
  opts: { ready?: number; unready?: number; available?: number } & Parameters<typeof deployment>[0] extends infer D
    ? Partial<D> & { ready?: number; unready?: number; available?: number }
    : never,
) {
  const d = deployment({ namespace: ns, name, replicas: opts.ready ?? 1, ...opts });
  const rs = replicaSet(d, opts.available ?? opts.ready ?? 1);
  const owner = { kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid };
  const pods = [
    ...Array.from({ length: opts.ready ?? 1 }, (_, i) =>
      pod({ namespace: ns, name: `${rs.metadata.name}-r${i}x7k`, node: 'node1', ip: `10.1.12.${10 + i}`, owner }),
    ),
    ...Array.from({ length: opts.unready ?? 0 }, (_, i) =>
      pod({ namespace: ns, name: `${rs.metadata.name}-u${i}q2m`, node: 'node1', ip: `10.1.12.${100 + i}`, ready: false, owner }),
    ),
  ];
  c.api.add('deployments', d);
  c.api.add('replicasets', rs);
  if (pods.length) c.api.add('pods', ...pods);
  return { d, rs };
}

describe('check_observed_generation against the test API server', () => {
  it('names Deployments lagging past --grace, not the one edited seconds ago', async () => {
    for (let i = 0; i < 5; i++) workload('web', `frontend-${i}`, {});
    workload('web', 'checkout', { generation: 7, observedGeneration: 6, specChangedAgo: 600 });
    workload('ops', 'grafana', { generation: 4, observedGeneration: 3, specChangedAgo: 1800 });
    workload('ops', 'loki', { generation: 9, observedGeneration: 8, specChangedAgo: 5 });
    const r = await runBuilt('check_observed_generation', ['--kubeconfig', c.kubeconfig]);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^OBSERVED-GENERATION WARNING - 2 of 8 Deployments lagging past 2m/);
    expect(r.perf).toMatchObject({ lagging: '2;0;2;0', phantom: '0;;;0', deployments: '8;;;0' });
    expect(r.stdout).toMatch(/lagging deployment\/web\/checkout: generation 7 > observed 6 for 10m/);
    expect(r.stdout).toMatch(/lagging deployment\/ops\/grafana: generation 4 > observed 3 for 30m/);
    expect(r.stdout).toMatch(/within --grace deployment\/ops\/loki/);
    expect(r.stdout).toMatch(/restart snap\.microk8s\.daemon-k8s-dqlite on it/);
    expect(c.api.requests.every((q) => q.method === 'GET')).toBe(true);
  });

  it('finds a phantom ReplicaSet: available in status, no Ready pod owning it', async () => {
    workload('web', 'frontend', { ready: 2 });
    workload('web', 'api', { ready: 0, unready: 1, available: 1 });
    workload('data', 'redis', { ready: 0, available: 1 });
    const r = await runBuilt('check_observed_generation', ['--kubeconfig', c.kubeconfig]);
    expect(r.code).toBe(1);
    expect(r.perf).toMatchObject({ lagging: '0;0;2;0', phantom: '2;;;0' });
    expect(r.first).toMatch(/2 phantom ReplicaSets/);
    expect(r.stdout).toMatch(/phantom replicaset\/web\/api-\w+ \(deployment api\): status says 1 available, no Ready pod owns it/);
    expect(r.stdout).toMatch(/phantom replicaset\/data\/redis-\w+ \(deployment redis\)/);
    expect(r.stdout).toMatch(/kubectl -n \w+ patch rs \S+ --subresource=status/);
    expect(r.stdout).not.toMatch(/phantom replicaset\/web\/frontend/);
  });

  it('a Ready pod being deleted backs no claim: a ReplicaSet whose only pod is terminating is a phantom', async () => {
    // The ReplicaSet controller counts no terminating pod as available (controller.FilterActivePods):
    // a status still claiming one is a controller working from a frozen cache.
    workload('web', 'frontend', { ready: 2 });
    const d = deployment({ namespace: 'web', name: 'cart', replicas: 1 });
    const rs = replicaSet(d, 1);
    const owner = { kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid };
    c.api.add('deployments', d);
    c.api.add('replicasets', rs);
    c.api.add('pods', pod({ namespace: 'web', name: `${rs.metadata.name}-d0x7k`, node: 'node1', ip: '10.1.12.40', owner, deletedAgo: 10 }));
    const r = await runBuilt('check_observed_generation', ['--kubeconfig', c.kubeconfig]);
    expect(r.code).toBe(1);
    expect(r.perf).toMatchObject({ lagging: '0;0;2;0', phantom: '1;;;0' });
    expect(r.stdout).toMatch(/phantom replicaset\/web\/cart-\w+ \(deployment cart\): status says 1 available, no Ready pod owns it/);
    expect(r.stdout).not.toMatch(/phantom replicaset\/web\/frontend/);
  });

  it('a Ready pod backs only the ReplicaSet whose uid it names: one Deployment in two namespaces has one ReplicaSet name', async () => {
    // pod-template-hash comes from the template alone: staging/api and prod/api own ReplicaSets of one name.
    const staging = workload('staging', 'api', { ready: 0, available: 1 });
    const prod = workload('prod', 'api', { ready: 1 });
    expect(staging.rs.metadata.name).toBe(prod.rs.metadata.name);
    const r = await runBuilt('check_observed_generation', ['--kubeconfig', c.kubeconfig]);
    expect(r.code).toBe(1);
    expect(r.perf).toMatchObject({ phantom: '1;;;0' });
    expect(r.stdout).toMatch(/phantom replicaset\/staging\/api-\w+ \(deployment api\): status says 1 available, no Ready pod owns it/);
    expect(r.stdout).not.toMatch(/phantom replicaset\/prod\//);
  });

  it('a spec change is dated by the manager that wrote spec fields: an annotation added since does not restart --grace', async () => {
    // kubectl set image 10 minutes ago (generation 5, never observed), then kubectl annotate 20 s ago: metadata only.
    const { d } = workload('web', 'checkout', { generation: 5, observedGeneration: 4, specChangedAgo: 600 });
    const annotated = new Date(Date.now() - 20_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    (d.metadata.managedFields as object[]).push({
      manager: 'kubectl-annotate',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: annotated,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:kubernetes.io/change-cause': {} } } },
    });
    const r = await runBuilt('check_observed_generation', ['--kubeconfig', c.kubeconfig]);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^OBSERVED-GENERATION WARNING - 1 of 1 Deployment lagging past 2m, web\/checkout \|/);
    expect(r.stdout).toMatch(/lagging deployment\/web\/checkout: generation 5 > observed 4 for 10m/);
  });

  /** A managedFields entry of an Update by `manager` 20 s ago, writing `fieldsV1`. */
  const writ20sAgo = (manager: string, fieldsV1: object) => ({
    manager,
    operation: 'Update',
    apiVersion: 'apps/v1',
    time: new Date(Date.now() - 20_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    fieldsType: 'FieldsV1',
    fieldsV1,
  });

  it('a spec is dated by its newest spec write: an image set 20 s ago on a Deployment applied a month ago is within --grace', async () => {
    // kubectl apply wrote the spec a month ago; kubectl set image 20 s ago (generation 8, not observed yet).
    const { d } = workload('web', 'checkout', { generation: 8, observedGeneration: 7, specChangedAgo: 30 * 86400 });
    (d.metadata.managedFields as object[]).push(
      writ20sAgo('kubectl-set', {
        'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { 'f:image': {} } } } } },
      }),
    );
    const r = await runBuilt('check_observed_generation', ['--kubeconfig', c.kubeconfig]);
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^OBSERVED-GENERATION OK - 0 of 1 Deployment lagging past 2m \| lagging=0;0;2;0/);
    expect(r.stdout).toMatch(/^within --grace deployment\/web\/checkout: generation 8 > observed 7 for 2\ds$/m);
  });

  it('a scale through the scale subresource (kubectl scale, an HPA) 20 s ago dates the spec: within --grace', async () => {
    // Applied a month ago; `kubectl scale --replicas=3` 20 s ago wrote spec.replicas through deployments/scale
    // (generation 8, not observed yet): the API server records it as its own entry, subresource "scale".
    const { d } = workload('web', 'checkout', { generation: 8, observedGeneration: 7, specChangedAgo: 30 * 86400 });
    (d.metadata.managedFields as object[]).push({ ...writ20sAgo('kubectl', { 'f:spec': { 'f:replicas': {} } }), subresource: 'scale' });
    const r = await runBuilt('check_observed_generation', ['--kubeconfig', c.kubeconfig]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.first).toMatch(/^OBSERVED-GENERATION OK - 0 of 1 Deployment lagging past 2m \| lagging=0;0;2;0/);
    expect(r.stdout).toMatch(/^within --grace deployment\/web\/checkout: generation 8 > observed 7 for 2\ds$/m);
  });

  it('without managedFields the creation time dates the spec: a Deployment created 20 s ago is within --grace', async () => {
    const created = (ago: number) => new Date(Date.now() - ago * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const fresh = workload('web', 'fresh', { generation: 1, observedGeneration: 0, managedFields: false });
    Object.assign(fresh.d.metadata, { creationTimestamp: created(20) });
    const old = workload('web', 'old', { generation: 1, observedGeneration: 0, managedFields: false });
    Object.assign(old.d.metadata, { creationTimestamp: created(600) });
    const r = await runBuilt('check_observed_generation', ['--kubeconfig', c.kubeconfig]);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^OBSERVED-GENERATION WARNING - 1 of 2 Deployments lagging past 2m, web\/old \|/);
    expect(r.stdout).toMatch(/^lagging deployment\/web\/old: generation 1 > observed 0 for 10m\d*s?$/m);
  });

  it('a Deployment the controller never observed (no status yet) lags from generation 1', async () => {
    // Created 10 minutes ago while the controller-manager's cache was frozen: the API server returns status {}.
    const d = deployment({ namespace: 'web', name: 'new-api', generation: 1, specChangedAgo: 600 });
    (d as { status: object }).status = {};
    // Nothing but its creation wrote it: one spec manager, no controller-manager's status entry.
    const fields = (d.metadata.managedFields as { time: string; subresource?: string; fieldsV1: object }[]).filter(
      (f) => !f.subresource && 'f:spec' in f.fieldsV1,
    );
    Object.assign(d.metadata, { managedFields: fields, creationTimestamp: fields[0]!.time });
    c.api.add('deployments', d);
    const r = await runBuilt('check_observed_generation', ['--kubeconfig', c.kubeconfig]);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^OBSERVED-GENERATION WARNING - 1 of 1 Deployment lagging past 2m, web\/new-api \|/);
    expect(r.stdout).toMatch(/lagging deployment\/web\/new-api: generation 1 > observed 0 for 10m/);
  });

  it('a ReplicaSet claims pods by availableReplicas: replicas 1 with its new pod not Ready yet is no phantom', async () => {
    const d = deployment({ namespace: 'web', name: 'api', replicas: 1 });
    const rs = replicaSet(d, 0);
    // As the ReplicaSet controller writes it while its pod waits on a readiness probe: zero counts left out.
    rs.status = { replicas: 1, fullyLabeledReplicas: 1, observedGeneration: 1 } as typeof rs.status;
    const owner = { kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid };
    c.api.add('deployments', d);
    c.api.add('replicasets', rs);
    c.api.add('pods', pod({ namespace: 'web', name: `${rs.metadata.name}-w8n2c`, node: 'node1', ip: '10.1.12.50', ready: false, owner }));
    const r = await runBuilt('check_observed_generation', ['--kubeconfig', c.kubeconfig]);
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^OBSERVED-GENERATION OK - 0 of 1 Deployment lagging past 2m \| lagging=0;0;2;0 phantom=0;;;0 /);
  });

  it('is OK on a healthy cluster, CRITICAL past -c, and warns on ProgressDeadlineExceeded', async () => {
    for (let i = 0; i < 3; i++) workload('web', `svc-${i}`, {});
    const ok = await runBuilt('check_observed_generation', ['--kubeconfig', c.kubeconfig]);
    expect(ok.code).toBe(0);
    expect(ok.first).toMatch(/^OBSERVED-GENERATION OK - 0 of 3 Deployments lagging past 2m \|/);
    for (let i = 0; i < 3; i++) workload('batch', `lag-${i}`, { generation: 2, observedGeneration: 1, specChangedAgo: 900 });
    const crit = await runBuilt('check_observed_generation', ['--kubeconfig', c.kubeconfig, '--grace', '5m']);
    expect(crit.code).toBe(2);
    expect(crit.perf.lagging).toBe('3;0;2;0');
    workload('web', 'stuck', { progressDeadlineExceeded: true });
    const ns = await runBuilt('check_observed_generation', ['--kubeconfig', c.kubeconfig, '-n', 'web']);
    expect(ns.code).toBe(1);
    expect(ns.first).toMatch(/1 Deployment past its progress deadline/);
    expect(ns.perf.deployments).toBe('4;;;0');
  });

  it('a namespace given twice is read once: one lagging Deployment is not two', async () => {
    workload('web', 'checkout', { generation: 7, observedGeneration: 6, specChangedAgo: 600 });
    workload('web', 'frontend', {});
    const r = await runBuilt('check_observed_generation', ['--kubeconfig', c.kubeconfig, '-n', 'web', '-n', 'web']);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^OBSERVED-GENERATION WARNING - 1 of 2 Deployments lagging past 2m, web\/checkout \|/);
    expect(r.perf).toMatchObject({ lagging: '1;0;2;0', deployments: '2;;;0' });
    const pods = await runBuilt('check_pod_restarts', [
      '--kubeconfig',
      c.kubeconfig,
      '-n',
      'web',
      '-n',
      'web',
      '--state-file',
      join(mkdtempSync(join(tmpdir(), 'mk8s-og-')), 'pods.json'),
    ]);
    expect(pods.perf.pods).toBe('2;;;0');
  });

  it('a workload being deleted is not lagging: the deletion bumped its generation, and no controller rolls it out', async () => {
    // `kubectl delete ds fluent-bit --cascade=foreground` 10 minutes ago, one of its pods on a node that is down: the API
    // server set deletionTimestamp and bumped generation 2 -> 3 (markAsDeleting), and the DaemonSet controller never
    // updates the status of a DaemonSet being deleted, so observedGeneration stays 2 until the object is gone.
    const at = (ago: number) => new Date(Date.now() - ago * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const labels = { 'app.kubernetes.io/name': 'fluent-bit' };
    c.api.add('daemonsets', {
      metadata: {
        name: 'fluent-bit',
        namespace: 'logging',
        uid: randomUUID(),
        generation: 3,
        creationTimestamp: at(30 * 86400),
        deletionTimestamp: at(600),
        deletionGracePeriodSeconds: 0,
        finalizers: ['foregroundDeletion'],
        labels,
        annotations: { 'deprecated.daemonset.template.generation': '2' },
        managedFields: [
          {
            manager: 'kubectl-client-side-apply',
            operation: 'Update',
            apiVersion: 'apps/v1',
            time: at(30 * 86400),
            fieldsType: 'FieldsV1',
            fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': {} } } } },
          },
          {
            manager: 'kube-controller-manager',
            operation: 'Update',
            apiVersion: 'apps/v1',
            time: at(700),
            fieldsType: 'FieldsV1',
            fieldsV1: { 'f:status': { 'f:numberReady': {}, 'f:observedGeneration': {} } },
            subresource: 'status',
          },
        ],
      },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { creationTimestamp: null, labels },
          spec: { containers: [{ name: 'fluent-bit', image: 'cr.fluentbit.io/fluent/fluent-bit:3.1.9', resources: {} }] },
        },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
        revisionHistoryLimit: 10,
      },
      status: {
        currentNumberScheduled: 3,
        numberMisscheduled: 0,
        desiredNumberScheduled: 3,
        numberReady: 2,
        observedGeneration: 2,
        updatedNumberScheduled: 3,
        numberAvailable: 2,
        numberUnavailable: 1,
      },
    });
    const r = await runBuilt('check_observed_generation', ['--kubeconfig', c.kubeconfig, '--kind', 'daemonset']);
    expect(r.code, r.stdout).toBe(0);
    expect(r.first).toMatch(/^OBSERVED-GENERATION OK - 0 of 1 workload lagging past 2m \| lagging=0;0;2;0 phantom=0;;;0 daemonsets=1;;;0$/);
  });

  it('judges StatefulSets and DaemonSets with --kind', async () => {
    const sts = deployment({ namespace: 'data', name: 'postgres', generation: 3, observedGeneration: 2, specChangedAgo: 3600 });
    c.api.add('statefulsets', sts);
    const r = await runBuilt('check_observed_generation', ['--kubeconfig', c.kubeconfig, '--kind', 'statefulset', '--kind', 'daemonset']);
    expect(r.code).toBe(1);
    expect(r.perf).toMatchObject({ lagging: '1;0;2;0', statefulsets: '1;;;0', daemonsets: '0;;;0' });
    expect(r.stdout).toMatch(/lagging statefulset\/data\/postgres/);
  });
});
