import { connect as tcpConnect } from 'node:net';
import { dirname } from 'node:path';
import { lookup } from '../dns.ts';
import { partSeconds } from '../plugin/deadline.ts';
import { accessFix, FileError, readSmallFile, userName } from '../files.ts';
import { localRunner, sudoRunner, type CommandRunner } from './command.ts';
import type { CommandShare } from './command-share.ts';
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
import type { SshTarget } from './ssh/connection.ts';
import { refreshNote } from './snap-locks.ts';
import { quietShell } from './ssh/greeting.ts';
import { loginOf, ME } from './ssh/login.ts';

export { backendFiles };

/** dqlite's numbering of roles (not raft's): 0 voter, 1 stand-by, 2 spare. */
export type DqliteRole = 'voter' | 'stand-by' | 'spare';
const ROLES: DqliteRole[] = ['voter', 'stand-by', 'spare'];

export interface Member {
  id: string;
  address: string;
  role: DqliteRole;
}

/** "10.0.0.11:19001" or "[fd00::1]:19001" as host and port; undefined for anything else. */
export function hostPort(address: string): { host: string; port: number } | undefined {
  const m = /^\[?([^\]\s]+?)\]?:(\d{1,5})$/.exec(address);
  const port = Number(m?.[2]);
  return m && port >= 1 && port <= 65535 ? { host: m[1]!, port } : undefined;
}

/**
 * go-dqlite's node store files: cluster.yaml is a YAML list of {ID, Address, Role}, info.yaml one
 * such entry (this node). Only those three scalar keys occur (in either order: it differs by
 * go-dqlite version); a file that does not parse so, or names an address that is no host:port,
 * is refused rather than half read.
 */
/** The most members a node store may name. */
const MAX_MEMBERS = 256;

export function parseNodeYaml(text: string, file: string): Member[] {
  const members: Member[] = [];
  let current: Partial<Record<'ID' | 'Address' | 'Role', string>> | undefined;
  const flush = () => {
    if (!current) return;
    // Each member is probed at once, within -t: thousands (a file of something else, or written
    // in a loop) kept the run busy minutes past it, and past 1024 open sockets a probe fails as
    // if its member were down. A MicroK8s cluster has tens of nodes at most.
    if (members.length >= MAX_MEMBERS)
      throw new DqliteError(`${file} names more than ${MAX_MEMBERS} members: no dqlite cluster of MicroK8s is that large`);
    const role = ROLES[Number(current.Role)];
    if (!current.Address || current.ID === undefined || !/^\d+$/.test(current.ID) || role === undefined)
      throw new DqliteError(`${file} holds an entry without a usable ID, Address and Role`);
    if (!hostPort(current.Address)) throw new DqliteError(`${file} names '${current.Address.slice(0, 60)}', which is no host:port address`);
    members.push({ id: current.ID, address: current.Address, role });
    current = undefined;
  };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').trimEnd();
    if (!line.trim() || line.trim() === '[]') continue;
    const m = /^(- )?\s*(ID|Address|Role):\s*"?([^"]*)"?\s*$/.exec(line);
    if (!m) throw new DqliteError(`${file} is not a dqlite node store (line '${line.trim().slice(0, 60)}')`);
    if (m[1] || !current) {
      flush();
      current = {};
    }
    current[m[2] as 'ID' | 'Address' | 'Role'] = m[3]!;
  }
  flush();
  return members;
}

/**
 * What the CLI printed for `.cluster`: `<id hex>|<address>|<role>` lines in every go-dqlite
 * version (internal/shell/shell.go processCluster, `%x|%s|%s`), or with `-f json` an indented
 * list of {"ID": <uint64>, "Address": ..., "Role": 0|1|2}. The ID is read as digits, never as a
 * JavaScript number (a uint64 does not fit one).
 */
export function parseClusterAnswer(out: string): Member[] {
  const text = out.trim();
  if (text.startsWith('[')) {
    const members: Member[] = [];
    for (const m of text.matchAll(/\{[^}]*\}/g)) {
      const id = /"ID"\s*:\s*(\d+)/.exec(m[0])?.[1];
      const address = /"Address"\s*:\s*"([^"]*)"/.exec(m[0])?.[1];
      const role = ROLES[Number(/"Role"\s*:\s*(\d+)/.exec(m[0])?.[1])];
      if (!id || !address || !hostPort(address) || !role)
        throw new DqliteError(`the dqlite CLI printed '${m[0].replace(/\s+/g, ' ').slice(0, 60)}', which is not a member`);
      members.push({ id, address, role });
    }
    return members;
  }
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const m = /^([0-9a-f]{1,16})\|(\S+)\|(voter|stand-by|spare)$/.exec(line);
      if (!m || !hostPort(m[2]!)) throw new DqliteError(`the dqlite CLI printed '${line.slice(0, 60)}', which is not a member`);
      return { id: BigInt(`0x${m[1]}`).toString(), address: m[2]!, role: m[3] as DqliteRole };
    });
}

