// Runbook, "Prevention": know which node holds the kcm, scheduler and dqlite leadership before a
// restart, and restart a non-leader first. An expired lease means no controller-manager or
// scheduler is leading; leaseTransitions climbing between runs means leadership is churning
// (each kcm loss of lease exits kubelite on that node).
import type { V1Lease } from '@kubernetes/client-node';
import { formatDuration } from '../lib/duration.ts';
import { holderNode, LEADER_LEASES, leaseLife, type LeaseLife } from '../lib/k8s/leases.ts';
import { nodeAt } from '../lib/k8s/nodes.ts';
import { dqliteCli, dqliteOptions, type DqliteArgs } from '../lib/options/dqlite.ts';
import { kubeOptions, type KubeArgs } from '../lib/options/kube.ts';
import type { Thresholds } from '../lib/plugin/range.ts';
import { reasonOf, type CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import { type DqliteCli, DQLITE_BIN } from '../lib/sources/dqlite.ts';
import { askLeader } from '../lib/sources/dqlite-cluster.ts';
import type { CommandShare } from '../lib/sources/command-share.ts';
import { connect, type Cluster } from '../lib/sources/kube/cluster.ts';
import { listNodes, readLeaderLeases } from '../lib/sources/kube/reads.ts';
import { defaultStateFile, isCounts, keepOrSay, readState, writeState } from '../lib/state-file.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';

interface Args extends KubeArgs, DqliteArgs {
  'state-file'?: string;
}

/** leaseTransitions by lease name, kept between runs. */
export type Transitions = Record<string, number>;

export interface LeaseFacts {
  /** When the leases were read. */
  now: number;
  /** The dqlite CLI asked (or looked for) on this host. */
  dqliteBin?: string;
  /** The leader leases, in LEADER_LEASES order. */
  leases: V1Lease[];
  /** The dqlite leader's address and its node, or why it is not known; undefined: no dqlite CLI here. */
  dqlite?: { leader: string; node?: string } | { unknown: string };
  /** leaseTransitions the previous run saw, or why they cannot be known. */
  before?: Transitions;
  beforeProblem?: string;
  /** Why this run's transitions could not be kept for the next. */
  saveProblem?: string;
}

const SHORT: Record<(typeof LEADER_LEASES)[number], string> = { 'kube-controller-manager': 'kcm', 'kube-scheduler': 'scheduler' };

/** leaseTransitions as the next run will compare them. */
export const transitionsOf = (leases: V1Lease[]): Transitions =>
  Object.fromEntries(leases.map((l, i) => [LEADER_LEASES[i]!, l.spec?.leaseTransitions ?? 0]));

/** No default limits: -w/-c on the staler lease's renew age apply only when given. */
export const defaultLimits: Thresholds = {};

export function evaluate(f: LeaseFacts, { warning, critical }: Thresholds): Outcome {
  const { now, dqliteBin = DQLITE_BIN } = f;
  const v = new Verdict(check.name);
  // Where nothing can be kept either, the finding below says it once.
  if (f.beforeProblem && !f.saveProblem) v.detail(`${f.beforeProblem}: churn since the last run is not judged this time`);
  let oldest = 0;
  const holders: string[] = [];
  f.leases.forEach((lease, i) => {
    const name = LEADER_LEASES[i]!;
    const short = SHORT[name];
    const transitions = lease.spec?.leaseTransitions ?? 0;
    let life: LeaseLife;
    try {
      life = leaseLife(lease, now);
    } catch (err) {
      // Not a fresh lease, and not an expired one either: this lease cannot be judged.
      v.find(State.UNKNOWN, `${short} lease cannot be judged: ${reasonOf(err)}`);
      v.measure({ label: `${short}_renew_age`, value: NaN, uom: 's', min: 0 });
      v.measure({ label: `${short}_transitions`, value: transitions, uom: 'c', min: 0 });
      oldest = NaN;
      return;
    }
    const { age, duration, expired } = life;
    oldest = Math.max(oldest, age ?? Infinity);
    v.measure({ label: `${short}_renew_age`, value: age ?? NaN, uom: 's', min: 0 });
    v.measure({ label: `${short}_transitions`, value: transitions, uom: 'c', min: 0 });
    holders.push(`${short} ${holderNode(lease) ?? 'none'}`);
    if (expired)
      v.find(
        State.CRITICAL,
        `${short} lease expired${age !== undefined ? ` (renewed ${formatDuration(age)} ago, duration ${duration}s)` : ''}: ` +
          `no ${name} is leading`,
      );
    const grew = f.before?.[name] !== undefined ? transitions - f.before[name]! : 0;
    if (grew > 0) v.find(State.WARNING, `${short} leadership changed ${grew} time${grew === 1 ? '' : 's'} since the last run`);
    v.detail(
      `${name}: holder ${lease.spec?.holderIdentity ?? 'none'}, renewed ` +
        `${age === undefined ? 'never' : `${formatDuration(Math.max(age, 1))} ago`} (duration ` +
        `${duration}s), ${transitions} transitions`,
    );
  });
  // The primary metric: the staler of the two leases, for -w/-c if the admin wants them.
  v.measure({ label: 'renew_age', value: Number.isFinite(oldest) ? oldest : NaN, uom: 's', min: 0 }, new ScalarContext(warning, critical));
  // Counts that cannot be kept: churn is never judged. An OK would promise it was: UNKNOWN, every run.
  if (f.saveProblem) v.find(State.UNKNOWN, f.saveProblem);
  if (f.dqlite && 'unknown' in f.dqlite) {
    // check_dqlite judges the datastore; here the leader is only named, so not knowing it is said.
    holders.push('dqlite unknown');
    v.detail(`dqlite leader: ${f.dqlite.unknown} (check_dqlite judges the datastore)`);
  } else if (f.dqlite) {
    holders.push(`dqlite ${f.dqlite.node ?? f.dqlite.leader}`);
    v.detail(`dqlite leader: ${f.dqlite.leader}${f.dqlite.node ? ` (node ${f.dqlite.node})` : ''}`);
  } else {
    v.detail(`dqlite leader: not asked (no ${dqliteBin} here; run this check on a MicroK8s node)`);
  }
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
  const [leases, leader, nodes] = await Promise.all([
    readLeaderLeases(cluster),
    // What the deadline leaves, less the time to judge and print: a blocking CLI costs no verdict.
    askLeader(cli, deadline.remainingMs() - CLI_RESERVE_MS, deadline.signal, share),
    listNodes(cluster),
  ]);
  if (leader.kind === 'no-cli') return { leases };
  if (leader.kind === 'unknown') return { leases, dqlite: { unknown: leader.why } };
  return { leases, dqlite: { leader: leader.address, node: nodeAt(nodes, leader.address) } };
}

export const check: CheckDefinition<Args> = {
  name: 'LEASES',
  command: 'check_leases',
  // -w/-c judge renew_age, the staler lease's (no default).
  thresholdUnit: 'seconds',
  description: 'shows who leads kube-controller-manager, kube-scheduler and dqlite; expired leases are CRITICAL, leadership churn WARNING',
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
    const remembered = readState(stateFile, isCounts);
    const saveProblem = keepOrSay(keepState, stateFile, transitionsOf(seen.leases), 'leaseTransitions', 'leadership churn not judged');
    return evaluate(
      { ...seen, now, dqliteBin: args['dqlite-bin'], before: remembered.value, beforeProblem: remembered.problem, saveProblem },
      { warning, critical },
    );
  },
};
