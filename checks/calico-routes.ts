// Runbook, "If calico-node watch is stale (new pods missing host routes)": after a write storm
// calico-node's watch goes stale and new pods on a node get no host route; they crash with
// `connect: no route to host`, or `invalid argument` when their /32 falls into the block's
// blackhole. Every Running pod here needs a route to its IP through its own cali veth.
import { inOrder } from '../lib/in-order.ts';
import { hostname } from 'node:os';
import type { V1Pod } from '@kubernetes/client-node';
import { formatDuration, parseDuration } from '../lib/duration.ts';
import { apiTime } from '../lib/k8s/time.ts';
import { CALICO_NODE_LABEL, CALICO_NODE_NAMESPACES, calicoIface, isCalicoNode, restarts } from '../lib/k8s/calico.ts';
import { isReady } from '../lib/k8s/ready.ts';
import { anyPod, listPods, nodeExists } from '../lib/sources/kube/reads.ts';
import { kubeOptions, type KubeArgs } from '../lib/options/kube.ts';
import { connect, type Cluster } from '../lib/sources/kube/cluster.ts';
import { UsageError } from '../lib/errors.ts';
import { judgedNode } from '../lib/names.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import { thresholdsOf, type Thresholds } from '../lib/plugin/range.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';
import { localRunner, type CommandRunner } from '../lib/sources/command.ts';
import { sshOptions, type SshArgs } from '../lib/options/ssh.ts';
import { readRoutes, type RouteTable } from '../lib/sources/routes.ts';
import { plural } from '../lib/text.ts';
import { skewDetail, skewNote } from '../lib/clock-skew.ts';
import { readRemoteClock, type RemoteClock } from '../lib/sources/ssh/clock.ts';
import { connectTo } from '../lib/sources/ssh/hosts.ts';
import type { SshShare } from '../lib/sources/ssh/share.ts';
import { KubeError } from '../lib/sources/kube/errors.ts';
import type { Wire } from '../lib/k8s/wire.ts';

interface Args extends KubeArgs, SshArgs {
  node?: string;
  'min-age': string;
  'iface-prefix': string;
}

/** Why a pod IP has no usable route, or undefined when it has one. */
function routeProblem(table: RouteTable, ip: string, iface: string): string | undefined {
  const route = table.host(ip);
  if (!route) {
    const hole = table.blackholeFor(ip);
    return hole ? `no route: falls into blackhole ${hole.dst}` : 'no route';
  }
  if (route.type === 'blackhole' || route.type === 'unreachable' || route.type === 'prohibit') return `${route.type} route`;
  if (route.dev !== iface) return `route via ${route.dev ?? route.gateway ?? 'another path'}`;
  return undefined;
}

export interface PodOnNode {
  namespace: string;
  name: string;
  ips: string[];
}

/** What the API server and this node's kernel say: Running pods, calico-node, the routes. */
export interface RouteFacts {
  node: string;
  ifacePrefix: string;
  minAge: number;
  pods: PodOnNode[];
  calico: { name: string; namespace: string; ready: boolean; restarts: number }[];
  /**
   * Whether the cluster runs calico-node on any node, asked only where none is on this one: on a
   * cluster of another CNI (MicroK8s' cilium, kube-ovn or non-HA flannel) no pod has a cali veth.
   */
  calicoInCluster?: boolean;
  /** The namespace calico-node was found in elsewhere, where none is on this node. */
  calicoNamespace?: string;
  table: RouteTable;
  /** The clock of the node read over SSH (--host), against ours: its pods' ages were taken on it. */
  clock?: RemoteClock;
}

export const defaults = { critical: '0', minAge: '30s', ifacePrefix: 'cali' };
/** The defaults parsed, as -w/-c judge when not given. */
export const defaultLimits = thresholdsOf(defaults);

/** Where its DaemonSet is, whichever installed it (MicroK8s' manifest labels it, the Tigera operator does not). */
const FIND_DAEMONSET = 'kubectl get ds -A --field-selector metadata.name=calico-node';

/**
 * No calico-node anywhere and no pod here routed through its own cali veth: the cluster runs another
 * CNI (or Calico was removed), and judging the pods' routes would call every one missing. Not a
 * broken cluster: UNKNOWN.
 */
function noCalico(f: RouteFacts, { warning, critical }: Thresholds): Outcome {
  const v = new Verdict(check.name);
  // Every metric stays, the undetermined as U (output.md): a run with fewer values is lost to pnp4nagios.
  v.measure({ label: 'missing', value: Number.NaN, min: 0 }, new ScalarContext(warning, critical));
  v.measure({ label: 'pods', value: f.pods.length, min: 0 });
  v.measure({ label: 'calico_restarts', value: Number.NaN, uom: 'c', min: 0 });
  v.find(
    State.UNKNOWN,
    "the cluster runs no calico-node pod at all (another CNI, such as MicroK8s' cilium or kube-ovn addon, or calico-node removed): " +
      `the routes of ${plural(f.pods.length, 'Running pod')} on ${f.node} cannot be judged ` +
      `(fix: leave check_calico_routes out on such a cluster; if Calico should run: ${FIND_DAEMONSET})`,
  );
  return v.conclude('', { problems: 'instead' });
}