/**
 * Members counted once: by address (a row repeated in cluster.yaml is one node, not two
 * voters), then by ID. The first row of a repeated address keeps its role.
 */
export function distinctMembers(members: Member[]): Member[] {
  const seen = new Set<string>();
  return members.filter((m) => {
    const keys = [`a:${m.address}`, `i:${m.id}`];
    if (keys.some((k) => seen.has(k))) return false;
    for (const k of keys) seen.add(k);
    return true;
  });
}

/** A loopback member is the node it is read on: a single node's own address (127.0.0.1:19001). */
export function isLoopback(address: string): boolean {
  const host = hostPort(address)?.host ?? '';
  return /^127\./.test(host) || host === '::1' || host === 'localhost';
}

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
}

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

/** A command check_dqlite runs on another node, and what for: without it there, the host is UNKNOWN by that name. */
interface RemoteTool {
  name: string;
  what: string;
  /** The package that brings it. */
  from: string;
}

/** Beside sh and its builtins (printf, echo, test): the node store read, then the probes of the members. */
const REMOTE_TOOLS: RemoteTool[] = [
  { name: 'wc', what: 'to read the node store', from: 'coreutils' },
  { name: 'cat', what: 'to read the node store', from: 'coreutils' },
  { name: 'timeout', what: 'to probe the members', from: 'coreutils' },
  { name: 'bash', what: 'to probe the members', from: 'bash' },
];
const SUDO_TOOL: RemoteTool = { name: 'sudo', what: 'to ask the dqlite CLI as root (--sudo)', from: 'sudo' };

// One SSH channel for everything read of the node: each channel is a login there, which under
// load costs seconds. First `lacks <tool>` for the first tool it does not find, and nothing
// more: without timeout or bash every probe failed and each member read as down. Then `blocked
// <dir>` for the first directory of the backend's path the login cannot enter (behind it every
// file reads as missing) and who it is (`me`, ssh/login.ts), and nothing more. Then for each node
// store, a line `read <bytes>` and its content, or `missing`, or `denied` and who was denied; then
// the exit codes of the CLI's file tests. The paths and tool names are arguments, never part of the script.
const READ_NODE = [
  'info=$1 cluster=$2 bin=$3 crt=$4 key=$5; shift 5',
  ME,
  'for c in "$@"; do command -v "$c" >/dev/null 2>&1 || { echo "lacks $c"; exit 0; }; done',
  // Up from the backend: a directory below one that cannot be entered is no directory to test (-d
  // fails), so the last one found is the first on the path.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: sh's parameter expansion, not a template.
  'd=${info%/*} b=; while [ -n "$d" ]; do { [ -d "$d" ] && [ ! -x "$d" ]; } && b=$d; case $d in */*) d=${d%/*} ;; *) d= ;; esac; done',
  '[ -n "$b" ] && { printf "blocked %s\\n" "$b"; me; exit 0; }',
  'for f in "$info" "$cluster"; do',
  'if [ -f "$f" ] && [ -r "$f" ]; then printf "read %s\\n" "$(wc -c < "$f")"; cat -- "$f";',
  'elif [ -e "$f" ] && [ ! -f "$f" ]; then echo notfile; elif [ -e "$f" ]; then echo denied; me; else echo missing; fi; done',
  'test -x "$bin"; echo $?; test -e "$crt"; echo $?; test -e "$key"; echo $?; test -r "$key"; echo $?',
].join('\n');

/** A tool check_dqlite runs on host is not there (or not in the PATH an SSH command gets). */
function lacking(host: string, tool: RemoteTool): DqliteError {
  return new DqliteError(`${host} lacks '${tool.name}', which check_dqlite runs there ${tool.what}`, {
    fix: `install ${tool.from} on ${host}, in the PATH an SSH command gets there`,
  });
}

