import { PassThrough, type Writable } from 'node:stream';
import { spawnTracked } from '../children.ts';
import { ReasonedError } from '../errors.ts';
import { userName } from '../files.ts';
import { parseShortUnix, type LogLine } from './logline.ts';

export const DEFAULT_UNITS = ['snap.microk8s.daemon-kubelite.service', 'snap.microk8s.daemon-k8s-dqlite.service'];

export interface JournalQuery {
  units: string[];
  /** Entries at or after this time (ms since the epoch). */
  since: number;
  /** Entries before this time (ms since the epoch); default: no end. */
  until?: number;
  /**
   * The window's end on the journal's clock (ms since the epoch), when it has no `until`: what a
   * journal given that ends inside the window is measured against. Default: when it is judged.
   */
  now?: number;
  /** A PCRE2 pattern journalctl applies to MESSAGE first; the caller still matches exactly. */
  grep?: string;
  /** Journal directories (--directory) and files (--file); neither: the system journal. */
  directories?: string[];
  files?: string[];
  /**
   * The option a user widens the window with, which a fix names where a journal holds nothing in
   * it; none where the check sets its own (the restart gate has no --since to give).
   */
  widen?: string;
  /** Over SSH: the login journalctl runs as there, whom a fix names (else this process's user). */
  login?: string;
  /**
   * When nothing matched, make sure the units ever logged here: `each` of those the user named, or
   * `any` of the defaults (a journal without them is no MicroK8s node's). Neither: not asked.
   */
  logged?: 'each' | 'any';
  /**
   * With `each`, the units the user named, where the check reads others beside them whatever is
   * named (the gate: kubelite's and k8s-dqlite's): those are asked as `any` is, never blamed on
   * the option. None: every unit read was named.
   */
  named?: string[];
  /**
   * The option that names the units read instead of the defaults, which a fix offers where none
   * of them logged; none where the check reads the defaults whatever is named (the gate's --unit adds).
   */
  nameUnits?: string;
  /**
   * Whether the journal reaches back over the window, holding an entry from before `since`: one
   * that begins inside it (the active file just after a rotation, a small volatile journal rotated
   * by a log storm, a fresh node) cannot tell what happened before its first entry, and is not read
   * as if it could. `required`: such a journal throws (a gate cannot judge a restart by part of its
   * window); `reported`: the read says where it begins (JournalSeen), and the verdict names the span
   * it saw. Neither: not asked.
   */
  reachBack?: 'required' | 'reported';
  /**
   * Read over SSH: what the login printed there before date's output (readRemoteClock), a greeting
   * printed before every command's output; an answer whose every line is a value (valuesOf) has it
   * taken off.
   */
  greeting?: string;
}

export class JournalError extends ReasonedError {
  override readonly name = 'JournalError';
}

const UNIT = /^[A-Za-z0-9:_.@\\-]+$/;

/** Unit names reach journalctl (and, remotely, a shell): only systemd's own characters pass. */
export function validateUnit(unit: string): string {
  if (!UNIT.test(unit) || unit.startsWith('-'))
    throw new JournalError(`invalid unit name '${unit}'`, {
      fix: 'give a systemd unit name such as snap.microk8s.daemon-kubelite.service',
    });
  return unit;
}

/** The argv (after "journalctl") for a query; fixed shape, values validated, no shell involved. */
export function journalctlArgs(q: JournalQuery): string[] {
  // --all: a message holding a byte journalctl deems unprintable (a control character, one that
  // is not UTF-8, a CR) is otherwise printed as "[24B blob data]", which --grep matched and no
  // exact match would count: a storm of such lines read as calm.
  const args = ['--no-pager', '--all', '--output=short-unix', `--since=${epoch(q.since * 1000)}`];
  // --until is inclusive: stop one microsecond short so adjacent slices neither overlap nor gap.
  if (q.until !== undefined) args.push(`--until=${epoch(q.until * 1000 - 1)}`);
  for (const unit of q.units) args.push(`--unit=${validateUnit(unit)}`);
  args.push(...sourceArgs(q));
  if (q.grep) args.push(`--grep=${q.grep}`);
  return args;
}

