// A check's output to a reader slower than the check: a pipe whose reader sleeps before it reads,
// as a busy poller's is. The check's stdout is then a non-blocking pipe (Node made it so), full at
// 64 KiB: what does not fit must wait for the reader (lib/plugin/exit.ts, writeAll), never be lost
// at exit, and the exit code stays the verdict's.
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIST, runBuilt, runProcess } from '../helpers/run.ts';

const MB = 1024 * 1024;

/** A backend holding `count` 1 MB (sparse) snapshots a minute apart: a detail line each, some 80 bytes. */
function backendOf(count: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-slow-reader-'));
  for (const f of ['cluster.yaml', 'info.yaml', 'cluster.crt', 'cluster.key', 'metadata1', 'metadata2']) writeFileSync(join(dir, f), 'x\n');
  const boot = Math.round(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000);
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    const ago = (count - i) * 60_000;
    const name = `snapshot-1-${12982784 + i * 1024}-${Math.max(1, boot - ago)}`;
    const fd = openSync(join(dir, name), 'w');
    ftruncateSync(fd, MB);
    closeSync(fd);
    utimesSync(join(dir, name), (now - ago) / 1000, (now - ago) / 1000);
    writeFileSync(join(dir, `${name}.meta`), 'meta');
  }
  return dir;
}

describe('a reader slower than the check', () => {
  it("gets the whole output, past the pipe's 64 KiB, and the exit code of the verdict", async () => {
    const args = [
      '--backend-dir',
      backendOf(1500),
      '--max-long-output',
      '1000000',
      '-w',
      '0',
      '--free-warning',
      '0',
      '--free-critical',
      '0',
    ];
    const direct = await runBuilt('check_dqlite_storage', args);
    expect(direct.first).toMatch(/^DQLITE-STORAGE CRITICAL - /);
    expect(direct.code).toBe(2);
    expect(Buffer.byteLength(direct.stdout)).toBeGreaterThan(96 * 1024);
    // A real pipe (the shell's), its reader asleep while the check writes; the check's code kept by the shell.
    // Asleep 1 s: within the 2 s writeAll waits for a full pipe (a reader asleep longer gets the first 64 KiB).
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-slow-reader-'));
    /** The check's output as `reader` (a shell command reading stdin into $OUT) got it, and the check's exit code. */
    const through = async (name: string, reader: string) => {
      const [out, code] = [join(dir, name), join(dir, `${name}-code`)];
      const piped = await runProcess(
        '/bin/sh',
        ['-c', `{ "$@"; echo $? >"$CODE"; } | { ${reader}; }`, 'sh', join(DIST, 'check_dqlite_storage'), ...args],
        { env: { ...process.env, OUT: out, CODE: code } },
      );
      expect(piped.code).toBe(0);
      return { code: readFileSync(code, 'utf8'), lines: readFileSync(out, 'utf8').split('\n') };
    };
    const asleep = await through('asleep', 'sleep 1; cat >"$OUT"');
    expect(asleep.code).toBe('2\n');
    const slow = asleep.lines;
    const fast = direct.stdout.split('\n');
    // The free space in the perfdata may differ between the two runs; nothing else does.
    expect(slow[0]!.split(' | ')[0]).toBe(fast[0]!.split(' | ')[0]);
    expect(slow.slice(1)).toEqual(fast.slice(1));

    // A reader that takes 16 KiB every 0.7 s: over 5 s in all, longer than writeAll waits for a
    // reader that takes nothing, but never 2 s without taking some. (GNU head -c reads no more than it prints.)
    const paced = await through('paced', 'i=0; while [ $i -lt 8 ]; do sleep 0.7; head -c 16384 >>"$OUT"; i=$((i+1)); done; cat >>"$OUT"');
    expect(paced.code).toBe('2\n');
    expect(paced.lines.slice(1)).toEqual(fast.slice(1));
  }, 30_000);
});
