// Which checks `all` runs on this host: what the host is (its MicroK8s lock files, journalctl,
// systemd, a kubeconfig) and what the command line points the checks at; a check that does not
// apply is left out saying why, one that cannot be told is its UNKNOWN.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Needs } from '../../checks/registry.ts';
import { reasonOf } from '../../lib/errors.ts';
import { absent } from '../../lib/files.ts';
import { impliedNode } from '../../lib/names.ts';
import { MICROK8S_CERT_DIR } from '../../lib/sources/certs.ts';
import { DQLITE_BACKEND } from '../../lib/sources/dqlite.ts';
import { CALICO_MANIFEST, otherCni } from '../../lib/sources/snap-cni.ts';
import { isWorker, readLocks, runsDqlite, SnapDataError } from '../../lib/sources/snap-locks.ts';

/** What `all` found on this host, and the inputs it was given. */
export interface Host {
  journal: boolean;
  restart: boolean;
  /** Why no kubeconfig can be used, if so. */
  api?: string;
  /** Why this host is no MicroK8s node whose own inputs a check may read, if so. */
  notNode?: string;
  /** Why this node runs no dqlite of its own (a worker, or external etcd), if so. */
  noDqlite?: string;
  /** Why this node runs no API server of its own (a worker), if so. */
  worker?: string;
  /** Why this node has no calico routes (its files say another CNI), if so. */
  otherCni?: string;
  /** Why what this host is cannot be told (its $SNAP_DATA unreadable, or none), if so: no check of its own is left out on a guess. */
  unsure?: Unsure;
  /** The hosts read over SSH (--host). */
  hosts: string[];
  /** Why no node can be gated without --node (impliedNode), if so. */
  noGated?: string;
  /** The options given to `all`. */
  given: Set<string>;
}

/** The options that point a journal check at lines other than this host's own MicroK8s units. */
const LINES = ['host', 'journal-dir', 'journal-file', 'log-file', 'unit'];

/** Why a check of this node's own inputs can be neither run nor left out: its row is UNKNOWN saying so. */
export class Unsure {
  constructor(readonly why: string) {}
}

