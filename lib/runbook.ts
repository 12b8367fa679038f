// The runbook's advice, written once: every check that tells the reader what to do next takes its
// lines from here, so two checks never disagree on the order of a recovery. The checks themselves
// never run any of it.
import { hostPort } from './sources/dqlite-members.ts';

/** "Stop adding more kubelite restarts": said by every check whose finding a restart would feed. */
export const HOLD_RESTARTS =
  'Do not restart kubelite on any node until this check is OK: every restart floods the single dqlite writer again.';

/**
 * "Delete stale jobs and other high-churn objects", as commands that work on a real API server: the
 * runbook's for BackOff events (`reason` is a field selector Events take); its Jobs' selector is not
 * one Jobs take, so check_stale_jobs gives theirs, per namespace.
 */
export const CUT_WRITE_LOAD =
  'Cut the write load: delete finished Jobs (check_stale_jobs lists them) and BackOff events: ' +
  'kubectl delete events --all-namespaces --field-selector=reason=BackOff';

/**
 * kine spending its whole retry budget is the storm itself, not a broken connection: the runbook's
 * "Immediate" recovery, as check_dqlite_lock gives it.
 */
export const KINE_STORM = [
  'Do not restart kubelite on any node while kine exhausts its retries: every restart floods the single dqlite writer again.',
  CUT_WRITE_LOAD,
  'Expect the exhausted retries to stop within 2-5 minutes, as the lock rate falls (check_dqlite_lock).',
];

/**
 * "If kubelite connections to kine are broken after a restart": k8s-dqlite first clears kine's state.
 * Broken connections left after a storm: not while lock errors still flood in ("Before any kubelite restart").
 */
export const BROKEN_KINE_CONNECTIONS =
  'Recovery, one node at a time, once check_dqlite_lock is OK (a restart during a write storm feeds it): ' +
  'restart k8s-dqlite FIRST (kubelite restarts do not clear its kine state), then kubelite:';

/** Both at once: the broken connections' restarts wait until the storm has passed. */
export const BROKEN_AFTER_STORM =
  'If the broken-connection signs above remain once no retry budget is exhausted any more and check_dqlite_lock is OK, ' +
  'then, one node at a time: ' +
  'restart k8s-dqlite FIRST (kubelite restarts do not clear its kine state), then kubelite:';

/** How one node's restart ends: by default when it is Ready again, uncordoned. */
export interface RestartSteps {
  /**
   * "Restart k8s-dqlite independently ... before restarting kubelite": k8s-dqlite first clears
   * kine's broken connection state, so kubelite then connects to a clean session. Without it, a
   * plain kubelite restart (the gate's).
   */
  dqliteFirst?: boolean;
  /**
   * Cordon before anything restarts: the frozen watch cache's recovery (cordon, restart
   * k8s-dqlite, then kubelite), where the node's own API serves stale lists all along. The
   * write-contention runbook cordons just before kubelite.
   */
  cordonFirst?: boolean;
  /** The last step instead of waiting for Ready and uncordoning at once. */
  finally?: string;
}

/** The runbook's restart of one node, in its order; the one place every check's advice takes it from. */
export function restartSequence(node: string, { dqliteFirst = true, cordonFirst = false, finally: last }: RestartSteps = {}): string[] {
  const cordon = `  kubectl cordon ${node}`;
  return [
    ...(cordonFirst ? [cordon] : []),
    ...(dqliteFirst ? [`  ssh -t ${node} sudo systemctl restart snap.microk8s.daemon-k8s-dqlite.service; sleep 10`] : []),
    ...(cordonFirst ? [] : [cordon]),
    `  ssh -t ${node} sudo systemctl restart snap.microk8s.daemon-kubelite.service`,
    `  ${last ?? `kubectl wait node/${node} --for=condition=Ready --timeout=120s && kubectl uncordon ${node}`}`,
  ];
}

/**
 * "If kcm/scheduler watches are stale": the leader's informer cache is stuck; restart it as above. Only
 * with the runbook's preconditions: stuck for over 5 minutes, and no write storm ("Before any kubelite
 * restart": dqlite-lock and kine not WARNING), which a restart would feed.
 */