/** The answer of READ_NODE, taken apart by the byte counts it gives (a node store is ASCII YAML). */
function parseReadNode(
  out: string,
  backend: string,
  stores: string[],
  { host, user }: Pick<SshTarget, 'host' | 'user'>,
  tools: RemoteTool[],
): { texts: string[]; codes: string[] } {
  let rest = Buffer.from(out, 'utf8');
  const line = () => {
    const nl = rest.indexOf(10);
    if (nl < 0) throw new DqliteError('the node answered less than was asked of it');
    const l = rest.subarray(0, nl).toString('utf8');
    rest = rest.subarray(nl + 1);
    return l;
  };
  const lacks = /^lacks (\S+)\n/.exec(out)?.[1];
  const tool = tools.find((t) => t.name === lacks);
  if (tool) throw lacking(host, tool);
  const blocked = /^blocked (.+)\n(.*)\n/.exec(out);
  if (blocked) throw enterDenied(backend, { dir: blocked[1]! }, { there: true, user: loginOf(blocked[2], user) });
  const texts = stores.map((file) => {
    const head = line();
    if (head === 'missing')
      throw new DqliteError(`cannot read dqlite node store ${file} there: no such file`, { fix: 'check --backend-dir' });
    if (head === 'denied') throw storeDenied(file, loginOf(line(), user));
    if (head === 'notfile') throw new DqliteError(`cannot read dqlite node store ${file} there: it is not a file`);
    const m = /^read\s+(\d+)$/.exec(head.trim());
    if (!m || Number(m[1]) > rest.length)
      throw new DqliteError(`cannot read dqlite node store ${file} there (got '${head.slice(0, 40)}')`, { fix: quietShell(host) });
    const text = rest.subarray(0, Number(m[1])).toString('utf8');
    rest = rest.subarray(Number(m[1]));
    return text;
  });
  const codes = rest.toString('utf8').trim().split('\n');
  if (codes.length !== 4 || codes.some((c) => !/^\d+$/.test(c))) throw new DqliteError("cannot test the dqlite CLI's files there");
  return { texts, codes };
}

// Every member probed from the node in one SSH command (a command each was refused past sshd's
// MaxSessions, and took a login's time each): `timeout T bash -c 'exec 3<>/dev/tcp/HOST/PORT'`
// for each pair of arguments, 32 running at once (the next starts as one ends: one that hangs holds
// up no other), none started past the budget's seconds, so the script never outlives the run by
// more than T (sshd does not pass a root login's kill on). Each answers `<index> <exit> <first
// line it said>` in one short write (lines never mix), in the C locale ("Connection refused" as
// written here); the inner bash's $0 is fixed, so no host name appears in what it says. Hosts and
// ports are arguments, never part of the script.
// Past the first 32, a probe starts on a byte from a pipe of the script's own, which each probe
// puts there as it ends: a count of `wait -n`'s returns was not the probes running, as under
// `bash -c` (bash 5.2) wait -n never reports a job that ended before it was called, only the next
// one to end; a start after quick probes then waited for one that hung to time out, 2 s each
// (UNKNOWN: members not probed within -t). The wait for a byte ends with the budget's seconds.
const PROBE_ALL = [
  't=$1 budget=$2; shift 2; i=0; exec {ended}<> <(:)',
  'while [ $# -ge 2 ] && { [ "$i" -lt 32 ] || { [ "$SECONDS" -lt "$budget" ] &&',
  '  read -r -N 1 -t "$((budget - SECONDS))" -u "$ended" slot && [ "$SECONDS" -lt "$budget" ]; }; }; do',
  '  { said=$(LC_ALL=C timeout "$t" bash -c \'exec 3<>"/dev/tcp/$1/$2"\' probe "$1" "$2" 2>&1 >/dev/null); code=$?;',
  '    printf . >&"$ended"; IFS= read -r said <<<"$said"; printf \'%s %s %s\\n\' "$i" "$code" "$said"; } &',
  '  i=$((i + 1)); shift 2',
  'done',
  'wait',
].join('\n');

/**
 * Another node (host), through a runner over SSH: its backend read in one channel (READ_NODE), the
 * CLI as argv, probes with bash's /dev/tcp under timeout, host and port passed as arguments of the
 * script, never written into it.
 */
