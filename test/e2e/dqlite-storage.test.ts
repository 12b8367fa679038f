// check_dqlite_storage on real backend directories: snapshot files of real names and sizes
// (sparse), a real small filesystem (tmpfs) filled to a given use, the stand-in dqlite CLI.
import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBuilt } from '../helpers/run.ts';

const MB = 1024 * 1024;
const scratch = () => mkdtempSync(join(tmpdir(), 'mk8s-backend-'));

/** A sparse file of this size (a snapshot's bytes are not read, only its size). */
function sparse(path: string, bytes: number, mtimeMs = Date.now()): void {
  const fd = openSync(path, 'w');
  ftruncateSync(fd, bytes);
  closeSync(fd);
  utimesSync(path, mtimeMs / 1000, mtimeMs / 1000);
}

/** A backend as raft leaves it: segments, open-*, snapshots (taken agoSeconds ago) with .meta. */
function backend(snapshots: { mb: number; agoSeconds: number }[], dir = scratch()): string {
  sparse(join(dir, '0000000012981761-0000000012982784'), 8 * MB);
  sparse(join(dir, 'open-1'), 8 * MB);
  for (const f of ['cluster.yaml', 'info.yaml', 'cluster.crt', 'cluster.key', 'metadata1', 'metadata2', 'failure-domain'])
    writeFileSync(join(dir, f), 'x\n');
  let index = 12982784;
  for (const s of snapshots) {
    const at = Date.now() - s.agoSeconds * 1000;
    index += 1024;
    const name = `snapshot-1-${index}-${at}`;
    sparse(join(dir, name), Math.round(s.mb * MB), at);
    writeFileSync(join(dir, `${name}.meta`), 'meta');
  }
  return dir;
}

const state = (dir: string) =>
  readdirSync(dir)
    .map((n) => `${n} ${statSync(join(dir, n)).size} ${statSync(join(dir, n)).mtimeMs}`)
    .sort();

describe('check_dqlite_storage', () => {
  it('newest snapshot 237 MB: CRITICAL; 12.7 MB: OK; the directory is left as it was', async () => {
    const bloated = backend([
      { mb: 230, agoSeconds: 1500 },
      { mb: 237, agoSeconds: 300 },
    ]);
    const before = state(bloated);
    const r = await runBuilt('check_dqlite_storage', ['--backend-dir', bloated]);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^DQLITE-STORAGE CRITICAL - newest snapshot 237 MB: each snapshot writes and ships the whole database/);
    expect(r.perf.snapshot_size).toBe('237MB;50;150;0');
    expect(r.stdout).toMatch(/restoring into the existing datastore shrinks nothing/);
    expect(state(bloated)).toEqual(before);
    const healthy = await runBuilt('check_dqlite_storage', ['--backend-dir', backend([{ mb: 12.7, agoSeconds: 900 }])]);
    expect(healthy.code).toBe(0);
    expect(healthy.first).toMatch(
      /^DQLITE-STORAGE OK - newest snapshot 12\.7 MB, 0 snapshots\/h, [\d.]+% free on \S+ \| snapshot_size=12\.7MB;50;150;0 snapshots_per_hour=0;;;0 free_pct=[\d.]+%;20:;10:;0;100 backend_size=28\.7MB;;;0$/,
    );
  });

  it('three snapshots in the last 6 minutes: WARNING', async () => {
    const r = await runBuilt('check_dqlite_storage', [
      '--backend-dir',
      backend([
        { mb: 12, agoSeconds: 350 },
        { mb: 12, agoSeconds: 200 },
        { mb: 12, agoSeconds: 40 },
      ]),
    ]);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/3 snapshots in the last 10m \(18\/h, more than one per 5 minutes\)/);
    expect(r.perf.snapshots_per_hour).toBe('18;;;0');
  });

  it('an unreadable backend directory: UNKNOWN with the least-privilege fix', async () => {
    if (process.getuid?.() !== 0) return;
    const dir = backend([{ mb: 12, agoSeconds: 60 }]);
    execFileSync('chmod', ['700', dir]);
    const r = await runBuilt('check_dqlite_storage', ['--backend-dir', dir], {
      uid: 65534,
      gid: 65534,
      env: { PATH: '/usr/bin:/bin', HOME: tmpdir() },
    });
    expect(r.code).toBe(3);
    expect(r.first).toBe(
      `DQLITE-STORAGE UNKNOWN - cannot list ${dir}: permission denied (fix: let the check user list the backend directory only: sudo setfacl -m u:nagios:rx <backend> (again after a snap refresh))`,
    );
  });

  it('--freelist asks the dqlite CLI for the free pages (read-only SELECTs); 96% free is WARNING', async () => {
    const dir = backend([{ mb: 12.7, agoSeconds: 900 }]);
    const cli = join(scratch(), 'dqlite');
    const log = `${cli}.log`;
    writeFileSync(cli, `#!/bin/sh\nprintf '%s\\n' "$*" >> "${log}"\necho 268790\necho 257710\n`, { mode: 0o755 });
    const r = await runBuilt('check_dqlite_storage', ['--backend-dir', dir, '--freelist', '--dqlite-bin', cli]);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^DQLITE-STORAGE WARNING - 95\.9% of the database is free pages \(257710 of 268790\)/);
    expect(r.perf.freelist_pct).toBe('95.9%;~:50;;0;100');
    expect(execFileSync('cat', [log], { encoding: 'utf8' })).toBe(
      `-s file://${dir}/cluster.yaml -c ${dir}/cluster.crt -k ${dir}/cluster.key k8s SELECT * FROM pragma_page_count();SELECT * FROM pragma_freelist_count()\n`,
    );
  });

  describe.skipIf(process.getuid?.() !== 0)('on a real small filesystem', () => {
    const mnt = scratch();
    let mounted = false;
    afterAll(() => {
      if (mounted) execFileSync('umount', [mnt]);
    });

    it('92% full: CRITICAL naming the mount; 85%: WARNING', async () => {
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=100m', 'tmpfs', mnt]);
        mounted = true;
      } catch {
        console.warn('check_dqlite_storage free-space test: cannot mount a tmpfs here; skipped');
        return;
      }
      const dir = join(mnt, 'backend');
      mkdirSync(dir);
      backend([{ mb: 5, agoSeconds: 900 }], dir);
      // tmpfs counts allocated pages (the sparse snapshot takes none): fill it for real, to 85% then 92%.
      execFileSync('fallocate', ['-l', '85M', join(mnt, 'fill')]);
      const warn = await runBuilt('check_dqlite_storage', ['--backend-dir', dir]);
      expect(warn.code, warn.first).toBe(1);
      expect(warn.first).toMatch(new RegExp(`^DQLITE-STORAGE WARNING - ${mnt.replace(/[.]/g, '\\.')} is 8\\d(\\.\\d)?% full`));
      execFileSync('fallocate', ['-l', '92M', join(mnt, 'fill')]);
      const crit = await runBuilt('check_dqlite_storage', ['--backend-dir', dir]);
      expect(crit.code).toBe(2);
      expect(crit.first).toMatch(new RegExp(`^DQLITE-STORAGE CRITICAL - ${mnt.replace(/[.]/g, '\\.')} is 9\\d(\\.\\d)?% full`));
    });
  });
});
