// Runbook, "During a restart session" and "Verification": wait for all nodes Ready with no taints
// before the next restart. A node NotReady is CRITICAL; a cordoned or tainted one is WARNING (a
// restart session left half done), as is one under the kubelet's pressure, said by its condition.
// A node read Ready whose kubelet is silent (no Lease renewed past node-monitor-grace-period) is
// CRITICAL: a node down that a controller-manager working from a stale cache did not mark.
import type { V1Taint } from '@kubernetes/client-node';
import { type Pressure, pressures, pressureText, taintText, unexpectedTaints } from '../lib/k8s/nodes.ts';
import { clockOff, silence, type Silence } from '../lib/k8s/kubelet-heartbeat.ts';
import { isReady } from '../lib/k8s/ready.ts';
import { inOrder } from '../lib/in-order.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';
import { storageNodeLeases } from '../lib/sources/kube/node-leases.ts';
import { kubeOptions, type KubeArgs } from '../lib/options/kube.ts';
import { thresholdsOf, type Thresholds } from '../lib/plugin/range.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import { BETWEEN_RESTARTS, silentKubelet } from '../lib/runbook.ts';
import type { Wire } from '../lib/k8s/wire.ts';
import { connect, type Cluster } from '../lib/sources/kube/cluster.ts';
import { KubeError } from '../lib/sources/kube/errors.ts';
import { reasonOf } from '../lib/errors.ts';
import { listNodes } from '../lib/sources/kube/reads.ts';
import { plural } from '../lib/text.ts';

interface Args extends KubeArgs {
  'allow-taint'?: string[];
}

/** What the API server says of one node. */
export interface NodeFacts {
  name: string;
  ready: boolean;
  /** The Ready condition's reason and message, when it is not True. */
  why?: string;
  cordoned: boolean;
  /** Its conditions that keep new pods off it (pressure, no network), True now. */
  pressures: Pressure[];
  taints: Wire<V1Taint>[];
  /** Read Ready, its kubelet not heard from (Lease, status) within the node-monitor-grace-period. */
  silent?: Silence;
  /** Its kubelet's clock off the API server's by more than the grace period, as its Lease shows. */
  clock?: { text: string; short: string };
}

export const defaults = { critical: '0' };

/** -w/-c on NotReady nodes, and the taints that are fine (--allow-taint). */
export interface Limits extends Thresholds {
  allowTaint: string[];
}
/** The defaults parsed, as -w/-c and --allow-taint judge when not given. */
export const defaultLimits: Limits = { ...thresholdsOf(defaults), allowTaint: [] };

/**
 * The Nodes and the node leases in storage (shared in `all` with the watch cache and the gate), at
 * once: one after the other, a slow API server (a storm's quorum reads) took twice as long.
 */
export async function gather(cluster: Cluster, deadline: Deadline): Promise<{ nodes: NodeFacts[]; leasesUnread?: string }> {
  // The node leases refused (an RBAC made before they were read here, a 504 of a cache behind): the
  // Nodes' own findings stand, a NotReady CRITICAL among them, beside an UNKNOWN for the silence.
  let leasesUnread: string | undefined;
  const leases = storageNodeLeases(cluster).catch((err: unknown) => {
    if (!(err instanceof KubeError)) throw err;
    leasesUnread = reasonOf(err);
    return undefined;
  });
  const [listed, stored] = await inOrder([listNodes(cluster), leases], deadline);
  const nodes = listed.map((node) => {
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    const name = node.metadata?.name ?? '';
    return {
      name,
      ready: isReady(node),
      silent: isReady(node) && stored ? silence(node, stored.leases.get(name), stored.readAt ?? Date.now()) : undefined,
      clock: stored ? clockOff(name, stored.leases.get(name)) : undefined,
      why: ready?.reason ? `${ready.reason}${ready.message ? `: ${ready.message}` : ''}` : undefined,
      cordoned: Boolean(node.spec?.unschedulable),
      pressures: pressures(node),
      taints: node.spec?.taints ?? [],
    };
  });
  return { nodes, leasesUnread };
}

