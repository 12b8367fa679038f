import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { causeText, ReasonedError } from './errors.ts';
import { FileError, readSmallFile, userName, writeFileAtomic } from './files.ts';

/** Where a check keeps what it must remember between runs (per user, never world-writable). */
export function defaultStateFile(name: string): string {
  // A relative XDG_STATE_HOME is to be ignored (XDG Base Directory), as the launcher ignores a relative XDG_CACHE_HOME.
  const xdg = process.env.XDG_STATE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.local', 'state');
  return join(base, 'microk8s-checks', name);
}

/**
 * A state file per scope (what a run looked at: a server, namespaces, hosts, units): runs over
 * another scope must neither read nor overwrite these values.
 */
export function scopedStateFile(prefix: string, scope: unknown): string {
  const hash = createHash('sha1').update(JSON.stringify(scope)).digest('hex').slice(0, 8);
  return defaultStateFile(`${prefix}-${hash}.json`);
}

/** What the previous run left: its value, nothing (a first run), or why it cannot be used. */
export type Remembered<T> = { value: T; problem?: undefined } | { value?: undefined; problem?: string };

const MAX_STATE = 1024 * 1024;

/** A record whose every value is a finite number: the shape of the counts the checks keep. */
export const isCounts = (v: unknown): v is Record<string, number> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((n) => typeof n === 'number' && Number.isFinite(n));

/**
 * The previous run's state; a missing file is a first run, anything else unusable is said. `fits`
 * is the shape the check writes (a check that validates deeper itself may leave it out): a file
 * that parses but is not that (`{"counts":null}`, edited by hand, written by another version) is
 * damaged, and the check starts over, never crashes on it.
 */
export function readState<T extends object>(
  file: string,
  fits: (value: object) => value is T = (value): value is T => true,
): Remembered<T> {
  let text: string;
  try {
    text = readSmallFile(file, 'state file', MAX_STATE).toString('utf8');
  } catch (err) {
    if (err instanceof FileError && err.missing) return {};
    return { problem: err instanceof Error ? err.message : String(err) };
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && fits(value)) return { value };
  } catch {
    // Said below.
  }
  return { problem: `state file ${file} is damaged (not what this check writes): starting over, this run's replaces it` };
}

/**
 * mkdir -p, one directory at a time from the top, each mode 700: Node's own recursive mkdir walks
 * back on ENOENT and forward on EEXIST, so where a directory that exists cannot hold one (procfs:
 * XDG_STATE_HOME=/proc) it spins on the main thread for good, deaf to -t and to SIGTERM. Here each
 * directory is tried once and an ENOENT is final.
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  let d = dir;
  for (; !existsSync(d) && dirname(d) !== d; d = dirname(d)) missing.unshift(d);
  if (!statSync(d).isDirectory()) throw new FileError(`${d} is not a directory`);
  for (const m of missing) {
    try {
      mkdirSync(m, { mode: 0o700 });
    } catch (err) {
      const { code } = err as NodeJS.ErrnoException;
      // EEXIST: made meanwhile by another run, what was wanted. ENOENT: its parent is there, yet holds none.
      if (code === 'ENOENT') throw new FileError(`no directory can be made in ${dirname(m)}`, { cause: err });
      if (code !== 'EEXIST') throw err;
    }
  }
}

/** Written whole or not at all (lib/files.ts, writeFileAtomic). */
export function writeState(file: string, value: unknown): void {
  // A home that does not exist (a system account's /nonexistent) is not made here, by root least of all.
  const home = homedir();
  if (file.startsWith(join(home, '/')) && !existsSync(home))
    throw new FileError(`home directory ${home} does not exist`, { fix: 'give --state-file PATH, or set XDG_STATE_HOME' });
  // Never more than the next run reads back: written, it read "cannot read state file" on every run,
  // each a first run, and check_pod_restarts of a big cluster said OK for good, restarts never judged.
  const text = JSON.stringify(value);
  const size = Buffer.byteLength(text);
  if (size > MAX_STATE)
    throw new FileError(`the file would be ${Math.ceil(size / 104857.6) / 10} MiB, more than the 1 MiB a state file may hold`, {
      fix: 'split what the check judges over command lines of their own state files: by namespace (-n), label (-l) or --host',
    });
  makeDirs(dirname(file));
  writeFileAtomic(file, text);
}

/** Why a write failed, without Node's errno prefix and the path said already. */
const WRITE_FAILURES: Record<string, string> = {
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
};

/**
 * Keep a check's state for its next run. When it cannot be kept, the one line that says so: what
 * (`restart counts`), where and why, what the check cannot judge because of it, and the fix. A
 * check that loses its state loses what it claims to judge across runs: it says this line as its
 * UNKNOWN finding on every run, never an OK that will never judge it.
 */
export function keepOrSay(
  keep: (file: string, value: unknown) => void,
  file: string,
  value: unknown,
  what: string,
  costs: string,
): string | undefined {
  try {
    keep(file, value);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'EACCES' || code === 'EPERM'
        ? `permission denied for user ${userName()}`
        : code && WRITE_FAILURES[code]
          ? WRITE_FAILURES[code]
          : causeText(err);
    const fix = err instanceof ReasonedError && err.fix ? err.fix : 'give --state-file a file this user can write';
    return `${what} cannot be kept in ${file} (${why}): ${costs} (fix: ${fix})`;
  }
}
