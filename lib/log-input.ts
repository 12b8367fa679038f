import { availableParallelism } from 'node:os';
import type { Argv } from 'yargs';
import { parseDuration } from './duration.ts';
import { UsageError } from './errors.ts';
import type { Deadline } from './plugin/deadline.ts';
import { DEFAULT_UNITS, readJournal } from './sources/journal.ts';
import { readLogFile } from './sources/logfile.ts';
import type { LogLine } from './sources/logline.ts';

/** Where a log check reads its lines from, and over which window. */
export interface LogArgs {
  since: string;
  unit?: string[];
  'journal-dir'?: string[];
  'journal-file'?: string[];
  'log-file'?: string;
}

export function logOptions<T>(y: Argv<T>, defaultSince = '5m'): Argv<T & LogArgs> {
  return y
    .option('since', { type: 'string', default: defaultSince, describe: 'window to read: 90s, 5m, 1h' })
    .option('unit', { type: 'string', array: true, describe: `systemd unit to read (repeatable; default ${DEFAULT_UNITS.join(', ')})` })
    .option('journal-dir', { type: 'string', array: true, describe: 'read journal files in this directory (repeatable)' })
    .option('journal-file', { type: 'string', array: true, describe: 'read this journal file (repeatable)' })
    .option('log-file', { type: 'string', describe: "read plain text lines from this file ('-' for stdin) instead of the journal" }) as unknown as Argv<
    T & LogArgs
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

/**
 * Feed every line of the chosen source inside the window to onLine. `grep` is a lowercase
 * PCRE2 prefilter journalctl applies first (its smart case makes it case-insensitive): it only
 * saves work, the caller still matches each line exactly.
 */
export async function scanLogs(args: LogArgs, win: Window, deadline: Deadline, grep: string, onLine: (line: LogLine) => void): Promise<string> {
  const dirs = args['journal-dir'] ?? [];
  const files = args['journal-file'] ?? [];
  if (args['log-file'] !== undefined) {
    if (dirs.length || files.length) throw new UsageError('--log-file cannot be combined with --journal-dir/--journal-file');
    deadline.activity = `reading ${args['log-file'] === '-' ? 'stdin' : args['log-file']}`;
    await readLogFile(args['log-file'], win.since, win.now, onLine);
    return args['log-file'] === '-' ? 'stdin' : args['log-file'];
  }
  deadline.activity = 'reading the journal';
  // One journalctl per core: its --grep is the cost, and the check's own work is small.
  await readJournal({ units: win.units, since: win.since, grep, directories: dirs, files }, deadline.signal, onLine, Math.min(availableParallelism(), 4));
  return dirs.length || files.length ? [...dirs, ...files].join(', ') : 'journal';
}
