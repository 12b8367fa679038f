// After the runbook: the datastore itself. k8s-dqlite crash-looped for days until a second node
// failed and dqlite lost quorum; clusters keep members of nodes long removed; fewer than three
// voters means one more failure loses quorum; no leader means no write anywhere. This check reads
// the dqlite cluster as this node sees it, and changes nothing.
import type { V1Node } from '@kubernetes/client-node';
import { nodeAt } from '../lib/k8s/nodes.ts';
import { listNodes } from '../lib/sources/kube/reads.ts';
import type { Wire } from '../lib/sources/kube/client.ts';
import { kubeOptions, type KubeArgs } from '../lib/options/kube.ts';
import { connect } from '../lib/sources/kube/cluster.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';
import type { Range } from '../lib/plugin/range.ts';
import { reasonOf, type CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import {
  askCluster,
  backendFiles,
  localNode,
  remoteNode,
  type ClusterView,
  type Member,
  type NodeAccess,
} from '../lib/sources/dqlite-cluster.ts';
import { DQLITE_BACKEND, DQLITE_BIN } from '../lib/sources/dqlite.ts';
import { plural } from '../lib/text.ts';
import type { Logger } from '../lib/log.ts';
import { onEachHost } from '../lib/host-fanout.ts';
import { sshOptions, type SshArgs } from '../lib/options/ssh.ts';

interface Args extends KubeArgs, SshArgs {
  'dqlite-bin': string;
  'backend-dir': string;
}

/** What this node could establish about the dqlite cluster. */
export interface DqliteFacts {
  view: ClusterView;
  /** This node's own address (info.yaml). */
  self?: string;
  /** Voters whose address did not accept a TCP connection, with why. */
  unreachable: Map<string, string>;
  /** Members whose host is no Node's InternalIP; undefined when they could not be judged. */
  stale?: Member[];
  /** Why stale members were not judged: no kubeconfig (said), or the API failing (UNKNOWN). */
  staleProblem?: { why: string; failed: boolean };
}

export const defaults = { warning: '0' };

const CLI_MS = 5000;
const PROBE_MS = 2000;

export function evaluate(f: DqliteFacts, warning?: Range, critical?: Range): Outcome {
  const v = new Verdict(check.name);
  const { members, leader } = f.view;
  const voters = members.filter((m) => m.role === 'voter');
  const reachable = voters.length - f.unreachable.size;
  const majority = Math.floor(voters.length / 2) + 1;
  v.measure({ label: 'unreachable_voters', value: f.unreachable.size, min: 0, max: voters.length }, new ScalarContext(warning, critical));
  v.measure({ label: 'voters', value: voters.length, min: 0 });
  v.measure({ label: 'standbys', value: members.filter((m) => m.role === 'stand-by').length, min: 0 });
  v.measure({ label: 'spares', value: members.filter((m) => m.role === 'spare').length, min: 0 });
  v.measure({ label: 'members', value: members.length, min: 0 });
  // Losing quorum is CRITICAL whatever -c says: no write can commit.
  if (voters.length && reachable < majority)
    v.find(State.CRITICAL, `quorum lost: ${reachable} of ${voters.length} voters reachable, ${majority} needed`);
  else if (f.unreachable.size)
    v.find(
      State.WARNING,
      `${plural(f.unreachable.size, 'voter')} unreachable (${[...f.unreachable.keys()].join(', ')}): one more failure loses quorum`,
    );
  if (leader === '') v.find(State.CRITICAL, `no dqlite leader${f.view.cliProblem ? ` (${f.view.cliProblem})` : ''}`);
  if (members.length >= 3 && voters.length < 3)
    v.find(State.WARNING, `only ${plural(voters.length, 'voter')} among ${members.length} members: one failure can lose quorum`);
  if (f.stale?.length)
    v.find(State.WARNING, `${plural(f.stale.length, 'member')} with no matching node: ${f.stale.map((m) => m.address).join(', ')}`);

  for (const m of members) {
    const tags = [
      m.role,
      m.address === leader ? 'leader' : '',
      m.address === f.self ? 'this node' : '',
      f.unreachable.has(m.address) ? `unreachable: ${f.unreachable.get(m.address)}` : '',
    ].filter(Boolean);
    v.detail(`${m.address} (id ${m.id}): ${tags.join(', ')}`);
  }
  v.detail(
    `members from ${f.view.from}${f.view.cliProblem && leader === undefined ? ` (the dqlite CLI did not answer: ${f.view.cliProblem})` : ''}`,
  );
  if (f.staleProblem?.failed) v.find(State.UNKNOWN, `cannot judge stale members: ${f.staleProblem.why}`);
  else if (f.staleProblem) v.detail(`stale members not judged: ${f.staleProblem.why}`);
  if (f.stale?.length) {
    v.detail(
      'Stale members: confirm the node is really gone (kubectl get nodes, microk8s status on it), then remove it: microk8s remove-node <name> --force,',
      '  or for a member no node is left for: /snap/microk8s/current/bin/dqlite -s file://<backend>/cluster.yaml -c <backend>/cluster.crt -k <backend>/cluster.key k8s ".remove <address>". This check removes nothing.',
    );
  }
  if (v.state === State.CRITICAL || v.state === State.WARNING) {
    v.detail(
      'Do not restart kubelite or k8s-dqlite on another node while quorum is at risk: one more node down stops every write. Bring the unreachable voter back first (check_services, its journal, its disk).',
    );
  }
  const problems = v.problems();
  const head = `${plural(voters.length, 'voter')}${leader ? `, leader ${leader}` : ''}, ${f.unreachable.size} unreachable`;
  return v.outcome(problems.length ? `${problems.join(', ')} (${head})` : head);
}

/**
 * Members and leader from the CLI where it answers, else the node's cluster.yaml; then the
 * probes (from that node) and, with a kubeconfig, the Nodes.
 */
export async function gather(
  args: Omit<Args, keyof SshArgs>,
  deadline: Deadline,
  log: Logger,
  node: NodeAccess = localNode,
  /** The Nodes, where the caller lists them anyway (check_restart_preflight): not asked twice. */
  listed?: Promise<Wire<V1Node>[]>,
): Promise<DqliteFacts> {
  const backend = args['backend-dir'];
  const files = backendFiles(backend);
  const self = (await node.readNodeStore(files.infoYaml))[0]?.address;
  let view: ClusterView;
  if (await node.cliUsable(args['dqlite-bin'], files.key)) {
    deadline.activity = 'asking the dqlite CLI for the cluster and its leader';
    // The CLI waits for a leader on its own: bound it inside the deadline, so "none answered" is a verdict.
    const bounded = AbortSignal.any([deadline.signal, AbortSignal.timeout(Math.min(CLI_MS, Math.max(500, deadline.remainingMs() - 1500)))]);
    try {
      const answer = await askCluster(node.run, bounded, args['dqlite-bin'], backend);
      view =
        'noLeader' in answer
          ? { members: await node.readNodeStore(files.clusterYaml), leader: '', from: files.clusterYaml, cliProblem: answer.noLeader }
          : { ...answer, from: 'the dqlite CLI (leader)' };
    } catch (err) {
      if (deadline.signal.aborted) throw err;
      const timedOut = bounded.aborted;
      view = {
        members: await node.readNodeStore(files.clusterYaml),
        leader: timedOut ? '' : undefined,
        from: files.clusterYaml,
        cliProblem: timedOut ? `no answer within ${CLI_MS / 1000}s` : reasonOf(err),
      };
    }
  } else {
    view = { members: await node.readNodeStore(files.clusterYaml), from: files.clusterYaml, cliProblem: `no ${args['dqlite-bin']}` };
  }
  deadline.activity = 'probing the dqlite voters';
  const unreachable = new Map<string, string>();
  await Promise.all(
    view.members
      .filter((m) => m.role === 'voter')
      .map(async (m) => {
        const r = await node.probe(m.address, Math.min(PROBE_MS, deadline.remainingMs()), deadline.signal);
        if (!r.ok) unreachable.set(m.address, r.why ?? 'refused');
      }),
  );
  const facts: DqliteFacts = { view, self, unreachable };
  let nodesListed = listed;
  if (!nodesListed) {
    try {
      nodesListed = listNodes(connect(args, deadline, log));
    } catch (err) {
      // A kubeconfig named on the command line must work; none found at all only leaves stale members unjudged.
      return { ...facts, staleProblem: { why: `no kubeconfig (${reasonOf(err)})`, failed: args.kubeconfig !== undefined } };
    }
  }
  deadline.activity = 'listing nodes';
  try {
    const nodes = await nodesListed;
    return { ...facts, stale: view.members.filter((m) => nodeAt(nodes, m.address) === undefined) };
  } catch (err) {
    if (deadline.signal.aborted) throw err;
    return { ...facts, staleProblem: { why: reasonOf(err), failed: true } };
  }
}

export const check: CheckDefinition<Args> = {
  name: 'DQLITE',
  command: 'check_dqlite',
  description: 'the dqlite cluster as this node sees it: members, roles, leader, and whether a majority of voters is reachable',
  defaultWarning: defaults.warning,
  thresholdUnit: 'unreachable voters',
  options: (y) =>
    sshOptions(kubeOptions(y))
      .option('dqlite-bin', { type: 'string', default: DQLITE_BIN, describe: 'dqlite CLI, asked for the members and the leader' })
      .option('backend-dir', {
        type: 'string',
        default: DQLITE_BACKEND,
        describe: 'dqlite backend directory (cluster.yaml, info.yaml, cluster.crt, cluster.key)',
      }),
  examples: [
    ['check_dqlite', 'this node: members, leader, quorum; stale members with a kubeconfig'],
    ['check_dqlite --host k8s02 --host k8s03 --ssh-key ~/.ssh/nagios', "other nodes' views over SSH (their probes start there)"],
  ],
  async run({ args, warning, critical, deadline, log }) {
    if (!args.host?.length) return evaluate(await gather(args, deadline, log), warning, critical);
    return onEachHost(check.name, { ...args, host: args.host }, deadline, async (conn, clock) =>
      evaluate(await gather(args, clock, log, remoteNode(conn.runner(), clock.signal)), warning, critical),
    );
  },
};
