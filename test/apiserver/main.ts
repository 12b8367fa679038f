// Starts the test API server on its own, for benchmarks and for trying a check by hand:
//   npm run test-api -- --nodes 3 --jobs 5000 --dir /tmp/api
// (npm puts the project's own Node 24 first on PATH) prints one JSON line {url, kubeconfig} and
// serves until killed. --pods N adds N pods over the nodes (and a calico-node pod on each node);
// --log FILE appends each request as a JSON line (method, path, query, status, connection,
// bytes), for the benchmarks to count requests, TLS connections and bytes. With --nodes, the
// leader leases and the node leases are renewed every 5 s as live controllers and kubelets do, so
// check_leases and check_watch_cache stay OK.
import { appendFileSync, mkdirSync } from 'node:fs';
import { scriptArgs } from '../helpers/script-args.ts';
import { makeCerts, writeKubeconfig } from './certs.ts';
import { calicoNode, deployment, job, lease, node, nodeLease, pod, replicaSet, type JobState } from './objects.ts';
import { startApiServer } from './server.ts';

const values = scriptArgs(
  'test-api',
  'npm run test-api -- [--nodes N] [--pods N] [--jobs N] [--deployments N] [--dir DIR] [--host IP] [--port N] [--log FILE]\n' +
    '  prints one JSON line {url, kubeconfig} and serves until killed (see test/apiserver/main.ts)',
  {
    jobs: { type: 'string', default: '0' },
    deployments: { type: 'string', default: '0' },
    dir: { type: 'string', default: '/tmp/mk8s-api' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    nodes: { type: 'string', default: '0' },
    pods: { type: 'string', default: '0' },
    log: { type: 'string' },
  },
);
const dir = values.dir!;
mkdirSync(dir, { recursive: true });
const certs = makeCerts([values.host!]);
const token = 'bench-token-0123456789abcdefghijklmnop';
const api = await startApiServer({
  certs,
  tokens: { [token]: { user: 'system:serviceaccount:monitoring:nagios' } },
  host: values.host,
  port: Number(values.port),
});

const states: JobState[] = ['complete', 'complete', 'complete', 'failed', 'running'];
const jobs = Number(values.jobs);
const batch: object[] = [];
for (let i = 0; i < jobs; i++) {
  const state = states[i % states.length]!;
  batch.push(
    job({
      namespace: `team-${i % 20}`,
      name: `job-${i}`,
      state,
      finishedAgo: i % 3 === 0 ? 600 : 7200,
      cronJob: i % 2 ? `cron-${i % 20}` : undefined,
    }),
  );
}
api.add('jobs', ...batch);
for (let i = 0; i < Number(values.deployments); i++) {
  const d = deployment({
    namespace: `team-${i % 20}`,
    name: `app-${i}`,
    generation: i % 50 === 0 ? 4 : 3,
    observedGeneration: 3,
    specChangedAgo: 900,
  });
  const rs = replicaSet(d, 1);
  api.add('deployments', d);
  api.add('replicasets', rs);
  api.add(
    'pods',
    pod({
      namespace: d.metadata.namespace as string,
      name: `${rs.metadata.name}-abcde`,
      node: 'node1',
      ip: `10.1.${(i >> 8) & 255}.${i & 255}`,
      owner: { kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid },
    }),
  );
}
for (let i = 1; i <= Number(values.nodes); i++) api.add('nodes', node({ name: `k8s0${i}`, ip: `10.0.0.1${i}` }));
const nodeNames = Array.from({ length: Number(values.nodes) }, (_, i) => `k8s0${i + 1}`);
// Pods as a busy cluster has them: most Running, 1 in 50 Pending (unscheduled), 1 in 20 restarted.
const pods = Number(values.pods);
const podNodes = nodeNames.length ? nodeNames : ['node1'];
const podBatch: object[] = [];
for (const n of podNodes) podBatch.push(calicoNode({ name: `calico-node-${n}`, node: n }));
for (let i = 0; i < pods; i++) {
  const pending = i % 50 === 7;
  podBatch.push(
    pod({
      namespace: `team-${i % 20}`,
      name: `web-${i}`,
      node: pending ? '' : podNodes[i % podNodes.length]!,
      phase: pending ? 'Pending' : 'Running',
      ip: pending ? undefined : `10.1.${(i >> 8) & 255}.${i & 255}`,
      restarts: i % 20 === 3 ? 2 : 0,
      labels: { app: `web-${i % 40}` },
    }),
  );
}
api.add('pods', ...podBatch);
const renew = () => {
  api.clear('leases');
  api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s01'), ...nodeNames.map((n) => nodeLease(n)));
};
if (Number(values.nodes) > 0) {
  renew();
  setInterval(renew, 5000);
}
if (values.log) {
  const log = values.log;
  api.onResponse = (r) => appendFileSync(log, `${JSON.stringify(r)}\n`);
}
const kubeconfig = writeKubeconfig(dir, api.url, certs.ca, token);
console.log(JSON.stringify({ url: api.url, kubeconfig }));
process.on('SIGTERM', () => api.close().then(() => process.exit(0)));
