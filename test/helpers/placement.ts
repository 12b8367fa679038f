// Which nodes of a MicroK8s cluster the shipped Nagios and Icinga 2 examples give each service
// (docs/nrpe.md, "Which node runs what"). One table for both, so the examples cannot drift
// apart, and every check must have a place in it.

/** Every node; control-plane nodes only (never a `microk8s join --worker` node); one node per cluster. */
export type Placement = 'every node' | 'control plane' | 'once per cluster';

/** By service name (the same in nrpe/nagios/ and both Icinga 2 routes). */
export const PLACEMENT: Record<string, Placement> = {
  // The node's own journal (on a worker, its kubelet's failed writes), units and routes.
  'microk8s-dqlite-lock': 'every node',
  'microk8s-services': 'every node',
  'microk8s-calico-routes': 'every node',
  // What only a control-plane node has: k8s-dqlite and kube-apiserver's lines, the dqlite member
  // and backend, the certificates kube-apiserver serves, its own API server (a worker's
  // 127.0.0.1:16443 is apiserver-proxy, forwarding to some control-plane node), and the gate, which
  // reads the node's dqlite backend (NO-GO for good on a worker).
  'microk8s-kine': 'control plane',
  'microk8s-dqlite': 'control plane',
  'microk8s-dqlite-storage': 'control plane',
  'microk8s-certs': 'control plane',
  'microk8s-apiserver': 'control plane',
  'microk8s-watch-cache': 'control plane',
  'microk8s-restart-preflight': 'control plane',
  // The cluster's API objects, the same from any node: once, or every node pages for one finding.
  'microk8s-nodes': 'once per cluster',
  'microk8s-leases': 'once per cluster',
  'microk8s-stale-jobs': 'once per cluster',
  'microk8s-observed-generation': 'once per cluster',
  'microk8s-scheduling': 'once per cluster',
  'microk8s-cronjobs': 'once per cluster',
  'microk8s-pod-restarts': 'once per cluster',
};

/** The services a node of this kind is given, sorted. */
export function servicesOf(node: 'worker' | 'control plane' | 'control plane with the cluster checks'): string[] {
  const tiers: Placement[] =
    node === 'worker'
      ? ['every node']
      : node === 'control plane'
        ? ['every node', 'control plane']
        : ['every node', 'control plane', 'once per cluster'];
  return Object.entries(PLACEMENT)
    .filter(([, p]) => tiers.includes(p))
    .map(([s]) => s)
    .sort();
}
