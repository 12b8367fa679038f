import {
  closeSync,
  constants,
  createReadStream,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { userInfo } from 'node:os';
import { ReasonedError } from './errors.ts';

export class FileError extends ReasonedError {
  override readonly name = 'FileError';
  /** The file is not there at all (a path to correct, or a file still to create). */
  missing = false;
}

/** Files the checks read whole (kubeconfig, keys, known_hosts, state): none is near this. */
export const MAX_SMALL_FILE = 4 * 1024 * 1024;

const MiB = (n: number) => `${Math.round((n / 1048576) * 10) / 10} MiB`;

function openError(err: unknown, what: string, path: string): FileError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return Object.assign(new FileError(`cannot read ${what} ${path}: no such file`, { fix: `check the path given for the ${what}` }), {
      missing: true,
    });
  // The path goes through a file (--backend-dir given a file): nothing is there, as with ENOENT.
  if (code === 'ENOTDIR')
    return Object.assign(
      new FileError(`cannot read ${what} ${path}: a directory of its path is a file`, { fix: `check the path given for the ${what}` }),
      { missing: true },
    );
  if (code === 'EACCES' || code === 'EPERM') {
    return new FileError(`cannot read ${what} ${path}: permission denied for user ${userName()}`, {
      fix: 'give the user running the check read access to it',
    });
  }
  return new FileError(`cannot open ${what} ${path}`, { cause: err });
}

/**
 * Open without ever waiting: O_NONBLOCK makes a FIFO with no writer open at once instead of
 * holding a thread until -t and past it (a thread blocked in open() also keeps the process from
 * exiting).
 */
function openNow(path: string, what: string): { fd: number; stats: Stats } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    throw openError(err, what, path);
  }
  return { fd, stats: fstatSync(fd) };
}

const kindOf = (stats: Stats) =>
  stats.isDirectory()
    ? 'a directory'
    : stats.isFIFO()
      ? 'a pipe'
      : stats.isCharacterDevice() || stats.isBlockDevice()
        ? 'a device'
        : stats.isSocket()
          ? 'a socket'
          : 'something else';

function notAFile(stats: Stats, what: string, path: string): FileError {
  return new FileError(`cannot read ${what} ${path}: it is ${kindOf(stats)}, not a file`, { fix: `give the ${what} as a regular file` });
}

const tooLarge = (stats: Stats, max: number, what: string, path: string) =>
  new FileError(`cannot read ${what} ${path}: it is ${MiB(stats.size)}, more than the ${MiB(max)} such a file may be`, {
    fix: `check the path given for the ${what}`,
  });

/**
 * The whole of a small regular file named by an option or a kubeconfig: never a pipe or a device
 * (/dev/zero would fill memory, a FIFO would block), never more than `max` bytes, read
 * synchronously because it is small and needed before anything else can start.
 */
export function readSmallFile(path: string, what: string, max = MAX_SMALL_FILE): Buffer {
  const { fd, stats } = openNow(path, what);
  try {
    if (!stats.isFile()) throw notAFile(stats, what, path);
    if (stats.size > max) throw tooLarge(stats, max, what, path);
    const buf = Buffer.alloc(Math.min(stats.size, max) + 1);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n <= 0) break;
      got += n;
    }
    if (got > max) throw new FileError(`cannot read ${what} ${path}: it grew past ${MiB(max)} while it was read`);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** A file that must be a small regular file when it is read later (by a library, per request). */
export function checkSmallFile(path: string, what: string, max = MAX_SMALL_FILE): void {
  let stats: Stats;
  try {
    // stat never blocks on a FIFO, unlike open.
    stats = statSync(path);
  } catch (err) {
    throw openError(err, what, path);
  }
  if (!stats.isFile()) throw notAFile(stats, what, path);
  if (stats.size > max) throw tooLarge(stats, max, what, path);
}

/**
 * A stream of a log a user names: a regular file, or a pipe (`<(journalctl ...)`, a FIFO).
 * Opened without blocking; a FIFO with no writer reads as empty rather than hanging.
 */
export function openLogStream(path: string, what: string): { stream: Readable; pipe: boolean; modified?: number } {
  const { fd, stats } = openNow(path, what);
  if (stats.isFile()) return { stream: createReadStream(path, { fd }), pipe: false, modified: stats.mtimeMs };
  if (stats.isFIFO() || stats.isSocket()) return { stream: new Socket({ fd, readable: true, writable: false }), pipe: true };
  closeSync(fd);
  throw notAFile(stats, what, path);
}

/**
 * Write a whole file atomically (rename), so a process killed mid-write, or a full disk, never
 * leaves half a file for a reader. The temporary file is created new (O_EXCL, O_NOFOLLOW): a link
 * planted at its name is not followed, and the write fails instead of overwriting what it points
 * to. writeFileSync writes until all is out, and throws on a short write.
 */
export function writeFileAtomic(file: string, data: string): void {
  // The rename would replace whatever is there: run as root, `--state-file /dev/null` replaced the
  // device with a file. Only a file (or a link, which is replaced, not followed) gives way.
  let there: Stats | undefined;
  try {
    there = lstatSync(file);
  } catch {
    // Not there yet.
  }
  if (there && !there.isFile() && !there.isSymbolicLink()) throw new FileError(`it is ${kindOf(there)}, not a file: left as it is`);
  // A random part beside the pid: a run killed between open and rename leaves its file behind, and
  // in a pid namespace (a container, unshare) the next run has the same pid: its exclusive open
  // failed with EEXIST, and the state was never kept again. Unguessable, a link planted there is never met.
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    try {
      writeFileSync(fd, data);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // Never made, or gone already.
    }
    throw err;
  }
}

/** The user's name, or its uid where the passwd database has none (a container's arbitrary uid). */
export function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

/** A name from /etc/passwd or /etc/group by id, or the id where it has none. */
export function nameOf(file: '/etc/passwd' | '/etc/group', id: number): string {
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [name, , n] = line.split(':');
      if (name && Number(n) === id) return name;
    }
  } catch {
    // No such file here: the number says it still.
  }
  return String(id);
}
