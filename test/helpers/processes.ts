import { readdirSync, readFileSync } from 'node:fs';

/**
 * The processes (their ids) whose command line, its words joined by spaces as `ps` shows it, holds
 * `text`: what a run left running, found by a marker in its arguments. A word is matched whole
 * by ending `text` with a space (the line ends with one too): `--notify 123 ` is not 1234's.
 */
export function processesWith(text: string): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(text);
      } catch {
        return false;
      }
    });
}
