// --freelist's question to the dqlite CLI: the database's free pages, and this node's role as the
// leader lists it, asked at once. The CLI's failure is --freelist's alone, worded here.
import { reasonOf } from '../errors.ts';
import { inOrder } from '../in-order.ts';
import type { Deadline } from '../plugin/deadline.ts';
import type { CommandRunner } from './command.ts';
import type { Member } from './dqlite-members.ts';
import { askFreePages } from './dqlite-sql.ts';
import { type CliFiles, DqliteError, type DqliteCli, planCli, storeUnreadable } from './dqlite.ts';
import { liveRole, type LiveRole } from './node-role.ts';

/** What --freelist got from the CLI, or why it got nothing. */
export interface FreelistAnswer {
  freePages?: { pages: number; free: number };
  /** How the CLI was asked, when worth saying (without TLS on a backend with no TLS files). */
  cliNote?: string;
  /** Why --freelist got no free pages: its UNKNOWN, beside the snapshots and free space still judged. */
  freelistProblem?: string;
  live?: LiveRole;
}

/** The free pages and the leader's word on `self` through the CLI, or why the CLI gave neither. */
export async function askFreelist(
  cli: DqliteCli,
  files: CliFiles,
  run: CommandRunner,
  deadline: Deadline,
  self?: Member,
): Promise<FreelistAnswer> {
  const plan = planCli(cli, files);
  // The CLI's failure is --freelist's UNKNOWN, never the snapshots' and free space's: the CLI
  // blocks for good once quorum is gone, which a full disk under the backend brings about.
  if (!plan.asked) return { freelistProblem: reasonOf(new DqliteError(`the dqlite CLI is not asked: ${plan.why}`, { fix: plan.fix })) };
  // Under a part of -t: what it leaves is for judging and printing the rest.
  const part = deadline.part();
  part.activity = 'asking the dqlite CLI for the free pages and the cluster';
  try {
    // Asked at once: the v1 CLI dials the voters one at a time (5 s each), so with one powered off
    // every question takes that long, and one after the other they spent -t 10 before .cluster.
    // Both failing, the free pages' failure is the reason (liveRole fails only at the deadline).
    const [freePages, live] = await inOrder([askFreePages(run, part, plan, cli.database), liveRole(run, part, plan, self)], part);
    return { freePages, cliNote: plan.note, live };
  } catch (err) {
    if (deadline.signal.aborted) throw err;
    // Silence is not only a lost quorum: on a real trio the v1 CLI took 5.2 s with a leader there and
    // one voter powered off (it dials them in turn), and a hung member held it for good.
    const freelistProblem = part.signal.aborted
      ? `the dqlite CLI gave no answer in ${part.seconds}s ` +
        '(it waits while dqlite has no leader or a member hangs, and 5s for each voter powered off: see check_dqlite)'
      : reasonOf(storeUnreadable(err, cli.backend, files.login) ?? err);
    return { cliNote: plan.note, freelistProblem };
  } finally {
    part.done();
  }
}
