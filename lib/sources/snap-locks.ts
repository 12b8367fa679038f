// Which MicroK8s services a node runs is decided by lock files under $SNAP_DATA/var/lock, the way
// MicroK8s' own wrappers and `microk8s inspect` decide it (DOMAIN.md, "dqlite membership" and
// "Service crash loops"): a worker or an external-etcd node has `no-k8s-dqlite` (k8s-dqlite's
// wrapper then exits 0, inactive by design), a joined node has `clustered.lock` (no
// apiserver-kicker), `no-apiserver-proxy` removes the workers' apiserver-proxy, and while
// `low-memory-guard.lock` exists k8s-dqlite's wrapper exits too. Judging a unit that is not meant
// to run would raise an alarm on every worker; judging by these files keeps it quiet there.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { isConnectionLost, ReasonedError } from '../errors.ts';
import { deniedAt } from '../files.ts';

/** $SNAP_DATA of the MicroK8s snap: where its lock files and backend live. */
export const SNAP_DATA = '/var/snap/microk8s/current';

/**
 * What an ACL's fix adds where a snap refresh takes the ACL away: MicroK8s' own data under
 * /var/snap/microk8s (current, a revision), which a refresh copies into a new revision directory.
 * Not common/, which a refresh keeps, nor /var/snap/microk8s itself, nor any other --backend-dir.
 */
export const refreshNote = (path: string): string =>
  /^\/var\/snap\/microk8s\/(?!common(?:\/|$))[^/]+/.test(path) ? ' (again after a snap refresh)' : '';

export const LOCKS = {
  noDqlite: 'no-k8s-dqlite',
  clustered: 'clustered.lock',
  noApiserverProxy: 'no-apiserver-proxy',
  lowMemoryGuard: 'low-memory-guard.lock',
  stopped: 'stopped.lock',
} as const;

export type LockName = keyof typeof LOCKS;

/** What the lock directory says of this node. */
export interface NodeLocks {
  snapData: string;
  /** Each lock file, present or not. */
  has: Record<LockName, boolean>;
}

export class SnapDataError extends ReasonedError {
  override readonly name = 'SnapDataError';
  /** $SNAP_DATA is not there at all: this host is not a MicroK8s node. */
  notInstalled = false;
}

/** True when the path exists; false only when it certainly does not (ENOENT/ENOTDIR). */
function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    // EACCES and the like: we cannot tell, and guessing "absent" would judge the wrong units.
    if (code === 'EACCES' || code === 'EPERM') throw deniedLooking(path);
    throw new SnapDataError(`cannot tell whether ${path} exists (${code ?? 'error'})`, {
      cause: err,
      fix: 'let the check user search $SNAP_DATA/var/lock (it is world-readable on a stock MicroK8s)',
    });
  }
}

/** A lock file or directory the check's user may not look for: which directory denies it, and the fix for that one. */
function deniedLooking(path: string): SnapDataError {
  const d = deniedAt(path);
  return new SnapDataError(`cannot look for ${path}: ${d.why}`, { fix: `${d.fix} (on a stock MicroK8s it is world-searchable)` });
}

/** Reads the lock files of the node whose $SNAP_DATA is given; throws where it cannot tell. */
export function readLocks(snapData = SNAP_DATA): NodeLocks {
  if (!exists(snapData)) {
    throw Object.assign(
      new SnapDataError(`${snapData} does not exist: this host is not a MicroK8s node`, {
        fix: 'run the check on a MicroK8s node, or give --snap-data',
      }),
      { notInstalled: true },
    );
  }
  const dir = join(snapData, 'var', 'lock');
  // MicroK8s' install hook makes it: without it every lock would read as absent and the units of a
  // control plane be guessed (a worker's k8s-dqlite judged), where `ls` of it over SSH fails.
  if (!isDirectory(dir)) {
    throw new SnapDataError(`${dir} is not a directory: ${snapData} is not MicroK8s' $SNAP_DATA`, {
      fix: `give --snap-data MicroK8s' $SNAP_DATA (${SNAP_DATA})`,
    });
  }
  const has = Object.fromEntries(Object.entries(LOCKS).map(([key, file]) => [key, exists(join(dir, file))])) as Record<LockName, boolean>;
  return { snapData, has };
}

/** A directory; false when it is something else or certainly absent (exists() throws where it cannot tell). */
function isDirectory(path: string): boolean {
  return exists(path) && statSync(path).isDirectory();
}

/** A node that runs no dqlite of its own: a worker, or a control plane on external etcd. */
export const runsDqlite = (locks: NodeLocks): boolean => !locks.has.noDqlite;

