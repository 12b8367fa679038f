// The demo's Kubernetes objects on the test API server, and the controllers that keep them current
// while it runs: kubelets renew their node Leases, the leaders their leader Leases, the cronjob
// controller schedules its CronJobs on time. In a storm (the default) the fallout the runbook
// describes is there too: a crash-looping pod, a CronJob the frozen controller left unscheduled,
// finished Jobs nobody cleaned up, a Deployment whose change no controller has seen, a new pod on
// k8s02 calico gave no host route.
import { calicoNode, cronJob, deployment, job, lease, node, nodeLease, pod, replicaSet } from '../apiserver/objects.ts';
import type { ApiServer } from '../apiserver/server.ts';

/** The node the demo host plays: its journal, its services, its dqlite backend, its routes. */
export const DEMO_NODE = 'k8s02';

/** Node names, each with the InternalIP its dqlite member listens on. */
export type DemoNodes = { name: string; ip: string }[];

/** Seconds since the latest start of a `*\/period-minutes` slot. */
const slotAgo = (minutes: number) => (Date.now() % (minutes * 60_000)) / 1000;

function cronJobs(storm: boolean): object[] {
  const every5 = slotAgo(5);
  const hourly = slotAgo(60);
  return [
    cronJob({ namespace: 'ops', name: 'backup', schedule: '0 * * * *', scheduledAgo: hourly, succeededAgo: Math.max(0, hourly - 40) }),
    cronJob({ namespace: 'ops', name: 'report', schedule: '*/5 * * * *', scheduledAgo: every5, succeededAgo: Math.max(0, every5 - 8) }),
    cronJob({ namespace: 'ops', name: 'paused', schedule: '*/5 * * * *', scheduledAgo: 86400, suspend: true }),
    // Scheduled last 40 minutes ago on a 5-minute schedule: what a controller-manager that lost its
    // lease in the storm leaves behind.
    ...(storm
      ? [cronJob({ namespace: 'ops', name: 'cleanup', schedule: '*/5 * * * *', scheduledAgo: 2400 + every5, succeededAgo: 2390 + every5 })]
      : []),
  ];
}

/** What the leaders and the kubelets renew every few seconds, and the cronjob controller's schedule. */
export function renew(api: ApiServer, nodes: DemoNodes, storm: boolean): void {
  api.clear('leases');
  api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s03'), ...nodes.map((n) => nodeLease(n.name)));
  api.clear('cronjobs');
  api.add('cronjobs', ...cronJobs(storm));
}

/** Every object the API checks read, once. */
export function populate(api: ApiServer, nodes: DemoNodes, storm: boolean): void {
  api.add('nodes', ...nodes.map((n) => node(n)));
  for (const n of nodes) api.add('pods', calicoNode({ name: `calico-node-${n.name.slice(-2)}xq`, node: n.name }));
  for (let i = 0; i < 6; i++) {
    const d = deployment({ namespace: 'web', name: `app-${i}`, specChangedAgo: 3600 });
    const rs = replicaSet(d, 1);
    api.add('deployments', d);
    api.add('replicasets', rs);
    const on = i % 2 ? 'k8s01' : 'k8s03';
    api.add(
      'pods',
      pod({
        namespace: 'web',
        name: `${rs.metadata.name}-x${i}k4m`,
        node: on,
        ip: `10.1.${i}.7`,
        owner: { kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid },
      }),
    );
  }
  // Recent Jobs, finished within the hour (a TTL controller at work).
  for (let i = 0; i < 4; i++)
    api.add(
      'jobs',
      job({ namespace: 'ops', name: `report-${29400000 + i}`, state: 'complete', finishedAgo: 300 + i * 300, cronJob: 'report' }),
    );
  if (!storm) return;
  api.add(
    'pods',
    pod({
      namespace: 'web',
      name: 'api-7d9f8b6c5-x2k4m',
      node: 'k8s01',
      ip: '10.1.22.7',
      restarts: 37,
      crashLooping: true,
      lastExit: { reason: 'Error', exitCode: 1 },
    }),
  );
  // A pod calico placed on this node after its watch went stale: no host route here.
  api.add('pods', pod({ namespace: 'web', name: 'frontend-6b8f9c7d5-bbbbb', node: DEMO_NODE, ip: '10.1.99.23', startedAgo: 600 }));
  // Finished more than an hour ago and never cleaned up.
  for (let i = 0; i < 64; i++)
    api.add(
      'jobs',
      job({ namespace: `team-${i % 3}`, name: `import-${i}`, state: i % 4 ? 'complete' : 'failed', finishedAgo: 7200 + i * 60 }),
    );
  // Spec changed 15 minutes ago; the deployment controller has not caught up.
  const stuck = deployment({ namespace: 'web', name: 'checkout', generation: 4, observedGeneration: 3, specChangedAgo: 900 });
  api.add('deployments', stuck);
  api.add('replicasets', replicaSet(stuck, 1));
}
