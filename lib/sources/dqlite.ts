import { accessSync, constants, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ReasonedError, reasonOf } from '../errors.ts';
import { accessFix, deniedAt, type Owned, ownerOf, unsearchableAbove, userName } from '../files.ts';
import { CommandError, type CommandRunner } from './command.ts';
import { refreshNote, SNAP_DATA } from './snap-locks.ts';

export const DQLITE_BIN = '/snap/microk8s/current/bin/dqlite';
/** Where MicroK8s keeps a node's dqlite backend, under its $SNAP_DATA. */
export const BACKEND_IN_SNAP_DATA = 'var/kubernetes/backend';
export const DQLITE_BACKEND = join(SNAP_DATA, BACKEND_IN_SNAP_DATA);
/** k8s-dqlite's database; dqlite-demo's is `demo`. */
export const DQLITE_DATABASE = 'k8s';

export class DqliteError extends ReasonedError {
  override readonly name = 'DqliteError';
}

/** A backend directory or node store that is not there: the path comes from --backend-dir or its default. */
export const MISSING_BACKEND_FIX = 'run the check on a MicroK8s node, or give --backend-dir';

/** A directory on the way to the backend (the backend included) that the check's user may not enter. */
export interface Unenterable {
  dir: string;
  /** Its owner, group and mode, where they could be read (this node). */
  stat?: Owned;
}

/**
 * The first directory from / down to the backend, the backend included, that this process may not
 * enter (search, x), or undefined: every one may be, or one is not there or no directory (its
 * files are then missing, said where they are read). Behind such a directory no file can be seen:
 * each would read as missing, the TLS pair as absent and the node store as unreadable, none of
 * which is so.
 */
export const unenterable = (backend: string): Unenterable | undefined => unsearchableAbove(join(backend, 'cluster.yaml'));

/** How enterDenied words the fix: listing too (check_dqlite_storage), --sudo as the other way (the CLI alone). */
export interface EnterNeeds {
  /** The backend is listed, not only entered: rx on it. */
  list?: boolean;
  /** Root's CLI (--sudo) would do instead: the check asks only the CLI there. */
  orSudo?: boolean;
  /** Another node's (over SSH): `there`, and the user the check logs in as. */
  there?: boolean;
  user?: string;
}

/**
 * A backend directory, or one above it, that the check's user cannot enter: said naming it (its
 * owner and mode where known), with what lets that user in. Joining its group where the group may
 * (0750 root:microk8s: the setup's `usermod -aG microk8s nagios` not done, or nrpe not restarted
 * since), else an ACL on exactly that directory; never cluster.key (for the leader, --sudo).
 */
export function enterDenied(backend: string, blocked: Unenterable, needs: EnterNeeds = {}): DqliteError {
  const user = needs.user ?? userName();
  // Another node's directory is not looked at here: its owner is not known (nor any group fix).
  const owner = blocked.stat ? ownerOf(blocked.dir, blocked.stat) : '';
  const there = needs.there ? ' there' : '';
  const itself = blocked.dir === backend || (!needs.there && blocked.dir === resolve(backend));
  const where = itself
    ? `the dqlite backend directory ${backend}${owner}${there}`
    : `${blocked.dir}${owner}${there} on the way to the dqlite backend directory ${backend}`;
  const fix = accessFix(blocked.dir, needs.list && itself ? 'rx' : 'x', user, blocked.stat, refreshNote(blocked.dir));
  return new DqliteError(`cannot enter ${where}: permission denied for user ${user}`, {
    fix: needs.orSudo ? `${fix}, or ask as root: --sudo with the sudoers example (nrpe/sudoers.d/microk8s-checks)` : fix,
  });
}

/** The files a node keeps in its backend directory that name the cluster, this node, and its TLS pair. */
export const backendFiles = (backend: string) => ({
  clusterYaml: join(backend, 'cluster.yaml'),
  infoYaml: join(backend, 'info.yaml'),
  crt: join(backend, 'cluster.crt'),
  key: join(backend, 'cluster.key'),
});

/**
 * The only commands the checks ever give the dqlite CLI, all reads. They are fixed strings so
 * that a sudoers rule can allow exactly these command lines (nrpe/sudoers.d/microk8s-checks):
 * nothing from a log, an API object or an option other than the paths and the database name
 * ever reaches the CLI.
 */
export const DQLITE_COMMANDS = {
  cluster: '.cluster',
  leader: '.leader',
  pageCount: 'SELECT page_count FROM pragma_page_count()',
  freelistCount: 'SELECT freelist_count FROM pragma_freelist_count()',
} as const;
export type DqliteCommand = keyof typeof DQLITE_COMMANDS;