/** A worker: no dqlite and joined to a cluster (`microk8s join --worker`). */
export const isWorker = (locks: NodeLocks): boolean => locks.has.noDqlite && locks.has.clustered;

/**
 * The lock files of a node reached through a command runner (a --host over SSH): one `ls` of its
 * lock directory. A directory that cannot be listed is an error with ls' reason, never "no locks".
 */
export async function readLocksWith(
  run: (argv: string[], signal: AbortSignal) => Promise<string>,
  snapData: string,
  signal: AbortSignal,
  /** The option that names the units instead (UnitChoice's `named`), for the fix. */
  named?: string,
): Promise<NodeLocks> {
  const dir = join(snapData, 'var', 'lock');
  let text: string;
  try {
    text = await run(['ls', '-1A', '--', dir], signal);
  } catch (err) {
    // A host that dropped the connection is no node without MicroK8s: its own fix is said, not this one.
    if (signal.aborted || isConnectionLost(err)) throw err;
    throw new SnapDataError(`cannot list ${dir}`, {
      cause: err,
      fix: `run the check against a MicroK8s node, or give --snap-data${named ? ` (or ${named} to name the units yourself)` : ''}`,
    });
  }
  const present = new Set(text.split('\n'));
  const has = Object.fromEntries(Object.entries(LOCKS).map(([key, file]) => [key, present.has(file)])) as Record<LockName, boolean>;
  return { snapData, has };
}

/** The services of MicroK8s this check family judges, as people name them (servicesOf chooses among them). */
export const MICROK8S_SERVICES: readonly string[] = [
  'k8s-dqlite',
  'kubelite',
  'containerd',
  'cluster-agent',
  'apiserver-kicker',
  'apiserver-proxy',
];

/** A MicroK8s service unit, by the name its snap gives it (daemon-<name>). */
export const serviceUnit = (name: string): string => `snap.microk8s.daemon-${name}.service`;

/** k8s-dqlite's unit: the one check_services' crash rules and the gate judge first. */
export const K8S_DQLITE_UNIT = serviceUnit('k8s-dqlite');

/** k8s_dqlite for snap.microk8s.daemon-k8s-dqlite.service: a perfdata label suffix (safe characters only). */
export const shortName = (unit: string) =>
  unit
    .replace(/^snap\.microk8s\.daemon-/, '')
    .replace(/\.service$/, '')
    .replace(/[^A-Za-z0-9]+/g, '_');

/** k8s-dqlite for snap.microk8s.daemon-k8s-dqlite.service: the name people use for it. */
export const displayName = (unit: string) => unit.replace(/^snap\.microk8s\.daemon-(.+)\.service$/, '$1').replace(/\.service$/, '');

/** The sample this reading adds to a unit's history. */

/** The units a node runs, and those it does not with why (as `microk8s inspect` chooses them). */
export interface NodeServices {
  units: string[];
  leftOut: { unit: string; why: string }[];
  /** The lock file holding k8s-dqlite back on a node meant to run it (`low-memory-guard.lock`). */
  heldBack?: string;
  /**
   * `microk8s stop` left `stopped.lock`: it stopped every service, and MicroK8s' own commands
   * answer "microk8s is not running, try microk8s start" until `microk8s start` removes it.
   */
  stopped?: boolean;
}

export function servicesOf(locks: NodeLocks): NodeServices {
  const units = [serviceUnit('kubelite'), serviceUnit('containerd'), serviceUnit('cluster-agent')];
  const leftOut: NodeServices['leftOut'] = [];
  let heldBack: string | undefined;
  const dqlite = serviceUnit('k8s-dqlite');
  if (!runsDqlite(locks))
    leftOut.push({ unit: dqlite, why: `${LOCKS.noDqlite}: ${isWorker(locks) ? 'a worker' : 'external datastore'}, inactive by design` });
  else if (locks.has.lowMemoryGuard) {
    heldBack = LOCKS.lowMemoryGuard;
    leftOut.push({ unit: dqlite, why: `${heldBack}: MicroK8s holds k8s-dqlite back on this low-memory node until the lock is removed` });
  } else units.unshift(dqlite);
  const kicker = serviceUnit('apiserver-kicker');
  if (locks.has.clustered) leftOut.push({ unit: kicker, why: `${LOCKS.clustered}: not run on a clustered node` });
  else units.push(kicker);
  if (isWorker(locks)) {
    const proxy = serviceUnit('apiserver-proxy');
    if (locks.has.noApiserverProxy) leftOut.push({ unit: proxy, why: `${LOCKS.noApiserverProxy}: turned off on this worker` });
    else units.push(proxy);
  }
  return { units, leftOut, heldBack, stopped: locks.has.stopped || undefined };
}
