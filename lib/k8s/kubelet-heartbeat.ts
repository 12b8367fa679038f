// A kubelet shows it is alive by renewing its node Lease (about every 10 s) and, less often, by
// posting its Node's status. kube-controller-manager's node lifecycle controller marks a Node's
// Ready Unknown once it has seen neither for --node-monitor-grace-period (tryUpdateNodeHealth:
// the probe time moves on a newer renewTime or a new lastHeartbeatTime). A Node still Ready past
// that, its kubelet silent, is a node down that a controller-manager working from a stale cache did
// not mark: "every node Ready", read from the Nodes, is then not established health.
import type { V1Node } from '@kubernetes/client-node';
import { formatDuration } from '../duration.ts';
import type { PartialResult } from '../plugin/partial.ts';
import { State } from '../plugin/state.ts';
import { silentKubelet } from '../runbook.ts';
import { NODE_LEASE_NAMESPACE, type NodeLease } from '../sources/kube/node-leases.ts';
import { isReady } from './ready.ts';
import { apiTime } from './time.ts';
import type { Wire } from './wire.ts';

/**
 * kube-controller-manager's --node-monitor-grace-period by default: 50 s since Kubernetes 1.32
 * (kubernetes/kubernetes#126287), 40 s before; MicroK8s' kube-controller-manager args leave it unset.
 * The larger: a gate that blocks on every poll while the cluster is healthy is no gate either.
 */
export const NODE_MONITOR_GRACE = 50;

/** A Ready node's kubelet not heard from past the grace period: said whole, and short for a summary line. */
export interface Silence {
  /** Heard from further in the future than the grace period: whether it is alive cannot be told. */
  unknown?: boolean;
  text: string;
  short: string;
}

/**
 * How far a node's clock is off the API server's, in ms, as its Lease shows it (renewTime, stamped
 * by the kubelet, against the time the API server recorded that renewal, in whole seconds: taken
 * at the middle of its second); 0 where the server recorded none.
 */
const offsetOf = (lease: NodeLease | undefined) =>
  lease?.renewed !== undefined && lease.recorded !== undefined ? lease.renewed - lease.recorded - 500 : 0;

/**
 * A node whose kubelet stamps its Lease further off the API server's clock than the grace period:
 * its renewals and status posts would read as a silent kubelet (behind) or one heard from the
 * future (ahead). The node controller times them by when it saw them, so it keeps such a node
 * Ready; the clock is what needs fixing (certificates, logs and Jobs read it too).
 */
export function clockOff(name: string, lease: NodeLease | undefined): { text: string; short: string } | undefined {
  const offset = clocksApart(lease);
  if (offset === undefined) return undefined;
  const off = `${formatDuration(Math.abs(offset))} ${offset < 0 ? 'behind' : 'ahead of'}`;
  const short = `${name}'s kubelet stamps its Lease ${off} the API server's clock`;
  // Which API server: a control-plane node's kubelet writes through its own (127.0.0.1:16443), so
  // its clock is in both stamps; a worker's, through apiserver-proxy, some control-plane node's.
  return {
    short,
    text:
      `node ${short} (its renewTime against when the API server recorded the renewal): its clock is off, or that ` +
      `of the control-plane node whose API server recorded it, or its writes wait that long (fix: check time ` +
      `synchronisation (timedatectl) on ${name} and on the control-plane nodes)`,
  };
}

/** Seconds between a Lease's two clocks where more than the grace period apart (clockOff), else undefined. */
function clocksApart(lease: NodeLease | undefined): number | undefined {
  const offset = Math.round(offsetOf(lease) / 1000);
  return Math.abs(offset) > NODE_MONITOR_GRACE ? offset : undefined;
}

