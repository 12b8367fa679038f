import { lstatSync, readdirSync, readFileSync, realpathSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { accessFix, deniedAt, userName } from '../files.ts';
import type { CommandRunner } from './command.ts';
import { DQLITE_BACKEND, DqliteError, enterDenied, MISSING_BACKEND_FIX, unenterable } from './dqlite.ts';
import { refreshNote } from './snap-locks.ts';
import { inOrder, type Patience } from '../in-order.ts';
import type { SshTarget } from './ssh/connection.ts';
import { lastLine, quietShell } from './ssh/greeting.ts';

/** A file of the backend directory: name, size in bytes, modification time (ms since the epoch). */
export interface BackendFile {
  name: string;
  size: number;
  mtime: number;
}

/** The filesystem holding the backend: where it is mounted, and its blocks free for users. */
export interface FsUsage {
  mount: string;
  totalBytes: number;
  availBytes: number;
}

/** What check_dqlite_storage reads of a node's backend directory, locally or over SSH. */
export interface BackendAccess {
  list(dir: string): Promise<BackendFile[]>;
  usage(dir: string): Promise<FsUsage>;
}

/**
 * Another node's backend its login may not list (find's 'Permission denied'): the least privilege
 * that lets that user list it, read and search on the directory. find says the same of a directory
 * above that cannot be searched; the login is the one the connection asked for (find is an argv
 * that sites allow as it is, docs/ssh.md).
 */
function listDenied(dir: string, user: string): DqliteError {
  return new DqliteError(`cannot list ${dir} there: permission denied for user ${user}`, {
    fix: accessFix(dir, 'rx', user, undefined, refreshNote(dir)),
  });
}

/** The mount point holding a path: the longest mount point that prefixes its real path. */
function mountOf(path: string): string {
  const real = realpathSync(path);
  let best = '/';
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    // Field 5 is the mount point, with spaces and the like written as octal escapes.
    const mount = line.split(' ')[4]?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (mount && (real === mount || real.startsWith(mount.endsWith('/') ? mount : `${mount}/`)) && mount.length > best.length) best = mount;
  }
  return best;
}

/** This node: directory entries with lstat (links not followed, nothing opened), statfs. */
export const localBackend: BackendAccess = {
  async list(dir) {
    // Readable but not searchable (0704, an ACL of r alone) lists names no lstat can look at; root's
    // 0700 lists nothing: either way the directory that stops the check's user is named, and rx on it.
    const blocked = unenterable(dir);
    if (blocked) throw enterDenied(dir, blocked, { list: true });
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') {
        // Entered, not readable (0711): said as any denied path is, the fix for this user and directory.
        const d = deniedAt(dir, userName(), refreshNote(dir));
        throw new DqliteError(`cannot list ${dir}: ${d.why}`, { fix: d.fix });
      }
      // Said in words: Node's own message would repeat the path after 'ENOENT: ... scandir'.
      if (code === 'ENOENT') throw new DqliteError(`cannot list ${dir}: no such directory`, { fix: MISSING_BACKEND_FIX });
      if (code === 'ENOTDIR') throw new DqliteError(`cannot list ${dir}: it is a file, not a directory`, { fix: MISSING_BACKEND_FIX });
      throw new DqliteError(`cannot list ${dir}`, { cause: err });
    }
    const files: BackendFile[] = [];
    for (const name of names) {
      const st = lstatSync(join(dir, name), { throwIfNoEntry: false });
      if (st?.isFile()) files.push({ name, size: st.size, mtime: st.mtimeMs });
    }
    return files;
  },
  async usage(dir) {
    const s = statfsSync(dir);
    return { mount: mountOf(dir), totalBytes: s.blocks * s.bsize, availBytes: s.bavail * s.bsize };
  },
};

/**
 * Another node over SSH, with GNU find, stat and df as argv (the directory is an argument, never
 * part of a script): names, sizes and times of the files, and the filesystem's blocks.
 */
export function remoteBackend(run: CommandRunner, signal: AbortSignal, { host, user }: Pick<SshTarget, 'host' | 'user'>): BackendAccess {
  return {
    async list(dir) {
      let out: string;
      try {
        out = await run(['find', dir, '-maxdepth', '1', '-type', 'f', '-printf', '%s %T@ %f\\n'], signal);
      } catch (err) {
        if (signal.aborted) throw err;
        if (/Permission denied/i.test(String(err))) throw listDenied(dir, user);
        throw new DqliteError(`cannot list ${dir} there`, { cause: err });
      }
      return out
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const m = /^(\d+) (\d+(?:\.\d+)?) (.+)$/.exec(line);
          // Over SSH a login's greeting before find's lines is the likely one.
          if (!m) throw new DqliteError(`find printed '${line.slice(0, 60)}': not a file entry`, { fix: quietShell(host) });
          return { name: m[3]!, size: Number(m[1]), mtime: Number(m[2]) * 1000 };
        });
    },
    async usage(dir) {
      // One-line answers, each read from its last line: a login's greeting comes before them.
      const st = lastLine(await run(['stat', '-f', '-c', '%S %b %a', '--', dir], signal))
        .line.split(' ')
        .map(Number);
      const df = (await run(['df', '-P', '--', dir], signal)).trim().split('\n').pop()?.split(/\s+/);
      if (st.length !== 3 || st.some((n) => !Number.isFinite(n)) || !df?.[5])
        throw new DqliteError(`cannot read the filesystem of ${dir} there`);
      return { mount: df.slice(5).join(' '), totalBytes: st[0]! * st[1]!, availBytes: st[0]! * st[2]! };
    },
  };
}

