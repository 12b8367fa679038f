// The dqlite cluster as one node sees it: its node store (cluster.yaml, info.yaml), what its CLI
// says of the members and the leader (within the time the deadline gives), and a TCP probe of
// every member from that node. Read only; nothing here judges.
import { reasonOf } from '../errors.ts';
import type { Deadline } from '../plugin/deadline.ts';
import { type CliPlan, type DqliteCli, planCli, SUDO_CLI_SECONDS } from './dqlite.ts';
import { askCli, backendFiles, type CliAnswer, type NodeAccess, type Probe } from './dqlite-cluster.ts';
import { distinctMembers, isJoinSeed, type Member, parseClusterAnswer } from './dqlite-members.ts';

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

/** Where members came from when the CLI answered `.cluster`: the leader's own view. */
export const FROM_CLI = 'the dqlite CLI (the leader)';

const PROBE_MS = 2000;
/** Kept back from the CLI's and the probes' share of -t: the verdict, and the Nodes' answer, still have to come. */
const RESERVE_MS = 500;

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

/** What one node establishes about its dqlite cluster. */
export interface ClusterView {
  /** Members counted once: from the CLI (the leader's view) where it answered, else cluster.yaml. */
  members: Member[];
  from: string;
  /** Rows that repeated an address or ID of another, collapsed into it. */
  duplicates: number;
  /** This node (info.yaml): its ID and address. */
  self?: Member;
  leader: Leader;
  /** Said in the long output, e.g. "asked without TLS". */
  notes: string[];
  /** Every member's TCP probe from this node: ok, or why not. */
  probes: Map<string, Probe>;
  /** What this node's cluster.yaml names to join through (go-dqlite's seeds, ID 0): it has not joined. */
  seeds?: string[];
}

/** A node's own record of the cluster and how its CLI is to be asked. */
export interface NodeStore {
  cli: DqliteCli;
  info: Member[];
  rows: Member[];
  plan: CliPlan;
}

/** cluster.yaml and info.yaml (the node's own record), and whether and how its CLI can be asked. */
export async function readStore(node: NodeAccess, cli: DqliteCli): Promise<NodeStore> {
  const { info, rows, cliFiles } = await node.readNode(cli);
  return { cli, info, rows, plan: planCli(cli, cliFiles) };
}

/**
 * Then at once: the CLI's `.cluster` and `.leader` with the time the deadline can give, and a TCP
 * probe of every member from that node. Members are the CLI's where it answered.
 */
export async function askCluster(node: NodeAccess, store: NodeStore, deadline: Deadline): Promise<ClusterView> {
  const { cli, info, plan } = store;
  const files = backendFiles(cli.backend);
  // A joining node's seeds are no members: neither counted nor probed as such.
  const rows = store.rows.filter((m) => !isJoinSeed(m));
  const seeds = store.rows.filter(isJoinSeed).map((m) => m.address);
  const probes = new Map<string, Probe>();
  const probeAll = async (members: Member[]) => {
    const todo = [...new Set(members.map((m) => m.address).filter((a) => !probes.has(a)))];
    for (const a of todo) probes.set(a, { ok: false, why: 'not probed' });
    if (!todo.length) return;
    // The reserve kept back, as from the CLI's: a hung member's probe that took all that was left
    // made the run 'timed out ... probing the members' at -t 2, its verdict never given.
    const left = Math.max(1, deadline.remainingMs() - RESERVE_MS);
    for (const [a, found] of await node.probeAll(todo, Math.min(PROBE_MS, left), deadline.signal, left)) probes.set(a, found);
  };
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
        from = FROM_CLI;
      } catch (err) {
        leader = { kind: 'failed', why: reasonOf(err) };
      }
    }
  }
  const distinct = distinctMembers(members);
  deadline.activity = 'probing the members';
  await probeAll(distinct);
  return {
    members: distinct,
    from,
    duplicates: members.length - distinct.length,
    self: info[0],
    leader,
    notes: plan.asked && plan.note ? [plan.note] : [],
    probes,
    ...(seeds.length && { seeds }),
  };
}
