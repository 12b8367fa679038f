import { accessSync, constants } from 'node:fs';
import { availableParallelism, userInfo } from 'node:os';
import type { Argv } from 'yargs';
import { parseDuration } from './duration.ts';
import { UsageError } from './errors.ts';
import { silentLogger, type Logger } from './log.ts';
import { combine } from './plugin/combine.ts';
import type { Deadline } from './plugin/deadline.ts';
import { unknownOutcome } from './plugin/output.ts';
import { reasonOf } from './plugin/runner.ts';
import type { Outcome } from './plugin/verdict.ts';
import { DEFAULT_UNITS, JOURNAL_GROUP_FIX, JournalError, localExec, readJournal, type StreamExec } from './sources/journal.ts';
import { MAX_LINE_BYTES } from './sources/lines.ts';
import { plural } from './text.ts';
import { JournalShare } from './sources/journal-share.ts';
import { readLogFile } from './sources/logfile.ts';
import { sshOptions, withCap, type SshArgs } from './ssh-input.ts';
import { weight, type LogLine } from './sources/logline.ts';
import { State, worst } from './plugin/state.ts';

/** Where a log check reads its lines from, and over which window. */
export interface LogArgs extends SshArgs {
  since: string;
  unit?: string[];
  'journal-dir'?: string[];
  'journal-file'?: string[];
  'log-file'?: string;
}

/** The log source options; defaultSince null: the check sets its own window (no --since). */
export function logOptions<T>(y: Argv<T>, defaultSince: string | null = '5m'): Argv<T & LogArgs & SshArgs> {
  const base = defaultSince === null ? sshOptions(y) : sshOptions(y).option('since', { type: 'string', default: defaultSince, describe: 'window to read: 90s, 5m, 1h' });
  return base
    .option('unit', { type: 'string', array: true, describe: `systemd unit to read (repeatable; default ${DEFAULT_UNITS.join(', ')})` })
    .option('journal-dir', { type: 'string', array: true, describe: 'read journal files in this directory (repeatable)' })
    .option('journal-file', { type: 'string', array: true, describe: 'read this journal file (repeatable)' })
    .option('log-file', { type: 'string', describe: "read plain text lines from this file ('-' for stdin) instead of the journal" }) as unknown as Argv<
    T & LogArgs & SshArgs
  >;
}

export interface Window {
  now: number;
  since: number;
  seconds: number;
  units: string[];
}

export function windowOf(args: LogArgs, now = Date.now()): Window {
  const seconds = parseDuration(args.since, '--since');
  return { now, since: now - seconds * 1000, seconds, units: args.unit?.length ? args.unit : DEFAULT_UNITS };
}

export interface SourceResult<T> {
  /** The host read over SSH; undefined for the local journal or a log file. */
  host?: string;
  /** What was read, for the summary: "journal", a path, "stdin". */
  source: string;
  tally?: T;
  error?: unknown;
  /** Lines longer than the line limit, read by their two ends only. */
  cut?: number;
  /** Lines the check looks for whose time stamp could not be read: not counted, never "now". */
  badStamps?: number;
}

interface Oddities {
  cut: number;
  badStamps: number;
}

const shares = new WeakMap<Deadline, JournalShare>();

/** One journalctl per core: its --grep is the cost, and the check's own work is small. */
const journalSlices = () => Math.min(availableParallelism(), 4);

/**
 * Checks that run under this deadline read the local journal together (see JournalShare):
 * `microk8s-checks all` asks for it; a check run alone reads on its own.
 */
export function shareJournalReads(deadline: Deadline): void {
  shares.set(deadline, new JournalShare(journalSlices()));
}

/**
 * Read every line of the chosen sources inside the window into one tally per source. `grep` is
 * a lowercase PCRE2 prefilter journalctl applies first (its smart case makes it
 * case-insensitive): it only saves work, `count` still matches each line exactly. A local source
 * that fails throws; with --host each host fails on its own, as an error in its result.
 */