export function remoteNode(run: CommandRunner, signal: AbortSignal, target: Pick<SshTarget, 'host' | 'user'>): NodeAccess {
  const { host } = target;
  return {
    async readNode(cli) {
      const f = backendFiles(cli.backend);
      const stores = [f.infoYaml, f.clusterYaml];
      const tools = cli.sudo ? [...REMOTE_TOOLS, SUDO_TOOL] : REMOTE_TOOLS;
      const out = await run(['sh', '-c', READ_NODE, 'sh', ...stores, cli.bin, f.crt, f.key, ...tools.map((t) => t.name)], signal);
      const { texts, codes } = parseReadNode(out, dirname(f.infoYaml), stores, target, tools);
      const [bin, crt, key, keyReadable] = codes.map((c) => c === '0') as [boolean, boolean, boolean, boolean];
      return {
        info: parseNodeYaml(texts[0]!, f.infoYaml),
        rows: parseNodeYaml(texts[1]!, f.clusterYaml),
        cliFiles: { bin, crt, key, keyReadable },
      };
    },
    run,
    runSudo: run,
    probesBesideCli: false,
    async probeAll(addresses, timeoutMs, probeSignal, budgetMs) {
      const found = new Map<string, Probe>();
      const asked = addresses.flatMap((address) => {
        const hp = hostPort(address);
        if (!hp) found.set(address, { ok: false, why: 'not a host:port address' });
        return hp ? [{ address, ...hp }] : [];
      });
      if (!asked.length) return found;
      const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
      // Probes start while a whole one still fits in the time left; those never started say nothing (below).
      const budget = Math.max(0, Math.floor(budgetMs / 1000) - seconds);
      let out: string;
      try {
        out = await run(
          ['bash', '-c', PROBE_ALL, 'probe', String(seconds), String(budget), ...asked.flatMap((m) => [m.host, String(m.port)])],
          probeSignal,
        );
      } catch (err) {
        if (probeSignal.aborted) throw err;
        // No answer at all (the SSH channel refused or lost, bash gone since READ_NODE): the probes
        // did not run there, which says nothing of the members.
        throw new DqliteError(`cannot probe the members from ${host}`, {
          cause: err,
          fix: `check SSH to ${host} (its sshd's MaxSessions, the network) and bash there`,
        });
      }
      const lines = new Map<number, { code: number; said: string }>();
      for (const line of out.split('\n')) {
        const m = /^(\d+) (\d+) ?(.*)$/.exec(line);
        if (m) lines.set(Number(m[1]), { code: Number(m[2]), said: m[3]! });
      }
      for (const [i, { address }] of asked.entries()) {
        const r = lines.get(i);
        // Only the probe's own exit says something of the member: bash's failed connect is 1,
        // timeout's 124. 127: no timeout there, 126: one that cannot run, 125: timeout itself
        // failed; no line: the probe was not started within the time left, or did not end. Then it
        // did not run, and says nothing of the member.
        if (!r || (r.code >= 125 && r.code <= 127))
          throw new DqliteError(
            `cannot probe ${address} from ${host}${r ? `: timeout exit ${r.code}${r.said ? `: ${r.said}` : ''}` : ''}`,
            {
              fix: `check timeout and bash on ${host}`,
            },
          );
        found.set(
          address,
          r.code === 0
            ? { ok: true }
            : { ok: false, why: r.code === 124 ? 'no answer' : /Connection refused/.test(r.said) ? 'ECONNREFUSED' : 'cannot connect' },
        );
      }
      return found;
    },
  };
}

/**
 * The node store files are all the check reads of the backend: cluster.yaml and info.yaml name
 * addresses, no secret. cluster.key stays root's (whoever reads it can write the datastore).
 */
const NODE_STORE_ONLY = 'never cluster.key (for the leader use --sudo)';

/**
 * Another node's node store its login (the user the script there ran as) may not read, the backend
 * entered: the fix for that file and user, as for this node's (its owner and mode are not looked at there).
 */
function storeDenied(file: string, user: string): DqliteError {
  return new DqliteError(`cannot read dqlite node store ${file} there: permission denied for user ${user}`, {
    fix: `${accessFix(file, 'r', user, undefined, refreshNote(file))}; ${NODE_STORE_ONLY}`,
  });
}

/** Whether a TCP connection to the address opens within timeoutMs (the connection is closed at once). */
export function probe(address: string, timeoutMs: number, signal: AbortSignal): Promise<{ ok: boolean; why?: string }> {
  const hp = hostPort(address);
  if (!hp) return Promise.resolve({ ok: false, why: 'not a host:port address' });
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: hp.host, port: hp.port, signal, lookup });
    const done = (ok: boolean, why?: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok, why });
    };
    const timer = setTimeout(() => done(false, `no answer within ${partSeconds(timeoutMs)}s`), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', (err: NodeJS.ErrnoException) => done(false, err.code ?? err.message));
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