/** The longest a dqlite CLI run as root (--sudo) may live: root's timeout ends it, whatever happens to the check. */
export const SUDO_CLI_SECONDS = 10;

const ROOT_TIMEOUT = '/usr/bin/timeout';

/**
 * Root's timeout ended the CLI (--sudo): coreutils' timeout exits 124 when it stopped the command
 * with its signal, 128+9 when it had to KILL it (-k).
 */
export const endedByRootTimeout = (argv: readonly string[], err: unknown): boolean =>
  argv.includes(ROOT_TIMEOUT) && err instanceof CommandError && (err.exitCode === 124 || err.exitCode === 137);

/** How the checks reach a node's dqlite CLI: --dqlite-bin, --backend-dir, --database, --sudo. */
export interface DqliteCli {
  bin: string;
  backend: string;
  database: string;
  /** Run the CLI as root through `sudo -n` (the sudoers example allows exactly these lines). */
  sudo: boolean;
}

/** What a node's files say about asking its CLI, found without opening the key. */
export interface CliFiles {
  bin: boolean;
  crt: boolean;
  key: boolean;
  /** Whether the check's own user could open the key (never opened: access(2) only). */
  keyReadable: boolean;
  /** A directory the check's user cannot enter on the way to the files: then none of them could be looked at. */
  blocked?: Unenterable;
  /** Another node's: the SSH login they were tested as, which the CLI runs as without --sudo. */
  login?: string;
}

/** How to ask the CLI on a node, or why it is not asked. */
export type CliPlan =
  | { asked: true; tls: boolean; argv: (command: DqliteCommand) => string[]; note?: string }
  /** blocked: the backend could not be looked into; a failure, unlike a CLI or key that is not there. */
  | { asked: false; why: string; fix?: string; blocked?: true };

/**
 * The one place that decides the CLI's command line. MicroK8s' dqlite speaks TLS with the
 * backend's cluster.crt/cluster.key; a backend with neither (dqlite-demo, a test cluster) is
 * asked without TLS, and the long output says so. The key stays root's: without read access
 * to it (and without --sudo) the CLI is not asked at all, and the caller judges from the node
 * store files and the network.
 */
export function planCli(cli: DqliteCli, files: CliFiles): CliPlan {
  const f = backendFiles(cli.backend);
  if (!files.bin) return { asked: false, why: `no dqlite CLI at ${cli.bin}`, fix: 'check --dqlite-bin' };
  // A backend the check's user cannot enter hides the TLS pair, as it hides everything there: the
  // CLI run as that user could not read the node store either. Root's (--sudo) reads it: asked
  // with MicroK8s' pair, which every MicroK8s backend holds and the sudoers rules name.
  if (files.blocked && !cli.sudo) {
    const denied = enterDenied(cli.backend, files.blocked, { orSudo: true });
    return { asked: false, why: denied.message, fix: denied.fix, blocked: true };
  }
  const seen = !files.blocked;
  const tls = !seen || files.crt || files.key;
  if (seen && tls && !files.crt) return { asked: false, why: `${f.crt} is missing` };
  if (seen && tls && !files.key) return { asked: false, why: `${f.key} is missing` };
  if (seen && tls && !cli.sudo && !files.keyReadable)
    return {
      asked: false,
      why: `no read access to ${f.key}`,
      fix: 'leave the key root-only and use --sudo with the sudoers example (nrpe/sudoers.d/microk8s-checks)',
    };
  const argv = (command: DqliteCommand) => {
    const line = [
      cli.bin,
      '-s',
      `file://${f.clusterYaml}`,
      ...(tls ? ['-c', f.crt, '-k', f.key] : []),
      cli.database,
      DQLITE_COMMANDS[command],
    ];
    // Root's CLI cannot be killed by the check's user, and sudo can be killed before it passes a
    // signal on: root's own timeout bounds it (v1 blocks for good without a leader).
    return cli.sudo ? ['sudo', '-n', '--', ROOT_TIMEOUT, '-k', '1', String(SUDO_CLI_SECONDS), ...line] : line;
  };
  const note = files.blocked
    ? `asked as root with ${cli.backend}'s TLS pair, which the check's user cannot see: ${files.blocked.dir} cannot be entered`
    : tls
      ? undefined
      : `asked without TLS: no cluster.crt or cluster.key in ${cli.backend}`;
  return { asked: true, tls, argv, note };
}