/** Whether a check can run on this host: undefined, why not (it is left out), or why that cannot be told. */
export function applies(needs: Needs, have: Host): string | Unsure | undefined {
  // A check that judges this node's own inputs, where they are not this node's: unless it was
  // pointed at them (over SSH with --host, or a directory given), it is left out, saying why.
  // Where what this host is cannot be told, neither: left out, a node's check would vanish from
  // the worst state on a guess.
  const own = (pointed: string[], why: string | undefined) => (pointed.some((o) => have.given.has(o)) ? undefined : (have.unsure ?? why));
  switch (needs) {
    // A host that is no node has no MicroK8s lines in its journal: a quiet OK there would be about nothing.
    case 'journal':
      return have.journal ? own(LINES, have.notNode) : 'no journalctl on this host (read journal files with --journal-dir/--journal-file)';
    case 'dqlite-journal':
      return applies('journal', have) ?? own(LINES, have.noDqlite && `${have.noDqlite}: no k8s-dqlite journal to read here`);
    // systemd's own test for "booted with systemd" (sd_booted): without it there are no units to
    // read, unless units were named (--unit): asked for, they are judged, and a systemctl that
    // cannot answer is check_services' UNKNOWN, as a kubeconfig asked for is the API checks'.
    case 'systemd':
      return (
        own(['host'], have.notNode) ??
        (existsSync('/run/systemd/system') || have.given.has('host') || have.given.has('unit')
          ? undefined
          : 'systemd is not running on this host (name units with --unit to judge them all the same)')
      );
    // Past own(...), the lock files say this is a control-plane node: what is missing is where its
    // files are (a --snap-data elsewhere), so the row says what to give, never "not a node".
    case 'backend':
      return (
        own(['host', 'backend-dir'], have.notNode ?? have.noDqlite) ??
        (!absent(DQLITE_BACKEND) || have.given.has('host') || have.given.has('backend-dir')
          ? undefined
          : `no dqlite backend at ${DQLITE_BACKEND} (give --backend-dir, or --host for a node over SSH)`)
      );
    case 'api':
      return have.api;
    case 'apiserver':
      return (
        have.api ??
        own(
          ['server'],
          have.worker &&
            `${have.worker}: its API server address is apiserver-proxy, which forwards to one control-plane node or another ` +
              '(judge the API server on the control-plane nodes, or give --server)',
        )
      );
    // The routes read are this host's (or --host's over SSH), judged as --node's, as the check
    // does alone: on a host that is no node they are no node's, and every pod would lack a route.
    case 'routes':
      return (
        have.api ??
        (have.hosts.length > 1
          ? `it reads one node's routing table, and --host names ${have.hosts.length} hosts (run check_calico_routes --host NODE for each)`
          : undefined) ??
        // Alone a usage error, here every poll's UNKNOWN: --host as an address ($HOSTADDRESS$) is usual.
        (have.noGated && `it judges one node's pods: give --node (${have.noGated})`) ??
        own(['host'], have.notNode && `this host's routing table is no node's (give --host for the node's, over SSH): ${have.notNode}`) ??
        own(['host'], have.otherCni)
      );
    // Files pointed at are judged whatever the kubeconfig (check_certs says it as an UNKNOWN part).
    case 'certs':
      return (
        (have.given.has('cert-dir') || have.given.has('cert') ? undefined : have.api) ??
        own(['cert-dir', 'cert'], have.notNode ?? (have.noDqlite && `${have.noDqlite}: its certificates are the control plane's`)) ??
        (!absent(MICROK8S_CERT_DIR) || have.given.has('cert-dir') || have.given.has('cert')
          ? undefined
          : `no MicroK8s certificates at ${MICROK8S_CERT_DIR} (give --cert-dir)`)
      );
    case 'restart':
      return (
        have.api ??
        (have.restart ? undefined : 'runs only for a restart being planned: give --node (and journal files or a local journal)') ??
        (have.noGated && `it gates one node's restart: give --node (${have.noGated})`) ??
        own(['host'], have.notNode ?? have.noDqlite)
      );
  }
}

/** Why --host implies no node for the gate (lib/names.ts), as the gate run alone would say. */
export function whyNoNode(hosts: string[]): string | undefined {
  const implied = impliedNode(hosts, hostname());
  return 'why' in implied ? implied.why : undefined;
}

/** This host as a MicroK8s node, from its lock files (lib/sources/snap-locks.ts). */
export function asNode(snapData: string): { notNode?: string; noDqlite?: string; worker?: string; otherCni?: string; unsure?: Unsure } {
  let locks: ReturnType<typeof readLocks>;
  try {
    locks = readLocks(snapData);
  } catch (err) {
    // Only a $SNAP_DATA that is not there says no MicroK8s is here; one unreadable, or no
    // $SNAP_DATA at all (a mistyped --snap-data), says nothing of what this host is.
    if (err instanceof SnapDataError && err.notInstalled) return { notNode: reasonOf(err) };
    return { unsure: new Unsure(`cannot tell whether it applies here: ${reasonOf(err)}`) };
  }
  const other = otherCni(snapData);
  const cni = other && {
    otherCni:
      `this node runs ${other.cni}, not Calico: its args/cni-network holds ${other.file} and no ${CALICO_MANIFEST} (Calico's manifest): ` +
      'no calico routes to judge (give --host to judge another node)',
  };
  const worker = 'this node is a MicroK8s worker';
  if (isWorker(locks)) return { noDqlite: `${worker} (no dqlite of its own)`, worker, ...cni };
  if (!runsDqlite(locks)) return { noDqlite: 'this node runs no dqlite of its own (no-k8s-dqlite: external etcd)', ...cni };
  return { ...cni };
}
