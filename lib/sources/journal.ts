import { PassThrough, type Writable } from 'node:stream';
import { inOrder, SIBLINGS_MS, type Patience } from '../in-order.ts';
import { eachAtMost } from '../lanes.ts';
import { spawnTracked } from '../children.ts';
import { ReasonedError } from '../errors.ts';
import { userName } from '../files.ts';
import { forEachLine } from './lines.ts';
import { isJournalNotice, parseShortUnix, type LogLine } from './logline.ts';

export const DEFAULT_UNITS = ['snap.microk8s.daemon-kubelite.service', 'snap.microk8s.daemon-k8s-dqlite.service'];

export interface JournalQuery {
  units: string[];
  /** Entries at or after this time (ms since the epoch). */
  since: number;
  /** Entries before this time (ms since the epoch); default: no end. */
  until?: number;
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

/** What a read saw of its window. */
export interface JournalSeen {
  /**
   * With reachBack `reported`, a journal that begins inside the window: its first entry (ms since
   * the epoch), and the files or directory it is (none for the system journal); of several journals,
   * the latest to begin (the span all of them cover), and `from`, the earliest moment any of them
   * holds (the window's start when one reaches back over it): what their lines, read together,
   * were read over; `files` when the one that begins was given as files, not a directory;
   * `machine`, of a journal holding several machines' entries, the one whose entries begin there;
   * `more`, how many others begin inside the window too, earlier: they hold less than `from` says.
   */
  begins?: { at: number; journal: string[]; from: number; files: boolean; machine?: string; more?: number };
}

/** Where one journal of a query begins, if inside the window; see journalBeginnings. */
export interface JournalBeginning {
  /** The journal, as a query naming it alone. */
  journal: JournalQuery;
  /**
   * Of a journal holding several machines' entries (a central log host's), the machine these are
   * of: each begins on its own. `id`, the match that selects its entries (`_MACHINE_ID=`, or
   * `_HOSTNAME=` of machines sharing an id); named by its _HOSTNAME where that is a plain host name, else its id.
   */
  machine?: { id: string; name: string };
  /** Its first entry, when it holds none at or before the `since` asked about. */
  begins?: number;
}

export class JournalError extends ReasonedError {
  override readonly name = 'JournalError';
}

/**
 * No journalctl on this host. Its fix is the host's alone: a check that reads text lines as well
 * (--log-file) offers them where it reads the journal (scanSources); check_services takes none.
 */
export class JournalctlMissing extends JournalError {}

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

function epoch(us: number): string {
  const whole = Math.floor(us);
  return `@${Math.floor(whole / 1e6)}.${String(whole % 1e6).padStart(6, '0')}`;
}

/**
 * journald's group, which reads every journal of the host, for the user journalctl ran as: this
 * process's, or over SSH the login. usermod takes a name only: a uid without one is told so.
 */
export const journalGroupFix = (user: string): string =>
  user.startsWith('uid ')
    ? `run the check as a user in the group systemd-journal (usermod takes no bare uid, and ${user} has no name)`
    : `add user ${user} to the group systemd-journal, which may read the journal: ` +
      `sudo usermod -aG systemd-journal ${user}, then restart nrpe`;

/**
 * journalctl says some of its worst news on stderr while exiting 0 with no entries (a user
 * without journal access sees nothing at all). Such a read must never pass for "no matches".
 */
export function journalProblem(
  stderr: string,
  exitCode: number | null,
  q: Pick<JournalQuery, 'directories' | 'files' | 'grep' | 'login'>,
): JournalError | undefined {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const first = lines.find((l) => !l.startsWith('Hint:')) ?? lines[0] ?? '';
  if (/insufficient permissions|not seeing messages from other users|Permission denied/i.test(stderr)) {
    return new JournalError(`cannot read the journal: ${first}`, { fix: journalGroupFix(q.login ?? userName()) });
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
  if (exitCode !== 0) {
    return new JournalError(`journalctl failed (exit ${exitCode ?? 'signal'}): ${first || 'no message'}`);
  }
  return undefined;
}

/** Runs a fixed argv and streams its stdout: locally, or on a remote host (see ssh.ts). */
export type StreamExec = (argv: string[], signal: AbortSignal, sink: Writable) => Promise<{ code: number | null; stderr: string }>;

export const localExec: StreamExec = (argv, signal, sink) =>
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
      else if (err.code === 'ENOENT')
        reject(new JournalctlMissing(`${argv[0]} not found`, { cause: err, fix: 'install systemd (journalctl)' }));
      else reject(new JournalError(`cannot run ${argv[0]}`, { cause: err }));
    });
    child.on('close', (code) => resolve({ code, stderr }));
  });

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