/** `leasesUnread`: why the node leases could not be listed, where they could not. */
export function evaluate(nodes: NodeFacts[], { allowTaint, warning, critical }: Limits, leasesUnread?: string): Outcome {
  const notReady = nodes.filter((n) => !n.ready);
  const cordoned = nodes.filter((n) => n.cordoned).map((n) => n.name);
  const tainted = nodes
    .map((n) => ({ name: n.name, extra: unexpectedTaints(n.taints, allowTaint, n.pressures, n) }))
    .filter((n) => n.extra.length);
  // Each condition with the nodes it is True on, in the order met: 'DiskPressure: k8s02, k8s03'.
  const pressed = new Map<string, string[]>();
  for (const n of nodes) for (const p of n.pressures) pressed.set(p.type, [...(pressed.get(p.type) ?? []), n.name]);
  const v = new Verdict(check.name);
  v.measure({ label: 'not_ready', value: notReady.length, min: 0, max: nodes.length }, new ScalarContext(warning, critical));
  v.measure({ label: 'nodes', value: nodes.length, min: 0 });
  v.measure({ label: 'cordoned', value: cordoned.length, min: 0, max: nodes.length });
  v.measure({ label: 'tainted', value: tainted.length, min: 0, max: nodes.length });
  if (cordoned.length) v.find(State.WARNING, `cordoned: ${cordoned.join(', ')}`);
  for (const [type, names] of pressed) v.find(State.WARNING, `${type}: ${names.join(', ')}`);
  if (tainted.length) v.find(State.WARNING, `${plural(tainted.length, 'node')} tainted`);
  const silent = nodes.filter((n) => n.silent && !n.silent.unknown);
  if (silent.length === 1) v.find(State.CRITICAL, `kubelet silent on ${silent[0]!.name} (${silent[0]!.silent!.short})`);
  else if (silent.length) v.find(State.CRITICAL, `kubelets silent on ${silent.map((n) => n.name).join(', ')}`);
  for (const n of nodes) if (n.silent?.unknown) v.find(State.UNKNOWN, n.silent.short);
  if (leasesUnread && nodes.some((n) => n.ready)) v.find(State.UNKNOWN, `cannot tell whether the kubelets are silent: ${leasesUnread}`);
  if (nodes.length === 0) v.find(State.UNKNOWN, 'the API server lists no nodes');
  v.detail(...notReady.map((n) => `${n.name} NotReady${n.why ? ` (${n.why})` : ''}`));
  v.detail(...nodes.flatMap((n) => n.pressures.map((p) => `${n.name} ${pressureText(p)}`)));
  v.detail(...tainted.map((n) => `tainted ${n.name}: ${n.extra.map(taintText).join(', ')}`));
  v.detail(...nodes.flatMap((n) => (n.silent ? [n.silent.text] : [])));
  v.detail(...nodes.flatMap((n) => (n.clock ? [n.clock.text] : [])));
  if (silent.length) v.detail(...silentKubelet(silent.map((n) => n.name)));
  if (cordoned.length) v.detail(`a restart session left nodes cordoned? when they are Ready: kubectl uncordon ${cordoned.join(' ')}`);
  if (v.state !== State.OK) v.detail(BETWEEN_RESTARTS);
  // After the advice above, which a clock off does not call for.
  for (const n of nodes) if (n.clock) v.find(State.WARNING, n.clock.short);
  // With no node listed there is nothing to call Ready: the finding says it alone.
  if (nodes.length === 0) return v.conclude();
  return v.conclude(
    notReady.length
      ? `${notReady.length} of ${plural(nodes.length, 'node')} NotReady: ${notReady.map((n) => n.name).join(', ')}`
      : `${plural(nodes.length, 'node')}, all Ready`,
  );
}

export const check: CheckDefinition<Args> = {
  name: 'NODES',
  command: 'check_nodes',
  description: 'checks that every node is Ready, none is cordoned or under pressure and none carries unexpected taints',
  defaultCritical: defaults.critical,
  thresholdUnit: 'NotReady nodes',
  options: (y) =>
    kubeOptions(y).option('allow-taint', {
      type: 'string',
      array: true,
      describe: 'taint that is fine: key, key=value, key:Effect (repeatable)',
    }),
  examples: [['check_nodes --allow-taint node-role.kubernetes.io/control-plane:NoSchedule', 'control-plane taints are expected']],
  async run({ args, warning, critical, deadline, log, shared }) {
    const cluster = connect(args, deadline, log, { share: shared?.kube });
    deadline.activity = `listing nodes from ${cluster.server}`;
    const { nodes, leasesUnread } = await gather(cluster, deadline);
    return evaluate(nodes, { allowTaint: args['allow-taint'] ?? [], warning, critical }, leasesUnread);
  },
};