export function epoch(us: number): string {
  const whole = Math.floor(us);
  return `@${Math.floor(whole / 1e6)}.${String(whole % 1e6).padStart(6, '0')}`;
}

/**
 * journald's group, which reads every journal of the host, for the user journalctl ran as: this
 * process's, or over SSH the login. usermod takes a name only: a uid without one is told so. Here
 * a new group reaches nrpe's checks once nrpe restarts; over SSH every run logs in anew, so there
 * is nothing to restart (restarting nrpe here changed nothing there).
 */
export const journalGroupFix = (user: string, remote = false): string =>
  user.startsWith('uid ')
    ? `run the check as a user in the group systemd-journal (usermod takes no bare uid, and ${user} has no name)`
    : `add user ${user} to the group systemd-journal, which may read the journal: sudo usermod -aG systemd-journal ${user}` +
      (remote ? ' there; the next SSH login has the group, nothing to restart' : ', then restart nrpe');

/**
 * journalctl says some of its worst news on stderr while exiting 0 with no entries (a user
 * without journal access sees nothing at all). Such a read must never pass for "no matches".
 */
export function journalProblem(
  stderr: string,
  exitCode: number | null,
  q: Pick<JournalQuery, 'directories' | 'files' | 'grep' | 'login'>,
): JournalError | undefined {
  // journalctl's own last word: over SSH a login may say something on stderr before every command
  // (bash's setlocale warning), which said a failure in place of its reason. A hint is no such word,
  // nor its indented lines ('Pass -q to turn off this notice.'): alone, its first line is said.
  let inHint = false;
  const said = stderr.split('\n').filter((l) => {
    inHint = l.startsWith('Hint:') || (inHint && /^\s/.test(l));
    return !inHint && l.trim() !== '';
  });
  const first = (said.at(-1) ?? stderr.trim().split('\n')[0] ?? '').trim();
  if (/insufficient permissions|not seeing messages from other users|Permission denied/i.test(stderr)) {
    return new JournalError(`cannot read the journal: ${first}`, { fix: journalGroupFix(q.login ?? userName(), q.login !== undefined) });
  }
  if (/No journal files were found/i.test(stderr)) {
    // Journals named by the user are theirs to correct; the host's own journal is journald's to
    // keep (check_services, which reads nothing else, takes no --journal-dir).
    const named = [...(q.directories ?? []), ...(q.files ?? [])];
    return new JournalError(`cannot read the journal: no journal files were found${named.length ? ` in ${named.join(', ')}` : ''}`, {
      fix: named.length
        ? 'check --journal-dir/--journal-file'
        : 'check that systemd-journald runs and keeps a journal on this host: Storage= in /etc/systemd/journald.conf, not none',
    });
  }
  // Like grep, journalctl --grep exits 1 when nothing matched, saying only "-- No entries --".
  if (exitCode === 1 && q.grep !== undefined && first === '') return undefined;
  // The shell's own status for a command it did not find: over SSH, the host has no journalctl in
  // the PATH a command gets there (here, spawning it fails first: execHere). dash, bash and busybox
  // say `journalctl: not found` or `journalctl: command not found`; zsh, a login's shell too,
  // `command not found: journalctl`, fish `fish: Unknown command: journalctl`; (t)csh exits 1
  // saying `journalctl: Command not found.`.
  const notFound =
    /journalctl: (command )?not found|journalctl: No such file|command not found: journalctl\b|Unknown command: journalctl\b/i;
  if ((exitCode === 127 && notFound.test(stderr)) || (exitCode === 1 && /^journalctl: Command not found\.$/m.test(stderr))) {
    return new JournalError('journalctl not found there', { fix: 'install systemd (journalctl) there, in the PATH an SSH command gets' });
  }
  if (exitCode !== 0) {
    return new JournalError(`journalctl failed (exit ${exitCode ?? 'signal'}): ${first || 'no message'}`);
  }
  return undefined;
}

/** Runs a fixed argv and streams its stdout: locally, or on a remote host (see ssh.ts). */
export type StreamExec = (argv: string[], signal: AbortSignal, sink: Writable) => Promise<{ code: number | null; stderr: string }>;

/**
 * Runs argv here; `missing` is the fix when there is none to run (ENOENT): only a check that takes
 * --log-file may be told to read lines with it.
 */