/**
 * Stream the matching entries of a journal to onLine, each with the index of its location (see
 * locations). A long window is cut into time slices read by parallel journalctl processes
 * (journalctl's --grep is single threaded and the bulk of the cost); lines then arrive in no
 * particular order. A location that yields no line is vouched for (quietSteps: its units logged
 * here, journal files given readable at all); `quiet: 'caller'` leaves that to the caller (a pass
 * read for several readers vouches for each over its own window and grep).
 */
export async function readJournal(
  q: JournalQuery,
  signal: AbortSignal,
  onLine: (line: LogLine, location: number) => void,
  slices = 1,
  exec: StreamExec = localExec,
  quiet: 'vouch' | 'caller' = 'vouch',
  /** How long a failure waits for the reads before it (inOrder): the run's deadline, where the caller has it. */
  patience: Patience = SIBLINGS_MS,
): Promise<JournalSeen> {
  const end = q.until ?? Date.now();
  const n = Math.max(1, Math.min(slices, Math.floor((end - q.since) / 60_000)));
  const step = (end - q.since) / n;
  // Locations failing, the reason is the first's as given (--journal-dir in order, then the
  // files); within one, where it begins, then its slices in time: never whichever failed first.
  const beginnings = await inOrder(
    locations(q).map(async (loc, at): Promise<JournalBeginning[]> => {
      let seen = 0;
      const counted = (line: LogLine) => {
        seen++;
        onLine(line, at);
      };
      const parts = Array.from({ length: n }, (_, i) => ({
        ...loc,
        since: loc.since + i * step,
        until: i === n - 1 ? loc.until : loc.since + (i + 1) * step,
      }));
      const reach = async (mode: 'required' | 'reported') => {
        const begins = await beginningsOf(loc, loc.since, signal, exec, patience);
        // Required: thrown as soon as it is known, which ends the read.
        seenOver(begins, loc.since, mode);
        return begins;
      };
      const [begins] = await inOrder(
        [
          loc.reachBack ? reach(loc.reachBack) : Promise.resolve(undefined),
          inOrder(
            parts.map((part) => readSlice(part, signal, counted, exec)),
            patience,
          ),
        ],
        patience,
      );
      if (seen === 0 && quiet === 'vouch') for (const step of quietSteps(loc)) step.judge(await step.ask(signal, exec, patience));
      return begins ?? [];
    }),
    patience,
  );
  return q.reachBack ? seenOver(beginnings.flat(), q.since, q.reachBack) : {};
}

/**
 * One thing made sure of a location that yielded no line: what journalctl is asked (`ask`, whose
 * answer `key` names all it depends on, so that a shared run asks it once for every check), and
 * what that answer means to the check that asked (`judge`: throws where it is not vouched for, with
 * that check's own fix, whatever option another check sharing the answer would be offered).
 */
export interface QuietStep {
  key: string;
  /** Whether it asks about the window (an entry in it): what holds for a window holds for a wider one. */
  window?: true;
  ask: (signal: AbortSignal, exec: StreamExec, patience?: Patience) => Promise<QuietAnswer>;
  judge: (answer: QuietAnswer) => void;
}

/** What a quiet step found: the units of those asked with no entry at all, or the window's entries. */
export type QuietAnswer = { missing: string[] } | WindowAnswer;

/**
 * What a location of a query (see locations) that yielded no line is vouched for, in order: that
 * each unit named logged here (`each`), that journal files given hold an entry in the window (a
 * damaged file reads as a quiet one: vouchForEmpty), that one of the default units logged here (`any`).
 */
