// dqlite's cluster.crt as check_certs judges it: whether this node's backend certificate is in
// use at all decides whether a missing or stale one is a finding.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CertError, clusterCertIn, type Cert } from './certs.ts';
import { backendFiles } from './dqlite.ts';
import { isWorker, LOCKS, type NodeLocks, readLocks, runsDqlite } from './snap-locks.ts';

/**
 * dqlite's cluster.crt. A directory given with --backend-dir is judged, and must be there. The
 * default one is judged where the node runs dqlite: a worker (its lock files say no-k8s-dqlite)
 * runs none of its own, so a cluster.crt left from before it joined is in use nowhere; a node
 * with no backend at all is no finding either. Both are said in `notes`, for the long output. Lock
 * files that cannot be read leave the certificate judged: an alarm for an unused one is the safer
 * mistake.
 */
export function backendCerts(backend: string, given: boolean, snapData: string, notes: string[]): Cert[] {
  if (!given) {
    const locks = nodeLocks(snapData);
    if (locks && !runsDqlite(locks)) {
      const why = `${LOCKS.noDqlite}: ${isWorker(locks) ? 'a worker' : 'external datastore'}`;
      notes.push(
        `${join(backend, 'cluster.crt')} not judged: this node runs no dqlite of its own (${why}), so its cluster.crt is in use nowhere`,
      );
      return [];
    }
  }
  // A dqlite without TLS (dqlite-demo, a test cluster) keeps neither half of the pair: nothing of
  // it can expire. The CLI's rule (lib/sources/dqlite.ts, planCli); one half alone stays UNKNOWN.
  const f = backendFiles(backend);
  if (existsSync(f.clusterYaml) && !existsSync(f.crt) && !existsSync(f.key)) {
    notes.push(`dqlite without TLS: no cluster.crt or cluster.key in ${backend}, no dqlite certificate to judge`);
    return [];
  }
  const found = clusterCertIn(backend);
  if (found) return found;
  if (given) throw new CertError(`no dqlite backend directory ${backend}`, { fix: 'check --backend-dir' });
  notes.push(`no dqlite backend at ${backend} (a worker node runs no dqlite): cluster.crt not judged`);
  return [];
}

/** The node's lock files, or undefined where they cannot be read (no $SNAP_DATA, no access). */
function nodeLocks(snapData: string): NodeLocks | undefined {
  try {
    return readLocks(snapData);
  } catch {
    return undefined;
  }
}
