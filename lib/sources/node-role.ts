// This node's dqlite role as read: its own cluster.yaml's word, and the dqlite leader's. Which of
// them is taken is lib/dqlite-role.ts's question; here only what each said, or why it said nothing.
import { reasonOf } from '../errors.ts';
import type { Deadline } from '../plugin/deadline.ts';
import type { CommandRunner } from './command.ts';
import type { NodeAccess } from './dqlite-cluster.ts';
import { type DqliteRole, isJoinSeed, type Member, parseClusterAnswer, thisNodeIn } from './dqlite-members.ts';
import type { CliPlan, DqliteCli } from './dqlite.ts';

/**
 * The role its own cluster.yaml records; that it names members, none of them this node (`unlisted`:
 * this node's address, from info.yaml); or why it could not be read.
 */
export type OwnRole = { role: DqliteRole } | { unlisted: string } | { unread: string };

/**
 * The role the dqlite leader lists (`.cluster`); that it lists no member with this node's ID or
 * address (`unlisted`: this node's address); or why not asked.
 */
export type LiveRole = { role: DqliteRole } | { unlisted: string } | { unread: string };

/**
 * This node (info.yaml), and its role as its own cluster.yaml records it (rewritten from the
 * leader; info.yaml keeps the role it joined with). The files are read as check_dqlite reads them;
 * where they cannot be, the role is not known, and said: the snapshots are still judged (this
 * check needs only to list).
 */
export async function ownRole(node: NodeAccess, cli: DqliteCli, deadline: Deadline): Promise<{ self?: Member; role: OwnRole }> {
  try {
    const { info, rows } = await node.readNode(cli);
    const self = info[0];
    const row = self && thisNodeIn(rows, self);
    if (row) return { self, role: { role: row.role } };
    // go-dqlite rewrites the file from the leader's list (app/app.go): members there, none of them
    // this node, is the leader's word that it is none (removed). Join seeds (ID 0) are no members.
    const listed = self && rows.some((m) => !isJoinSeed(m));
    return { self, role: listed ? { unlisted: self.address } : { unread: 'info.yaml names no member of cluster.yaml' } };
  } catch (err) {
    if (deadline.signal.aborted) throw err;
    return { role: { unread: reasonOf(err) } };
  }
}

/** This node's role as the dqlite leader lists it (`.cluster`, by ID, then address), or why not told. */
export async function liveRole(
  run: CommandRunner,
  deadline: Deadline,
  plan: Extract<CliPlan, { asked: true }>,
  self?: Member,
): Promise<LiveRole> {
  if (!self) return { unread: 'info.yaml names no node' };
  try {
    const members = parseClusterAnswer(await run(plan.argv('cluster'), deadline.signal));
    const row = thisNodeIn(members, self);
    return row ? { role: row.role } : { unlisted: self.address };
  } catch (err) {
    if (deadline.signal.aborted) throw err;
    return { unread: reasonOf(err) };
  }
}