export const execHere =
  (missing: string): StreamExec =>
  (argv, signal, sink) =>
    new Promise((resolve, reject) => {
      const child = spawnTracked(argv[0]!, argv.slice(1), {
        signal,
        env: { ...process.env, SYSTEMD_COLORS: '0', SYSTEMD_PAGER: '', LC_ALL: 'C.UTF-8' },
      });
      let stderr = '';
      // pipe() keeps backpressure: journalctl waits while the check is behind.
      child.stdout.pipe(sink, { end: false });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        if (stderr.length < 8192) stderr += d;
      });
      child.on('error', (err: NodeJS.ErrnoException) => {
        if (err.name === 'AbortError') reject(signal.reason ?? err);
        else if (err.code === 'ENOENT') reject(new JournalError(`${argv[0]} not found`, { cause: err, fix: missing }));
        else reject(new JournalError(`cannot run ${argv[0]}`, { cause: err }));
      });
      child.on('close', (code) => resolve({ code, stderr }));
    });

/** For the checks that read journal lines, each of which takes --log-file for lines from elsewhere. */
export const localExec: StreamExec = execHere('install systemd (journalctl) or read lines with --log-file');

/**
 * What one journalctl can read: it honours only the last --directory, and refuses --directory
 * with --file, but reads any number of --file together. readJournal reads each of them, in this order.
 */
export function locations(q: JournalQuery): JournalQuery[] {
  const dirs = q.directories ?? [];
  const files = q.files ?? [];
  if (dirs.length === 0 || (dirs.length === 1 && files.length === 0)) return [q];
  return [...dirs.map((d) => ({ ...q, directories: [d], files: [] })), ...(files.length ? [{ ...q, directories: [], files }] : [])];
}

/** The source options of a query, as journalctl takes them. */
export function sourceArgs(q: JournalQuery): string[] {
  return [...(q.directories ?? []).map((d) => `--directory=${d}`), ...(q.files ?? []).map((f) => `--file=${f}`)];
}

export async function execText(
  exec: StreamExec,
  argv: string[],
  signal: AbortSignal,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  let size = 0;
  out.on('data', (c: Buffer) => {
    // Headers of a directory of journal files; nothing near this.
    size += c.length;
    if (size <= 1024 * 1024) chunks.push(c);
  });
  const { code, stderr } = await exec(argv, signal, out);
  out.end();
  return { code, stdout: Buffer.concat(chunks).toString('utf8'), stderr };
}

/** The journal files and directories a query names. */
export const journalPaths = (q: JournalQuery) => [...(q.directories ?? []), ...(q.files ?? [])];

/** The journal files and directories a query names, as a message names them ('' for the system journal). */
export const journalNames = (q: JournalQuery) => journalPaths(q).join(', ');

/**
 * A journal as a summary names it: the system journal, the directory or file given, or several
 * files by their count. A dozen of journald's names (a volatile journal's every file, given one by
 * one) filled the first line's 1024 characters before it said what of them. One machine's entries
 * in a journal of several: that machine's journal in it.
 */
export function journalLabel(paths: string[], machine?: string): string {
  if (machine !== undefined) return `the journal of ${machine} in ${paths.length === 1 ? paths[0]! : `the ${paths.length} files given`}`;
  if (paths.length === 0) return 'the journal';
  return paths.length === 1 ? paths[0]! : `the journal of the ${paths.length} files given`;
}

/**
 * The entry the journal of a query holds in `range` (journalctl's own options selecting it), if
 * any, of any unit and matching nothing: one line asked for, a journal it cannot read thrown.
 */
export async function holdsEntry(
  q: JournalQuery,
  range: string[],
  signal: AbortSignal,
  exec: StreamExec,
  matches: string[] = [],
): Promise<LogLine | undefined> {
  const any = await execText(
    exec,
    ['journalctl', '--no-pager', '--quiet', '--output=short-unix', ...range, ...sourceArgs(q), ...matches],
    signal,
  );
  const problem = journalProblem(any.stderr, any.code, { ...q, grep: undefined });
  if (problem) throw problem;
  for (const l of any.stdout.split('\n')) {
    const entry = parseShortUnix(l);
    if (entry) return entry;
  }
  return undefined;
}
