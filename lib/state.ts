import { createHash } from 'node:crypto';
import { closeSync, constants, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { FileError, readSmallFile } from './files.ts';

/** Where a check keeps what it must remember between runs (per user, never world-writable). */
export function defaultStateFile(name: string): string {
  const base = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
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

/** The previous run's state; a missing file is a first run, anything else unusable is said. */
export function readState<T extends object>(file: string): Remembered<T> {
  let text: string;
  try {
    text = readSmallFile(file, 'state file', MAX_STATE).toString('utf8');
  } catch (err) {
    if (err instanceof FileError && err.missing) return {};
    return { problem: err instanceof Error ? err.message : String(err) };
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return { value: value as T };
  } catch {
    // Said below.
  }
  return { problem: `state file ${file} is not what this check writes (damaged?); it is replaced by this run's` };
}

/**
 * Write atomically (rename), so a check killed mid-write never leaves half a file. The temporary
 * file is created new (O_EXCL, O_NOFOLLOW): a link planted at its name is not followed, and the
 * write fails instead of overwriting what it points to.
 */
export function writeState(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    try {
      writeSync(fd, JSON.stringify(value));
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // Gone already.
    }
    throw err;
  }
}
