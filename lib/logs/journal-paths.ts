// The journal directories and files named on the command line, judged before journalctl reads
// them: journalctl names no path when one is of the wrong kind ("Not a directory", or for all its
// --file at once "Failed to open files: No data available"), nor a missing or unreadable one.
import { accessSync, closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { JOURNAL_GROUP_FIX, JournalError } from '../sources/journal.ts';

/** The first bytes of every journal file (systemd, src/libsystemd/sd-journal/journal-def.h: HEADER_SIGNATURE). */
const SIGNATURE = 'LPKSHHRH';

const JOURNAL_FILE_FIX = 'give a .journal file written by systemd-journald';

const problem = (message: string, fix: string) => new JournalError(`cannot read the journal: ${message}`, { fix });

/** Throws a JournalError naming the first --journal-dir or --journal-file that cannot be a journal. */
export function checkJournalPaths(dirs: string[], files: string[]): void {
  for (const [path, as] of [...dirs.map((d) => [d, 'dir'] as const), ...files.map((f) => [f, 'file'] as const)]) {
    try {
      accessSync(path, constants.R_OK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw problem(`${path} does not exist`, 'check --journal-dir/--journal-file');
      throw problem(`${path}: permission denied for user ${userInfo().username}`, JOURNAL_GROUP_FIX);
    }
    const stat = statSync(path);
    if (as === 'dir') {
      if (!stat.isDirectory())
        throw problem(
          `--journal-dir ${path} is not a directory`,
          'give the directory holding the .journal files, or a file with --journal-file',
        );
      continue;
    }
    if (stat.isDirectory())
      throw problem(`--journal-file ${path} is a directory`, 'give it with --journal-dir, or name a .journal file in it');
    if (!stat.isFile()) throw problem(`--journal-file ${path} is not a regular file`, JOURNAL_FILE_FIX);
    if (stat.size === 0) throw problem(`--journal-file ${path} is empty, not a journal file`, JOURNAL_FILE_FIX);
    if (signatureOf(path) !== SIGNATURE)
      throw problem(
        `--journal-file ${path} is not a journal file (it does not start with systemd's ${SIGNATURE})`,
        `${JOURNAL_FILE_FIX}, or read text lines with --log-file`,
      );
  }
}

function signatureOf(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(SIGNATURE.length);
    return head.subarray(0, readSync(fd, head, 0, head.length, 0)).toString('latin1');
  } finally {
    closeSync(fd);
  }
}