/** How one Ready node's kubelet was last heard from, by this host's clock; undefined within the grace period. */
export function silence(node: Wire<V1Node>, lease: NodeLease | undefined, now: number): Silence | undefined {
  const name = node.metadata?.name;
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const posted = apiTime(ready?.lastHeartbeatTime, `lastHeartbeatTime of node ${name}'s Ready condition`);
  // Its renewal as the API server recorded it, and its status post moved onto the server's clock
  // by as much: the later of the two, as the node controller takes either; a Lease of a longer
  // duration renews less often. A control-plane node's kubelet writes through its own API server,
  // so its clock is in both stamps: one behind this host's by more than the grace period reads silent.
  const offset = offsetOf(lease);
  const grace = Math.max(NODE_MONITOR_GRACE, lease?.duration ?? 0);
  const judged = (at: number) => ((now - at) / 1000 > grace ? 'silent' : (at - now) / 1000 > grace ? 'ahead' : 'heard');
  let renewed = lease?.recorded ?? lease?.renewed;
  let heard = Math.max(renewed ?? -Infinity, posted === undefined ? -Infinity : posted - offset);
  // The two clocks further apart than the grace period: which is right the Lease does not say (a
  // worker's renewals are recorded by the control-plane node its apiserver-proxy reaches). Judged
  // by each: one ahead of this host's is the one off; silent by one and heard by the other cannot be told.
  const apart = clocksApart(lease);
  if (apart !== undefined) {
    const byNode = Math.max(lease?.renewed ?? -Infinity, posted ?? -Infinity);
    const [server, own] = [judged(heard), judged(byNode)];
    if (server === 'ahead' && own !== 'ahead') [heard, renewed] = [byNode, lease?.renewed];
    else if (server !== own && own !== 'ahead')
      return {
        unknown: true,
        text:
          `cannot tell whether node ${name}'s kubelet is alive: its renewTime (its clock) and the API server's record of it ` +
          `are ${formatDuration(Math.abs(apart))} apart, and by one it renewed within ${grace}s, by the other ` +
          `not (fix: check time synchronisation (timedatectl) on ${name} and on the control-plane nodes)`,
        short: `cannot tell whether ${name}'s kubelet is alive`,
      };
  }
  const age = (now - heard) / 1000;
  if (-age > grace) {
    const ahead = formatDuration(-age);
    return {
      unknown: true,
      text:
        `cannot tell whether node ${name}'s kubelet is alive: it was last heard from ${ahead} in the future ` +
        `by this host's clock (fix: check time synchronisation (timedatectl) here and on ${name})`,
      short: `${name}'s kubelet heard from ${ahead} in the future`,
    };
  }
  if (age <= grace) return undefined;
  const ago = (at: number) => formatDuration((now - at) / 1000);
  if (!lease) {
    const status = posted === undefined ? 'never posted its status' : `last posted its status ${ago(posted)} ago`;
    const short = `no Lease${posted === undefined ? '' : `, no status for ${ago(posted)}`}`;
    return { text: `node ${name} has no Lease in ${NODE_LEASE_NAMESPACE} and its kubelet ${status}, yet the Node reads Ready`, short };
  }
  const duration = lease.duration === undefined ? '' : ` (duration ${lease.duration}s)`;
  if (lease.renewed === undefined)
    return { text: `node ${name}'s kubelet has never renewed its Lease${duration} yet the Node reads Ready`, short: 'Lease never renewed' };
  const since = ago(renewed ?? lease.renewed);
  return {
    text: `node ${name}'s kubelet has not renewed its Lease for ${since}${duration} yet the Node reads Ready`,
    short: `no Lease renewed for ${since}`,
  };
}

/**
 * Each Node read Ready whose kubelet neither renewed its Lease nor posted its status within the
 * node-monitor-grace-period, as a blocker with the runbook's next step. A node not Ready is left
 * to its own blocker; node leases not read (undefined) to the watch cache's.
 */
export function silentKubelets(nodes: Wire<V1Node>[], leases: Map<string, NodeLease> | undefined, now: number): PartialResult[] {
  if (!leases) return [];
  const found = nodes.flatMap((n) => {
    const s = isReady(n) ? silence(n, leases.get(n.metadata?.name ?? ''), now) : undefined;
    return s ? [{ name: n.metadata?.name ?? '', ...s }] : [];
  });
  // The next step for those silent; one whose clock is ahead has its fix in its own line.
  const next = silentKubelet(found.filter((s) => !s.unknown).map((s) => s.name));
  return found.map((s) => ({ state: State.CRITICAL, text: s.text, next: s.unknown ? undefined : next }));
}