export function staleLeaderCache(lease: 'kube-controller-manager' | 'kube-scheduler'): string[] {
  const who = lease === 'kube-controller-manager' ? 'kcm' : 'scheduler';
  return [
    `Stale ${who} informer cache: find the leader's node, the name before '_' in ` +
      `kubectl -n kube-system get lease ${lease} -o jsonpath={.spec.holderIdentity} (check_leases names it),`,
    `  and only once ${who === 'kcm' ? 'nothing has reconciled' : 'no pod has been bound'} for over 5 minutes and ` +
      'check_dqlite_lock and check_kine_retries are OK ' +
      '(a kubelite restart during a write storm floods the single dqlite writer again),',
    "  restart snap.microk8s.daemon-k8s-dqlite on it first (that clears kine's connection state), then kubelite:",
    ...restartSequence('<leader-node>'),
    `  the new leader should ${lease === 'kube-controller-manager' ? 'reconcile' : 'bind pending pods'} within 2 minutes.`,
  ];
}

/**
 * Late CronJobs: the first one's events say why (a Job the controller could not create leaves
 * lastScheduleTime where it was, FailedCreate). A stale informer cache stops every CronJob alike, so
 * the kcm leader's recovery only where every CronJob that should have run is late.
 */
export function lateCronJobs([first]: { namespace: string; name: string }[], everyOneLate: boolean): string[] {
  if (!first) return [];
  return [
    `Why it was not scheduled, in its events (FailedCreate, ...): kubectl -n ${first.namespace} describe cronjob ${first.name}`,
    ...(everyOneLate ? staleLeaderCache('kube-controller-manager') : []),
  ];
}

/** check_apiserver's failing etcd sub-check: on MicroK8s that is kine on k8s-dqlite; where to look. */
export const ETCD_IS_KINE =
  'etcd here is kine on k8s-dqlite: see check_dqlite (quorum, leader), check_services (is ' +
  'k8s-dqlite crash-looping?) and check_dqlite_lock.';

/** A slow readyz (readyz runs kine's check each time): write contention, which a kubelite restart feeds, never fixes. */
export const SLOW_READYZ = [
  'A slow readyz is the datastore struggling (write contention): see check_dqlite_lock and check_kine_retries.',
  HOLD_RESTARTS,
];

/** "During a restart session": what must hold before the next node. */
export const BETWEEN_RESTARTS = 'Do not restart kubelite on another node until every node is Ready, uncordoned and untainted.';

/**
 * After the runbook: a frozen watch cache (check_watch_cache) is rebuilt from a clean kine session
 * only. The node by name where the check could tell it, and the API server it judged.
 */
export function frozenWatchCache(node = '<node>', server = `https://${node}:16443`): string[] {
  return [
    'A frozen watch cache does not heal by itself (MicroK8s runs kube-apiserver without cache-inconsistency detection).',
    'On that node, non-dqlite-leader nodes first, one at a time, and only once check_dqlite_lock and check_kine_retries are OK ' +
      '(a restart during a write storm feeds it):',
    ...restartSequence(node, {
      cordonFirst: true,
      finally: `run this check again (--server ${server}); kubectl uncordon ${node} only when it is OK.`,
    }),
    "Restarting kubelite alone rebuilds a cache that freezes again while kine's feed is broken. This check changes nothing.",
  ];
}

/** "Rebuild the datastore": what shrinks a bloated dqlite database, and what to do meanwhile. */
export const SHRINK_DATABASE = [
  'A bloated database shrinks only by a rebuild: export, a fresh datastore, restore (a ' +
    'planned outage); restoring into the existing datastore shrinks nothing.',
  'Meanwhile cut write churn: finished Jobs (check_stale_jobs), old events.',
];

/** A full disk under the backend: what to free, and what never to (raft's own files). */
export function freeBackendDisk(mount: string, backend: string): string[] {
  return [
    `Free space on ${mount} before dqlite fails on it (df -h ${mount}, then sudo du -xh --max-depth=3 ${mount} to see what fills it),`,
    `  never by deleting files in ${backend}: raft removes its old snapshots and segments itself, and one removed by hand ` +
      "breaks this node's copy of the database.",
  ];
}

/** "If k8s-dqlite crash-loops": what to look at before anything else is restarted, the node's backend at `backend`. */
export const dqliteCrashloop = (backend: string): string[] => [
  `k8s-dqlite restarting: check the dqlite membership and quorum (check_dqlite), the free space under the backend (df ${backend}),`,
  '  and the backend files (cluster.yaml, info.yaml, cluster.crt/key readable, no ' +
    'half-written segment); its journal says why it exits.',
  'Never restart kubelite on other nodes while k8s-dqlite crash-loops: one more node down loses quorum.',
];

