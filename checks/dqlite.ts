// After the runbook: the datastore itself. k8s-dqlite crash-looped for days until a second node
// failed and dqlite lost quorum; clusters keep members of nodes long removed; fewer than three
// voters means one failure stops every write; no leader means no write anywhere. This check
// reads the dqlite cluster as this node sees it, and changes nothing.
import type { V1Node } from '@kubernetes/client-node';
import { nodeWithAddress } from '../lib/k8s/nodes.ts';
import { listNodes } from '../lib/sources/kube/reads.ts';
import type { Wire } from '../lib/k8s/wire.ts';
import { kubeOptions, type KubeArgs } from '../lib/options/kube.ts';
import { dqliteCli, dqliteOptions, type DqliteArgs } from '../lib/options/dqlite.ts';
import { connect } from '../lib/sources/kube/cluster.ts';
import type { KubeShare } from '../lib/sources/kube/share.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';
import type { Range } from '../lib/plugin/range.ts';
import { reasonOf, type CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import {
  askCli,
  backendFiles,
  distinctMembers,
  isLoopback,
  localNode,
  parseClusterAnswer,
  remoteNode,
  type CliAnswer,
  type Member,
  type NodeAccess,
} from '../lib/sources/dqlite-cluster.ts';
import { planCli, SUDO_CLI_SECONDS } from '../lib/sources/dqlite.ts';
import { plural } from '../lib/text.ts';
import type { Logger } from '../lib/log.ts';
import { onEachHost } from '../lib/host-fanout.ts';
import { sshOptions, type SshArgs } from '../lib/options/ssh.ts';

interface Args extends KubeArgs, SshArgs, DqliteArgs {}

/** What the dqlite CLI said of the leader, or why it was not asked. */
export type Leader =
  | { kind: 'known'; address: string }
  /** The CLI's own answer: no leader (go-dqlite v2/v3). Quorum is gone. */
  | { kind: 'none'; text: string }
  /** It answered `.leader` with nothing. */
  | { kind: 'empty' }
  | { kind: 'no-answer'; seconds: number }
  | { kind: 'failed'; why: string }
  /** Not asked: no CLI here, or no read access to the key without --sudo. Not a failure by itself. */
  | { kind: 'not-asked'; why: string; fix?: string };

/** What this node could establish about the dqlite cluster. */
export interface DqliteFacts {
  /** Members counted once: from the CLI (the leader's view) where it answered, else cluster.yaml. */
  members: Member[];
  from: string;
  /** Rows that repeated an address or ID of another, collapsed into it. */
  duplicates: number;
  /** This node's own address (info.yaml). */
  self?: string;
  leader: Leader;
  /** Said in the long output, e.g. "asked without TLS". */
  notes: string[];
  /** Every member's TCP probe from this node: ok, or why not. */
  probes: Map<string, { ok: boolean; why?: string }>;
  /** The Nodes, for stale members; undefined when they could not be listed (then staleProblem). */
  nodes?: Wire<V1Node>[];
  /** Why stale members were not judged: no kubeconfig (said), or the API failing (UNKNOWN). */
  staleProblem?: { why: string; failed: boolean };
}

export const defaults = { warning: '0' };

const PROBE_MS = 2000;
/** Kept back from the CLI's share of -t: the verdict, and the Nodes' answer, still have to come. */
const RESERVE_MS = 500;

/** A member that answers no TCP connection and matches no address of any Node; never a loopback one, never this node. */
export function staleMembers(f: DqliteFacts): Member[] | undefined {
  const nodes = f.nodes;
  if (!nodes) return undefined;
  return f.members.filter(
    (m) =>
      !isLoopback(m.address) && m.address !== f.self && !f.probes.get(m.address)?.ok && nodeWithAddress(nodes, m.address) === undefined,
  );
}

function leaderFindings(v: Verdict, leader: Leader, quorumLost: boolean): void {
  switch (leader.kind) {
    case 'none':
      if (!quorumLost) v.find(State.CRITICAL, `quorum lost: the dqlite CLI found no leader (${leader.text})`);
      break;
    case 'empty':
      v.find(State.WARNING, 'the dqlite CLI named no leader');
      break;
    case 'no-answer':
      v.find(State.WARNING, `the dqlite CLI gave no answer in ${leader.seconds}s: leader unknown`);
      break;
    case 'failed':
      v.find(State.UNKNOWN, `the dqlite CLI failed: ${leader.why}`);
      break;
    case 'not-asked':
      v.detail(`leader not asked: ${leader.why}${leader.fix ? ` (${leader.fix})` : ''}`);
      break;
  }
}

export function evaluate(f: DqliteFacts, warning?: Range, critical?: Range): Outcome {
  const v = new Verdict(check.name);
  const { members, leader } = f;
  const voters = members.filter((m) => m.role === 'voter');
  const unreachable = voters.filter((m) => !f.probes.get(m.address)?.ok);
  const reachable = voters.length - unreachable.length;
  const majority = Math.floor(voters.length / 2) + 1;
  v.measure({ label: 'unreachable_voters', value: unreachable.length, min: 0, max: voters.length }, new ScalarContext(warning, critical));
  v.measure({ label: 'voters', value: voters.length, min: 0 });
  v.measure({ label: 'standbys', value: members.filter((m) => m.role === 'stand-by').length, min: 0 });
  v.measure({ label: 'spares', value: members.filter((m) => m.role === 'spare').length, min: 0 });
  v.measure({ label: 'members', value: members.length, min: 0 });
  // Nothing to judge is never OK.
  if (!members.length) v.find(State.UNKNOWN, `${f.from} lists no member`);
  else if (!voters.length) v.find(State.UNKNOWN, `no voter among ${plural(members.length, 'member')} (${f.from})`);
  // Losing quorum is CRITICAL whatever -c says: no write can commit.
  const quorumLost = voters.length > 0 && reachable < majority;
  if (quorumLost) v.find(State.CRITICAL, `quorum lost: ${reachable} of ${voters.length} voters reachable, ${majority} needed`);
  else if (unreachable.length)
    v.find(
      State.WARNING,
      `${plural(unreachable.length, 'voter')} unreachable (${unreachable.map((m) => m.address).join(', ')}): one more failure loses quorum`,
    );
  leaderFindings(v, leader, quorumLost);
  // go-dqlite keeps one voter below three nodes (app/roles.go): two nodes tolerate no failure.
  if (members.length >= 2 && voters.length > 0 && voters.length < 3)
    v.find(
      State.WARNING,
      `no fault tolerance: ${plural(voters.length, 'voter')} among ${members.length} members, one failure stops every write`,
    );
  const stale = staleMembers(f);
  if (stale?.length)
    v.find(State.WARNING, `${plural(stale.length, 'member')} with no matching node: ${stale.map((m) => m.address).join(', ')}`);

  const leaderAddress = leader.kind === 'known' ? leader.address : undefined;
  for (const m of members) {
    const p = f.probes.get(m.address);
    const tags = [
      m.role,
      m.address === leaderAddress ? 'leader' : '',
      m.address === f.self ? 'this node' : '',
      p && !p.ok ? `unreachable: ${p.why}` : '',
    ].filter(Boolean);
    v.detail(`${m.address} (id ${m.id}): ${tags.join(', ')}`);
  }
  v.detail(`members from ${f.from}${f.duplicates ? ` (${plural(f.duplicates, 'repeated row')} counted once)` : ''}`, ...f.notes);
  if (f.staleProblem?.failed) v.find(State.UNKNOWN, `cannot judge stale members: ${f.staleProblem.why}`);
  else if (f.staleProblem) v.detail(`stale members not judged: ${f.staleProblem.why}`);
  if (stale?.length) {
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
  const leaderText =
    leaderAddress !== undefined ? `leader ${leaderAddress}` : leader.kind === 'not-asked' ? 'leader not asked' : 'leader unknown';
  const head = `${plural(voters.length, 'voter')}, ${leaderText}, ${unreachable.length} unreachable`;
  return v.outcome(problems.length ? `${problems.join(', ')} (${head})` : head);
}

/** The leader from the answers to `.cluster` and `.leader`: the CLI's no-leader word first, then a failure, then silence. */
function leaderOf(answers: CliAnswer[], leaderOut: CliAnswer): Leader {
  const none = answers.find((a) => a.kind === 'no-leader');
  if (none) return { kind: 'none', text: none.text };
  const failed = answers.find((a) => a.kind === 'failed');
  if (failed) return { kind: 'failed', why: reasonOf(failed.error) };
  const slow = answers.find((a) => a.kind === 'no-answer');
  if (slow) return { kind: 'no-answer', seconds: slow.seconds };
  const address = leaderOut.kind === 'answer' ? (leaderOut.out.trim().split('\n').pop()?.trim() ?? '') : '';
  return address ? { kind: 'known', address } : { kind: 'empty' };
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
  const cli = dqliteCli(args);
  const files = backendFiles(cli.backend);
  deadline.activity = `reading ${files.clusterYaml}`;
  const { info, rows, cliFiles } = await node.readNode(cli);
  const plan = planCli(cli, cliFiles);
  const probes = new Map<string, { ok: boolean; why?: string }>();
  const probeAll = (members: Member[]) =>
    Promise.all(
      members
        .filter((m) => !probes.has(m.address))
        .map(async (m) => {
          probes.set(m.address, { ok: false, why: 'not probed' });
          probes.set(m.address, await node.probe(m.address, Math.min(PROBE_MS, deadline.remainingMs()), deadline.signal));
        }),
    );
  let nodesListed = listed;
  let staleProblem: DqliteFacts['staleProblem'];
  if (!nodesListed) {
    try {
      nodesListed = listNodes(connect(args, deadline, log, { share }));
    } catch (err) {
      // A kubeconfig named on the command line must work; none found at all only leaves stale members unjudged.
      staleProblem = { why: `no kubeconfig (${reasonOf(err)})`, failed: args.kubeconfig !== undefined };
    }
  }
  const nodes = nodesListed?.then(
    (n) => n,
    (err) => {
      if (deadline.signal.aborted) throw err;
      staleProblem = { why: reasonOf(err), failed: true };
      return undefined;
    },
  );
  deadline.activity = plan.asked ? 'asking the dqlite CLI for the cluster and its leader, probing the members' : 'probing the members';
  // Under sudo, root's timeout ends the CLI at SUDO_CLI_SECONDS: stop waiting before it does.
  const budget = Math.min(deadline.remainingMs() - RESERVE_MS, cli.sudo ? SUDO_CLI_SECONDS * 1000 - RESERVE_MS : Infinity);
  const runCli = cli.sudo ? node.runSudo : node.run;
  const askAll = () =>
    plan.asked
      ? Promise.all((['cluster', 'leader'] as const).map((c) => askCli(runCli, plan.argv(c), budget, deadline.signal)))
      : undefined;
  // Locally the probes run beside the CLI, so a CLI that blocks leaves them all their time. Over
  // SSH each probe is a login of its own, and those started beside the CLI's were seen to time out
  // on a loaded node: there they follow the CLI.
  const [asked] = node.probesBesideCli ? await Promise.all([askAll(), probeAll(rows)]) : [await askAll()];
  let members = rows;
  let from = files.clusterYaml;
  let leader: Leader = plan.asked ? { kind: 'empty' } : { kind: 'not-asked', why: plan.why, fix: plan.fix };
  if (asked) {
    const [clusterOut, leaderOut] = asked as [CliAnswer, CliAnswer];
    leader = leaderOf(asked, leaderOut);
    if (clusterOut.kind === 'answer') {
      try {
        members = parseClusterAnswer(clusterOut.out);
        from = 'the dqlite CLI (the leader)';
      } catch (err) {
        leader = { kind: 'failed', why: reasonOf(err) };
      }
    }
  }
  const distinct = distinctMembers(members);
  deadline.activity = 'probing the members, listing nodes';
  await probeAll(distinct);
  return {
    members: distinct,
    from,
    duplicates: members.length - distinct.length,
    self: info[0]?.address,
    leader,
    notes: plan.asked && plan.note ? [plan.note] : [],
    probes,
    nodes: await nodes,
    staleProblem,
  };
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
    if (!args.host?.length) return evaluate(await gather(args, deadline, log, localNode, undefined, shared?.kube), warning, critical);
    return onEachHost(check.name, { ...args, host: args.host }, deadline, async (conn, clock) =>
      evaluate(await gather(args, clock, log, remoteNode(conn.runner(), clock.signal), undefined, shared?.kube), warning, critical),
    );
  },
};
