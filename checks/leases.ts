// Runbook, "Prevention": know which node holds the kcm, scheduler and dqlite leadership before a
// restart, and restart a non-leader first. An expired lease means no controller-manager or
// scheduler is leading; leaseTransitions climbing between runs means leadership is churning
// (each kcm loss of lease exits kubelite on that node).
import { inOrder } from '../lib/in-order.ts';
import type { V1Lease, V1Node } from '@kubernetes/client-node';
import { formatDuration } from '../lib/duration.ts';
import { holderNode, LEADER_LEASES, leaseLife, type LeaseLife } from '../lib/k8s/leases.ts';
import { nodeAt } from '../lib/k8s/nodes.ts';
import type { Wire } from '../lib/k8s/wire.ts';
import { dqliteCli, dqliteOptions, type DqliteArgs } from '../lib/options/dqlite.ts';
import { kubeOptions, type KubeArgs } from '../lib/options/kube.ts';
import type { Range, Thresholds } from '../lib/plugin/range.ts';
import { shown } from '../lib/plugin/shown.ts';
import { reasonOf, type CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import { type DqliteCli, DQLITE_BIN } from '../lib/sources/dqlite.ts';
import { askLeader, leaderAskable } from '../lib/sources/dqlite-cluster.ts';
import type { CommandShare } from '../lib/sources/command-share.ts';
import { connect, type Cluster } from '../lib/sources/kube/cluster.ts';
import { listNodes, readLeaderLeases } from '../lib/sources/kube/reads.ts';
import { defaultStateFile, keepOrSay, readState, writeState } from '../lib/state-file.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';

interface Args extends KubeArgs, DqliteArgs {
  'state-file'?: string;
}

/**
 * What a run keeps of each leader lease for the next, by name: its leaseTransitions and its
 * metadata.uid. A lease deleted and made again is another object, whose count starts over from 0:
 * its uid tells it from the one the last run saw. State written before uids were kept holds the
 * counts alone (readSeen); there a count that went down tells it.
 */
export type Seen = Record<string, { transitions: number; uid?: string }>;

const isSeen = (v: unknown): v is { transitions: number; uid?: string } =>
  typeof v === 'object' &&
  v !== null &&
  'transitions' in v &&
  typeof v.transitions === 'number' &&
  Number.isFinite(v.transitions) &&
  (!('uid' in v) || typeof v.uid === 'string');

/** The state file's shape: this version's, or the counts alone of an earlier one. */
const isKept = (v: object): v is Record<string, number | { transitions: number; uid?: string }> =>
  !Array.isArray(v) && Object.values(v).every((x) => (typeof x === 'number' && Number.isFinite(x)) || isSeen(x));

/** The previous run's state as this one judges it: a bare count (an earlier version's) has no uid. */
export const readSeen = (kept: Record<string, number | { transitions: number; uid?: string }>): Seen =>
  Object.fromEntries(Object.entries(kept).map(([name, x]) => [name, typeof x === 'number' ? { transitions: x } : x]));

export interface LeaseFacts {
  /** When the leases were read. */
  now: number;
  /** The dqlite CLI asked (or looked for) on this host. */
  dqliteBin?: string;
  /** The leader leases, in LEADER_LEASES order. */
  leases: V1Lease[];
  /** The dqlite leader's address and its node, or why it is not known; undefined: no dqlite CLI here. */
  dqlite?: { leader: string; node?: string; unnamed?: string } | { unknown: string };
  /** The leases as the previous run saw them, or why that cannot be known. */
  before?: Seen;
  beforeProblem?: string;
  /** Why this run's transitions could not be kept for the next. */
  saveProblem?: string;
}

const SHORT: Record<(typeof LEADER_LEASES)[number], string> = { 'kube-controller-manager': 'kcm', 'kube-scheduler': 'scheduler' };

/** The leases as the next run will compare them. */
export const seenOf = (leases: V1Lease[]): Seen =>
  Object.fromEntries(
    leases.map((l, i) => [
      LEADER_LEASES[i]!,
      { transitions: l.spec?.leaseTransitions ?? 0, ...(l.metadata?.uid ? { uid: l.metadata.uid } : {}) },
    ]),
  );

/** No default limits: -w/-c on the staler lease's renew age apply only when given. */
export const defaultLimits: Thresholds = {};

export function evaluate(f: LeaseFacts, { warning, critical }: Thresholds): Outcome {
  const { now, dqliteBin = DQLITE_BIN } = f;
  const v = new Verdict(check.name);
  // Where nothing can be kept either, the finding below says it once.
  if (f.beforeProblem && !f.saveProblem) v.detail(`${f.beforeProblem}: churn since the last run is not judged this time`);
  let oldest = 0;
  // The staler lease, and the state its own finding said it at: -w/-c on renew_age name it on the
  // first line unless that finding already gives their state (a late lease's WARNING at -c is no CRITICAL's reason).
  let staler: { short: string; saidAt?: State } | undefined;
  let lateSaid = false;
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
    const { age, duration, released, expired, late, deadline } = life;
    if ((age ?? Infinity) > oldest || !staler)
      staler = { short, saidAt: released || expired ? State.CRITICAL : late ? State.WARNING : undefined };
    oldest = Math.max(oldest, age ?? Infinity);
    v.measure({ label: `${short}_renew_age`, value: age ?? NaN, uom: 's', min: 0 });
    v.measure({ label: `${short}_transitions`, value: transitions, uom: 'c', min: 0 });
    holders.push(`${short} ${holderNode(lease) ?? 'none'}`);
    if (released) v.find(State.CRITICAL, `${short} lease released (no holder): no ${name} is leading`);
    else if (expired)
      v.find(
        State.CRITICAL,
        `${short} lease expired${age !== undefined ? ` (renewed ${formatDuration(age)} ago, duration ${duration}s)` : ''}: ` +
          `no ${name} is leading`,
      );
    // Whatever -w/-c say of renew_age, as an expired lease is CRITICAL whatever they say.
    else if (late) {
      lateSaid = true;
      v.find(
        State.WARNING,
        `${short} lease not renewed for ${formatDuration(age!)} (renew deadline ${deadline}s): its leader is giving it up, ` +
          `nobody can take it before ${duration}s`,
      );
    }
    const was = f.before?.[name];
    const uid = lease.metadata?.uid;
    // Made again since the last run: its count started over, from 0 as leader election creates it,
    // so all of it is churn since then; the difference to the old one's would be none, or negative.
    const remade =
      was === undefined
        ? undefined
        : was.uid !== undefined && uid !== undefined && was.uid !== uid
          ? `uid ${uid}, was ${was.uid}`
          : transitions < was.transitions
            ? `${transitions} transitions, were ${was.transitions}`
            : undefined;
    const grew = was === undefined ? 0 : remade ? transitions : transitions - was.transitions;
    const since = remade ? 'since its lease was recreated' : 'since the last run';
    if (grew > 0) v.find(State.WARNING, `${short} leadership changed ${grew} time${grew === 1 ? '' : 's'} ${since}`);
    if (remade) v.detail(`${name}: lease recreated since the last run (${remade}): its transitions count afresh from 0`);
    // A released lease's renewTime is its release ('holder , renewed 5s ago' read as an empty name renewing).
    v.detail(
      `${name}: ${released ? 'no holder' : `holder ${lease.spec?.holderIdentity}`}, ` +
        `${age === undefined ? 'never renewed' : `${released ? 'released' : 'renewed'} ${formatDuration(Math.max(age, 1))} ago`} ` +
        `(duration ${duration}s), ${transitions} transitions`,
    );
    // Edited args: their renew deadline is not in the Lease, and a guess would name a leader beaten that is not.
    if (deadline === undefined && !released)
      v.detail(
        `${name}: renew deadline not known for a ${duration}s lease (only MicroK8s' 60s/30s and the default 15s/10s are): ` +
          'judged only once expired; -w/-c on renew_age judge it earlier',
      );
  });
  if (lateSaid)
    v.detail(
      'A leader whose renewals fail for its renew deadline stops leading (kcm exits, taking kubelite down); no other may take ' +
        "the lease before it expires. A healthy holder renews every 2s: a late one on a healthy leader is this node's clock " +
        "ahead of the holder's (timedatectl).",
    );
  // The primary metric: the staler of the two leases, for -w/-c if the admin wants them.
  const ageState = v.measure(
    { label: 'renew_age', value: Number.isFinite(oldest) ? oldest : NaN, uom: 's', min: 0 },
    new ScalarContext(warning, critical),
  );
  // Judged by -w/-c alone, the first line says so: it read 'leaders: kcm k8s01, ...', CRITICAL for no reason given.
  const unsaid = staler && (staler.saidAt === undefined || (ageState === State.CRITICAL && staler.saidAt === State.WARNING));
  if ((ageState === State.WARNING || ageState === State.CRITICAL) && staler && unsaid && Number.isFinite(oldest))
    v.find(
      ageState,
      `${staler.short} lease renewed ${shown(oldest, judgedBy(oldest, warning, critical))}s ago ` +
        `(${ageState === State.CRITICAL ? `-c ${critical}` : `-w ${warning}`})`,
    );
  // Counts that cannot be kept: churn is never judged. An OK would promise it was: UNKNOWN, every run.
  if (f.saveProblem) v.find(State.UNKNOWN, f.saveProblem);
  if (f.dqlite && 'unknown' in f.dqlite) {
    // check_dqlite judges the datastore; here the leader is only named, so not knowing it is said.
    holders.push('dqlite unknown');
    v.detail(`dqlite leader: ${f.dqlite.unknown} (check_dqlite judges the datastore)`);
  } else if (f.dqlite) {
    holders.push(`dqlite ${f.dqlite.node ?? f.dqlite.leader}`);
    const named = f.dqlite.node ? ` (node ${f.dqlite.node})` : f.dqlite.unnamed ? ` (its node not named: ${f.dqlite.unnamed})` : '';
    v.detail(`dqlite leader: ${f.dqlite.leader}${named}`);
  } else {
    v.detail(`dqlite leader: not asked (no ${dqliteBin} here; run this check on a MicroK8s node)`);
  }
  if (v.findings.length)
    v.detail('Before restarting kubelite anywhere: wait until leases are held and stable; restart a non-leader first.');
  return v.conclude(`leaders: ${holders.join(', ')}`);
}

/** The ranges a value was judged by, for shown(): said on the side of each it is on. */
const judgedBy = (value: number, ...ranges: (Range | undefined)[]) =>
  ranges.filter((range) => range !== undefined).map((range) => ({ range, alerts: range.alerts(value) }));

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
  deadline.activity = 'listing nodes';
  const listing = (await nodes) ?? { why: 'no dqlite CLI here' };
  if ('why' in listing) return { leases, dqlite: { leader: leader.address, unnamed: listing.why } };
  return { leases, dqlite: { leader: leader.address, node: nodeAt(listing.listed, leader.address) } };
}

/** The Nodes under a part of -t: their failure is a reason, never the run's. */
function listNodesWithin(cluster: Cluster, part: Deadline): Promise<{ listed: Wire<V1Node>[] } | { why: string }> {
  part.activity = 'listing nodes';
  return listNodes({ ...cluster, policy: { ...cluster.policy, signal: part.signal, remainingMs: () => part.remainingMs() } })
    .then(
      (listed) => ({ listed }),
      (err: unknown) => ({ why: reasonOf(err) }),
    )
    .finally(() => part.done());
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
