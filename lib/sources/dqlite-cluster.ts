import { connect as tcpConnect } from 'node:net';
import { lookup } from '../dns.ts';
import { partSeconds } from '../plugin/deadline.ts';
import { accessFix, FileError, readSmallFile, userName } from '../files.ts';
import { localRunner, sudoRunner, type CommandRunner } from './command.ts';
import type { CommandShare } from './command-share.ts';
import { hostPort, type Member, parseNodeYaml } from './dqlite-members.ts';
import {
  backendFiles,
  type CliFiles,
  type DqliteCli,
  DqliteError,
  endedByRootTimeout,
  enterDenied,
  localCliFiles,
  MISSING_BACKEND_FIX,
  planCli,
  SUDO_CLI_SECONDS,
  storeUnreadable,
} from './dqlite.ts';
import { refreshNote } from './snap-locks.ts';

export { backendFiles };

/** What the CLI said to one command. */
export type CliAnswer =
  | { kind: 'answer'; out: string }
  /** The CLI's own word that no leader is there (go-dqlite v2/v3: exit 1). */
  | { kind: 'no-leader'; text: string }
  /** It did not answer within the time it was given (v1 blocks for good without a leader). */
  | { kind: 'no-answer'; seconds: number }
  | { kind: 'failed'; error: unknown };

// go-dqlite's protocol.ErrNoAvailableLeader ("no available dqlite leader server found"), which
// cmd/dqlite prints through cobra as "Error: no available dqlite leader server found" and exits 1.
const NO_LEADER = /no available dqlite leader server found/i;

/** One CLI command within budgetMs (inside the run's signal); every outcome is an answer. */
export async function askCli(run: CommandRunner, argv: string[], budgetMs: number, signal: AbortSignal): Promise<CliAnswer> {
  // AbortSignal.timeout takes whole milliseconds; a deadline's remainder is fractional.
  // A budget the reserve ate (-t 0.1 leaves less than it) is the 1 ms it is given, said as that: never 0 or less.
  const givenMs = Math.max(1, Math.floor(budgetMs));
  const bounded = AbortSignal.any([signal, AbortSignal.timeout(givenMs)]);
  try {
    return { kind: 'answer', out: await run(argv, bounded) };
  } catch (error) {
    if (signal.aborted) throw error;
    if (bounded.aborted) return { kind: 'no-answer', seconds: partSeconds(givenMs) };
    // Alone the budget ends before root's timeout does; in a shared run (command-share.ts) a check
    // that joined the CLI's run later still waits when root's timeout ends it: no answer all the same.
    if (endedByRootTimeout(argv, error)) return { kind: 'no-answer', seconds: SUDO_CLI_SECONDS };
    const text = error instanceof Error ? error.message : String(error);
    if (NO_LEADER.test(text)) return { kind: 'no-leader', text: 'no available dqlite leader server found' };
    return { kind: 'failed', error };
  }
}

/**
 * What check_dqlite needs of a node: its backend files, its dqlite CLI and its network view.
 * Locally, or on another node over SSH (then the probes start there: that node's view).
 */
export interface NodeAccess {
  /** info.yaml, cluster.yaml and what planCli needs to know of the CLI's files. */
  readNode(cli: DqliteCli): Promise<{ info: Member[]; rows: Member[]; cliFiles: CliFiles }>;
  run: CommandRunner;
  /** The runner for the CLI under sudo (--sudo): root's process is stopped through sudo. */
  runSudo: CommandRunner;
  /**
   * A TCP probe of each address from the node, each within timeoutMs, all within budgetMs (what
   * is left of -t): whether it opened, or why not.
   */
  probeAll(addresses: string[], timeoutMs: number, signal: AbortSignal, budgetMs: number): Promise<Map<string, Probe>>;
  /** Whether probes may run while the CLI is asked (locally), or only after it (over SSH). */
  probesBesideCli: boolean;
}

/** What a TCP probe of a member found. */
export interface Probe {
  ok: boolean;
  why?: string;
  /** Given too little time for a member to answer in (ANSWERS_WITHIN_MS): its silence says nothing of it. */
  untold?: boolean;
}

/** Time enough for a healthy member, or the CLI, to answer (well under 0.1 s on loopback, bench/): less tells nothing. */
export const ANSWERS_WITHIN_MS = 1000;

