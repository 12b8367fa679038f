// Runbook, "If calico-node watch is stale (new pods missing host routes)": after a write storm
// calico-node's watch goes stale and new pods on a node get no host route; they crash with
// `connect: no route to host`, or `invalid argument` when their /32 falls into the block's
// blackhole. Every Running pod here needs a route to its IP through its own cali veth.
import { inOrder } from '../lib/in-order.ts';
import { formatDuration, parseDuration } from '../lib/duration.ts';
import { routeOptions, type RouteArgs } from '../lib/options/routes.ts';
import { connect, type Cluster } from '../lib/sources/kube/cluster.ts';
import { calicoElsewhere } from '../lib/sources/kube/calico-elsewhere.ts';
import { readNodePods, type CalicoNodePod, type PodOnNode } from '../lib/sources/kube/node-pods.ts';
import { UsageError } from '../lib/errors.ts';
import { nodeChoice } from '../lib/names.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import { thresholdsOf, type Thresholds } from '../lib/plugin/range.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';
import type { RouteTable } from '../lib/sources/routes.ts';
import { readNodeRoutes } from '../lib/sources/node-routes.ts';
import { plural } from '../lib/text.ts';
import { skewDetail, skewNote } from '../lib/clock-skew.ts';
import type { RemoteClock } from '../lib/sources/ssh/clock.ts';
import type { SshSession } from '../lib/sources/ssh/connection.ts';
import { nodeToJudge } from '../lib/sources/ssh/host-name.ts';
import { connectTo } from '../lib/sources/ssh/hosts.ts';
import type { SshShare } from '../lib/sources/ssh/share.ts';
import { podRoutes } from '../lib/pod-routes.ts';
import { noCalico } from '../lib/no-calico.ts';
import { findDaemonSet, restartCalicoNode } from '../lib/calico-remedy.ts';

// The facts' parts, where the evaluate tests build them from.
export type { PodOnNode };

/** What the API server and this node's kernel say: Running pods, calico-node, the routes. */
export interface RouteFacts {
  node: string;
  ifacePrefix: string;
  minAge: number;
  pods: PodOnNode[];
  calico: CalicoNodePod[];
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

export function evaluate(f: RouteFacts, { warning, critical }: Thresholds): Outcome {
  const { missing, routed } = podRoutes(f.pods, f.table, f.ifacePrefix);
  // A pod routed through its own cali veth was wired by Calico's CNI plugin: this node runs Calico,
  // and no calico-node anywhere is its failure (all deleted, the DaemonSet gone or unable to make
  // them: on a single node, the remedy below deleting the only one), never another CNI's cluster.
  const noneInCluster = f.calico.length === 0 && f.calicoInCluster === false;
  if (noneInCluster && routed === 0) return noCalico(check.name, f.node, f.pods.length, { warning, critical });
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
  if (noneInCluster) v.detail(...findDaemonSet());
  else if (missing.length || !calicoReady)
    v.detail(...restartCalicoNode(f.calico[0]?.namespace ?? f.calicoNamespace ?? 'kube-system', f.node));
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
 * The routing table (here, or over SSH on --host: over `opened`, where the host was asked its name
 * on it) and the pods the API server places on the node.
 */
export async function gather(
  cluster: Cluster,
  deadline: Deadline,
  args: RouteArgs,
  { node, on: opened }: { node: string; on?: { host: string; conn: SshSession } },
  minAge: number,
  ssh?: SshShare,
): Promise<RouteFacts> {
  const asked = Date.now();
  const remote = args.host?.[0];
  deadline.activity = `reading pods on ${node} from ${cluster.server} and the routing table${remote ? ` of ${remote} over SSH` : ''}`;
  const routes = async () =>
    readNodeRoutes(deadline.signal, remote ? (opened ?? { host: remote, conn: await connectTo(remote, args, deadline, ssh) }) : undefined);
  // The pods asked at once, not after the SSH login (in `all`, a list asked after the others' turn is
  // a second one); both failing, the pods' failure is the reason, then the node's, never the first.
  const [{ pods, calico }, { table, clock }] = await inOrder([readNodePods(cluster, node), routes()], deadline);
  // Asked only where no calico-node is here: a mistyped --node, or a cluster of another CNI.
  const calicoNamespace = calico.length === 0 ? await calicoElsewhere(cluster, node, deadline) : undefined;
  const now = asked + (clock?.skewMs ?? 0);
  const old = pods.filter((p) => p.startedAt === undefined || now - p.startedAt >= minAge * 1000);
  return {
    node,
    ifacePrefix: args['iface-prefix'],
    minAge,
    pods: old.map(({ startedAt: _, ...p }) => p),
    calico,
    calicoInCluster: calico.length === 0 ? calicoNamespace !== undefined : undefined,
    calicoNamespace,
    table,
    clock,
  };
}

export const check: CheckDefinition<RouteArgs> = {
  name: 'CALICO-ROUTES',
  command: 'check_calico_routes',
  description:
    'checks that every Running pod on this node has a host route through its own calico veth, and that calico-node here is Ready',
  defaultCritical: defaults.critical,
  thresholdUnit: 'missing routes',
  options: (y) => routeOptions(y, defaults),
  examples: [
    ['check_calico_routes', 'pods on this node against the routes of this host'],
    ['check_calico_routes --host node2 --ssh-key ~/.ssh/nagios', "pods on node2 against node2's routes, read over SSH"],
  ],
  async run({ args, warning, critical, deadline, log, shared }) {
    const remote = args.host ?? [];
    if (remote.length > 1) throw new UsageError('--host takes one host here: the node whose routes are read');
    const minAge = parseDuration(args['min-age'], '--min-age');
    if (!/^[a-z0-9]{1,8}$/i.test(args['iface-prefix'])) throw new UsageError('--iface-prefix takes 1-8 letters or digits');
    const choice = nodeChoice(args.node, remote);
    const cluster = connect(args, deadline, log, { share: shared?.kube });
    // The --host is asked its name where that names the node, over the session its routes are then read on (let go there).
    const judged = await nodeToJudge(choice, args, deadline, shared?.ssh);
    return evaluate(await gather(cluster, deadline, args, judged, minAge, shared?.ssh), { warning, critical });
  },
};
