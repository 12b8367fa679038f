// After the runbook: the datastore itself. k8s-dqlite crash-looped for days until a second node
// failed and dqlite lost quorum; clusters keep members of nodes long removed; fewer than three
// voters means one failure stops every write; no leader means no write anywhere. This check
// reads the dqlite cluster as this node sees it, and changes nothing.
import type { V1Node } from '@kubernetes/client-node';
import type { Wire } from '../lib/k8s/wire.ts';
import { kubeOptions, type KubeArgs } from '../lib/options/kube.ts';
import { dqliteCli, dqliteOptions, type DqliteArgs } from '../lib/options/dqlite.ts';
import { listNodesAside } from '../lib/sources/kube/nodes-aside.ts';
import type { KubeShare } from '../lib/sources/kube/share.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';
import { thresholdsOf, type Thresholds } from '../lib/plugin/range.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import { backendFiles, localAccess, localNode, type NodeAccess } from '../lib/sources/dqlite-cluster.ts';
import { remoteNode } from '../lib/sources/dqlite-remote.ts';
import { askCluster, type ClusterView, FROM_CLI, readStore } from '../lib/sources/dqlite-view.ts';
import { thisNodeIn } from '../lib/sources/dqlite-members.ts';
import { QUORUM_AT_RISK, quorumLost, VOTER_BACK_FIRST } from '../lib/runbook.ts';
import { judgeFaultTolerance, judgeQuorum, notJoined, notMember } from '../lib/dqlite-quorum.ts';
import { judgeLeader, leaderAddress, leaderText } from '../lib/dqlite-leader.ts';
import { judgeStaleMembers, type StaleFacts } from '../lib/stale-members.ts';
import { plural } from '../lib/text.ts';
import type { Logger } from '../lib/logger.ts';
import { onEachHost } from '../lib/host-fanout.ts';
import { sshOptions, type SshArgs } from '../lib/options/ssh.ts';

interface Args extends KubeArgs, SshArgs, DqliteArgs {}

/** What this node could establish about the dqlite cluster, and the Nodes to judge stale members by. */
export interface DqliteFacts extends ClusterView, StaleFacts {}

export const defaults = { warning: '0' };
/** The defaults parsed: what check_restart_preflight judges with. */
export const defaultLimits = thresholdsOf(defaults);

export function evaluate(f: DqliteFacts, limits: Thresholds): Outcome {
  const v = new Verdict(check.name);
  const { members, leader } = f;
  const quorum = judgeQuorum(v, f, limits);
  const { voters, unreachable, lost } = quorum;
  const leading = leaderAddress(leader);
  judgeLeader(v, leader, lost);
  judgeFaultTolerance(v, members.length, voters.length);
  // This node (info.yaml) by its ID, else its address, as check_dqlite_storage finds it. Missing from
  // the leader's list, or from its own cluster.yaml (go-dqlite rewrites it from that list while it
  // runs), it was removed (dqlite .remove, remove-node) and runs outside the cluster, its kubelite
  // with it. One whose cluster.yaml holds only go-dqlite's join seeds was never added.
  const me = f.self && thisNodeIn(members, f.self);
  if (f.self && members.length && !me)
    v.find(
      State.WARNING,
      f.seeds && f.from === FROM_CLI
        ? `the dqlite leader does not list it: ${notJoined('its cluster.yaml', f.seeds)}`
        : `${notMember(f.self.address)}: removed from it?`,
    );
  for (const m of members) {
    const p = f.probes.get(m.address);
    const tags = [
      m.role,
      m.address === leading ? 'leader' : '',
      m === me ? 'this node' : '',
      p && !p.ok ? `${p.untold ? '' : 'unreachable: '}${p.why}` : '',
    ].filter(Boolean);
    v.detail(`${m.address} (id ${m.id}): ${tags.join(', ')}`);
  }
  v.detail(`members from ${f.from}${f.duplicates ? ` (${plural(f.duplicates, 'repeated row')} counted once)` : ''}`, ...f.notes);
  judgeStaleMembers(v, f);
  // Lost (by the probes or the CLI's no-leader answer), writes have stopped: no risk left to warn of.
  if (lost || leader.kind === 'none') v.detail(...quorumLost(quorum));
  else {
    // Only where it is: a stale spare, or this node removed, puts no write at risk.
    if (quorum.atRisk && v.state !== State.OK) v.detail(QUORUM_AT_RISK);
    // Only where one is: a warning of no fault tolerance, or of this node removed, has none to bring back.
    if (unreachable.length) v.detail(VOTER_BACK_FIRST);
  }
  return v.conclude(`${plural(voters.length, 'voter')}, ${leaderText(leader)}, ${unreachable.length} unreachable`, { problems: 'before' });
}

/**
 * cluster.yaml and info.yaml first (the node's own record), then at once: the CLI's `.cluster`
 * and `.leader` with the time the deadline can give, a TCP probe of every member from that node,
 * and with a kubeconfig the Nodes. Members are the CLI's where it answered.
 */
export async function gather(
  args: Omit<Args, keyof SshArgs>,
  deadline: Deadline,
  log: Logger,
  node: NodeAccess = localNode,
  /** The Nodes, where the caller lists them anyway (check_restart_preflight): not asked twice. */
  listed?: Promise<Wire<V1Node>[]>,
  /** The run's shared reads (`all`, the poll cycle): the Nodes listed once for every check. */
  share?: KubeShare,
): Promise<DqliteFacts> {
  deadline.activity = `reading ${backendFiles(args['backend-dir']).clusterYaml}`;
  const store = await readStore(node, dqliteCli(args));
  const nodesRead = listNodesAside(args, deadline, log, listed, share);
  const view = await askCluster(node, store, deadline);
  const { nodes, problem } = await nodesRead();
  return { ...view, nodes, staleProblem: problem };
}

export const check: CheckDefinition<Args> = {
  name: 'DQLITE',
  command: 'check_dqlite',
  description: 'the dqlite cluster as this node sees it: members, roles, leader, and whether a majority of voters is reachable',
  defaultWarning: defaults.warning,
  thresholdUnit: 'unreachable voters',
  options: (y) => dqliteOptions(sshOptions(kubeOptions(y)), 'asked for the members and the leader'),
  examples: [
    ['check_dqlite', 'this node: members, leader, quorum; stale members with a kubeconfig'],
    ['check_dqlite --sudo', 'the leader asked through sudo (nrpe/sudoers.d/microk8s-checks), the key left root-only'],
    ['check_dqlite --host k8s02 --host k8s03 --ssh-key ~/.ssh/nagios', "other nodes' views over SSH (their probes start there)"],
  ],
  async run({ args, warning, critical, deadline, log, shared }) {
    const limits = { warning, critical };
    if (!args.host?.length)
      return evaluate(await gather(args, deadline, log, localAccess(shared?.commands), undefined, shared?.kube), limits);
    return onEachHost(
      check.name,
      { ...args, host: args.host },
      deadline,
      async (conn, clock) =>
        evaluate(await gather(args, clock, log, remoteNode(conn.runner(), clock.signal, conn.target), undefined, shared?.kube), limits),
      shared?.ssh,
    );
  },
};