/** A member that did not answer its probe in time to tell: unreachable (never one not probed in time). */
export const unanswered = (p: Probe | undefined): boolean => !p?.ok && !p?.untold;

function readLocalNodeStore(file: string): Member[] {
  try {
    return parseNodeYaml(readSmallFile(file, 'dqlite node store').toString('utf8'), file);
  } catch (err) {
    // The backend was entered (enterDenied otherwise): the file itself is denied, its fix is for it.
    if (err instanceof FileError && err.denial) {
      const { culprit, acl, stat } = err.denial;
      throw new DqliteError(err.message, {
        fix: `${accessFix(culprit, acl, userName(), stat, refreshNote(culprit))}; ${NODE_STORE_ONLY}`,
      });
    }
    // Not "the path given": with no --backend-dir the path is the default, which the user never wrote.
    if (err instanceof FileError && err.missing) throw new DqliteError(err.message, { cause: err, fix: MISSING_BACKEND_FIX });
    throw err;
  }
}

/** This node. */
export const localNode: NodeAccess = {
  async readNode(cli) {
    const f = backendFiles(cli.backend);
    // The node store is read as the check's user, --sudo or not: a backend it cannot enter is named
    // as that, not as two files it could not read.
    const cliFiles = localCliFiles(cli);
    if (cliFiles.blocked) throw enterDenied(cli.backend, cliFiles.blocked);
    return { info: readLocalNodeStore(f.infoYaml), rows: readLocalNodeStore(f.clusterYaml), cliFiles };
  },
  run: localRunner,
  runSudo: sudoRunner(),
  probeAll: async (addresses, timeoutMs, signal) =>
    new Map(await Promise.all(addresses.map(async (a) => [a, await probe(a, timeoutMs, signal)] as const))),
  probesBesideCli: true,
};

/** This host, its CLI's answers shared with the other checks of a shared run (each asks the dqlite leader). */
export const localAccess = (share?: CommandShare): NodeAccess =>
  share ? { ...localNode, run: share.runner(localNode.run, 'run'), runSudo: share.runner(localNode.runSudo, 'sudo') } : localNode;

/**
 * The node store files are all the check reads of the backend: cluster.yaml and info.yaml name
 * addresses, no secret. cluster.key stays root's (whoever reads it can write the datastore).
 */
export const NODE_STORE_ONLY = 'never cluster.key (for the leader use --sudo)';

/**
 * What a probe says once connected: a dqlite protocol version and a LEADER request, the CLI's
 * opening but for the version: go-dqlite's client offers 1 first and falls back to the pre-1.0
 * one sent here (0x86104dd760433fe5), which dqlite still accepts beside 1 (conn.c; a version it
 * did not accept would close the connection, live all the same). A live member answers it
 * (without TLS), or closes the connection on bytes that are
 * no TLS handshake (go-dqlite's TLS proxy, MicroK8s'); a hung one (stopped, stuck) does neither,
 * though its kernel accepted the connection. No key is needed for either: nothing is read from it.
 */
export const PROBE_HELLO = Buffer.from([
  ...[0xe5, 0x3f, 0x43, 0x60, 0xd7, 0x4d, 0x10, 0x86], // the pre-1.0 protocol version (go-dqlite's VersionLegacy), little-endian
  ...[1, 0, 0, 0, 0, 0, 0, 0], // a request of one word: type 0 (leader), schema 0
  ...[0, 0, 0, 0, 0, 0, 0, 0], // its body, unused
]);

/** The why of a member whose kernel accepted TCP but whose dqlite answered nothing (hung). */
export const hungWhy = (seconds: number) => `accepts TCP, no answer within ${seconds}s (hung?)`;

/**
 * Whether the member answers within timeoutMs: a TCP connection that opens, then a reply (or the
 * member closing it) to PROBE_HELLO. A connect alone is what the kernel gives a hung process too.
 */
