// Every Running pod on a node needs a host route to its IP through its own cali veth: without
// one it gets `connect: no route to host`, or `invalid argument` where its /32 falls into the
// block's blackhole (the runbook's stale calico-node watch).
import { calicoIface } from './k8s/calico.ts';
import type { RouteTable } from './sources/routes.ts';
import type { PodOnNode } from './sources/kube/node-pods.ts';

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

/**
 * Each pod IP without its route, as the long output lists it, and how many pods have a route
 * through their own veth: such a pod was wired by Calico's CNI plugin, so the node runs Calico.
 */
export function podRoutes(pods: PodOnNode[], table: RouteTable, ifacePrefix: string): { missing: string[]; routed: number } {
  const missing: string[] = [];
  let routed = 0;
  for (const pod of pods) {
    const iface = calicoIface(pod.namespace, pod.name, ifacePrefix);
    let own = false;
    for (const ip of pod.ips) {
      const problem = routeProblem(table, ip, iface);
      if (problem) missing.push(`${pod.namespace}/${pod.name} ${ip} (expected dev ${iface}, ${problem})`);
      else own = true;
    }
    if (own) routed++;
  }
  return { missing, routed };
}
