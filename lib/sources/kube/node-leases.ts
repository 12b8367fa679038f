import { CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import type { Cluster } from './cluster.ts';
import { forEachListed } from './paging.ts';
import type { Wire } from '../../k8s/wire.ts';
import { PAGE_SIZE } from './list.ts';
import { apiTime } from '../../k8s/time.ts';
import { writtenAt } from '../../k8s/field-written.ts';

/** Where each kubelet renews its Lease about every 10 s: a canary that costs no write. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface NodeLease {
  /** spec.renewTime, ms since the epoch, by the node's clock; undefined when never renewed. */
  renewed?: number;
  /** When the API server recorded that renewal, by its own clock (whole seconds): managedFields (k8s/field-written.ts). */
  recorded?: number;
  /** metadata.creationTimestamp, ms since the epoch. */
  created?: number;
  /** spec.leaseDurationSeconds: how long a renewal holds (kubelet's default 40 s). */
  duration?: number;
}

/** One list of the node leases: by name, with the list's revision and how long it took. */
export interface LeaseList {
  leases: Map<string, NodeLease>;
  resourceVersion?: string;
  ms: number;
  /** When the list was asked for (ms since the epoch): what the renewals' ages count back from. */
  readAt?: number;
}

/**
 * The node leases as storage has them (a quorum read: no resourceVersion, paged), or as this API
 * server's watch cache has them (resourceVersion=0: served whole from the cache, whatever state it
 * froze in). The kubelet clients, scheduler and controller-manager all read the second way.
 */
export async function listNodeLeases(cluster: Cluster, from: 'storage' | 'cache'): Promise<LeaseList> {
  const coord = cluster.api(CoordinationV1Api);
  const leases = new Map<string, NodeLease>();
  const [readAt, started] = [Date.now(), performance.now()];
  const what = { verb: 'list', resource: 'leases', group: 'coordination.k8s.io', namespace: NODE_LEASE_NAMESPACE } as const;
  const { resourceVersion } = await forEachListed(
    what,
    cluster.policy,
    (cont, o) =>
      coord.listNamespacedLease(
        from === 'cache'
          ? { namespace: NODE_LEASE_NAMESPACE, resourceVersion: '0' }
          : { namespace: NODE_LEASE_NAMESPACE, limit: PAGE_SIZE, _continue: cont },
        o,
      ),
    (lease: Wire<V1Lease>) => {
      const name = lease.metadata?.name ?? '';
      leases.set(name, {
        renewed: apiTime(lease.spec?.renewTime, `renewTime of node lease ${name}`),
        recorded: writtenAt(lease.metadata, ['f:spec', 'f:renewTime']),
        created: apiTime(lease.metadata?.creationTimestamp, `creationTimestamp of node lease ${name}`),
        duration: lease.spec?.leaseDurationSeconds ?? undefined,
      });
    },
  );
  return { leases, resourceVersion, ms: performance.now() - started, readAt };
}

/**
 * The node leases in storage; in a shared run read once for every check that judges them
 * (check_nodes, the watch cache's first read, the restart gate), and kept. `share`: the run's,
 * where `cluster` is a shared read's own (kube/share.ts once: it waits for all who wait for that
 * read, and shares nothing itself).
 */
export function storageNodeLeases(cluster: Cluster, share = cluster.share): Promise<LeaseList> {
  const read = (c: Cluster) => listNodeLeases(c, 'storage');
  return share ? share.once(cluster, 'node leases', read) : read(cluster);
}