/** "If a Deployment is stuck (phantom RS status)": clear the stale status, then restart the rollout. */
export function phantomStatusFix(namespace: string, replicaSet: string, deployment: string): string[] {
  return [
    `Phantom status: patch it, e.g. kubectl -n ${namespace} patch rs ${replicaSet} ` +
      `--subresource=status --type=merge -p '{"status":{"replicas":0,"readyReplicas":0,` +
      `"availableReplicas":0}}'`,
    `  if observedGeneration still does not advance: kubectl -n ${namespace} rollout restart deployment ${deployment || '<name>'}`,
    "  (if ArgoCD selfHeal reverts the restart annotation, restart the kcm leader's k8s-dqlite, then its kubelite, " +
      'as for a stale kcm cache, once check_dqlite_lock and check_kine_retries are OK).',
  ];
}

/**
 * Removing dqlite members whose node is gone: confirm first, then the MicroK8s way, else the CLI's,
 * each given the member's address. A stale member matches no Node, so `microk8s remove-node <name>`
 * finds none and then looks for a member at `<name>:`: it removes nothing (scripts/wrappers/remove_node.py);
 * given the IP it removes the member. An IPv6 member is listed `[fd00::13]:19001`, never at `fd00::13:`,
 * and remove-node takes only members at this node's IPv4 addresses for its own to remove through: the
 * CLI alone. The CLI reads cluster.key, root's: sudo.
 */
export function removeStaleMembers(addresses: string[]): string[] {
  const dir = '/var/snap/microk8s/current/var/kubernetes/backend';
  const cli = (address: string) =>
    `sudo /snap/microk8s/current/bin/dqlite -s file://${dir}/cluster.yaml -c ${dir}/cluster.crt -k ${dir}/cluster.key ` +
    `k8s ".remove ${address}"`;
  const v6 = (address: string) => hostPort(address)?.host.includes(':') ?? false;
  return [
    'Stale members: confirm each node is really gone (kubectl get nodes, microk8s status on it), then on a member remove ' +
      'it by its IP (given a name, remove-node finds no Node and removes nothing):',
    ...(addresses.some(v6) ? ['  (an IPv6 member by the dqlite CLI alone: remove-node removes none)'] : []),
    ...addresses.flatMap((address) =>
      v6(address)
        ? [`  ${cli(address)}`]
        : [`  sudo microk8s remove-node ${hostPort(address)?.host ?? address} --force`, `  or: ${cli(address)}`],
    ),
    'This check removes nothing.',
  ];
}

/** While dqlite's quorum is at risk, no restart elsewhere: the voter comes back first. */
export const QUORUM_AT_RISK =
  'Do not restart kubelite or k8s-dqlite on another node while quorum is at risk: one more ' + 'node down stops every write.';

/** With a voter unreachable: what to do first. */
export const VOTER_BACK_FIRST = 'Bring the unreachable voter back first (check_services, its journal, its disk).';

/**
 * Quorum already lost: no risk left to warn of, writes have stopped. The voters out of reach come
 * back until a majority answers; where every voter accepts TCP yet none leads, their journals say why.
 */
export function quorumLost({ unreachable, majority, voters }: { unreachable: { address: string }[]; majority: number; voters: unknown[] }) {
  return [
    'Quorum is lost: dqlite commits no write, so nothing in the cluster can change (no pod, no lease, no status) until a majority answers.',
    // A majority out of reach: those come back. Within reach yet leaderless (the CLI's word): their journals say why.
    voters.length - unreachable.length < majority
      ? `Bring voters back (${unreachable.map((m) => m.address).join(', ')}) until a majority answers (${majority} of ${voters.length}): ` +
        'check_services, their journals, their disks.'
      : `${unreachable.length ? 'A majority of voters accepts TCP' : 'Every voter accepts TCP'}, yet none leads: ` +
        "k8s-dqlite's journal on each voter says why (journalctl -u snap.microk8s.daemon-k8s-dqlite).",
  ];
}

/** The gate's NO-GO: what to do instead of restarting. */
export const NOT_NOW = 'Do not restart now: fix the above, then ask again.';
/**
 * The gate's NO-GO on a frozen watch cache: no wait ends it (it never heals); its own recovery is a
 * restart of that node, k8s-dqlite first, not the gate's.
 */
