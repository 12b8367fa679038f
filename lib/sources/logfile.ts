import { fstatSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { formatDuration } from '../duration.ts';
import { ReasonedError } from '../errors.ts';
import { FileError, openLogStream } from '../files.ts';
import { forEachLine } from './lines.ts';
import { isJournalNotice, parseTextLine, type LogLine } from './logline.ts';
import { isoSeconds } from '../text.ts';

export class LogFileError extends ReasonedError {
  override readonly name = 'LogFileError';
}

/**
 * Plain text log lines from a file or stdin ('-'), e.g. `journalctl ... | check --log-file -`.
 * Lines stamped before `since` are skipped; lines without a stamp are taken as inside the
 * window, because the user chose what to pipe in. A regular file none of whose stamped lines
 * predates the window (logrotate's new file, for a few minutes a day) holds only what followed
 * its first: where it begins is returned. A pipe is taken as the command before it chose it
 * (`journalctl --since -5min` begins inside the window by design).
 */
export async function readLogFile(
  path: string,
  since: number,
  now: number,
  onLine: (line: LogLine) => void,
  /** The option that widens the window (JournalQuery.widen), for the fix of a file older than it. */
  widen?: string,
  stdin: Readable = process.stdin,
): Promise<{ begins?: number }> {
  let stream: Readable = stdin;
  let pipe = true;
  let modified: number | undefined;
  if (path !== '-') {
    try {
      ({ stream, pipe, modified } = openLogStream(path, 'log file'));
    } catch (err) {
      throw err instanceof FileError ? new LogFileError(err.message, { fix: err.fix }) : err;
    }
  } else if (stdin === process.stdin) {
    // Redirected from a file (`--log-file - < old.log`), stdin is that file: its time says which
    // window it can speak for, as when it is named. A pipe, a terminal or /dev/null has none.
    modified = fileTime(0);
  }
  let seen = 0;
  let taken = 0;
  // The earliest stamp, and whether one is at or before the window's start (lines in any order).
  let earliest = Infinity;
  let reaches = false;
  try {
    await forEachLine(stream, (raw, cut) => {
      seen++;
      if (isJournalNotice(raw) || raw === '') return;
      const line = parseTextLine(raw, now);
      if (line.time !== undefined) {
        earliest = Math.min(earliest, line.time);
        if (line.time <= since) reaches = true;
      }
      if (line.time !== undefined && line.time < since) return;
      taken++;
      onLine(cut ? { ...line, cut } : line);
    });
  } catch (err) {
    throw new LogFileError(`cannot read log file ${path === '-' ? '(stdin)' : path}`, { cause: err });
  }
  // Silence on a pipe usually means the command before it failed (journalctl without access
  // prints its complaint on stderr and nothing here); journalctl with no match says so instead.
  if (pipe && seen === 0) {
    throw new LogFileError(`nothing was read from ${path === '-' ? 'stdin' : `the pipe ${path}`}`, {
      fix: 'check the command writing to it (journalctl prints "-- No entries --" when nothing matches)',
    });
  }
  // A file is no different: a redirection whose command failed (ssh node journalctl ... > f)
  // leaves it empty, and one last written before the window (an old log, copied with its time)
  // holds nothing about the window, however calm it reads. Neither may pass for a quiet window;
  // a file written during it may (journalctl's "-- No entries --", or lines all older).
  if (!pipe && seen === 0) {
    throw new LogFileError(`log file ${path} is empty: nothing to judge`, {
      fix: 'check the command that wrote it (journalctl prints "-- No entries --" when nothing matches)',
    });
  }
  if (modified !== undefined && taken === 0 && modified < since) {
    throw new LogFileError(
      `${path === '-' ? 'stdin (a file)' : `log file ${path}`} was last written ${isoSeconds(modified)}, before the window (the last ` +
        `${formatDuration((now - since) / 1000)}): nothing to judge`,
      { fix: `give a log that covers the window${widen ? `, or a wider ${widen}` : ''}` },
    );
  }
  return modified !== undefined && !reaches && earliest !== Infinity ? { begins: earliest } : {};
}

/** When the regular file open as fd was last written; undefined for anything else, or a closed fd. */
function fileTime(fd: number): number | undefined {
  try {
    const stats = fstatSync(fd);
    return stats.isFile() ? stats.mtimeMs : undefined;
  } catch {
    return undefined;
  }
}
