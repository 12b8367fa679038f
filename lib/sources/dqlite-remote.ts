import { dirname } from 'node:path';
import { accessFix } from '../files.ts';
import type { CommandRunner } from './command.ts';
import { hungWhy, type NodeAccess, NODE_STORE_ONLY, type Probe, PROBE_HELLO } from './dqlite-cluster.ts';
import { hostPort, parseNodeYaml } from './dqlite-members.ts';
import { backendFiles, DqliteError, enterDenied } from './dqlite.ts';
import { refreshNote } from './snap-locks.ts';
import type { SshTarget } from './ssh/connection.ts';
import { quietShell } from './ssh/greeting.ts';
import { loginOf, ME } from './ssh/login.ts';

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
// One probe: the connection, then `connected` said, PROBE_HELLO ($3, the script's $hello) sent and
// one byte awaited (or the member closing it): a hung member's kernel accepts the connection, and
// only timeout (124) ends the wait, after `connected`. Its own exit is 0 for a live member, bash's
// 1 for a failed connect. SIGPIPE ignored: a member closing before the write is live too.
const HELLO = [...PROBE_HELLO].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
const PROBE_ALL = [
  't=$1 budget=$2; shift 2; i=0; exec {ended}<> <(:)',
  `hello='${HELLO}'`,
  'while [ $# -ge 2 ] && { [ "$i" -lt 32 ] || { [ "$SECONDS" -lt "$budget" ] &&',
  '  read -r -N 1 -t "$((budget - SECONDS))" -u "$ended" slot && [ "$SECONDS" -lt "$budget" ]; }; }; do',
  `  { said=$(LC_ALL=C timeout "$t" bash -c 'exec 3<>"/dev/tcp/$1/$2" || exit; echo connected >&2; trap "" PIPE`,
  `      printf "$3" >&3 2>/dev/null; read -r -N 1 -u 3 _ 2>/dev/null; exit 0' probe "$1" "$2" "$hello" 2>&1 >/dev/null); code=$?;`,
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
            : {
                ok: false,
                why:
                  r.code === 124
                    ? r.said === 'connected'
                      ? hungWhy(seconds)
                      : 'no answer'
                    : /Connection refused/.test(r.said)
                      ? 'ECONNREFUSED'
                      : 'cannot connect',
              },
        );
      }
      return found;
    },
  };
}

/**
 * Another node's node store its login (the user the script there ran as) may not read, the backend
 * entered: the fix for that file and user, as for this node's (its owner and mode are not looked at there).
 */
function storeDenied(file: string, user: string): DqliteError {
  return new DqliteError(`cannot read dqlite node store ${file} there: permission denied for user ${user}`, {
    fix: `${accessFix(file, 'r', user, undefined, refreshNote(file))}; ${NODE_STORE_ONLY}`,
  });
}
