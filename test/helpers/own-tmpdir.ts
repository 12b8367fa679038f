// Every test file's temporary files in a directory of its own, removed once the file's tests have
// ended: journals, 50 MB logs, certificates and state files were left in /tmp run after run (some
// 150 MB a run, 4 GB on this machine by the end of a day). os.tmpdir() reads TMPDIR at each call,
// and the checks and daemons a test starts inherit it.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const before = { TMPDIR: process.env.TMPDIR, XDG_STATE_HOME: process.env.XDG_STATE_HOME };
const dir = mkdtempSync(join(tmpdir(), 'mk8s-test-'));
// As /tmp itself: tests make files there for other users too (nagios, under nrpe).
chmodSync(dir, 0o1777);
process.env.TMPDIR = dir;
// The checks' default state files (check_leases, check_pod_restarts, check_services: one per
// API server, and each test server has a port of its own) too: they were left in the user's
// ~/.local/state, some 50 an hour of testing. A test that names its own keeps it.
process.env.XDG_STATE_HOME = join(dir, 'state');

afterAll(() => {
  for (const [key, value] of Object.entries(before)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  rmSync(dir, { recursive: true, force: true });
});