export async function scanSources<T>(
  args: LogArgs & SshArgs,
  win: Window,
  deadline: Deadline,
  grep: string,
  fresh: () => T,
  count: (tally: T, line: LogLine) => void,
  log: Logger = silentLogger,
): Promise<SourceResult<T>[]> {
  const dirs = args['journal-dir'] ?? [];
  const files = args['journal-file'] ?? [];
  const query = { units: win.units, since: win.since, grep, directories: dirs, files, unitsGiven: Boolean(args.unit?.length) };
  const where = dirs.length || files.length ? [...dirs, ...files].join(', ') : 'journal';
  if (args.host?.length) {
    if (args['log-file'] !== undefined) throw new UsageError('--log-file reads local text; it cannot be combined with --host');
    deadline.activity = `reading the journal of ${args.host.join(', ')} over SSH`;
    return withCap(args.host, 8, async (host) => {
      const tally = fresh();
      const odd: Oddities = { cut: 0, badStamps: 0 };
      try {
        // Loaded only with --host: ssh2 would cost every local run start-up time.
        const { openSsh } = await import('./ssh-connect.ts');
        const conn = await openSsh(host, args, deadline);
        try {
          await readJournal(query, deadline.signal, counting(tally, count, odd, grep), 1, logged((argv, signal, sink) => conn.exec(argv, signal, sink), log, host));
        } finally {
          conn.close();
        }
        return { host, source: where, tally, ...odd };
      } catch (error) {
        if (deadline.signal.aborted) throw error;
        return { host, source: where, error };
      }
    });
  }
  const tally = fresh();
  const odd: Oddities = { cut: 0, badStamps: 0 };
  const onLine = counting(tally, count, odd, grep);
  if (args['log-file'] !== undefined) {
    if (dirs.length || files.length) throw new UsageError('--log-file cannot be combined with --journal-dir/--journal-file');
    const name = args['log-file'] === '-' ? 'stdin' : args['log-file'];
    deadline.activity = `reading ${name}`;
    await readLogFile(args['log-file'], win.since, win.now, onLine);
    return [{ source: name, tally, ...odd }];
  }
  // journalctl says only "No such file or directory" or nothing at all; name the path it means.
  for (const path of [...dirs, ...files]) {
    try {
      accessSync(path, constants.R_OK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new JournalError(`cannot read the journal: ${path} does not exist`, { fix: 'check --journal-dir/--journal-file' });
      throw new JournalError(`cannot read the journal: ${path}: permission denied for user ${userInfo().username}`, { fix: JOURNAL_GROUP_FIX });
    }
  }
  deadline.activity = 'reading the journal';
  const share = shares.get(deadline.root);
  await (share ? share.read(query, deadline.signal, onLine) : readJournal(query, deadline.signal, onLine, journalSlices(), logged(localExec, log)));
  return [{ source: where, tally, ...odd }];
}

/**
 * Count a line into the tally, noting lines too long to read whole. A line whose stamp could not
 * be read is not counted at all (its time is unknown, and "now" could be hours wrong); if it is
 * one the check looks for (the grep prefilter, case-insensitive as journalctl applies it), it is
 * noted so that the verdict cannot be OK.
 */
function counting<T>(tally: T, count: (tally: T, line: LogLine) => void, odd: Oddities, grep: string): (line: LogLine) => void {
  const candidate = new RegExp(grep, 'i');
  return (line) => {
    if (line.cut) odd.cut++;
    if (line.badStamp) {
      if (candidate.test(line.message)) odd.badStamps += weight(line);
      return;
    }
    count(tally, line);
  };
}

/** With -vv: each journalctl as it starts (its argv) and ends (exit code, time, stderr's first line). */
function logged(exec: StreamExec, log: Logger, host?: string): StreamExec {
  return async (argv, signal, sink) => {
    const started = performance.now();
    log.debug({ host, argv }, 'journalctl started');
    const { code, stderr } = await exec(argv, signal, sink);
    log.debug({ host, code, ms: Math.round(performance.now() - started), stderr: stderr.trim().split('\n')[0] || undefined }, 'journalctl ended');
    return { code, stderr };
  };
}

/** Judge each source's tally; with --host, combine the hosts (an unreadable host is UNKNOWN). */
export function judgeSources<T>(check: string, results: SourceResult<T>[], evaluate: (tally: T, source: string) => Outcome): Outcome {
  const judge = (r: SourceResult<T>): Outcome => {
    if (r.error !== undefined) return unknownOutcome(check, reasonOf(r.error));
    let outcome = evaluate(r.tally!, r.source);
    if (r.cut) {
      const half = MAX_LINE_BYTES / 2048;
      outcome = { ...outcome, details: [`${plural(r.cut, 'line')} longer than ${MAX_LINE_BYTES / 1024} KiB ${r.cut === 1 ? 'was' : 'were'} read by ${r.cut === 1 ? 'its' : 'their'} first and last ${half} KiB only`, ...outcome.details] };
    }
    if (r.badStamps) {
      const said = `${plural(r.badStamps, 'matching line')} with a time stamp that cannot be read (not counted)`;
      outcome = {
        ...outcome,
        state: worst([outcome.state, State.UNKNOWN]),
        summary: `${outcome.summary}, ${said}`,
        details: [...outcome.details, `${said}: give the lines in journalctl's short-unix or short-iso format (journalctl -o short-iso ...), or run with LC_ALL=C`],
      };
    }
    return outcome;
  };
  if (results.length === 1 && results[0]!.host === undefined) return judge(results[0]!);
  return combine(
    check,
    results.map((r) => ({ host: r.host ?? r.source, outcome: judge(r) })),
  );
}
