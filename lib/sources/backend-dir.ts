import { lstatSync, readdirSync, readFileSync, realpathSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandRunner } from './command.ts';
import { DqliteError } from './dqlite.ts';

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

/** The least privilege that lets the check list the backend: read and search on the directory. */
export function listAccess(message: string): DqliteError {
  return new DqliteError(message, {
    fix: 'let the check user list the backend directory only: sudo setfacl -m u:nagios:rx <backend> (again after a snap refresh)',
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
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') throw listAccess(`cannot list ${dir}: permission denied`);
      throw new DqliteError(`cannot list ${dir}`, {
        cause: err,
        fix: code === 'ENOENT' ? 'check --backend-dir (run the check on a MicroK8s node)' : undefined,
      });
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
export function remoteBackend(run: CommandRunner, signal: AbortSignal): BackendAccess {
  return {
    async list(dir) {
      let out: string;
      try {
        out = await run(['find', dir, '-maxdepth', '1', '-type', 'f', '-printf', '%s %T@ %f\\n'], signal);
      } catch (err) {
        if (signal.aborted) throw err;
        if (/Permission denied/i.test(String(err))) throw listAccess(`cannot list ${dir} there: permission denied`);
        throw new DqliteError(`cannot list ${dir} there`, { cause: err });
      }
      return out
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const m = /^(\d+) (\d+(?:\.\d+)?) (.+)$/.exec(line);
          if (!m) throw new DqliteError(`find printed '${line.slice(0, 60)}': not a file entry`);
          return { name: m[3]!, size: Number(m[1]), mtime: Number(m[2]) * 1000 };
        });
    },
    async usage(dir) {
      const st = (await run(['stat', '-f', '-c', '%S %b %a', '--', dir], signal)).trim().split(' ').map(Number);
      const df = (await run(['df', '-P', '--', dir], signal)).trim().split('\n').pop()?.split(/\s+/);
      if (st.length !== 3 || st.some((n) => !Number.isFinite(n)) || !df?.[5])
        throw new DqliteError(`cannot read the filesystem of ${dir} there`);
      return { mount: df.slice(5).join(' '), totalBytes: st[0]! * st[1]!, availBytes: st[0]! * st[2]! };
    },
  };
}

/**
 * raft's snapshot files: snapshot-<term>-<index>-<timestamp ms>, each with a .meta beside it.
 * The data file's size is what every snapshot writes and ships to the followers.
 */
export interface Snapshot {
  name: string;
  term: number;
  index: number;
  /** When it was taken: the name's timestamp, else the file's mtime. */
  at: number;
  size: number;
}

const SNAPSHOT = /^snapshot-(\d+)-(\d+)-(\d+)$/;

export function snapshotsOf(files: BackendFile[]): Snapshot[] {
  return files
    .map((f) => {
      const m = SNAPSHOT.exec(f.name);
      return m ? { name: f.name, term: Number(m[1]), index: Number(m[2]), at: Number(m[3]) || f.mtime, size: f.size } : undefined;
    })
    .filter((s): s is Snapshot => s !== undefined)
    .sort((a, b) => b.at - a.at);
}