export function evaluate(f: RouteFacts, { warning, critical }: Thresholds): Outcome {
  const missing: string[] = [];
  let routed = 0;
  for (const pod of f.pods) {
    const iface = calicoIface(pod.namespace, pod.name, f.ifacePrefix);
    let own = false;
    for (const ip of pod.ips) {
      const problem = routeProblem(f.table, ip, iface);
      if (problem) missing.push(`${pod.namespace}/${pod.name} ${ip} (expected dev ${iface}, ${problem})`);
      else own = true;
    }
    if (own) routed++;
  }
  // A pod routed through its own cali veth was wired by Calico's CNI plugin: this node runs Calico,
  // and no calico-node anywhere is its failure (all deleted, the DaemonSet gone or unable to make
  // them: on a single node, the remedy below deleting the only one), never another CNI's cluster.
  const noneInCluster = f.calico.length === 0 && f.calicoInCluster === false;
  if (noneInCluster && routed === 0) return noCalico(f, { warning, critical });
  const v = new Verdict(check.name);
  v.measure({ label: 'missing', value: missing.length, min: 0 }, new ScalarContext(warning, critical));
  v.measure({ label: 'pods', value: f.pods.length, min: 0 });
  const calicoRestarts = f.calico.reduce((n, p) => n + p.restarts, 0);
  v.measure({ label: 'calico_restarts', value: calicoRestarts, uom: 'c', min: 0 });
  const calicoReady = f.calico.some((p) => p.ready);
  if (noneInCluster)
    v.find(State.CRITICAL, `no calico-node pod in the cluster (Calico's veths route ${plural(routed, 'pod')} on ${f.node})`);
  else if (f.calico.length === 0) v.find(State.CRITICAL, `no calico-node pod on ${f.node}`);
  else if (!calicoReady) v.find(State.CRITICAL, `calico-node ${f.calico[0]!.name} on ${f.node} is not Ready`);
  v.detail(...missing);
  // Deleting calico-node pods makes none where none is: its DaemonSet is what makes them.
  if (noneInCluster)
    v.detail(
      'No calico-node runs on any node: see whether its DaemonSet is there (then kubectl -n NAMESPACE describe ds calico-node):',
      `  ${FIND_DAEMONSET}`,
    );
  else if (missing.length || !calicoReady) {
    const ns = f.calico[0]?.namespace ?? f.calicoNamespace ?? 'kube-system';
    v.detail(
      `Restart calico-node on ${f.node} so it re-lists and reprograms routes (the check never does it):`,
      `  kubectl -n ${ns} delete pod -l ${CALICO_NODE_LABEL} --field-selector=spec.nodeName=${f.node}`,
      '  wait ~30s for the new calico-node to program routes, then run this check again.',
    );
  }
  const skew = skewDetail(f.clock, "its pods' ages were taken on its clock (its kubelet stamps their start)");
  if (skew) v.detail(skew);
  const age = f.pods.length > 0 && f.minAge > 0 ? ` (older than ${formatDuration(f.minAge)})` : '';
  // A Ready calico-node is worth saying on an OK line too: it is half of what was checked.
  const calicoNode = calicoReady ? `, calico-node Ready (${plural(calicoRestarts, 'restart')})` : '';
  const note = skewNote(f.clock, 'pod ages taken');
  return v.conclude(
    `${missing.length} of ${plural(f.pods.length, 'Running pod')} on ${f.node} without a host route through its veth${age}${calicoNode}` +
      `${note ? `, ${note}` : ''}`,
  );
}

/**
 * The routing table (here, or over SSH on --host) and the pods the API server places on the node:
 * one list, of which calico-node is the pod labelled k8s-app=calico-node in kube-system (MicroK8s'
 * manifest) or calico-system (the Tigera operator's).
 */
