// Every test file's temporary files in a directory of its own, removed once the file's tests have
// ended: journals, 50 MB logs, certificates and state files were left in /tmp run after run (some
// 150 MB a run, 4 GB on this machine by the end of a day). os.tmpdir() reads TMPDIR at each call,
// and the checks and daemons a test starts inherit it.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const before = process.env.TMPDIR;
const dir = mkdtempSync(join(tmpdir(), 'mk8s-test-'));
// As /tmp itself: tests make files there for other users too (nagios, under nrpe).
chmodSync(dir, 0o1777);
process.env.TMPDIR = dir;

afterAll(() => {
  if (before === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = before;
  rmSync(dir, { recursive: true, force: true });
});
