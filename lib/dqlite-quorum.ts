// dqlite commits a write once a majority of its voters has it: a majority out of reach stops
// every write, and fewer than three voters leave no failure to spare.
import type { Thresholds } from './plugin/range.ts';
import { State } from './plugin/state.ts';
import { ScalarContext, type Verdict } from './plugin/verdict.ts';
import type { Member } from './sources/dqlite-members.ts';
import { unanswered } from './sources/dqlite-cluster.ts';
import type { ClusterView } from './sources/dqlite-view.ts';
import { NO_RAFT_DATA } from './runbook.ts';
import { plural } from './text.ts';

/** The voters, those this node cannot reach, and whether that leaves no majority. */
export interface Quorum {
  voters: Member[];
  unreachable: Member[];
  lost: boolean;
  /** How many voters make a majority. */
  majority: number;
  /** Whether one more voter down stops every write (quorum not lost yet). */
  atRisk: boolean;
}

/**
 * The members by role as perfdata (-w/-c judge the unreachable voters), nothing to judge as
 * UNKNOWN, and a majority of voters out of reach from this node.
 */
export function judgeQuorum(
  v: Verdict,
  f: Pick<ClusterView, 'members' | 'probes' | 'from' | 'seeds'>,
  { warning, critical }: Thresholds,
): Quorum {
  const { members } = f;
  const voters = members.filter((m) => m.role === 'voter');
  const untold = voters.filter((m) => f.probes.get(m.address)?.untold);
  const unreachable = voters.filter((m) => unanswered(f.probes.get(m.address)));
  // Those not probed in time count for neither side: lost only where they could not make a majority.
  const reachable = voters.length - unreachable.length - untold.length;
  const majority = Math.floor(voters.length / 2) + 1;
  v.measure({ label: 'unreachable_voters', value: unreachable.length, min: 0, max: voters.length }, new ScalarContext(warning, critical));
  v.measure({ label: 'voters', value: voters.length, min: 0 });
  v.measure({ label: 'standbys', value: members.filter((m) => m.role === 'stand-by').length, min: 0 });
  v.measure({ label: 'spares', value: members.filter((m) => m.role === 'spare').length, min: 0 });
  v.measure({ label: 'members', value: members.length, min: 0 });
  // Nothing to judge is never OK.
  if (!members.length && f.seeds?.length) v.find(State.UNKNOWN, notJoined(f.from, f.seeds));
  else if (!members.length) v.find(State.UNKNOWN, `${f.from} lists no member`);
  else if (!voters.length) v.find(State.UNKNOWN, `no voter among ${plural(members.length, 'member')} (${f.from})`);
  // Losing quorum is CRITICAL whatever -c says: no write can commit.
  const lost = voters.length > 0 && reachable + untold.length < majority;
  if (untold.length)
    v.find(State.UNKNOWN, `${plural(untold.length, 'voter')} ${f.probes.get(untold[0]!.address)?.why} (fix: give a longer -t)`);
  // Of five voters one down leaves a failure to spare: "one more failure loses quorum" was false there.
  // Beside voters not probed, a voter down with no failure to spare among those reachable is at risk as the
  // warning says (quorum rests on those not probed); with none known down, no risk is claimed.
  const atRisk = !lost && voters.length > 0 && (!untold.length || unreachable.length > 0) && reachable - 1 < majority;
  const spare = reachable - majority;
  if (lost) v.find(State.CRITICAL, `quorum lost: ${reachable} of ${voters.length} voters reachable, ${majority} needed`);
  else if (unreachable.length)
    v.find(
      State.WARNING,
      `${plural(unreachable.length, 'voter')} unreachable (${unreachable.map((m) => m.address).join(', ')}): ` +
        holds(spare, untold.length),
    );
  return { voters, unreachable, lost, majority, atRisk };
}

/**
 * How many more failures quorum holds through, the reachable voters `spare` over a majority. Voters
 * not probed in time may be down: short of them it holds only if they are up (it read "through -1").
 */
function holds(spare: number, untold: number): string {
  const one = untold === 1;
  if (spare < 0)
    return -spare === untold
      ? `quorum holds only if ${one ? 'the voter not probed is' : `the ${untold} voters not probed are`} up`
      : `quorum holds only if ${-spare} of the ${untold} voters not probed ${-spare === 1 ? 'is' : 'are'} up`;
  if (spare === 0) return `one more failure loses quorum${untold ? ` unless ${one ? 'the' : 'a'} voter not probed is up` : ''}`;
  return `quorum holds through ${plural(spare, 'more failure')}`;
}

/** Two or more members with fewer than three voters: one failure stops every write. */
export function judgeFaultTolerance(v: Verdict, members: number, voters: number): void {
  // go-dqlite keeps one voter below three nodes (app/roles.go): two nodes tolerate no failure.
  if (members >= 2 && voters > 0 && voters < 3)
    v.find(State.WARNING, `no fault tolerance: ${plural(voters, 'voter')} among ${members} members, one failure stops every write`);
}

/** This node (info.yaml: by its ID, else its address) missing from the leader's list of members: removed from the cluster. */
export const notMember = (address: string) => `this node (${address}) is not a member of the dqlite cluster`;

/** A node whose cluster.yaml holds only go-dqlite's seeds (ID 0): the leader has not added it. */
export const notJoined = (file: string, seeds: string[]) =>
  `this node has not joined the dqlite cluster: ${file} names only ${seeds.join(', ')}, ` +
  `${seeds.length === 1 ? 'the address' : 'the addresses'} it joins through (ID 0) ` +
  `(fix: ${NO_RAFT_DATA['not-joined'].fix})`;