/** The node store files go-dqlite writes into every backend directory, whatever else is there yet. */
const NODE_STORE = ['cluster.yaml', 'info.yaml'];

/**
 * Whether a directory is a dqlite backend: one without cluster.yaml and info.yaml (a mistyped
 * --backend-dir, /etc) would otherwise read as a young datastore with no snapshot yet.
 */
export function isBackend(files: BackendFile[]): boolean {
  return files.some((f) => NODE_STORE.includes(f.name));
}

/**
 * raft's own files (dqlite src/raft/uv*.c): metadata1/2, segments (open-N, and closed
 * <first>-<last> with 16-digit indexes), snapshots. A member gets them from its first term:
 * a bootstrapped node within a second, a joined one once it becomes a voter or stand-by.
 */
const RAFT_FILE = /^(metadata[12]|open-\d+|\d{16}-\d{16}|snapshot-\d+-\d+-\d+(\.meta)?)$/;

/**
 * Why a backend holds no raft data at all, or undefined where it holds some. go-dqlite (app/app.go)
 * writes `join` beside the node store of a node that is to join, and removes it only once the
 * leader has added the node: with it, the node has not joined. Without it, the member holds no
 * copy of the database: a spare (neither votes nor replicates, app/roles.go: the second node of
 * two, or one beyond 3 voters and 3 stand-bys), or this is not a running member's backend.
 */
export function noRaftData(files: BackendFile[]): 'not-joined' | 'no-copy' | undefined {
  if (files.some((f) => RAFT_FILE.test(f.name))) return undefined;
  return files.some((f) => f.name === 'join') ? 'not-joined' : 'no-copy';
}

/**
 * The raft file written last (by mtime), if any. A spare's raft takes no entries: after its
 * demotion nothing there changes while it runs (seen on real dqlite-demo spares, writes going on);
 * raft closing its open segment as the node stops is the one write a spare's data gets.
 */
export function lastRaftWrite(files: BackendFile[]): BackendFile | undefined {
  let last: BackendFile | undefined;
  for (const f of files) if (RAFT_FILE.test(f.name) && (!last || f.mtime > last.mtime)) last = f;
  return last;
}

/**
 * A raft snapshot: snapshot-<term>-<index>-<timestamp> holding the data, with a .meta beside it.
 * The timestamp is uv_now(), milliseconds of the monotonic clock: since BOOT, restarting at every
 * reboot, never a date, so it neither dates nor orders anything here.
 */
export interface Snapshot {
  name: string;
  term: number;
  index: number;
  /** When raft finished writing it: the data file's mtime (ms since the epoch). */
  mtime: number;
  /** What every snapshot writes to disk and ships to followers. */
  size: number;
}

/** A snapshot-like file raft would not load, and why. */
export interface Ignored {
  name: string;
  why: string;
}

const SNAPSHOT = /^snapshot-(\d+)-(\d+)-(\d+)(\.meta)?$/;

/**
 * The snapshots raft itself would list (src/raft/uv_snapshot.c, UvSnapshotInfoAppendIfMatch): a
 * snapshot is its .meta with a non-empty data file beside it. raft writes the .meta first, so a
 * .meta alone (or with an empty data file) is one being written; a data file without its .meta is
 * an orphan raft removes at its next start. Neither is judged; both are named.
 * Newest first by index, then term: within one raft log the term never falls as the index grows,
 * so this is raft's own order (uvSnapshotCompare) for any real set of snapshots.
 */
export function snapshotsOf(files: BackendFile[]): { snapshots: Snapshot[]; ignored: Ignored[] } {
  const byName = new Map(files.map((f) => [f.name, f]));
  const snapshots: Snapshot[] = [];
  const ignored: Ignored[] = [];
  for (const f of files) {
    const m = SNAPSHOT.exec(f.name);
    if (!m) continue;
    if (m[4]) {
      const data = byName.get(f.name.slice(0, -'.meta'.length));
      if (!data || data.size === 0) ignored.push({ name: f.name, why: `its data file is ${data ? 'empty' : 'missing'}: being written` });
      continue;
    }
    if (!byName.has(`${f.name}.meta`)) {
      ignored.push({ name: f.name, why: 'no .meta beside it: an orphan raft removes at its next start' });
      continue;
    }
    if (f.size > 0) snapshots.push({ name: f.name, term: Number(m[1]), index: Number(m[2]), mtime: f.mtime, size: f.size });
  }
  snapshots.sort((a, b) => b.index - a.index || b.term - a.term || b.mtime - a.mtime);
  return { snapshots, ignored };
}

/**
 * A backend directory's files and the filesystem under it, refusing a directory that is no
 * backend (a mistyped --backend-dir would otherwise read as a young datastore). Where both fail
 * (no such directory there), the listing's failure is the reason: the check's own question.
 */
export async function readBackendDir(
  access: BackendAccess,
  backend: string,
  patience: Patience,
): Promise<{ files: BackendFile[]; fs: FsUsage }> {
  const [files, fs] = await inOrder([access.list(backend), access.usage(backend)], patience);
  if (!isBackend(files))
    throw new DqliteError(`${backend} is not a dqlite backend: it holds no cluster.yaml or info.yaml`, {
      fix: `check --backend-dir (MicroK8s: ${DQLITE_BACKEND}, on a node that runs k8s-dqlite)`,
    });
  return { files, fs };
}