/** A node's CLI files as this process sees them (stat and access(2); the key is never opened). */
export function localCliFiles(cli: DqliteCli): CliFiles {
  const f = backendFiles(cli.backend);
  let keyReadable = false;
  try {
    accessSync(f.key, constants.R_OK);
    keyReadable = true;
  } catch {
    keyReadable = false;
  }
  const blocked = unenterable(cli.backend);
  return { bin: existsSync(cli.bin), crt: existsSync(f.crt), key: existsSync(f.key), keyReadable, ...(blocked && { blocked }) };
}

/**
 * The same over SSH, in one channel (sshd takes only so many, and each costs a login under load):
 * `test` on that node, the paths passed as arguments of the script, never written into it.
 */
export async function remoteCliFiles(cli: DqliteCli, run: CommandRunner, signal: AbortSignal, login: string): Promise<CliFiles> {
  const f = backendFiles(cli.backend);
  const script = 'test -x "$1"; echo $?; test -e "$2"; echo $?; test -e "$3"; echo $?; test -r "$3"; echo $?';
  const codes = (await run(['sh', '-c', script, 'sh', cli.bin, f.crt, f.key], signal)).trim().split('\n');
  if (codes.length !== 4 || codes.some((c) => !/^\d+$/.test(c)))
    throw new DqliteError(`cannot test the dqlite CLI's files there (got '${codes.join(' ').slice(0, 40)}')`);
  const [bin, crt, key, keyReadable] = codes.map((c) => c === '0') as [boolean, boolean, boolean, boolean];
  return { bin, crt, key, keyReadable, login };
}

/**
 * An argument as sudoers reads it in a command line: its special characters escaped. sudo
 * matches the arguments joined by single spaces, so a space inside one stays a space; a wildcard
 * or another blank would widen or break the rule, and is refused.
 */
function sudoersWord(word: string): string {
  if (/[\t\n\r*?[\]]| {2}/.test(word)) throw new DqliteError(`'${word}' cannot be written as an exact sudoers argument`);
  return word.replace(/[\\,:=]/g, (c) => `\\${c}`);
}

/**
 * The sudoers rules that let `user` run exactly the checks' dqlite command lines as root, and
 * nothing else: no wildcard, no other database, no other command (nrpe/sudoers.d/microk8s-checks
 * is this, for MicroK8s' paths). Each line is the argv planCli builds with --sudo, after sudo's `--`.
 */
export function sudoersRules(user: string, cli: Omit<DqliteCli, 'sudo'>, tls = true): string {
  const plan = planCli({ ...cli, sudo: true }, { bin: true, crt: tls, key: tls, keyReadable: false });
  if (!plan.asked) throw new DqliteError(plan.why);
  const lines = (Object.keys(DQLITE_COMMANDS) as DqliteCommand[]).map((c) =>
    plan.argv(c).slice(['sudo', '-n', '--'].length).map(sudoersWord).join(' '),
  );
  return `${user} ALL=(root) NOPASSWD: ${lines.join(', \\\n    ')}\n`;
}

/**
 * The CLI could not open the node store it is pointed at (`-s file://`: without TLS files the one
 * backend file it reads): said with the fix, as every other file a check cannot read is, never as
 * the CLI's failure alone. Not there (go-dqlite: 'open servers store: stat <path>: no such file or
 * directory', a --backend-dir that is no backend) as check_dqlite says it; denied to the check's
 * user ('open <path>: permission denied') with the ACL or --sudo. Recognised from the CLI's own
 * words, so locally and over SSH alike.
 */
export function storeUnreadable(err: unknown, backend: string, login?: string): DqliteError | undefined {
  const store = backendFiles(backend).clusterYaml;
  const said = reasonOf(err);
  if ([`${store}: no such file or directory`, `${store}: not a directory`].some((s) => said.includes(s)))
    return new DqliteError(`the dqlite CLI found no ${store}`, { fix: MISSING_BACKEND_FIX });
  if (!said.includes(`open ${store}: permission denied`)) return undefined;
  // As every denied path is said (lib/files.ts): the user the CLI ran as, the file, its owner and
  // mode where it is this host's; another node's (login: the SSH login) only the file.
  const d = login === undefined ? deniedAt(store, userName(), refreshNote(store)) : undefined;
  const fix = d?.fix ?? accessFix(store, 'r', login!, undefined, refreshNote(store));
  return new DqliteError(`the dqlite CLI cannot read ${store}: ${d?.why ?? `permission denied for user ${login}`}`, {
    fix: `${fix}, or ask as root: --sudo with a sudoers line for this command line`,
  });
}
