// Runbook, "Prevention": know which node holds the kcm, scheduler and dqlite leadership before a
// restart, and restart a non-leader first. An expired lease means no controller-manager or
// scheduler is leading; leaseTransitions climbing between runs means leadership is churning
// (each kcm loss of lease exits kubelite on that node).
import { inOrder } from '../lib/in-order.ts';
import type { V1Lease } from '@kubernetes/client-node';
import { nameDqliteLeader, type DqliteLeaderName } from '../lib/dqlite-leader-name.ts';
import { nodeAt } from '../lib/k8s/nodes.ts';
import { judgeLeases } from '../lib/leader-lease.ts';
import { isKept, readSeen, seenOf, type Seen } from '../lib/lease-churn.ts';
import { dqliteCli, dqliteOptions, type DqliteArgs } from '../lib/options/dqlite.ts';
import { kubeOptions, type KubeArgs } from '../lib/options/kube.ts';
import type { Thresholds } from '../lib/plugin/range.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import { judgeRenewAge } from '../lib/renew-age.ts';
import { type DqliteCli, DQLITE_BIN } from '../lib/sources/dqlite.ts';
import { askLeader, leaderAskable } from '../lib/sources/dqlite-cluster.ts';
import type { CommandShare } from '../lib/sources/command-share.ts';
import { connect, type Cluster } from '../lib/sources/kube/cluster.ts';
import { listNodesWithin } from '../lib/sources/kube/nodes-within.ts';
import { readLeaderLeases } from '../lib/sources/kube/reads.ts';
import { defaultStateFile, keepOrSay, readState, writeState } from '../lib/state-file.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';

interface Args extends KubeArgs, DqliteArgs {
  'state-file'?: string;
}

export interface LeaseFacts {
  /** When the leases were read. */
  now: number;
  /** The dqlite CLI asked (or looked for) on this host. */
  dqliteBin?: string;
  /** The leader leases, in LEADER_LEASES order. */
  leases: V1Lease[];
  /** The dqlite leader's address and its node, or why it is not known; undefined: no dqlite CLI here. */
  dqlite?: DqliteLeaderName;
  /** The leases as the previous run saw them, or why that cannot be known. */
  before?: Seen;
  beforeProblem?: string;
  /** Why this run's transitions could not be kept for the next. */
  saveProblem?: string;
}

/** No default limits: -w/-c on the staler lease's renew age apply only when given. */
export const defaultLimits: Thresholds = {};

export function evaluate(f: LeaseFacts, limits: Thresholds): Outcome {
  const v = new Verdict(check.name);
  // Where nothing can be kept either, the finding below says it once.
  if (f.beforeProblem && !f.saveProblem) v.detail(`${f.beforeProblem}: churn since the last run is not judged this time`);
  const judged = judgeLeases(v, f.leases, f.now, f.before);
  judgeRenewAge(v, judged, limits);
  // Counts that cannot be kept: churn is never judged. An OK would promise it was: UNKNOWN, every run.
  if (f.saveProblem) v.find(State.UNKNOWN, f.saveProblem);
  const { dqliteBin = DQLITE_BIN } = f;
  const dqlite = nameDqliteLeader(v, f.dqlite, dqliteBin);
  const holders = [...judged.flatMap((lease) => (lease ? [lease.holder] : [])), ...(dqlite ? [dqlite] : [])];
  if (v.findings.length)
    v.detail('Before restarting kubelite anywhere: wait until leases are held and stable; restart a non-leader first.');
  return v.conclude(`leaders: ${holders.join(', ')}`);
}

const CLI_RESERVE_MS = 500;

/** The leases, the dqlite leader (from the CLI on this host) and the nodes to name it by. */
export async function gather(
  cluster: Cluster,
  deadline: Deadline,
  cli: DqliteCli,
  /** The run's shared CLI answers (`all`, the poll cycle): the leader asked once for every check. */
  share?: CommandShare,
): Promise<Pick<LeaseFacts, 'leases' | 'dqlite'>> {
  deadline.activity = `reading leases from ${cluster.server}`;
  // The Nodes only name the dqlite leader's node, as the CLI only names the leader: listed beside
  // the rest under a part of -t, and not listed (a 500 or 429 on a list under load, a list that
  // hangs) they leave the leader named by its address, never the leases unjudged (an expired
  // lease was UNKNOWN for a Node list it did not need). With no dqlite CLI here, not listed at all.
  const nodes = leaderAskable(cli) ? listNodesWithin(cluster, deadline.part()) : undefined;
  // Both failing, the leases' failure is the reason (what the check is asked), whichever came first.
  const [leases, leader] = await inOrder(
    [
      readLeaderLeases(cluster),
      // What the deadline leaves, less the time to judge and print: a blocking CLI costs no verdict.
      askLeader(cli, deadline.remainingMs() - CLI_RESERVE_MS, deadline.signal, share),
    ],
    deadline,
  );
  if (leader.kind === 'no-cli') return { leases };
  if (leader.kind === 'unknown') return { leases, dqlite: { unknown: leader.why } };
  if (leader.kind === 'failed') return { leases, dqlite: { failed: leader.error } };
  deadline.activity = 'listing nodes';
  const listing = (await nodes) ?? { why: 'no dqlite CLI here' };
  if ('why' in listing) return { leases, dqlite: { leader: leader.address, unnamed: listing.why } };
  return { leases, dqlite: { leader: leader.address, node: nodeAt(listing.listed, leader.address) } };
}

export const check: CheckDefinition<Args> = {
  name: 'LEASES',
  command: 'check_leases',
  // -w/-c judge renew_age, the staler lease's (no default).
  thresholdUnit: 'seconds',
  description:
    'shows who leads kube-controller-manager, kube-scheduler and dqlite; expired leases are CRITICAL, ' +
    'leases past their renew deadline and leadership churn WARNING',
  options: (y) =>
    dqliteOptions(kubeOptions(y), 'asked for the leader when present', 'dqlite-backend').option('state-file', {
      type: 'string',
      describe: 'where leaseTransitions are kept between runs (default ~/.local/state/microk8s-checks/leases-<server>.json)',
    }),
  examples: [['check_leases', 'leaders of kcm, scheduler and dqlite']],
  async run({ args, warning, critical, deadline, log, shared, keepState = writeState }) {
    const cluster = connect(args, deadline, log, { share: shared?.kube });
    const now = Date.now();
    const seen = await gather(cluster, deadline, dqliteCli(args), shared?.commands);
    const stateFile = args['state-file'] ?? defaultStateFile(`leases-${cluster.server.replace(/[^A-Za-z0-9.-]+/g, '_')}.json`);
    const remembered = readState(stateFile, isKept);
    const saveProblem = keepOrSay(keepState, stateFile, seenOf(seen.leases), 'leaseTransitions', 'leadership churn not judged');
    const before = remembered.value && readSeen(remembered.value);
    return evaluate(
      { ...seen, now, dqliteBin: args['dqlite-bin'], before, beforeProblem: remembered.problem, saveProblem },
      { warning, critical },
    );
  },
};