export function quietSteps(loc: JournalQuery): QuietStep[] {
  const where = [loc.directories ?? [], loc.files ?? []];
  const steps: QuietStep[] = [];
  const named = loc.logged === 'each' ? (loc.named ?? loc.units) : [];
  // Read whatever was named (the gate's own units): asked as the defaults are.
  const others = loc.logged === 'any' ? loc.units : loc.logged === 'each' ? loc.units.filter((u) => !named.includes(u)) : [];
  if (named.length) {
    const each = { ...loc, units: named };
    steps.push({
      key: JSON.stringify(['each', named, where]),
      ask: (signal, exec, patience) => unitsLogged(each, signal, exec, 'each', patience),
      judge: (answer) => {
        if ('missing' in answer) unitsMissing(each, answer.missing, 'each');
      },
    });
  }
  if (loc.directories?.length || loc.files?.length)
    steps.push({
      key: JSON.stringify(['window', loc.since, loc.until ?? null, where]),
      window: true,
      ask: (signal, exec) => windowEntries(loc, signal, exec),
      judge: (answer) => {
        if ('held' in answer) vouchForEmpty(loc, answer);
      },
    });
  if (others.length) {
    const any = { ...loc, units: others };
    steps.push({
      key: JSON.stringify(['any', others, where]),
      ask: (signal, exec) => unitsLogged(any, signal, exec, 'any'),
      judge: (answer) => {
        if ('missing' in answer) unitsMissing(any, answer.missing, 'any');
      },
    });
  }
  return steps;
}

/** journalctl's own reading of a unit name: without a type it means a service. */
const unitName = (unit: string) => (/\.[a-z]+$/.test(unit) ? unit : `${unit}.service`);

/**
 * A unit named with --unit that never wrote a line to this journal is a typo far more often than
 * a quiet unit: a quiet window is OK only for units the journal knows (`each`). Of the units read
 * by default, at least one must be known (`any`: a worker's k8s-dqlite never logs): a journal
 * without any of them is no MicroK8s node's (a laptop, a CI runner), and its quiet is about nothing.
 *
 * Asked as the newest entry of the unit (`--lines=1 _SYSTEMD_UNIT=...`), which journalctl finds
 * through that value's own index: the list of every unit the journal knows (`--field`) grows with
 * each SSH login's session-N.scope, to megabytes on a node watched over SSH, and read in part it
 * lost the node's units.
 */
async function unitsLogged(
  q: JournalQuery,
  signal: AbortSignal,
  exec: StreamExec,
  need: 'each' | 'any',
  patience: Patience = SIBLINGS_MS,
): Promise<{ missing: string[] }> {
  const units = q.units.map(unitName);
  // `any`: one journalctl, its matches on one field ORed; `each`: one per unit, the first unit's
  // failure the reason where several fail.
  const asked = need === 'each' ? units.map((u) => [u]) : [units];
  const found = await inOrder(
    asked.map(async (group) => {
      // No --quiet: journalctl then says on stderr what it could not read (journalProblem).
      const argv = [
        'journalctl',
        '--no-pager',
        '--lines=1',
        '--output=short-unix',
        ...sourceArgs(q),
        ...group.map((u) => `_SYSTEMD_UNIT=${u}`),
      ];
      const { code, stdout, stderr } = await execText(exec, argv, signal);
      const problem = journalProblem(stderr, code, { ...q, grep: undefined });
      if (problem) throw problem;
      return stdout.split('\n').some((l) => parseShortUnix(l) !== undefined);
    }),
    patience,
  );
  return { missing: need === 'each' ? units.filter((_, i) => !found[i]) : found[0] ? [] : units };
}

/** Units asked (unitsLogged) with no entry: where that is no quiet, said with the fix of the check that asked. */
function unitsMissing(q: JournalQuery, missing: string[], need: 'each' | 'any'): void {
  if (need === 'each' && missing.length) {
    throw new JournalError(`no entry of unit ${missing.join(', ')} is in the journal at all: not a unit of this host?`, {
      fix: 'check the name given with --unit (systemctl list-units "snap.microk8s.*")',
    });
  }
  if (need === 'any' && missing.length) {
    const paths = [...(q.directories ?? []), ...(q.files ?? [])];
    const where = paths.length ? `journal ${paths.join(', ')}` : 'the journal';
    throw new JournalError(`no entry of ${missing.join(' or ')} is in ${where} at all: not a MicroK8s node?`, {
      fix:
        "run it on a MicroK8s node, or read a node's journal (--journal-dir, --journal-file, --host)" +
        (q.nameUnits ? `, or name its units with ${q.nameUnits}` : ''),
    });
  }
}

/** The source options of a query, as journalctl takes them. */
function sourceArgs(q: JournalQuery): string[] {
  return [...(q.directories ?? []).map((d) => `--directory=${d}`), ...(q.files ?? []).map((f) => `--file=${f}`)];
}

