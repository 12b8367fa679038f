import type { Readable } from 'node:stream';
import { ReasonedError } from '../errors.ts';
import { FileError, openLogStream } from '../files.ts';
import { forEachLine } from './lines.ts';
import { isJournalNotice, parseTextLine, type LogLine } from './logline.ts';

export class LogFileError extends ReasonedError {
  override readonly name = 'LogFileError';
}

/**
 * Plain text log lines from a file or stdin ('-'), e.g. `journalctl ... | check --log-file -`.
 * Lines stamped before `since` are skipped; lines without a stamp are taken as inside the
 * window, because the user chose what to pipe in.
 */
export async function readLogFile(
  path: string,
  since: number,
  now: number,
  onLine: (line: LogLine) => void,
  stdin: Readable = process.stdin,
): Promise<void> {
  let stream: Readable = stdin;
  let pipe = true;
  if (path !== '-') {
    try {
      ({ stream, pipe } = openLogStream(path, 'log file'));
    } catch (err) {
      throw err instanceof FileError ? new LogFileError(err.message, { fix: err.fix }) : err;
    }
  }
  let seen = 0;
  try {
    await forEachLine(stream, (raw, cut) => {
      seen++;
      if (isJournalNotice(raw) || raw === '') return;
      const line = parseTextLine(raw, now);
      if (line.time !== undefined && line.time < since) return;
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
}