export const FROZEN_CACHE_RECOVERY =
  "A frozen watch cache (watch-cache above) is not waited out: its own recovery, in check_watch_cache's long output, " +
  'restarts k8s-dqlite and then kubelite on that node, after any write storm has passed; then ask again.';
/**
 * The gate's NO-GO on Deployments lagging: the runbook waits for observedGeneration after a
 * restart, and restarts the kcm leader only once its cache is stuck, over 5 minutes.
 */
export const LAG_WAIT =
  'Deployments lagging (observed-generation above): wait for the controller-manager to catch up; if one still lags ' +
  "after 5 minutes, its cache is stuck: check_observed_generation's long output gives the leader's recovery.";
/**
 * The gate's NO-GO on a Node read Ready whose kubelet is silent: the node controller would have
 * marked it NotReady, so that node is likely down and the controller-manager's cache stale; a
 * restart elsewhere now takes a second node down. That node first, then the cache.
 */
export function silentKubelet(nodes: string[]): string[] {
  return [
    `A Node read Ready while its kubelet is silent (${nodes.join(', ')} above) is likely down: the controller-manager marks ` +
      'such a node NotReady past its node-monitor-grace-period (50s by default), so it likely works from a stale cache.',
    'Restarting kubelite on another node now could take a second node down. First find out whether that node is up, ' +
      'and why its kubelet stopped:',
    ...nodes.map((n) => `  ssh ${n} systemctl status snap.microk8s.daemon-kubelite.service`),
    "Then the controller-manager's cache: check_observed_generation and check_watch_cache (--server on the kcm leader's " +
      'node) give its recovery.',
    "A node whose clock runs behind this host's reads the same: check time synchronisation (timedatectl) there.",
  ];
}
/** The gate's NO-GO while the journals show a write storm: its backlog must drain first. */
export const NOT_NOW_STORM = 'Do not restart now: let the cluster absorb the write backlog, fix the above, then ask again.';

/** "Restart a non-leader first": said where the node asked for leads something. */
export const NON_LEADER_FIRST = 'Restart a non-leader node first where possible; leadership moves when this node restarts.';

/**
 * The gate's GO: the runbook's step before any kubelite restart the gate does not judge (stale Jobs),
 * one node's kubelite restart, then what must be OK before the next node.
 */
export function gatedRestart(node: string): string[] {
  return [
    'Before it, cut the background write rate: delete finished Jobs (check_stale_jobs lists them and gives the command; ' +
      'keep one-off migration Jobs you need).',
    `Sequence (serial: 1, one node at a time):`,
    ...restartSequence(node, { dqliteFirst: false }),
    '  wait until observedGeneration matches generation (check_observed_generation OK) and this check is OK again before the next node.',
  ];
}

/** A dqlite member's backend with no raft data: why nothing of the database can be judged there, and what to do. */
export const NO_RAFT_DATA = {
  'not-joined': {
    why: "this node has not joined the dqlite cluster (go-dqlite's join file is still there: the leader has not added it)",
    fix:
      "k8s-dqlite's journal says why (journalctl -u snap.microk8s.daemon-k8s-dqlite); check_dqlite on a member lists the cluster; " +
      'a join given up: microk8s leave, then microk8s add-node on a member and join again',
  },
  'no-copy': {
    /** Followed by why this node is not taken for a spare (dqlite-storage.ts). */
    why: 'this node keeps no copy of the database to judge, as a dqlite spare',
    fix: 'judge the snapshots on a voter (check_dqlite lists the roles); if it lists this node as a voter or stand-by, check --backend-dir',
  },
} as const;

/** A node removed from the dqlite cluster: its raft files, left from when it was a member, and what to do. */
export const REMOVED = {
  why: 'leftovers the cluster no longer writes, not its storage',
  fix:
    'judge the storage on a member: check_dqlite_storage --host <voter> (check_dqlite lists them), and to rejoin or run ' +
    'alone: microk8s leave here (it starts afresh as a single node), then to rejoin microk8s add-node on a member and ' +
    'microk8s join here',
} as const;

/** A spare's backend: why there is no database to judge there, and where it is judged. */
export const SPARE = {
  why:
    'a spare neither votes nor replicates, so no copy of the database is kept here to judge (the second node of ' +
    'two, one beyond 3 voters and 3 stand-bys, or one demoted when a 3-node cluster went down to 2: raft files ' +
    'left from when it voted are not judged); the snapshots are judged on a voter, and check_dqlite says the roles',
} as const;
