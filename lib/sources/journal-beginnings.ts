import { PassThrough } from 'node:stream';
import { inOrder, SIBLINGS_MS, type Patience } from '../in-order.ts';
import { eachAtMost } from '../lanes.ts';
import { formatDuration } from '../duration.ts';
import { isoSeconds } from '../text.ts';
import { forEachLine } from './lines.ts';
import {
  epoch,
  execText,
  holdsEntry,
  JournalError,
  journalLabel,
  journalNames,
  journalPaths,
  journalProblem,
  localExec,
  locations,
  sourceArgs,
  type JournalQuery,
  type StreamExec,
} from './journalctl.ts';

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
  /**
   * A journal given (files or a directory) that ends inside the window: its newest entry is older
   * than ENDED_MS before the window's end (a copy, a machine that stopped sending to a central log
   * host). Of several, the one that ends first (`machine` of one holding several machines'
   * entries); `to`, where every one read ended (the latest of their ends), when none is live.
   */
  ends?: { at: number; journal: string[]; files: boolean; machine?: string; to?: number };
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
  /** Its newest entry, asked of journals given (files, a directory) only: the node's own is written as it goes. */
  ends?: number;
  /** The _HOSTNAME of that entry, of a machine: a host that sends under a new machine id (reinstalled) ends under the old one. */
  endsOn?: string;
}

/**
 * How old a given journal's newest entry may be and still be judged live: a MicroK8s node's
 * journal is seldom quiet for long (kubelite, containerd, k8s-dqlite), and a central log host
 * receives each entry seconds later; a quiet minute is taken as calm, two are not.
 */
export const ENDED_MS = 120_000;

/** What to do about a given journal that ends inside the window. */
export const ENDED_FIX = 'check that the node still sends its journal, or give its live journal';

/**
 * Why a journal that ends inside the window (JournalSeen.ends) cannot vouch for a quiet window:
 * the part of the window after its newest entry is not in it.
 */
export function endedText(what: string, at: number, since: number, now: number): string {
  // In whole minutes (it is 2 at least): the time it ends is said to the second, and a summary
  // that changed every second would be a new one on every run.
  const minutes = (ms: number) => formatDuration(Math.max(60, Math.floor(ms / 60_000) * 60));
  const window = formatDuration(Math.max(1, (now - since) / 1000));
  const part =
    at <= since ? `none of the ${window} window is in it` : `the last ${minutes(now - at)} of the ${window} window are not in it`;
  return `${what} ends at ${isoSeconds(at)}, ${minutes(now - at)} ago: ${part}`;
}

/** A journal that ends as a message names it: a path given is "journal D", the others by journalLabel. */
export const endedName = (journal: string[], machine?: string): string =>
  machine === undefined && journal.length === 1 ? `journal ${journal[0]}` : journalLabel(journal, machine);

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
export function seenOver(beginnings: JournalBeginning[], since: number, reachBack: 'required' | 'reported', now = Date.now()): JournalSeen {
  const ends = endsOf(beginnings, since, now);
  if (ends && reachBack === 'required') {
    throw new JournalError(endedText(endedName(ends.journal, ends.machine), ends.at, since, now), { fix: ENDED_FIX });
  }
  const ended = ends ? { ends } : {};
  const inside = beginnings.filter((b): b is JournalBeginning & { begins: number } => b.begins !== undefined && b.begins > since);
  if (inside.length === 0) return ended;
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
  return { begins: { at: latest.begins, journal: journalPaths(latest.journal), from, files, ...machine, ...more }, ...ended };
}

/**
 * The journal given (or machine in one) that ends first inside the window, if one does: its newest
 * entry older than ENDED_MS. A journal whose every entry is before the window is left to the quiet
 * steps, which say so (`holds no entry in the window`). A machine among others that ended before
 * the window is not left: it went silent longer ago, and its part of the window is missing all the
 * same (else a machine gone silent read UNKNOWN for 3 minutes, then OK for good). Unless its host
 * sends under another machine id now (reinstalled), whose entries are that host's.
 */
