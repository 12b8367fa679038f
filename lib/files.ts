import {
  accessSync,
  closeSync,
  constants,
  createReadStream,
  fchmodSync,
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
import { dirname, resolve } from 'node:path';
import { ReasonedError } from './errors.ts';

export class FileError extends ReasonedError {
  override readonly name = 'FileError';
  /** The file is not there at all (a path to correct, or a file still to create). */
  missing = false;
  /** The user may not read it: who denies it, for a caller whose fix says more (deniedAt). */
  denial?: Denial;
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
    const user = userName();
    const d = deniedAt(path, user);
    const denied = new FileError(`cannot read ${what} ${path}: ${d.why}`, {
      fix: d.culprit === resolve(path) ? d.fix : `${d.fix}, or keep the ${what} where user ${user} can reach it`,
    });
    return Object.assign(denied, { denial: d });
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
  mayReplace(file);
  // A random part beside the pid: a run killed between open and rename leaves its file behind, and
  // in a pid namespace (a container, unshare) the next run has the same pid: its exclusive open
  // failed with EEXIST, and the state was never kept again. Unguessable, a link planted there is never met.
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    try {
      // The owner's read and write whatever the umask: under umask 0400 the file was made 0200,
      // never read back, and every next run a first run (check_pod_restarts OK for good).
      fchmodSync(fd, 0o600);
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

/**
 * Throws unless a rename may replace `file`: a rename replaces whatever is there, and run as root,
 * `--state-file /dev/null` replaced the device with a file. Only a file (or a link, which is
 * replaced, not followed) gives way, or nothing.
 */
export function mayReplace(file: string): void {
  let there: Stats | undefined;
  try {
    there = lstatSync(file);
  } catch {
    // Not there yet.
  }
  if (there && !there.isFile() && !there.isSymbolicLink()) throw new FileError(`it is ${kindOf(there)}, not a file: left as it is`);
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
export function idName(file: '/etc/passwd' | '/etc/group', id: number): string {
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

/**
 * The first directory from / down to a path's own directory that this process may not search
 * (where a permission denied comes from), with its stat; undefined where each may be searched, or
 * where one is not there or no directory (a mistyped path: nothing is denied, it is missing).
 */
export function unsearchableAbove(path: string): { dir: string; stat: Stats } | undefined {
  const above: string[] = [];
  for (let d = dirname(resolve(path)); ; d = dirname(d)) {
    above.unshift(d);
    if (d === dirname(d)) break;
  }
  for (const dir of above) {
    // Its parent was searched: stat answers, and says whether it is a directory at all.
    const stat = statSync(dir, { throwIfNoEntry: false });
    if (!stat?.isDirectory()) return undefined;
    try {
      accessSync(dir, constants.X_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === 'EACCES' || code === 'EPERM' ? { dir, stat } : undefined;
    }
  }
  return undefined;
}

/** ` (owner:group mode)` of a path, as ls -l would show the reader; empty where it cannot be stat'ed. */
export function ownerOf(path: string, stat: Owned | undefined = statOrUndefined(path)): string {
  return stat
    ? ` (${idName('/etc/passwd', stat.uid)}:${idName('/etc/group', stat.gid)} ${(stat.mode & 0o7777).toString(8).padStart(4, '0')})`
    : '';
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** setfacl takes a user by name or by number: 'uid 54321' (no passwd entry) is the number. */
export const aclUser = (user: string) => (user.startsWith('uid ') ? user.slice(4) : user);

/** What of a path's stat says who may do what with it. */
export type Owned = Pick<Stats, 'uid' | 'gid' | 'mode'>;

/** What a user needs of a path: r to read a file, x to search a directory, rx to list one. */
export type Access = 'r' | 'x' | 'rx';

/** The group (by name) whose bits grant `acl` on a path, where it is not root's. */
export function grantingGroup(stat: Owned | undefined, acl: Access): string | undefined {
  const bits = acl === 'x' ? 0o010 : acl === 'rx' ? 0o050 : 0o040;
  return stat && stat.gid !== 0 && (stat.mode & bits) === bits ? idName('/etc/group', stat.gid) : undefined;
}

/**
 * What lets a user have `acl` on a path it was denied: its group, where that group's bits grant it
 * and it is not root's (0750 root:microk8s: the setup's `usermod -aG` not done, or nrpe not
 * restarted since) and the user has a name usermod takes, else an ACL on exactly that path, never
 * more (`aclNote` said after it). `stat`: undefined where the path is another host's, or could not
 * be looked at.
 */
export function accessFix(path: string, acl: Access, user: string, stat: Owned | undefined, aclNote = ''): string {
  const verb = acl === 'x' ? 'search' : 'read';
  // usermod takes a login name only ("user '54321' does not exist"): a uid without one gets the ACL.
  const group = user.startsWith('uid ') ? undefined : grantingGroup(stat, acl);
  return group
    ? `add user ${user} to the group ${group}, which may ${verb} it: sudo usermod -aG ${group} ${aclUser(user)}, then restart nrpe`
    : `give user ${user} ${verb} access to ${path}: sudo setfacl -m u:${aclUser(user)}:${acl} ${path}${aclNote}`;
}

/** Why a user was denied a path, and what lets it in. */
export interface Denial {
  /** `permission denied for user U: D (owner:group mode) cannot be searched`, or `: it (...) cannot be read`. */
  why: string;
  /** The path that denies it: the first directory above that cannot be searched, else the path itself. */
  culprit: string;
  acl: Access;
  stat?: Owned;
  fix: string;
}

/** A permission denied on a path, said where it comes from: a directory above denies it whatever its own mode. */
export function deniedAt(path: string, user = userName(), aclNote = ''): Denial {
  const above = unsearchableAbove(path);
  const culprit = above?.dir ?? resolve(path);
  const stat = above?.stat ?? statOrUndefined(culprit);
  // What is missing: search on a directory above, read (and search, to open what is in it) on a directory, read on a file.
  const [acl, verb]: [Access, string] = above ? ['x', 'searched'] : stat?.isDirectory() ? ['rx', 'read'] : ['r', 'read'];
  return {
    why: `permission denied for user ${user}: ${above?.dir ?? 'it'}${ownerOf(culprit, stat)} cannot be ${verb}`,
    culprit,
    acl,
    stat,
    fix: accessFix(culprit, acl, user, stat, aclNote),
  };
}

/** Whether a path is certainly not there (ENOENT, ENOTDIR): one the user may not look at is not said absent. */
export function absent(path: string): boolean {
  try {
    statSync(path);
    return false;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR';
  }
}
