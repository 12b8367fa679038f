// check_watch_cache's two reads of one API server's node leases (the restart gate judges them too):
// storage's (a quorum list) then its watch cache's (resourceVersion=0), and what a refusal of
// either says of the cache in kube-apiserver's own words (refused-quorum-read.ts).
import { KubeError } from './errors.ts';
import { cacheBehind, notTheCache } from './refused-quorum-read.ts';
import { listNodeLeases, storageNodeLeases, type LeaseList } from './node-leases.ts';
import type { Cluster } from './cluster.ts';

/** What one API server's two reads showed. */
export interface CacheFacts {
  storage?: LeaseList;
  cache?: LeaseList;
  /** The quorum read was refused because the cache is behind (newer API servers: 504, 429). */
  behind?: string;
  /** Not the quorum read but the cache read was refused (429, `behind` says): the cache is not ready, it serves no list. */
  notReady?: boolean;
  /** The API server read, and its node where known (for the recovery's commands). */
  server?: string;
  node?: string;
  /** When the storage read started (ms since the epoch): how fresh the newest renewal in storage is. */
  readAt?: number;
}

/** A storage read (`stored`, shared with check_nodes), then a cache read, of one API server's node leases. */
async function storageThenCache(cluster: Cluster, stored: Promise<LeaseList>): Promise<CacheFacts> {
  let storage: LeaseList;
  try {
    storage = await stored;
  } catch (err) {
    if (err instanceof KubeError && (err.status === 504 || err.status === 429)) {
      const behind = cacheBehind(err);
      if (behind) return { behind, server: cluster.server };
      throw notTheCache(err, cluster.server);
    }
    throw err;
  }
  const read = { storage, server: cluster.server, readAt: storage.readAt };
  try {
    return { ...read, cache: await listNodeLeases(cluster, 'cache') };
  } catch (err) {
    // kube-apiserver 1.31+ (KEP-4568, k8s.io/apiserver cacher GetList): a cache not ready (its
    // watch on kine broke, its re-list fails) refuses every list it serves, resourceVersion=0
    // ones too, with 429 "storage is (re)initializing" (Retry-After up to 30 s, so the one retry
    // rarely fits), while a list with a limit and no selector (the quorum read) goes to storage.
    const behind = err instanceof KubeError && err.status === 429 ? cacheBehind(err) : undefined;
    if (!behind) throw err;
    return { ...read, behind, notReady: true };
  }
}

/** Both reads; in a shared run once for all (the restart gate judges its API server's cache too). */
export function readCache(cluster: Cluster): Promise<CacheFacts> {
  // Asked as the cache read's own (c), never as its first asker's: that one's deadline (a part of
  // a fan-out, shorter than the gate's) ended the storage read for every check that waited for it.
  const read = (c: Cluster) => storageThenCache(c, storageNodeLeases(c, cluster.share));
  return cluster.share ? cluster.share.once(cluster, 'watch cache', read) : read(cluster);
}