function endsOf(beginnings: JournalBeginning[], since: number, now: number): JournalSeen['ends'] {
  const newest = new Map<JournalQuery, number>();
  for (const b of beginnings) if (b.ends !== undefined) newest.set(b.journal, Math.max(newest.get(b.journal) ?? -Infinity, b.ends));
  const live = (b: JournalBeginning) => b.ends === undefined || b.ends >= now - ENDED_MS;
  // A host that sends under another machine id now (reinstalled: a new /etc/machine-id) ended under the old one, nothing more.
  const sendsOn = (b: JournalBeginning) =>
    b.endsOn !== undefined && beginnings.some((o) => o.journal === b.journal && o.endsOn === b.endsOn && live(o));
  const ended = beginnings.filter(
    (b): b is JournalBeginning & { ends: number } => !live(b) && newest.get(b.journal)! >= since && !sendsOn(b),
  );
  if (ended.length === 0) return undefined;
  const first = ended.reduce((a, b) => (b.ends < a.ends ? b : a));
  // Every one read ended: their lines are of the window up to the latest end, not up to now.
  const all = beginnings.every((b) => b.ends !== undefined && b.ends < now - ENDED_MS);
  const to = all ? { to: Math.max(...beginnings.map((b) => b.ends!)) } : {};
  // Named by the host its newest entry names, where that is a plain host name: the one that went silent.
  const host = first.endsOn !== undefined && HOST_NAME.test(first.endsOn) ? first.endsOn : undefined;
  const machine = first.machine ? { machine: host ?? first.machine.name } : {};
  return { at: first.ends, journal: journalPaths(first.journal), files: !!first.journal.files?.length, ...machine, ...to };
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
 *
 * Of a journal given (not the node's own, written as it goes), where it ends is asked beside: its
 * newest entry (`--reverse --lines=1`, read from its end), and each machine id's with the question
 * of where that machine begins; a host name's is the journal's (a host renamed ends under its old
 * name, which is no machine gone silent). seenOver judges it.
 */
export async function beginningsOf(
  q: JournalQuery,
  since: number,
  signal: AbortSignal,
  exec: StreamExec,
  patience: Patience,
): Promise<JournalBeginning[]> {
  if (journalPaths(q).length === 0) return [{ journal: q, begins: await beginsAfter(q, since, signal, exec) }];
  // Asked in this order, and where several fail, the first's failure is the reason.
  const [machines, hosts, begins, newest] = await inOrder(
    [
      valuesOf(q, '_MACHINE_ID', signal, exec),
      valuesOf(q, '_HOSTNAME', signal, exec),
      beginsAfter(q, since, signal, exec),
      holdsEntry(q, ['--reverse', '--lines=1'], signal, exec),
    ],
    patience,
  );
  const ends = newest?.time;
  // Entries with no _MACHINE_ID or _HOSTNAME at all (a hand-made export) are no machine's: the journal's answer stands for them.
  if (machines.values.length <= 1 && hosts.values.length <= 1) return [{ journal: q, begins, ends }];
  // Of one machine id, its host names answer for it.
  const byId =
    machines.values.length > 1
      ? await eachAtMost(
          MACHINE_PROBES,
          askable(q, 'machine id', machines, MACHINE_ID),
          (id) => machineBegins(q, `_MACHINE_ID=${id}`, `machine ${id}`, since, signal, exec, patience, true),
          patience,
        )
      : [];
  const seen = new Set(byId.map((b) => b.host));
  const unseen = askable(q, 'host name', { ...hosts, values: hosts.values.filter((h) => !seen.has(h)) }, ASKABLE_HOST);
  const byHost = await eachAtMost(
    MACHINE_PROBES,
    unseen,
    (host) =>
      machineBegins(q, `_HOSTNAME=${host}`, HOST_NAME.test(host) ? host : JSON.stringify(host), since, signal, exec, patience, false),
    patience,
  );
  // Where a machine ends is asked by machine id: a host name ends where the host was renamed (its
  // boot's "(none)", a new name), which is no machine gone silent; the journal's end stands for them.
  return [
    ...byId.map(({ machine, begins, ends, endsOn }) => ({ journal: q, machine, begins, ends, endsOn })),
    ...byHost.map(({ machine, begins }) => ({ journal: q, machine, begins, ends })),
  ];
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
  patience: Patience,
  asksEnd: boolean,
): Promise<Pick<JournalBeginning, 'machine' | 'begins' | 'ends' | 'endsOn'> & { host?: string }> {
  // Where it ends (`asksEnd`), asked beside (its newest entry, read from the end): a machine that stopped sending ends inside the window.
  const [before, newest] = await inOrder(
    [
      holdsEntry(q, ['--reverse', '--lines=1', `--until=${epoch(since * 1000)}`], signal, exec, [match]),
      asksEnd ? holdsEntry(q, ['--reverse', '--lines=1'], signal, exec, [match]) : Promise.resolve(undefined),
    ],
    patience,
  );
  const ends = { ends: newest?.time, endsOn: newest?.host };
  if (before) return { machine: { id: match, name }, begins: undefined, ...ends, host: before.host };
  const first = await firstEntry(q, since, [match], signal, exec);
  const named = first?.host !== undefined && HOST_NAME.test(first.host) ? first.host : name;
  // None inside the window either (entries only after --until): nothing seen before the window's end.
  const begins = Math.max(first?.time ?? q.until ?? Date.now(), since + 0.001);
  return { machine: { id: match, name: named }, begins, ...ends, host: first?.host };
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
