// The journal directories and files named on the command line, judged before journalctl reads
// them: journalctl names no path when one is of the wrong kind ("Not a directory", or for all its
// --file at once "Failed to open files: No data available"), nor a missing or unreadable one.
import { accessSync, closeSync, constants, type Dirent, openSync, readdirSync, readSync, type Stats, statSync } from 'node:fs';
import { deniedAt, grantingGroup, userName } from '../files.ts';
import { join } from 'node:path';
import { journalGroupFix, JournalError } from '../sources/journalctl.ts';

/** The first bytes of every journal file (systemd, src/libsystemd/sd-journal/journal-def.h: HEADER_SIGNATURE). */
const SIGNATURE = 'LPKSHHRH';

const JOURNAL_FILE_FIX = 'give a .journal file written by systemd-journald';

const problem = (message: string, fix: string) => new JournalError(`cannot read the journal: ${message}`, { fix });

/**
 * What checkJournalPaths found, by paths, for the rest of the process: in a shared run (`all`, the
 * poll cycle) the journal checks read one journal, and each asked again, a call per file of a
 * directory of thousands each time.
 */
const judged = new Map<string, JournalError | undefined>();

/** Throws a JournalError naming the first --journal-dir or --journal-file that cannot be a journal. */
export function checkJournalPaths(dirs: string[], files: string[]): void {
  const key = JSON.stringify([dirs, files]);
  if (!judged.has(key)) {
    try {
      judgePaths(dirs, files);
      judged.set(key, undefined);
    } catch (err) {
      if (!(err instanceof JournalError)) throw err;
      judged.set(key, err);
    }
  }
  const found = judged.get(key);
  if (found) throw found;
}

function judgePaths(dirs: string[], files: string[]): void {
  for (const [path, as] of [...dirs.map((d) => [d, 'dir'] as const), ...files.map((f) => [f, 'file'] as const)]) {
    let stat: Stats;
    try {
      stat = statSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw problem(`${path} does not exist`, 'check --journal-dir/--journal-file');
      throw denied(path);
    }
    // Opened only where journalctl would open it: a device given as a file is named below, never opened.
    if ((stat.isDirectory() || stat.isFile()) && refused(path, stat.isDirectory())) throw denied(path);
    if (as === 'dir') {
      if (!stat.isDirectory())
        throw problem(
          `--journal-dir ${path} is not a directory`,
          'give the directory holding the .journal files, or a file with --journal-file',
        );
      const closed = unreadableJournal(path, 1);
      if (closed) throw denied(closed);
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

/** A directory journalctl reads inside a --directory: named by a machine id (sd_id128, plain or as a UUID). */
const ID128_DIR = /^(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/**
 * The first journal file in a directory (or a directory journalctl reads in it: journald keeps
 * its files in one per machine id, and sd-journal enters those alone) the user may not read.
 * journalctl reads the others and says only that some users cannot see all messages, which
 * names neither the file nor the right fix.
 */
function unreadableJournal(dir: string, depth: number): string | undefined {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    // Listed by journalctl or refused by it, in its own words.
    return undefined;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if ((e.isDirectory() || (e.isSymbolicLink() && isDirectory(path))) && ID128_DIR.test(e.name) && depth > 0) {
      // Read here; searched where a file in it cannot be opened (denied names the directory then).
      if (refused(path, true)) return path;
      const inside = unreadableJournal(path, depth - 1);
      if (inside) return inside;
    } else if (e.isFile() && /\.journal~?$/.test(e.name) && refused(path, false)) return path;
  }
  return undefined;
}

/**
 * Whether opening a path for reading, as journalctl will, is refused. access(2) answers for most
 * (one call, a directory of thousands of files), but it checks the real ids and drops the
 * capabilities of a user that is not root: a nagios given CAP_DAC_READ_SEARCH, which journalctl
 * reads every file with, was refused. So what it refuses is opened to be sure. Only a refusal
 * counts: a file gone since it was listed (journald renames system.journal when it rotates it,
 * and deletes the oldest files) was said to be one the user may not read, with a setfacl on a
 * file that no longer exists; anything else is journalctl's to say.
 */
function refused(path: string, directory: boolean): boolean {
  const denial = (err: unknown) => ['EACCES', 'EPERM'].includes((err as NodeJS.ErrnoException).code ?? '');
  try {
    accessSync(path, constants.R_OK);
    return false;
  } catch (err) {
    if (!denial(err)) return false;
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | (directory ? constants.O_DIRECTORY : 0));
  } catch (err) {
    return denial(err);
  }
  closeSync(fd);
  return false;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
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

/**
 * Permission denied on a journal path: which directory or file denied it (the first directory
 * above it that cannot be searched, else the path itself), with its owner and mode. Adding the
 * user to systemd-journal helps only where that group owns it and its group bits would allow the
 * access (journald's own /var/log/journal and /run/log/journal); anywhere else the fix is another
 * group that would, or access to that one path (deniedAt).
 */
function denied(path: string) {
  const user = userName();
  const d = deniedAt(path, user);
  // journald's own group: its fix says what membership gives (every journal of the host); a uid
  // usermod cannot take keeps the ACL deniedAt gives it.
  const journald = grantingGroup(d.stat, d.acl) === 'systemd-journal' && !user.startsWith('uid ');
  return problem(`${path}: ${d.why}`, journald ? journalGroupFix(user) : d.fix);
}
