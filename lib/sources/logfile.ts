import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { ReasonedError } from '../errors.ts';
import { forEachLine } from './lines.ts';
import { isJournalNotice, parseTextLine, type LogLine } from './logline.ts';

export class LogFileError extends ReasonedError {}

/**
 * Plain text log lines from a file or stdin ('-'), e.g. `journalctl ... | check --log-file -`.
 * Lines stamped before `since` are skipped; lines without a stamp are taken as inside the
 * window, because the user chose what to pipe in.
 */
export async function readLogFile(path: string, since: number, now: number, onLine: (line: LogLine) => void, stdin: Readable = process.stdin): Promise<void> {
  const stream: Readable = path === '-' ? stdin : createReadStream(path);
  const opened = new Promise<void>((resolve, reject) => {
    if (path === '-') return resolve();
    stream.once('open', () => resolve());
    stream.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new LogFileError(`cannot read log file ${path}`, {
          cause: err,
          fix: err.code === 'EACCES' ? 'give the user running the check read access to it' : undefined,
        }),
      ),
    );
  });
  await opened;
  let seen = 0;
  try {
    await forEachLine(stream, (raw) => {
      seen++;
      if (isJournalNotice(raw) || raw === '') return;
      const line = parseTextLine(raw, now);
      if (line.time !== undefined && line.time < since) return;
      onLine(line);
    });
  } catch (err) {
    throw new LogFileError(`cannot read log file ${path === '-' ? '(stdin)' : path}`, { cause: err });
  }
  // Silence on a pipe usually means the command before it failed (journalctl without access
  // prints its complaint on stderr and nothing here); journalctl with no match says so instead.
  if (path === '-' && seen === 0) {
    throw new LogFileError('nothing was read from stdin', { fix: 'check the command before the pipe (journalctl prints "-- No entries --" when nothing matches)' });
  }
}