export async function gather(
  cluster: Cluster,
  deadline: Deadline,
  args: Args,
  node: string,
  minAge: number,
  ssh?: SshShare,
): Promise<RouteFacts> {
  const asked = Date.now();
  const pods: (PodOnNode & { startedAt?: number })[] = [];
  const calico: RouteFacts['calico'] = [];
  const remote = args.host?.[0];
  deadline.activity = `reading pods on ${node} from ${cluster.server} and the routing table${remote ? ` of ${remote} over SSH` : ''}`;
  let runner: CommandRunner = localRunner;
  let close = () => {};
  if (remote) {
    const conn = await connectTo(remote, args, deadline, ssh);
    runner = conn.runner();
    close = () => conn.close();
  }
  // The node's kubelet stamps a pod's start on the node's clock: read over SSH, that clock is
  // read beside the routes, on the same connection, and the ages taken on it.
  const onNode = async () => {
    const clockRead = remote ? readRemoteClock(remote, runner, deadline.signal) : Promise.resolve(undefined);
    // The routes' failure, if both fail, is the one said: the check's own question (a login's
    // greeting fails the routes alone, the clock being read past it).
    clockRead.catch(() => {});
    const table = await readRoutes(runner, deadline.signal, remote);
    return [table, await clockRead] as const;
  };
  // Both failing, the pods' failure is the reason, then the node's, as the activity above names
  // them: never whichever failed first.
  const [, [table, clock]] = await inOrder(
    [
      listPods(cluster, { namespaces: [], fieldSelector: `spec.nodeName=${node}` }, (pod: Wire<V1Pod>) => {
        if (isCalicoNode(pod))
          calico.push({
            name: pod.metadata?.name ?? '',
            namespace: pod.metadata?.namespace ?? '',
            ready: isReady(pod),
            restarts: restarts(pod),
          });
        if (pod.status?.phase !== 'Running' || pod.spec?.hostNetwork || pod.metadata?.deletionTimestamp) return;
        const started = pod.status?.startTime ?? pod.metadata?.creationTimestamp;
        const startedAt = apiTime(started, `start time of pod ${pod.metadata?.namespace}/${pod.metadata?.name}`);
        const ips = pod.status?.podIPs?.map((p) => p.ip) ?? (pod.status?.podIP ? [pod.status.podIP] : []);
        pods.push({ namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', ips, startedAt });
      }),
      onNode().finally(close),
    ],
    deadline,
  );
  // No calico-node there may just mean a mistyped --node (or a host name that is not the node
  // name): that is no verdict on calico, and must not page anyone as CRITICAL. Nor is a cluster
  // that runs calico-node nowhere (another CNI): asked only then, with a list of at most one pod in
  // each namespace it runs in.
  let calicoInCluster: boolean | undefined;
  let calicoNamespace: string | undefined;
  if (calico.length === 0) {
    if (!(await nodeExists(cluster, node)))
      throw new KubeError(`no node named '${node}' in the cluster`, { fix: 'give --node as kubectl get nodes names it' });
    const found = await inOrder(
      CALICO_NODE_NAMESPACES.map((ns) => anyPod(cluster, ns, CALICO_NODE_LABEL)),
      deadline,
    );
    calicoNamespace = CALICO_NODE_NAMESPACES.find((_, i) => found[i]);
    calicoInCluster = calicoNamespace !== undefined;
  }
  const now = asked + (clock?.skewMs ?? 0);
  const old = pods.filter((p) => p.startedAt === undefined || now - p.startedAt >= minAge * 1000);
  return {
    node,
    ifacePrefix: args['iface-prefix'],
    minAge,
    pods: old.map(({ startedAt: _, ...p }) => p),
    calico,
    calicoInCluster,
    calicoNamespace,
    table,
    clock,
  };
}

export const check: CheckDefinition<Args> = {
  name: 'CALICO-ROUTES',
  command: 'check_calico_routes',
  description:
    'checks that every Running pod on this node has a host route through its own calico veth, and that calico-node here is Ready',
  defaultCritical: defaults.critical,
  thresholdUnit: 'missing routes',
  options: (y) =>
    sshOptions(kubeOptions(y), false)
      .option('node', { type: 'string', describe: 'node name (default: this host name, or the --host name)' })
      .option('min-age', {
        type: 'string',
        default: defaults.minAge,
        describe: 'ignore pods started more recently (calico is still programming them)',
      })
      .option('iface-prefix', { type: 'string', default: defaults.ifacePrefix, describe: "calico's veth prefix (FELIX_INTERFACEPREFIX)" }),
  examples: [
    ['check_calico_routes', 'pods on this node against the routes of this host'],
    ['check_calico_routes --host node2 --ssh-key ~/.ssh/nagios', "pods on node2 against node2's routes, read over SSH"],
  ],
  async run({ args, warning, critical, deadline, log, shared }) {
    const remote = args.host ?? [];
    if (remote.length > 1) throw new UsageError('--host takes one host here: the node whose routes are read');
    const node = judgedNode(args.node, remote, hostname());
    const minAge = parseDuration(args['min-age'], '--min-age');
    if (!/^[a-z0-9]{1,8}$/i.test(args['iface-prefix'])) throw new UsageError('--iface-prefix takes 1-8 letters or digits');
    return evaluate(await gather(connect(args, deadline, log, { share: shared?.kube }), deadline, args, node, minAge, shared?.ssh), {
      warning,
      critical,
    });
  },
};