async function execText(
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

/**
 * A journal file whose data is damaged reads as "-- No entries --" with exit 0, exactly like a
 * quiet window, and so does a file that ends before the window. Neither may pass for "nothing
 * matched": when journal files given explicitly yield no line, this asks journalctl for any
 * entry at all in the window (no unit, no grep); if there is none, their headers tell a damaged
 * file (entries recorded in the window, none readable) from one that does not cover the window.
 */
async function windowEntries(q: JournalQuery, signal: AbortSignal, exec: StreamExec): Promise<WindowAnswer> {
  const since = [`--since=${epoch(q.since * 1000)}`, ...(q.until !== undefined ? [`--until=${epoch(q.until * 1000 - 1)}`] : [])];
  if (await holdsEntry(q, ['--lines=1', ...since], signal, exec)) return { held: true };
  const header = await execText(exec, ['journalctl', '--no-pager', '--header', ...sourceArgs(q)], signal);
  const tails = [...header.stdout.matchAll(/^Tail realtime timestamp:.*\(([0-9a-f]+)\)\s*$/gm)].map((m) => parseInt(m[1]!, 16) / 1000);
  return { held: false, newest: tails.length ? Math.max(...tails) : undefined };
}

/** Whether the journal files hold an entry in the window (windowEntries), the newest their headers record if not. */
type WindowAnswer = { held: true } | { held: false; newest?: number };

/** A window of journal files with no entry (windowEntries): damaged, or before the window; said with the asking check's fix. */
function vouchForEmpty(q: JournalQuery, answer: WindowAnswer): void {
  if (answer.held) return;
  const where = journalNames(q);
  const { newest } = answer;
  if (newest !== undefined && newest >= q.since) {
    throw new JournalError(
      `journal ${where} is damaged: it records entries up to ${new Date(newest).toISOString()}, but none in the window can be read`,
      {
        fix: `see journalctl --verify ${sourceArgs(q).join(' ')}`,
      },
    );
  }
  throw new JournalError(
    `journal ${where} holds no entry in the ` +
      `window${newest !== undefined ? ` (its newest is from ${new Date(newest).toISOString()})` : ''}: ` +
      `nothing to judge`,
    {
      fix: `give a journal that covers the window${q.widen ? `, or a wider ${q.widen}` : ''}`,
    },
  );
}

/** The journal files and directories a query names. */
const journalPaths = (q: JournalQuery) => [...(q.directories ?? []), ...(q.files ?? [])];

/** The journal files and directories a query names, as a message names them ('' for the system journal). */
const journalNames = (q: JournalQuery) => journalPaths(q).join(', ');

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
async function holdsEntry(
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

/**
 * Where each journal of a query begins, asked over the window from `since`: once for readers of
 * several windows, the widest (JournalShare), each reader's answer then being seenOver's.
 */
export function journalBeginnings(
  q: JournalQuery,
  since: number,
  signal: AbortSignal,
  exec: StreamExec = localExec,
  patience: Patience = SIBLINGS_MS,
): Promise<JournalBeginning[]> {
  return inOrder(
    locations(q).map((loc) => beginningsOf(loc, since, signal, exec, patience)),
    patience,
  ).then((b) => b.flat());
}

/**
 * What keeps more than a window where a journal read begins inside it, by what was read: every
 * file of a directory given was (journald's limits there), and so was every file of the node's own
 * journal, here or over SSH, which no option adds to (its own limits).
 */
export const KEEP_MORE = {
  directory: 'where this journal is written, keep more than the window (SystemMaxUse= in journald.conf)',
  journal: 'keep the journal persistent (Storage=persistent in journald.conf) with room for more than the window (SystemMaxUse=)',
} as const;

/**
 * What a reader over the window from `since` makes of where its journals begin: `required`, a
 * journal that begins inside it throws; `reported`, the latest such beginning is what it saw.
 */
export function seenOver(beginnings: JournalBeginning[], since: number, reachBack: 'required' | 'reported'): JournalSeen {
  const inside = beginnings.filter((b): b is JournalBeginning & { begins: number } => b.begins !== undefined && b.begins > since);
  if (inside.length === 0) return {};
  const latest = inside.reduce((a, b) => (b.begins > a.begins ? b : a));
  if (reachBack === 'required') {
    throw new JournalError(
      `${journalLabel(journalPaths(latest.journal), latest.machine?.name)} holds no entry from before ${new Date(since).toISOString()}: ` +
        'it does not reach back over the window, and what happened before its first entry cannot be told',
      {
        fix: latest.machine
          ? 'wait until every machine collected there has sent more than the window, and keep more than the window of each ' +
            '(room under /var/log/journal/remote; MaxUse= in journal-remote.conf from systemd 253)'
          : latest.journal.files?.length
            ? 'give every journal file (--journal-dir), and keep the journal persistent with room for more than the window'
            : latest.journal.directories?.length
              ? KEEP_MORE.directory
              : KEEP_MORE.journal,
      },
    );
  }
  // Lines of a journal that reaches back (or began earlier) are counted from there, not from the latest beginning.
  const from = inside.length < beginnings.length ? since : Math.min(...inside.map((b) => b.begins));
  const machine = latest.machine ? { machine: latest.machine.name } : {};
  const more = inside.length > 1 ? { more: inside.length - 1 } : {};
  const files = !!latest.journal.files?.length;
  return { begins: { at: latest.begins, journal: journalPaths(latest.journal), from, files, ...machine, ...more } };
}

/** journald's form of a machine id (sd_id128: 32 hex digits); anything else in a journal is not passed on. */
const MACHINE_ID = /^[0-9a-fA-F]{32}$/;

/** A _HOSTNAME plain enough to name a machine by in a summary. */
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * A _HOSTNAME journalctl may be asked about (`_HOSTNAME=`): printable ASCII, no blank (its entry
 * would not read as one in short-unix), the kernel's 64 bytes at most. Wider than HOST_NAME: a
 * node's journal keeps the names it had before ("(none)" at boot).
 */
const ASKABLE_HOST = /^[\x21-\x7e]{1,64}$/;

/** Machines asked at once of a journal of several: a central log host's may hold hundreds. */
const MACHINE_PROBES = 4;

/**
 * Where one journal's entries begin, machine by machine: a directory systemd-journal-remote writes
 * on a central log host holds each sending machine's files, and they begin at different times (a
 * machine added an hour ago, one whose files were rotated away sooner). An entry of one machine
 * before the window says nothing of another's: each machine's is asked (`_MACHINE_ID=` with the
 * same question as beginsAfter's), and those that begin inside the window are named by their first
 * entry's _HOSTNAME. Which machines a journal holds is journalctl's `--field=_MACHINE_ID`, read
 * from the field's own index (no entry read), asked beside the question of the whole journal,
 * which is the answer where it holds one machine: two processes more with the host names below,
 * not one more wait. The node's own journal (no directory or file given, here or over SSH) is one
 * machine's: journalctl reads only the files of the host's machine id unless told --merge, and is
 * asked as before.
 *
 * Machines cloned from one image without a new /etc/machine-id send entries of one id: k8s01's
 * entries before the window said nothing of k8s03's, begun a minute ago, and the whole window was
 * claimed. Their host names (`--field=_HOSTNAME`, asked beside) tell them apart: a host name no
 * machine's answer named (the newest entry at or before `since`, or the first after it, names its
 * host) is asked the same question. Where every machine has an id of its own and one name, that is none;
 * a host renamed inside the window is named under its new name until its entries reach back.
 */
async function beginningsOf(
  q: JournalQuery,
  since: number,
  signal: AbortSignal,
  exec: StreamExec,
  patience: Patience,
): Promise<JournalBeginning[]> {
  if (journalPaths(q).length === 0) return [{ journal: q, begins: await beginsAfter(q, since, signal, exec) }];
  // Asked in this order, and where several fail, the first's failure is the reason.
  const [machines, hosts, begins] = await inOrder(
    [valuesOf(q, '_MACHINE_ID', signal, exec), valuesOf(q, '_HOSTNAME', signal, exec), beginsAfter(q, since, signal, exec)],
    patience,
  );
  // Entries with no _MACHINE_ID or _HOSTNAME at all (a hand-made export) are no machine's: the journal's answer stands for them.
  if (machines.values.length <= 1 && hosts.values.length <= 1) return [{ journal: q, begins }];
  // Of one machine id, its host names answer for it.
  const byId =
    machines.values.length > 1
      ? await eachAtMost(
          MACHINE_PROBES,
          askable(q, 'machine id', machines, MACHINE_ID),
          (id) => machineBegins(q, `_MACHINE_ID=${id}`, `machine ${id}`, since, signal, exec),
          patience,
        )
      : [];
  const seen = new Set(byId.map((b) => b.host));
  const unseen = askable(q, 'host name', { ...hosts, values: hosts.values.filter((h) => !seen.has(h)) }, ASKABLE_HOST);
  const byHost = await eachAtMost(
    MACHINE_PROBES,
    unseen,
    (host) => machineBegins(q, `_HOSTNAME=${host}`, HOST_NAME.test(host) ? host : JSON.stringify(host), since, signal, exec),
    patience,
  );
  return [...byId, ...byHost].map(({ machine, begins }) => ({ journal: q, machine, begins }));
}

/**
 * Values of a field a journal's entries hold, to be passed on to journalctl as matches: each must
 * be of the form given, or where those entries begin cannot be asked, and the journal is not judged.
 * An odd one of an answer that may hold a changing login greeting (`greeted`) is said to be probably that.
 */
function askable(q: JournalQuery, what: string, { values, greeted }: FieldValues, form: RegExp): string[] {
  const odd = values.find((v) => !form.test(v));
  if (odd === undefined) return values;
  const field = what === 'machine id' ? '_MACHINE_ID' : '_HOSTNAME';
  if (greeted) {
    throw new JournalError(
      `journalctl --field=${field} of journal ${journalNames(q)} answered ${JSON.stringify(odd.slice(0, 40))}, which is no ${what}: ` +
        "probably a login's greeting printed before journalctl's output over SSH, changing from command to command (the one " +
        "before date's output was another): the journal is not judged",
      { fix: `keep the shell quiet for commands run over SSH (.bashrc, a ForceCommand), or find what sends entries with that ${field}` },
    );
  }
  throw new JournalError(
    `journal ${journalNames(q)} holds entries of ${what} ${JSON.stringify(odd.slice(0, 40))}, which is not one: ` +
      "where that machine's entries begin cannot be asked, nor whether they reach back over the window",
    { fix: `give the journal files of the other machines (--journal-file), or find what sends entries with that ${field}` },
  );
}

/**
 * A field's values in a journal; `greeted`: read over SSH where the login greets, from an answer
 * that did not begin with the greeting printed before date's, which may then be among them.
 */
interface FieldValues {
  values: string[];
  greeted: boolean;
}

/**
 * The values of a field in a journal's entries (`--field`), as the journal holds them: data,
 * checked before use. Every line of the answer is one, so a login's greeting over SSH would be
 * read as values: an answer that begins with exactly the one printed before date's output
 * (q.greeting) has it taken off. Nothing else is: a line that is no value of the field is not
 * dropped, as it may be one a machine sent (askable).
 */
async function valuesOf(q: JournalQuery, field: string, signal: AbortSignal, exec: StreamExec): Promise<FieldValues> {
  const listed = await execText(exec, ['journalctl', '--no-pager', `--field=${field}`, ...sourceArgs(q)], signal);
  const problem = journalProblem(listed.stderr, listed.code, { ...q, grep: undefined });
  if (problem) throw problem;
  const greeting = q.greeting ?? '';
  const greeted = !listed.stdout.startsWith(greeting);
  const values = (greeted ? listed.stdout : listed.stdout.slice(greeting.length)).split('\n').filter((l) => l !== '');
  return { values, greeted };
}

/**
 * Where one machine's entries in a journal begin (those `match` selects), if after `since`: the
 * newest of them at or before it asked as beginsAfter does; if none, its first entry after it (its
 * _HOSTNAME names it, else `name`). `host`: the host the entry found names. That is read forward from
 * `since` and stopped at the first entry: the files' headers say where a file begins, not a
 * machine (a file can hold several, and journal-remote writes its own host's machine id in each header).
 */
async function machineBegins(
  q: JournalQuery,
  match: string,
  name: string,
  since: number,
  signal: AbortSignal,
  exec: StreamExec,
): Promise<Pick<JournalBeginning, 'machine' | 'begins'> & { host?: string }> {
  const before = await holdsEntry(q, ['--reverse', '--lines=1', `--until=${epoch(since * 1000)}`], signal, exec, [match]);
  if (before) return { machine: { id: match, name }, begins: undefined, host: before.host };
  const first = await firstEntry(q, since, [match], signal, exec);
  const named = first?.host !== undefined && HOST_NAME.test(first.host) ? first.host : name;
  // None inside the window either (entries only after --until): nothing seen before the window's end.
  const begins = Math.max(first?.time ?? q.until ?? Date.now(), since + 0.001);
  return { machine: { id: match, name: named }, begins, host: first?.host };
}

/** The first entry at or after `since` (and before q.until) matching `matches`, read as JSON: its time and _HOSTNAME. */
async function firstEntry(
  q: JournalQuery,
  since: number,
  matches: string[],
  signal: AbortSignal,
  exec: StreamExec,
): Promise<{ time: number; host?: string } | undefined> {
  const argv = [
    'journalctl',
    '--no-pager',
    '--quiet',
    '--output=json',
    '--output-fields=_HOSTNAME',
    `--since=${epoch(since * 1000)}`,
    ...(q.until !== undefined ? [`--until=${epoch(q.until * 1000 - 1)}`] : []),
    ...sourceArgs(q),
    ...matches,
  ];
  let first: { time: number; host?: string } | undefined;
  const enough = new AbortController();
  const out = new PassThrough();
  const lines = forEachLine(out, (raw) => {
    if (first) return;
    first = entryOf(raw);
    // The rest is not needed: journalctl is stopped, here or on the remote host.
    if (first) enough.abort();
  });
  try {
    const { code, stderr } = await exec(argv, AbortSignal.any([signal, enough.signal]), out);
    const problem = journalProblem(stderr, code, { ...q, grep: undefined });
    if (problem) throw problem;
  } catch (err) {
    if (!enough.signal.aborted || signal.aborted) throw err;
  } finally {
    out.end();
  }
  await lines;
  return first;
}

/** An entry of journalctl's JSON output: its realtime stamp (µs, a string) and _HOSTNAME if a string. */
function entryOf(raw: string): { time: number; host?: string } | undefined {
  let entry: unknown;
  try {
    entry = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { __REALTIME_TIMESTAMP: us, _HOSTNAME: host } = entry as Record<string, unknown>;
  if (typeof us !== 'string' || !/^\d+$/.test(us)) return undefined;
  return { time: Number(us) / 1000, ...(typeof host === 'string' ? { host } : {}) };
}

/**
 * Where a journal begins, if after `since`; undefined when it holds an entry at or before it: the
 * newest such one is asked for (`--reverse --lines=1 --until`, which journalctl seeks to; `--lines`
 * with `--until` alone looks at the journal's end). Any unit: journald drops whole files, oldest
 * first, never entries between. Only when there is none (a few minutes a day at most, after a
 * rotation) are the files' headers read for the first entry: one journalctl more, no entry read.
 */
async function beginsAfter(q: JournalQuery, since: number, signal: AbortSignal, exec: StreamExec): Promise<number | undefined> {
  if (await holdsEntry(q, ['--reverse', '--lines=1', `--until=${epoch(since * 1000)}`], signal, exec)) return undefined;
  const header = await execText(exec, ['journalctl', '--no-pager', '--header', ...sourceArgs(q)], signal);
  const problem = journalProblem(header.stderr, header.code, { ...q, grep: undefined });
  if (problem) throw problem;
  // A file with no entry yet (journald's new active one) says 0.
  const heads = [...header.stdout.matchAll(/^Head realtime timestamp:.*\(([0-9a-f]+)\)\s*$/gm)]
    .map((m) => parseInt(m[1]!, 16) / 1000)
    .filter((t) => t > 0);
  // Past `since` whatever the headers say: journalctl showed no entry there, and what it cannot
  // show was not seen. No head at all: nothing written yet, nothing seen before the window's end.
  return Math.max(heads.length ? Math.min(...heads) : (q.until ?? Date.now()), since + 0.001);
}

async function readSlice(q: JournalQuery, signal: AbortSignal, onLine: (line: LogLine) => void, exec: StreamExec): Promise<void> {
  const out = new PassThrough();
  // One journalctl prints an entry's lines together: a continuation line is of the entry before it.
  let entryTime: number | undefined;
  const lines = forEachLine(out, (raw, cut) => {
    if (isJournalNotice(raw)) return;
    const entry = parseShortUnix(raw);
    if (entry) entryTime = entry.time;
    // A line that does not parse is a continuation of a multi-line message.
    const line = entry ?? { message: raw.trimStart(), entryTime };
    onLine(cut ? { ...line, cut } : line);
  });
  let result: { code: number | null; stderr: string };
  try {
    result = await exec(['journalctl', ...journalctlArgs(q)], signal, out);
  } finally {
    out.end();
  }
  await lines;
  const problem = journalProblem(result.stderr, result.code, q);
  if (problem) throw problem;
}
