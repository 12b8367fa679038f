// The journal directories and files given, each journal once. Every location is read by a
// journalctl of its own (journalctl honours only the last --directory), so a journal given twice
// was read twice and each of its lines counted twice: `--journal-dir D --journal-file D/system.journal`
// made 14 lock lines 28, a WARNING a CRITICAL. journalctl --directory=D reads D's journal files and
// those of its machine-id subdirectories (sd-journal's add_root_directory), so those are D's too.
import { realpathSync } from 'node:fs';
import { posix } from 'node:path';

/** A journal file's name, as journalctl --directory picks files (dirent_is_journal_file). */
const JOURNAL_NAME = /\.journal~?$/;

/** A machine-id directory's name, which journalctl --directory reads beneath the one given. */
const MACHINE_DIR = /^[0-9a-f]{32}$/;

/** A path as written, without `.`, `..` (as the kernel takes them, links aside) or a trailing slash. */
const tidy = (path: string): string => {
  const n = posix.normalize(path);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
};

/** Where a path is on this host (its links followed); as written where it cannot be told (missing: judged later). */
export const realPathHere = (path: string): string => {
  try {
    return realpathSync(path);
  } catch {
    return tidy(path);
  }
};

/**
 * The directories and files given, as given, less those another one given already reads: a
 * path given again (however spelt: `D/`, `D/./x`; here, through a link too), a directory's
 * machine-id subdirectory, a journal file of a directory given. `where` places a path: on this
 * host its real path; over SSH it is there, and compared as written (tidied).
 */
export function distinctJournals(
  dirs: string[],
  files: string[],
  where: (path: string) => string = tidy,
): { dirs: string[]; files: string[] } {
  const dirAt = new Map<string, string>();
  for (const d of dirs) if (!dirAt.has(where(d))) dirAt.set(where(d), d);
  // A directory read: itself, or a machine-id directory beneath one given.
  const read = (dir: string) => dirAt.has(dir) || (MACHINE_DIR.test(posix.basename(dir)) && dirAt.has(posix.dirname(dir)));
  const keptDirs = [...dirAt].filter(([at]) => !(MACHINE_DIR.test(posix.basename(at)) && dirAt.has(posix.dirname(at))));
  const fileAt = new Map<string, string>();
  for (const f of files) {
    const at = where(f);
    // The directory it is named in, placed as the directories are: a link to a file elsewhere is still read there.
    const inRead = JOURNAL_NAME.test(f) && read(where(posix.dirname(tidy(f))));
    if (!inRead && !fileAt.has(at)) fileAt.set(at, f);
  }
  return { dirs: keptDirs.map(([, d]) => d), files: [...fileAt.values()] };
}