export function probe(address: string, timeoutMs: number, signal: AbortSignal): Promise<Probe> {
  const hp = hostPort(address);
  if (!hp) return Promise.resolve({ ok: false, why: 'not a host:port address' });
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: hp.host, port: hp.port, signal, lookup });
    let connected = false;
    const done = (ok: boolean, why?: string, untold?: true) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok, why, ...(untold && { untold }) });
    };
    const seconds = partSeconds(timeoutMs);
    // -t 0.1, or a second on a loaded node: what was left is no time to answer in.
    const silent = () =>
      timeoutMs < ANSWERS_WITHIN_MS
        ? done(false, `not probed in the ${seconds}s -t left`, true)
        : done(false, connected ? hungWhy(seconds) : `no answer within ${seconds}s`);
    const timer = setTimeout(silent, timeoutMs);
    socket.once('connect', () => {
      connected = true;
      socket.write(PROBE_HELLO);
    });
    // Any answer, or the member ending the connection, is a live process.
    socket.once('data', () => done(true));
    socket.once('end', () => done(true));
    // A reset after the connect is the member refusing what it was sent: live too. Anything else
    // (the run aborted) says nothing of it.
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (connected && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) done(true);
      else done(false, err.code ?? err.message);
    });
  });
}

/** What a CLI under sudo is not waited for at the end of root's own timeout. */
const SUDO_RESERVE_MS = 500;

/** What this host's CLI says of the dqlite leader, for a check that only reports it. */
export type LeaderAnswer =
  | { kind: 'leader'; address: string }
  | { kind: 'no-cli' }
  | { kind: 'unknown'; why: string }
  /** The CLI failed outright (a wrong --backend-dir, a store it cannot read): a fault to mend, said as such. */
  | { kind: 'failed'; error: DqliteError };

/** Whether askLeader asks a CLI at all: without one on this host there is no leader to name. */
export function leaderAskable(cli: DqliteCli): boolean {
  const plan = planCli(cli, localCliFiles(cli));
  return plan.asked || !plan.why.startsWith('no dqlite CLI');
}

/**
 * The dqlite leader's address, asked of this host's CLI within budgetMs: neither cluster.yaml nor
 * info.yaml records it. The v1 CLI blocks for good once quorum is gone, and the key stays root's:
 * neither may cost a check that only names the leader its own verdict, so both are answers; nor
 * may a CLI that fails outright (an UNKNOWN beside the leases, never in place of their verdict).
 */
export async function askLeader(cli: DqliteCli, budgetMs: number, signal: AbortSignal, share?: CommandShare): Promise<LeaderAnswer> {
  const plan = planCli(cli, localCliFiles(cli));
  // A backend its user cannot enter is a setup to mend, as a node store it cannot read is: UNKNOWN.
  if (!plan.asked && plan.blocked)
    return { kind: 'failed', error: new DqliteError(`cannot ask dqlite for its leader: ${plan.why}`, { fix: plan.fix }) };
  if (!plan.asked) return plan.why.startsWith('no dqlite CLI') ? { kind: 'no-cli' } : { kind: 'unknown', why: `not asked: ${plan.why}` };
  // Under sudo, root's timeout ends the CLI at SUDO_CLI_SECONDS: stop waiting before it does.
  const budget = cli.sudo ? Math.min(budgetMs, SUDO_CLI_SECONDS * 1000 - SUDO_RESERVE_MS) : budgetMs;
  const node = localAccess(share);
  const answer = await askCli(cli.sudo ? node.runSudo : node.run, plan.argv('leader'), budget, signal);
  switch (answer.kind) {
    case 'answer': {
      const address = answer.out.trim().split('\n').pop()?.trim();
      return address ? { kind: 'leader', address } : { kind: 'unknown', why: 'the dqlite CLI named no leader' };
    }
    case 'no-leader':
      return { kind: 'unknown', why: answer.text };
    case 'no-answer':
      return { kind: 'unknown', why: `no answer from the dqlite CLI in ${answer.seconds}s` };
    case 'failed': {
      // A node store that is not there or the check's user cannot read is said with its fix, not as the CLI's whole failure.
      const unreadable = storeUnreadable(answer.error, cli.backend);
      const error = unreadable
        ? new DqliteError(`cannot ask dqlite for its leader: ${unreadable.message}`, { fix: unreadable.fix })
        : new DqliteError('cannot ask dqlite for its leader', { cause: answer.error });
      return { kind: 'failed', error };
    }
  }
}
