// check_dqlite_storage on real backend directories: a real dqlite cluster's (dqlite-demo), and
// fixtures of real names and sizes (sparse), a real small filesystem (tmpfs) filled to a given
// use, the real v1 dqlite CLI and a stand-in for the v2/v3 one.
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  statfsSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoSeconds } from '../../lib/text.ts';
import { DQLITE_CLI, DqliteCluster, dqliteUnavailable, startDqlite, type DqliteNode } from '../helpers/dqlite.ts';
import { runBuilt, STARTUP_MS } from '../helpers/run.ts';
import { pattern } from '../helpers/pattern.ts';
import { parseNodeYaml } from '../../lib/sources/dqlite-members.ts';
import { nagiosIds } from '../helpers/users.ts';

const nagios = nagiosIds();

const MB = 1024 * 1024;
const scratch = () => mkdtempSync(join(tmpdir(), 'mk8s-backend-'));

/** A sparse file of this size (a snapshot's bytes are not read, only its size). */
function sparse(path: string, bytes: number, mtimeMs = Date.now()): void {
  const fd = openSync(path, 'w');
  ftruncateSync(fd, bytes);
  closeSync(fd);
  utimesSync(path, mtimeMs / 1000, mtimeMs / 1000);
}

/** Milliseconds since boot now: what raft's uv_now() writes into a snapshot's name. */
const sinceBoot = () => Math.round(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000);

/**
 * A backend as raft leaves it: segments, open-*, the node store, and snapshots (taken agoSeconds
 * ago, by mtime) named snapshot-<term>-<index>-<ms since boot> with their .meta.
 */
function backend(snapshots: { mb: number; agoSeconds: number }[], dir = scratch()): string {
  sparse(join(dir, '0000000012981761-0000000012982784'), 8 * MB);
  sparse(join(dir, 'open-1'), 8 * MB);
  for (const f of ['cluster.yaml', 'info.yaml', 'cluster.crt', 'cluster.key', 'metadata1', 'metadata2', 'failure-domain'])
    writeFileSync(join(dir, f), 'x\n');
  let index = 12982784;
  // One moment for all of them: their stamps are then exactly the ages asked for apart (read per
  // file, writing a 60 MB file in between made 10 s come out 10.014 s on a loaded machine).
  const [boot, now] = [sinceBoot(), Date.now()];
  for (const s of snapshots) {
    index += 1024;
    const name = `snapshot-1-${index}-${Math.max(1, boot - s.agoSeconds * 1000)}`;
    sparse(join(dir, name), Math.round(s.mb * MB), now - s.agoSeconds * 1000);
    writeFileSync(join(dir, `${name}.meta`), 'meta');
  }
  return dir;
}

const state = (dir: string) =>
  readdirSync(dir)
    .map((n) => `${n} ${statSync(join(dir, n)).size} ${statSync(join(dir, n)).mtimeMs}`)
    .sort();

// Where the host's own free space is not what a test judges: this machine's disk may be fuller
// than the default -w/-c for free space, and a test must not depend on it.
const ANY_DISK = ['--free-warning', '0', '--free-critical', '0'];

describe('check_dqlite_storage', () => {
  it('newest snapshot 237 MB: CRITICAL; 12.7 MB: OK; the directory is left as it was', async () => {
    const bloated = backend([
      { mb: 230, agoSeconds: 1500 },
      { mb: 237, agoSeconds: 300 },
    ]);
    const before = state(bloated);
    const r = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', bloated]);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^DQLITE-STORAGE CRITICAL - newest snapshot 237 MB: each snapshot writes and ships the whole database/);
    // Perfdata in bytes, B (every reader's bytes; Icinga 2 reads MB as 1000 * 1000), -w 50 -c 150 MB among them.
    expect(r.perf.snapshot_size).toBe(`${237 * MB}B;${50 * MB};${150 * MB};0`);
    expect(r.perf.snapshot_interval).toMatch(/^1200(\.\d)?s;;;0$/);
    expect(r.stdout).toMatch(/restoring into the existing datastore shrinks nothing/);
    expect(state(bloated)).toEqual(before);
    // The defaults themselves, free space included: this one run reads the host's disk as it is
    // (a machine with under 20% free there is WARNING by those defaults, rightly: not judged here).
    const dir = backend([{ mb: 12.7, agoSeconds: 900 }]);
    const disk = statfsSync(dir);
    if (disk.bavail / disk.blocks < 0.22) {
      console.warn(`check_dqlite_storage defaults not judged: under 22% free on ${dir}'s disk`);
      return;
    }
    const healthy = await runBuilt('check_dqlite_storage', ['--backend-dir', dir]);
    expect(healthy.code).toBe(0);
    expect(healthy.first).toMatch(
      pattern(
        /^DQLITE-STORAGE OK - newest snapshot 12\.7 MB, one snapshot, no cadence yet, [\d.]+% /,
        new RegExp(`free on \\S+ \\| snapshot_size=${Math.round(12.7 * MB)}B;52428800;157286400;0 snapshot_interval=U;;;0 `),
        new RegExp(`snapshots_per_hour=U;;;0 free_pct=[\\d.]+%;20:;10:;0;100 free=\\d+B;;${2 * Math.round(12.7 * MB)}:;0 `),
        // Two 8 MB raft files, seven of 2 bytes, the snapshot and its 4-byte .meta.
        new RegExp(`backend_size=${16 * MB + 14 + Math.round(12.7 * MB) + 4}B;;;0$`),
      ),
    );
  });

  it('60 MB snapshots 2 minutes apart: large AND frequent, CRITICAL; the same an hour apart: WARNING; small and frequent: OK', async () => {
    const storm = await runBuilt('check_dqlite_storage', [
      ...ANY_DISK,
      '--backend-dir',
      backend([
        { mb: 60, agoSeconds: 200 },
        { mb: 60, agoSeconds: 80 },
      ]),
    ]);
    expect(storm.code).toBe(2);
    expect(storm.first).toMatch(
      pattern(
        /^DQLITE-STORAGE CRITICAL - newest snapshot 60 MB, every 2m \(more than one per 5m\): /,
        /each snapshot writes and ships the whole database \(newest snapshot 60 MB, every /,
        /2m \(30\/h\), /,
      ),
    );
    expect(storm.perf.snapshot_interval).toBe('120s;;;0');
    expect(storm.perf.snapshots_per_hour).toBe('30;;;0');
    const rare = backend([
      { mb: 60, agoSeconds: 3800 },
      { mb: 60, agoSeconds: 200 },
    ]);
    expect((await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', rare])).code).toBe(1);
    expect((await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', rare, '--min-interval', '2h'])).code).toBe(2);
    const small = await runBuilt('check_dqlite_storage', [
      ...ANY_DISK,
      '--backend-dir',
      backend([
        { mb: 2, agoSeconds: 20 },
        { mb: 2, agoSeconds: 10 },
      ]),
    ]);
    expect(small.code).toBe(0);
    expect(small.first).toMatch(/^DQLITE-STORAGE OK - newest snapshot 2 MB, every 10s \(360\/h\), /);
  });

  it('snapshots 4 s apart 3 hours ago, none since: the line says until when that cadence held, not "900/h" as of now', async () => {
    const quiet = backend([
      { mb: 12, agoSeconds: 10_804 },
      { mb: 12, agoSeconds: 10_800 },
    ]);
    const r = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', quiet]);
    expect(r.code, r.stdout).toBe(0);
    // 3h, or 3h0m where the check started a second or more after the files were stamped.
    expect(r.first).toMatch(/^DQLITE-STORAGE OK - newest snapshot 12 MB, every 4s until 3h(0m)? ago, none since, [\d.]+% free on /);
    expect(r.perf.snapshot_interval).toBe('4s;;;0');
    expect(r.perf.snapshots_per_hour).toBe('0.3;;;0');
  });

  it('a directory that is not a dqlite backend (no cluster.yaml, no info.yaml): UNKNOWN naming why, not "no snapshot yet"', async () => {
    for (const dir of ['/etc', scratch()]) {
      const r = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', dir]);
      expect(r.code, r.first).toBe(3);
      expect(r.first).toBe(
        `DQLITE-STORAGE UNKNOWN - ${dir} is not a dqlite backend: it holds no cluster.yaml or ` +
          `info.yaml (fix: check --backend-dir (MicroK8s: ` +
          `/var/snap/microk8s/current/var/kubernetes/backend, on a node that runs k8s-dqlite))`,
      );
    }
    // A young datastore with no snapshot yet is a backend: judged (free space), not refused. What
    // makes it one is raft's own files, as a bootstrapped node has them within a second of starting.
    const young = scratch();
    writeFileSync(join(young, 'cluster.yaml'), '- Address: 127.0.0.1:19001\n  ID: 3297041220608546238\n  Role: 0\n');
    writeFileSync(join(young, 'info.yaml'), 'Address: 127.0.0.1:19001\nID: 3297041220608546238\nRole: 0\n');
    writeFileSync(join(young, 'metadata1'), 'x');
    writeFileSync(join(young, '0000000000000001-0000000000000001'), 'x');
    sparse(join(young, 'open-1'), 8 * MB);
    const r = await runBuilt('check_dqlite_storage', ['--backend-dir', young, '--free-warning', '0', '--free-critical', '0']);
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^DQLITE-STORAGE OK - no snapshot yet, /);
  });

  it('the node store alone (no metadata, no segment, no snapshot): UNKNOWN, nothing judged as if it were a young datastore', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'cluster.yaml'), '- Address: 127.0.0.1:19001\n  ID: 3297041220608546238\n  Role: 0\n');
    writeFileSync(join(dir, 'info.yaml'), 'Address: 127.0.0.1:19001\nID: 3297041220608546238\nRole: 0\n');
    const r = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', dir]);
    expect(r.code, r.first).toBe(3);
    expect(
      r.first.startsWith(`DQLITE-STORAGE UNKNOWN - no raft data in ${dir}: this node keeps no copy of the database to judge`),
      r.first,
    ).toBe(true);
    expect(r.first).not.toMatch(/no snapshot yet/);
    // Free space is still measured: a full disk under it is still said.
    expect(r.perf.free_pct).toMatch(/%;0:;0:;0;100$/);
  });

  it("a spare's raft data, left from when it voted (its own cluster.yaml says Role 2): never judged as the database", async () => {
    // As go-dqlite leaves a voter demoted to spare (a 3-node cluster down to 2): its segments and
    // snapshots stay, no longer replicated; its cluster.yaml, refreshed from the leader, names it
    // a spare, while info.yaml keeps the role it joined with.
    const dir = backend([
      { mb: 12, agoSeconds: 7200 },
      { mb: 12, agoSeconds: 3600 },
    ]);
    const store = (role: number) => {
      writeFileSync(
        join(dir, 'cluster.yaml'),
        '- Address: 10.0.0.11:19001\n  ID: 3297041220608546238\n  Role: 0\n' +
          `- Address: 10.0.0.12:19001\n  ID: 6526067977148479648\n  Role: ${role}\n`,
      );
      writeFileSync(join(dir, 'info.yaml'), 'Address: 10.0.0.12:19001\nID: 6526067977148479648\nRole: 0\n');
    };
    store(2);
    // Its raft wrote nothing since the demotion: a spare's raft takes no entries (a raft file
    // written after cluster.yaml names it a spare says it was promoted since).
    const voted = (Date.now() - 3600_000) / 1000;
    for (const f of ['0000000012981761-0000000012982784', 'open-1', 'metadata1', 'metadata2']) utimesSync(join(dir, f), voted, voted);
    const r = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', dir]);
    // OK, saying what it is: a spare has no copy of the database to judge, by design (a standing
    // UNKNOWN on the healthy second node of two would say otherwise); free space still judged.
    expect(r.code, r.stdout).toBe(0);
    expect(r.first).toMatch(/^DQLITE-STORAGE OK - a dqlite spare: no copy of the database here, [\d.]+% free on /);
    expect(r.perf.snapshot_size).toBe('U;;;0');
    expect(r.stdout).toContain(`${dir} is a dqlite spare's (its cluster.yaml says Role 2): a spare neither votes nor replicates`);
    expect(r.stdout).not.toMatch(/snapshot-\d/);
    // The same files, the node a voter: judged as before.
    store(0);
    const voter = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', dir]);
    expect(voter.code, voter.stdout).toBe(0);
    expect(voter.first).toMatch(/^DQLITE-STORAGE OK - newest snapshot 12 MB, every 1h /);
    // An info.yaml naming no member of a cluster.yaml that lists members: go-dqlite rewrote the file
    // from the leader's list, which names this node no more (removed: seen on a real dqlite-demo
    // node, below). Its files are leftovers, never judged as the database.
    writeFileSync(join(dir, 'info.yaml'), 'Address: 10.0.0.13:19001\nID: 1457592935328471324\nRole: 0\n');
    const unlisted = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', dir]);
    expect(unlisted.code, unlisted.stdout).toBe(3);
    expect(unlisted.first).toContain(
      'UNKNOWN - this node (10.0.0.13:19001) is not a member of the dqlite cluster (its cluster.yaml, which go-dqlite rewrote ',
    );
    expect(unlisted.perf.snapshot_size).toBe('U;;;0');
  });

  it('stray snapshot files (no .meta, huge name numbers, empty) hide nothing: the 200 MB snapshot is judged', async () => {
    const dir = backend([
      { mb: 190, agoSeconds: 1500 },
      { mb: 200, agoSeconds: 300 },
    ]);
    sparse(join(dir, 'snapshot-1-99999999-99999999999'), 1024);
    writeFileSync(join(dir, 'snapshot-1-99999998-99999999998.meta'), 'meta');
    sparse(join(dir, 'snapshot-1-99999998-99999999998'), 0);
    const r = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^DQLITE-STORAGE CRITICAL - newest snapshot 200 MB/);
    expect(r.stdout).toMatch(/ignored snapshot-1-99999999-99999999999: no \.meta beside it/);
    expect(r.stdout).toMatch(/ignored snapshot-1-99999998-99999999998\.meta: its data file is empty: being written/);
  });

  it('snapshots are ordered by index, never by mtime: an older one touched later is not the newest, and times nothing', async () => {
    // A backend copied file by file (a restore, a move to another disk) is stamped anew in no order raft knows.
    const dir = backend([
      { mb: 200, agoSeconds: 1500 },
      { mb: 12, agoSeconds: 1200 },
    ]);
    const [older, newer] = readdirSync(dir)
      .filter((n) => /^snapshot-\d+-\d+-\d+$/.test(n))
      .sort((a, b) => Number(a.split('-')[2]) - Number(b.split('-')[2]));
    const touched = (Date.now() - 60_000) / 1000;
    utimesSync(join(dir, older!), touched, touched);
    const r = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', dir]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.first).toMatch(/^DQLITE-STORAGE OK - newest snapshot 12 MB, cadence unknown, /);
    expect(r.perf.snapshot_size).toBe(`${12 * MB}B;${50 * MB};${150 * MB};0`);
    expect(r.perf.snapshot_interval).toBe('U;;;0');
    expect(r.stdout).toContain(`cadence unknown: ${newer} is not newer on disk than ${older}`);
  });

  // Root's 0700 backend, as MicroK8s leaves it: nagios can neither list nor enter it. Readable but
  // not searchable (0704, an ACL of r alone), the names were listed and none could be looked at:
  // that was an internal error (lstat EACCES). Either way the directory is named, with rx as the fix,
  // never "no snapshot yet" or "not a dqlite backend"; --freelist asks no CLI then.
  it.skipIf(!nagios)('a backend directory nagios cannot enter: UNKNOWN naming it, with the least-privilege fix', async () => {
    const asNagios = { uid: nagios!.uid, gid: nagios!.gid, env: { PATH: '/usr/bin:/bin', HOME: tmpdir() } };
    const fixOf = (dir: string) => `(fix: give user nagios read access to ${dir}: sudo setfacl -m u:nagios:rx ${dir})`;
    for (const mode of ['700', '704']) {
      const dir = backend([{ mb: 12, agoSeconds: 60 }]);
      execFileSync('chmod', [mode, dir]);
      for (const extra of [[], ['--freelist', '--dqlite-bin', DQLITE_CLI]]) {
        const r = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', dir, ...extra], asNagios);
        expect(r.code, r.stdout).toBe(3);
        expect(r.first).toBe(
          `DQLITE-STORAGE UNKNOWN - cannot enter the dqlite backend directory ${dir} (root:root 0${mode}): permission denied ` +
            `for user nagios ${fixOf(dir)}`,
        );
      }
    }
    // Searchable, not readable (0711): entered, not listed. Said as every denied path is (lib/files.ts
    // deniedAt), a fix that can be pasted: the user and the directory, never 'nagios' and '<backend>'.
    const dir = backend([{ mb: 12, agoSeconds: 60 }]);
    execFileSync('chmod', ['711', dir]);
    const r = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', dir], asNagios);
    expect(r.code, r.stdout).toBe(3);
    expect(r.first).toBe(
      `DQLITE-STORAGE UNKNOWN - cannot list ${dir}: permission denied for user nagios: it (root:root 0711) cannot be read ${fixOf(dir)}`,
    );
    const asNobody = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', dir], { ...asNagios, uid: 65534, gid: 65534 });
    expect(asNobody.first).toBe(
      `DQLITE-STORAGE UNKNOWN - cannot list ${dir}: permission denied for user nobody: it (root:root 0711) cannot be read ` +
        `(fix: give user nobody read access to ${dir}: sudo setfacl -m u:nobody:rx ${dir})`,
    );
  });

  // The backend listable by the check's user, its cluster.yaml not readable (the list ACL given, not
  // the read one), no TLS files: the CLI, run as that user, fails on the store. Said with the fix
  // the check gives every other file it cannot read, not as the CLI's failure alone.
  it.skipIf(process.getuid?.() !== 0 || !existsSync(DQLITE_CLI))(
    '--freelist without TLS files, cluster.yaml unreadable: UNKNOWN for --freelist with the fix, the snapshots judged',
    async () => {
      const dir = backend([{ mb: 12, agoSeconds: 900 }]);
      for (const f of ['cluster.crt', 'cluster.key']) execFileSync('rm', [join(dir, f)]);
      execFileSync('chmod', ['755', dir]);
      execFileSync('chmod', ['000', join(dir, 'cluster.yaml')]);
      const r = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', dir, '--freelist', '--dqlite-bin', DQLITE_CLI], {
        uid: 65534,
        gid: 65534,
        env: { PATH: '/usr/bin:/bin', HOME: tmpdir() },
      });
      expect(r.code, r.stdout).toBe(3);
      expect(r.first).toMatch(
        new RegExp(
          `^DQLITE-STORAGE UNKNOWN - --freelist: the dqlite CLI cannot read ${dir}/cluster\\.yaml: permission denied for user nobody: ` +
            `it \\(root:root 0000\\) cannot be read \\(fix: give user nobody read access to ${dir}/cluster\\.yaml: ` +
            `sudo setfacl -m u:nobody:r ${dir}/cluster\\.yaml, ` +
            `or ask as root: --sudo with a sudoers line for this command line\\) ` +
            `\\(newest snapshot 12 MB, `,
        ),
      );
      expect(r.perf.freelist_pct).toBe('U;~:50;;0;100');
    },
  );

  it('no backend directory at all (not a MicroK8s node, a mistyped --backend-dir): UNKNOWN saying so in words', async () => {
    const dir = join(scratch(), 'backend');
    const r = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', dir]);
    expect(r.code).toBe(3);
    // Not Node's "ENOENT: no such file or directory, scandir '...'", the path said twice.
    expect(r.first).toBe(
      `DQLITE-STORAGE UNKNOWN - cannot list ${dir}: no such directory (fix: run the check on a MicroK8s node, or give --backend-dir)`,
    );
    // A file given as the directory (a path to a file in it, a database): in words too, not ENOTDIR and scandir.
    const file = join(scratch(), 'cluster.yaml');
    writeFileSync(file, '');
    const notDir = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', file]);
    expect(notDir.code).toBe(3);
    expect(notDir.first).toBe(
      `DQLITE-STORAGE UNKNOWN - cannot list ${file}: it is a file, not a directory ` +
        '(fix: run the check on a MicroK8s node, or give --backend-dir)',
    );
  });

  /**
   * A stand-in for the v2/v3 dqlite CLI (not packaged here), answering the two pragma SELECTs as
   * go-dqlite prints them since v2.0.0 ("feat: tab writer", canonical/go-dqlite#314; v3
   * internal/shell/shell.go processQuery): tabwriter.NewWriter(&sb, 0, 8, 1, '\t', 0), a header
   * row of the column names, then the rows, each cell written as "%v\t", the whole trimmed of
   * its last newline and printed with fmt.Println (cmd/dqlite/dqlite.go). With tabs as padding
   * a cell is padded to the column's width (widest cell + 1, rounded up to 8) in whole tabs:
   * "page_count" (10) takes one tab, "268790" two.
   */
  function v2Cli(pages: string, free: string): { cli: string; log: string } {
    const cli = join(scratch(), 'dqlite');
    const log = `${cli}.log`;
    writeFileSync(
      cli,
      [
        '#!/bin/sh',
        `printf '%s\\n' "$*" >> "${log}"`,
        'for last; do :; done',
        'case "$last" in',
        `  *pragma_page_count*) printf 'page_count\\t\\n%s\\t\\t\\n' '${pages}' ;;`,
        `  *pragma_freelist_count*) printf 'freelist_count\\t\\n%s\\t\\t\\n' '${free}' ;;`,
        '  *) echo "Error: unexpected command" >&2; exit 1 ;;',
        'esac',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    return { cli, log };
  }

  it('--freelist through a v2/v3 CLI (a header row, tab-padded cells): read by column name; 96% free is WARNING', async () => {
    const dir = backend([{ mb: 12.7, agoSeconds: 900 }]);
    const { cli, log } = v2Cli('268790', '257710');
    const r = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', dir, '--freelist', '--dqlite-bin', cli]);
    expect(r.code, r.stdout).toBe(1);
    expect(r.first).toMatch(/^DQLITE-STORAGE WARNING - 95\.9% of the database is free pages \(257710 of 268790\)/);
    expect(r.perf.freelist_pct).toBe('95.9%;~:50;;0;100');
    // Two read-only SELECTs, each naming its column, with the backend's TLS pair, database k8s.
    const tls = `-s file://${dir}/cluster.yaml -c ${dir}/cluster.crt -k ${dir}/cluster.key k8s`;
    expect(readFileSync(log, 'utf8').split('\n').filter(Boolean).sort()).toEqual([
      `${tls} SELECT freelist_count FROM pragma_freelist_count()`,
      `${tls} SELECT page_count FROM pragma_page_count()`,
    ]);
  });

  it("--freelist asks the leader for the role beside the two SELECTs, not after them: a slow CLI costs one answer's time", async () => {
    // The v1 CLI dials the voters one at a time, 5 s each, so one powered-off voter makes every
    // question take that long: asked one after the other, -t 10 was spent before .cluster answered.
    const dir = backend([{ mb: 12.7, agoSeconds: 900 }]);
    const [id, address] = ['6526067977148479648', '10.0.0.12:19001'];
    writeFileSync(join(dir, 'info.yaml'), `Address: ${address}\nID: ${id}\nRole: 0\n`);
    writeFileSync(join(dir, 'cluster.yaml'), `- Address: ${address}\n  ID: ${id}\n  Role: 0\n`);
    const cli = join(scratch(), 'dqlite');
    writeFileSync(
      cli,
      [
        '#!/bin/sh',
        'sleep 2.5',
        'for last; do :; done',
        'case "$last" in',
        "  *pragma_page_count*) printf 'page_count\\t\\n1000\\t\\t\\n' ;;",
        "  *pragma_freelist_count*) printf 'freelist_count\\t\\n10\\t\\t\\n' ;;",
        `  .cluster) echo '${BigInt(id).toString(16)}|${address}|voter' ;;`,
        '  *) echo "Error: unexpected command" >&2; exit 1 ;;',
        'esac',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const r = await runBuilt('check_dqlite_storage', [...ANY_DISK, '-t', '4', '--backend-dir', dir, '--freelist', '--dqlite-bin', cli]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain("this node's dqlite role: voter, as the dqlite leader lists it (.cluster)");
    expect(r.stdout).toContain('10 of 1000 database pages free');
  });

  it("--freelist, the CLI failing both questions: page_count's failure is the reason, though freelist_count's came sooner", async () => {
    const dir = backend([{ mb: 12.7, agoSeconds: 900 }]);
    const cli = join(scratch(), 'dqlite');
    writeFileSync(
      cli,
      [
        '#!/bin/sh',
        'for last; do :; done',
        'case "$last" in',
        "  *pragma_page_count*) sleep 0.5; echo 'Error: stand-in failure' >&2; exit 1 ;;",
        "  *) echo 'Error: stand-in failure' >&2; exit 1 ;;",
        'esac',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const r = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', dir, '--freelist', '--dqlite-bin', cli]);
    expect(r.code, r.stdout).toBe(3);
    expect(r.first).toMatch(
      /^DQLITE-STORAGE UNKNOWN - --freelist: the dqlite CLI did not answer SELECT page_count FROM pragma_page_count\(\)/,
    );
    // Its UNKNOWN beside the rest, still judged and said.
    expect(r.first).toMatch(/ \(newest snapshot 12\.7 MB, one snapshot, no cadence yet, [\d.]+% free on [^ ]+\) \| /);
  });

  // Quorum lost (a full disk under the backend is one way), the v1 CLI blocks for good: seen on
  // the demo's real dqlite-demo trio with two nodes stopped, 'UNKNOWN - timed out after 6s while asking
  // the dqlite CLI' in 6.2 s, where without --freelist the same backend was CRITICAL.
  it('--freelist, the CLI silent: its UNKNOWN beside the snapshots and free space judged, within -t', async () => {
    const dir = backend([{ mb: 237, agoSeconds: 900 }]);
    const cli = join(scratch(), 'dqlite');
    writeFileSync(cli, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const r = await runBuilt('check_dqlite_storage', [...ANY_DISK, '-t', '3', '--backend-dir', dir, '--freelist', '--dqlite-bin', cli]);
    // Within -t of the check's own start (the CLI's 30 s never waited for): a loaded CI took 3.16 s
    // from exec, Node's start-up beside the check's 3 s.
    expect(r.ms).toBeLessThan(3000 + STARTUP_MS);
    expect(r.code, r.stdout).toBe(2);
    // Silence has more than one cause: on a real trio, one voter powered off (listed first) took the v1
    // CLI 5.2 s with a leader there, and a SIGSTOPped leader held it for good; 'no leader' alone misled.
    // Within -t: the part the CLI got is said, under 3 s (a wall-clock bound failed at 3264 ms on a loaded CI).
    expect(r.first).toMatch(
      pattern(
        /^DQLITE-STORAGE CRITICAL - newest snapshot 237 MB: each snapshot writes and ships the whole database, /,
        // What -t left it after start-up, less its reserve: 2.5 s seen, and 1.9 s on a loaded machine.
        /--freelist: the dqlite CLI gave no answer in (2(\.\d+)?|1\.\d+)s \(it waits while dqlite has no leader or a member /,
        /hangs, and 5s for each voter powered off: see check_dqlite\) /,
      ),
    );
    expect(r.perf.snapshot_size).toBe('248512512B;52428800;157286400;0');
    expect(r.perf.freelist_pct).toBe('U;~:50;;0;100');
    // Not asked at all (no CLI there) likewise: the snapshot's CRITICAL stands, the reason beside it.
    const none = await runBuilt('check_dqlite_storage', [
      ...ANY_DISK,
      '--backend-dir',
      dir,
      '--freelist',
      '--dqlite-bin',
      join(dir, 'none'),
    ]);
    expect(none.code, none.stdout).toBe(2);
    expect(none.first).toContain(
      `, --freelist: the dqlite CLI is not asked: no dqlite CLI at ${join(dir, 'none')} (fix: check --dqlite-bin) (`,
    );
  });

  it('--freelist with an answer that is not a count, or a database that holds nothing: UNKNOWN naming it', async () => {
    const dir = backend([{ mb: 12.7, agoSeconds: 900 }]);
    const garbage = await runBuilt('check_dqlite_storage', [
      ...ANY_DISK,
      '--backend-dir',
      dir,
      '--freelist',
      '--dqlite-bin',
      v2Cli('<nil>', '0').cli,
    ]);
    expect(garbage.code).toBe(3);
    expect(garbage.first).toMatch(
      pattern(
        /^DQLITE-STORAGE UNKNOWN - --freelist: the dqlite CLI answered 'page_count <nil>' to SELECT /,
        /page_count FROM pragma_page_count\(\): not one page_count count/,
      ),
    );
    // The CLI opens (creates) any database it is named: a wrong --database answers 1 page, 0 free.
    const empty = await runBuilt('check_dqlite_storage', [
      ...ANY_DISK,
      '--backend-dir',
      dir,
      '--freelist',
      '--dqlite-bin',
      v2Cli('1', '0').cli,
    ]);
    expect(empty.code).toBe(3);
    expect(
      empty.first.startsWith(
        "DQLITE-STORAGE UNKNOWN - --freelist: database 'k8s' holds no data (page_count 1) (fix: check --database (k8s-dqlite's is k8s)) (",
      ),
    ).toBe(true);
    expect(empty.perf.freelist_pct).toBe('U;~:50;;0;100');
  });

  describe.skipIf(process.getuid?.() !== 0)('on a real small filesystem', () => {
    const mounts: string[] = [];
    afterAll(() => {
      for (const m of mounts) execFileSync('umount', [m]);
    });
    /** A fresh 100 MB tmpfs, or undefined where none can be mounted. */
    const tmpfs = (): string | undefined => {
      const mnt = scratch();
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=100m', 'tmpfs', mnt]);
      } catch {
        console.warn('check_dqlite_storage free-space test: cannot mount a tmpfs here; skipped');
        return undefined;
      }
      mounts.push(mnt);
      return mnt;
    };
    const escaped = (s: string) => s.replace(/[.]/g, '\\.');

    it('8% free: CRITICAL naming the mount; 15%: WARNING', async () => {
      const mnt = tmpfs();
      if (!mnt) return;
      const dir = join(mnt, 'backend');
      mkdirSync(dir);
      backend([{ mb: 5, agoSeconds: 900 }], dir);
      // tmpfs counts allocated pages (the sparse snapshot takes none): fill it for real, to 85% then 92%.
      execFileSync('fallocate', ['-l', '85M', join(mnt, 'fill')]);
      const warn = await runBuilt('check_dqlite_storage', ['--backend-dir', dir]);
      expect(warn.code, warn.first).toBe(1);
      expect(warn.first).toMatch(new RegExp(`^DQLITE-STORAGE WARNING - only 1\\d(\\.\\d)?% free on ${escaped(mnt)} \\(`));
      execFileSync('fallocate', ['-l', '92M', join(mnt, 'fill')]);
      const crit = await runBuilt('check_dqlite_storage', ['--backend-dir', dir]);
      expect(crit.code).toBe(2);
      expect(crit.first).toMatch(new RegExp(`^DQLITE-STORAGE CRITICAL - only \\d(\\.\\d)?% free on ${escaped(mnt)} \\(`));
      // What to do is the disk's: free space there; a 5 MB snapshot is no bloated database to rebuild.
      const todo = crit.stdout.split('\n');
      const at = todo.findIndex((line) => line.startsWith('Free space on '));
      expect(todo.slice(at, at + 3)).toEqual([
        `Free space on ${mnt} before dqlite fails on it (df -h ${mnt}, then sudo du -xh --max-depth=3 ${mnt} to see what fills it),`,
        `  never by deleting files in ${dir}: raft removes its old snapshots and segments itself, and one removed by hand ` +
          "breaks this node's copy of the database.",
        'This check deletes nothing.',
      ]);
      expect(crit.stdout).not.toContain('rebuild');
    });

    it('35% free, yet less than twice the newest snapshot: CRITICAL, the next snapshot would not fit', async () => {
      const mnt = tmpfs();
      if (!mnt) return;
      const dir = join(mnt, 'backend');
      mkdirSync(dir);
      backend([{ mb: 30, agoSeconds: 900 }], dir);
      execFileSync('fallocate', ['-l', '65M', join(mnt, 'fill')]);
      const r = await runBuilt('check_dqlite_storage', ['--backend-dir', dir]);
      expect(r.code, r.first).toBe(2);
      expect(r.first).toMatch(
        new RegExp(
          `^DQLITE-STORAGE CRITICAL - 3\\d(\\.\\d)? MB free on ${escaped(mnt)}: the next snapshot needs about 60 MB \\(twice the newest\\)`,
        ),
      );
      expect(r.perf.free).toMatch(new RegExp(`^\\d+B;;${60 * MB}:;0$`));
      expect(Number.parseInt(r.perf.free!, 10) / MB).toSatisfy((free: number) => free >= 30 && free < 40);
      expect(r.perf.free_pct).toMatch(/^3\d(\.\d+)?%;20:;10:;0;100$/);
    });
  });
});

/** snapshot-<term>-<index>-<ms since boot>, as raft names them. */
const parts = (name: string) => {
  const [, term, index] = /^snapshot-(\d+)-(\d+)-\d+$/.exec(name)!;
  return { term: Number(term), index: Number(index) };
};

describe.skipIf(dqliteUnavailable() !== undefined)('check_dqlite_storage against a real dqlite cluster (dqlite-demo, the v1 CLI)', () => {
  let cluster: DqliteCluster;
  let node: DqliteNode;
  /** The node's two real snapshots, newest (highest index) first, with their mtimes. */
  let real: { name: string; term: number; index: number; mtime: number; size: number }[];

  beforeAll(async () => {
    cluster = await startDqlite(3);
    await cluster.writeUntilSnapshots(2);
    node = cluster.nodes[0]!;
    real = cluster
      .snapshots(node)
      .map((name) => {
        const st = statSync(join(node.backend, name));
        return { name, ...parts(name), mtime: st.mtimeMs, size: st.size };
      })
      .sort((a, b) => b.index - a.index);
  }, 180_000);
  afterAll(async () => cluster?.stop());

  it('real snapshots are dated by their files, never 1970; the interval is the gap between the two kept ones', async () => {
    const [newest, previous] = real;
    const gap = (newest!.mtime - previous!.mtime) / 1000;
    expect(gap).toBeGreaterThan(0);
    // Written seconds apart by the writes before: by now the newest is older than twice that gap (or not yet, on a fast machine).
    const outlived = (Date.now() - newest!.mtime) / 1000 > 2 * gap;
    const r = await runBuilt('check_dqlite_storage', ['--backend-dir', node.backend, '--free-warning', '0', '--free-critical', '0']);
    expect(r.code, r.stdout).toBe(0);
    expect(r.perf.snapshot_interval).toBe(`${Math.round(gap * 10) / 10}s;;;0`);
    if (outlived) {
      expect(r.first).toMatch(/^DQLITE-STORAGE OK - newest snapshot [\d.]+ [KM]B, every [\dhms]+ until [\dhms]+ ago, none since, /);
      // The rate of now: at most one per the newest's age, never the gap's.
      expect(Number(r.perf.snapshots_per_hour!.split(';')[0])).toBeLessThan(3600 / gap);
    } else
      expect(r.first).toMatch(
        /^DQLITE-STORAGE OK - newest snapshot [\d.]+ [KM]B, every [\dhms]+ (\([\d.]+\/h\)|until [\dhms]+ ago, none since), /,
      );
    for (const s of real) expect(r.stdout).toContain(`${s.name}: `);
    for (const s of real) expect(r.stdout).toContain(`written ${isoSeconds(s.mtime)} (index ${s.index}, term ${s.term})`);
    expect(r.stdout).not.toMatch(/\b1970-\d\d-\d\d/);
  });

  it('the real cadence fires the rule: a snapshot over -w written more than once per 5 minutes is CRITICAL', async () => {
    const r = await runBuilt('check_dqlite_storage', [
      '--backend-dir',
      node.backend,
      '-w',
      '0',
      '--free-warning',
      '0',
      '--free-critical',
      '0',
    ]);
    expect(r.code, r.stdout).toBe(2);
    expect(r.first).toMatch(/^DQLITE-STORAGE CRITICAL - newest snapshot [\d.]+ [KM]B, every [\dhms]+ \(more than one per 5m\): /);
  });

  it('after a reboot the name number restarts: the newer snapshot (higher index, smaller number) is the newest', async () => {
    // Real snapshot files, renamed as a reboot leaves them: the older one taken 3 days after the
    // previous boot, the newer 4 s after this one; dated only by their mtimes, 2 minutes apart.
    const dir = scratch();
    for (const f of ['cluster.yaml', 'info.yaml']) copyFileSync(join(node.backend, f), join(dir, f));
    const [newer, older] = real;
    const place = (s: typeof newer, sinceBoot: number, agoSeconds: number, bytes = s!.size) => {
      const name = `snapshot-${s!.term}-${s!.index}-${sinceBoot}`;
      copyFileSync(join(node.backend, s!.name), join(dir, name));
      copyFileSync(join(node.backend, `${s!.name}.meta`), join(dir, `${name}.meta`));
      truncateSync(join(dir, name), bytes);
      const at = (Date.now() - agoSeconds * 1000) / 1000;
      utimesSync(join(dir, name), at, at);
      return name;
    };
    place(older, 3 * 86_400_000, 150);
    const newest = place(newer, 4000, 30, 60 * MB);
    const r = await runBuilt('check_dqlite_storage', ['--backend-dir', dir, '--free-warning', '0', '--free-critical', '0']);
    expect(r.code, r.stdout).toBe(2);
    expect(r.first).toMatch(/^DQLITE-STORAGE CRITICAL - newest snapshot 60 MB, every 2m \(more than one per 5m\)/);
    expect(r.perf.snapshot_interval).toBe('120s;;;0');
    expect(r.stdout).toContain(`${newest}: 60 MB, written ${isoSeconds(statSync(join(dir, newest)).mtimeMs)}`);
    expect(r.stdout).not.toMatch(/\b1970-\d\d-\d\d/);
  });

  it('--freelist through the real v1 CLI (rows without a header) with --database demo, asked without TLS', async () => {
    const r = await runBuilt('check_dqlite_storage', [
      '--backend-dir',
      node.backend,
      '--freelist',
      '--database',
      'demo',
      '--dqlite-bin',
      DQLITE_CLI,
      '--free-warning',
      '0',
      '--free-critical',
      '0',
    ]);
    expect(r.code, r.stdout).toBe(0);
    const pages = Number(cluster.cli(node, 'SELECT page_count FROM pragma_page_count()'));
    const free = Number(cluster.cli(node, 'SELECT freelist_count FROM pragma_freelist_count()'));
    expect(pages).toBeGreaterThan(1);
    expect(r.stdout).toContain(`${free} of ${pages} database pages free`);
    expect(r.perf.freelist_pct).toBe(`${Math.round((1000 * free) / pages) / 10}%;~:50;;0;100`);
    expect(r.stdout).toContain(`dqlite CLI asked without TLS: no cluster.crt or cluster.key in ${node.backend}`);
  });

  it('the data directory above the backend is not a backend: UNKNOWN', async () => {
    const r = await runBuilt('check_dqlite_storage', ['--backend-dir', node.dataDir]);
    expect(r.code).toBe(3);
    expect(r.first).toMatch(/is not a dqlite backend: it holds no cluster\.yaml or info\.yaml/);
  });
});

describe.skipIf(dqliteUnavailable() !== undefined)('check_dqlite_storage on a real voter demoted to spare', () => {
  let cluster: DqliteCluster;
  let spare: DqliteNode;

  beforeAll(async () => {
    // A 3-node cluster down to 2 (a node removed): go-dqlite's leader keeps one voter below three
    // nodes and demotes the other to spare (app/roles.go), whose raft data stays where it was.
    cluster = await startDqlite(3);
    await cluster.write(1100);
    const gone = cluster.nodes[2]!;
    await gone.stop();
    cluster.cli(cluster.leader()!, `.remove ${gone.address}`);
    const first = cluster.nodes[0]!;
    await cluster.until(() => cluster.members(first).some((m) => m.role === 'spare'), 90_000, 'a spare');
    spare = cluster.nodes.find((n) => cluster.members(first).find((m) => m.address === n.address)?.role === 'spare')!;
    // Its own cluster.yaml names it a spare once go-dqlite rewrites it from the leader after the
    // demotion (the one it wrote when it joined, before its promotion, named it a spare too).
    const demotedAt = Date.now();
    await cluster.until(() => ownFile(spare).role === 'spare' && ownFile(spare).mtime > demotedAt, 60_000, 'the node store');
  }, 180_000);
  afterAll(async () => cluster?.stop());

  it('its stale snapshots are not the database: OK as a spare, pointing at a voter, never judged', async () => {
    expect(cluster.snapshots(spare).length).toBeGreaterThan(0);
    const r = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', spare.backend]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.first).toMatch(/^DQLITE-STORAGE OK - a dqlite spare: no copy of the database here, /);
    expect(r.perf.snapshot_size).toBe('U;;;0');
    expect(r.stdout).toContain(`${spare.backend} is a dqlite spare's (its cluster.yaml says Role 2): `);
  });
});

/** This node's role as its own cluster.yaml says, and when go-dqlite last wrote that file (ms since the epoch). */
function ownFile(node: DqliteNode): { role?: string; mtime: number } {
  const file = join(node.backend, 'cluster.yaml');
  if (!existsSync(file)) return { mtime: 0 };
  const mtime = statSync(file).mtimeMs;
  return { role: parseNodeYaml(readFileSync(file, 'utf8'), file).find((m) => m.address === node.address)?.role, mtime };
}

/** A node's role as the leader lists it (`.cluster`, asked through the first running node). */
const liveRole = (c: DqliteCluster, node: DqliteNode) =>
  c.members(c.nodes.find((n) => n.running)!).find((m) => m.address === node.address)?.role;

// A node removed from the dqlite cluster (`.remove`, which microk8s remove-node asks of the leader
// from another node) while its dqlite runs on: its go-dqlite still finds the leader through its cluster.yaml
// and rewrites that file from the leader's list, which names it no more (app/app.go, "Refresh our
// node store"), while its raft files stay as they were: seen on a real dqlite-demo trio, 1200 more
// writes to the cluster (more snapshots on its members) changed none of them in 40 s.
describe.skipIf(dqliteUnavailable() !== undefined)('check_dqlite_storage on a real node removed from the dqlite cluster', () => {
  let cluster: DqliteCluster;
  let removed: DqliteNode;
  const cliArgs = ['--database', 'demo', '--dqlite-bin', DQLITE_CLI];

  beforeAll(async () => {
    cluster = await startDqlite(3);
    await cluster.writeUntilSnapshots(2);
    const leader = cluster.leader()!;
    removed = cluster.nodes.find((n) => n !== leader)!;
    const removedAt = Date.now();
    cluster.cli(leader, `.remove ${removed.address}`);
    await cluster.until(() => !cluster.members(leader).some((m) => m.address === removed.address), 30_000, 'the leader to drop it');
    await cluster.until(
      () => ownFile(removed).mtime > removedAt && ownFile(removed).role === undefined,
      60_000,
      'its cluster.yaml rewritten without it',
    );
  }, 180_000);
  afterAll(async () => cluster?.stop());

  it('its leftover snapshots are not the cluster\'s storage: UNKNOWN "not a member", as check_dqlite says, never OK', async () => {
    expect(cluster.snapshots(removed).length).toBeGreaterThan(0);
    const dqlite = await runBuilt('check_dqlite', ['--backend-dir', removed.backend, ...cliArgs]);
    expect(dqlite.first).toContain(`this node (${removed.address}) is not a member of the dqlite cluster: removed from it?`);
    // Its own cluster.yaml, rewritten from the leader's list without it, is enough: no CLI asked.
    const r = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', removed.backend]);
    expect(r.code, r.stdout).toBe(3);
    expect(r.first).toMatch(
      pattern(
        new RegExp(`^DQLITE-STORAGE UNKNOWN - this node \\(${removed.address.replace(/\./g, '\\.')}\\) is not a member of the dqlite `),
        /cluster \(its cluster\.yaml, which go-dqlite rewrote [\dhms]+ ago from the dqlite leader's list, names no member with /,
        /its ID or address\): /,
      ),
    );
    expect(r.first).toContain(`the raft files in ${removed.backend} are leftovers the cluster no longer writes, not its storage (fix: `);
    expect(r.perf.snapshot_size).toBe('U;;;0');
    expect(r.perf.snapshots_per_hour).toBe('U;;;0');
    // With --freelist the leader is asked anyway, and its word is the same.
    const live = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', removed.backend, '--freelist', ...cliArgs]);
    expect(live.code, live.stdout).toBe(3);
    expect(live.first).toContain(
      `UNKNOWN - this node (${removed.address}) is not a member of the dqlite cluster (the dqlite leader lists no member with ` +
        'its ID or address (.cluster)): ',
    );
    // A member beside it is judged as before.
    const member = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', cluster.leader()!.backend]);
    expect(member.code, member.stdout).toBe(0);
    expect(member.first).toMatch(/^DQLITE-STORAGE OK - newest snapshot [\d.]+ [KM]B, /);
  });
});

// go-dqlite's app rewrites a node's cluster.yaml from the leader's list once per round of its run
// loop (app/app.go run: "Refresh our node store", every RolesAdjustmentFrequency, 30 s by default,
// which k8s-dqlite and dqlite-demo leave as it is), and only while it runs and finds a leader; the
// role changes of a round come after its refresh. A node promoted or demoted, then stopped (a
// crash loop, a powered-off node) before its next round, keeps a cluster.yaml naming the old role.
describe.skipIf(dqliteUnavailable() !== undefined)('check_dqlite_storage on a real node whose cluster.yaml names a role it left', () => {
  let promotedCluster: DqliteCluster;
  let demotedCluster: DqliteCluster;
  /** A spare promoted to voter, then killed before go-dqlite rewrote its cluster.yaml. */
  let promoted: DqliteNode;
  /** A voter killed, then demoted to spare by the leader while down. */
  let demoted: DqliteNode;
  const cliArgs = ['--freelist', '--database', 'demo', '--dqlite-bin', DQLITE_CLI];

  async function promote(): Promise<void> {
    promotedCluster = new DqliteCluster(3);
    const c = promotedCluster;
    const [first, second, third] = c.nodes as [DqliteNode, DqliteNode, DqliteNode];
    first.start();
    await c.until(() => c.cli(first, '.leader') === first.address, 30_000, 'the first node to lead');
    // Two nodes: one voter, the other a spare (app/roles.go), its own cluster.yaml saying so.
    second.start(first.address);
    await c.until(() => ownFile(second).role === 'spare', 30_000, 'the second node to join as a spare');
    await c.write(1100);
    // Started right after the spare's own round, the promotion comes well before its next one.
    const written = ownFile(second).mtime;
    await c.until(() => ownFile(second).mtime !== written, 45_000, "the spare's next rewrite of its cluster.yaml");
    third.start(first.address);
    const roleOf = (n: DqliteNode) => c.members(first).find((m) => m.address === n.address)?.role;
    await c.until(() => roleOf(second) === 'voter' && c.snapshots(second).length > 0, 25_000, 'the spare promoted, holding a snapshot');
    await second.stop('SIGKILL');
    if (ownFile(second).role !== 'spare') throw new Error('the promoted node rewrote its cluster.yaml before it was killed');
    promoted = second;
  }

  async function demote(): Promise<void> {
    demotedCluster = new DqliteCluster(4);
    const c = demotedCluster;
    const [first, second, third, fourth] = c.nodes as [DqliteNode, DqliteNode, DqliteNode, DqliteNode];
    first.start();
    await c.until(() => c.cli(first, '.leader') === first.address, 30_000, 'the first node to lead');
    second.start(first.address);
    third.start(first.address);
    await c.until(() => c.members(first).filter((m) => m.role === 'voter').length === 3, 60_000, 'three voters');
    await c.write(1100);
    // Killed once its own cluster.yaml names it a voter; a fourth node then takes its vote, and
    // the leader demotes the dead one to spare (app/roles.go: an offline voter, with enough online).
    await c.until(() => ownFile(third).role === 'voter', 45_000, "the third node's cluster.yaml to name it a voter");
    await third.stop('SIGKILL');
    fourth.start(first.address);
    await c.until(
      () => c.members(first).find((m) => m.address === third.address)?.role === 'spare',
      90_000,
      'the dead voter demoted to spare',
    );
    demoted = third;
  }

  beforeAll(async () => {
    await Promise.all([promote(), demote()]);
  }, 240_000);
  afterAll(async () => {
    await promotedCluster?.stop();
    await demotedCluster?.stop();
  });

  it('a spare promoted to voter, its cluster.yaml still naming it a spare: its database is judged, never OK as a spare', async () => {
    expect(liveRole(promotedCluster, promoted)).toBe('voter');
    expect(ownFile(promoted).role).toBe('spare');
    // Without the CLI: raft wrote its snapshot after go-dqlite last wrote that cluster.yaml, which
    // a spare's raft never does (it takes no entries): the file's word is not taken.
    const r = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', promoted.backend]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.first).toMatch(/^DQLITE-STORAGE OK - newest snapshot [\d.]+ [KM]B, /);
    expect(r.perf.snapshot_size).toMatch(/^\d+B;52428800;157286400;0$/);
    expect(r.stdout).toMatch(
      pattern(
        /^this node's dqlite role not established \(its cluster\.yaml says spare, yet raft wrote \S+ [\dhms]+ after /m,
        /go-dqlite last rewrote it: a spare's raft takes no entries, so it was promoted since, or its log was /,
        /closed as it stopped\): a spare's stale copy is not told apart$/,
      ),
    );
    // With --freelist the CLI is asked anyway: the leader's word is the role.
    const live = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', promoted.backend, ...cliArgs]);
    expect(live.code, live.stdout).toBe(0);
    expect(live.first).toMatch(/^DQLITE-STORAGE OK - newest snapshot [\d.]+ [KM]B, /);
    expect(live.stdout).toMatch(
      pattern(
        /^this node's dqlite role: voter, as the dqlite leader lists it \(\.cluster\); /m,
        /its cluster\.yaml, rewritten [\dhms]+ ago, says spare$/,
      ),
    );
  });

  it('a voter demoted to spare while down, its cluster.yaml still naming it a voter: with the CLI, OK as a spare', async () => {
    expect(liveRole(demotedCluster, demoted)).toBe('spare');
    expect(ownFile(demoted).role).toBe('voter');
    expect(demotedCluster.snapshots(demoted).length).toBeGreaterThan(0);
    const live = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', demoted.backend, ...cliArgs]);
    expect(live.code, live.stdout).toBe(0);
    expect(live.first).toMatch(/^DQLITE-STORAGE OK - a dqlite spare: no copy of the database here, /);
    expect(live.perf.snapshot_size).toBe('U;;;0');
    expect(live.stdout).toContain(`${demoted.backend} is a dqlite spare's (the dqlite leader lists it so): a spare neither votes`);
    expect(live.stdout).toMatch(
      pattern(
        /^this node's dqlite role: spare, as the dqlite leader lists it \(\.cluster\); /m,
        /its cluster\.yaml, rewritten [\dhms]+ ago, says voter$/,
      ),
    );
    // Without the CLI the file is all there is, and it was rewritten within go-dqlite's last rounds:
    // taken, and said with its age (the snapshots judged as a voter's).
    const r = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', demoted.backend]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.first).toMatch(/^DQLITE-STORAGE OK - newest snapshot [\d.]+ [KM]B, /);
    expect(r.stdout).toMatch(/^this node's dqlite role: voter, as its cluster\.yaml says \(go-dqlite rewrote it [\dhms]+ ago\)$/m);
  });
});

// A dqlite member's backend before it holds any raft data, as go-dqlite leaves it (app/app.go): a
// node that is joining writes cluster.yaml (the addresses to join), info.yaml and `join`, and only
// the leader adding it removes `join`; a spare (the second node of two, or any beyond 3 voters and
// 3 stand-bys: app/roles.go) neither votes nor replicates, so raft writes nothing there at all.
describe.skipIf(dqliteUnavailable() !== undefined)('check_dqlite_storage on a real dqlite member with no raft data', () => {
  let cluster: DqliteCluster;
  let joining: DqliteCluster;

  beforeAll(async () => {
    cluster = await startDqlite(2);
    await cluster.write(64);
    // A node told to join a member that never answers: its join never completes.
    joining = new DqliteCluster(2);
    joining.nodes[1]!.start(joining.nodes[0]!.address);
    await joining.until(() => existsSync(join(joining.nodes[1]!.backend, 'join')), 30_000, 'the join file');
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    await joining?.stop();
  });

  it('the spare of a 2-node cluster: OK saying it keeps no copy of the database (not "no snapshot yet")', async () => {
    const spare = cluster.nodes[1]!;
    expect(cluster.members(cluster.nodes[0]!).find((m) => m.address === spare.address)?.role).toBe('spare');
    // Its own cluster.yaml names it a spare once it is refreshed from the leader.
    await cluster.until(() => /Role: 2/.test(readFileSync(join(spare.backend, 'cluster.yaml'), 'utf8')), 60_000, 'the node store');
    const r = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', spare.backend]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.first).toMatch(/^DQLITE-STORAGE OK - a dqlite spare: no copy of the database here, /);
    expect(r.stdout).toMatch(/\(its cluster\.yaml says Role 2\): [^\n]*check_dqlite says the roles/);
    // Without its role said (the node store naming no spare), the same directory is UNKNOWN: no raft data, nothing judged.
    const other = join(mkdtempSync(join(tmpdir(), 'mk8s-backend-')), 'backend');
    cpSync(spare.backend, other, { recursive: true });
    writeFileSync(join(other, 'cluster.yaml'), readFileSync(join(other, 'cluster.yaml'), 'utf8').replace(/Role: 2/g, 'Role: 0'));
    const unsaid = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', other]);
    expect(unsaid.code, unsaid.stdout).toBe(3);
    expect(unsaid.first).toContain(`UNKNOWN - no raft data in ${other}: this node keeps no copy of the database to judge`);
    // The voter beside it has its raft data: judged as before.
    const voter = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', cluster.nodes[0]!.backend]);
    expect(voter.code, voter.stdout).toBe(0);
  });

  it("the spare's backend, its cluster.yaml not rewritten for 10 minutes (k8s-dqlite stopped there): UNKNOWN, not OK on it", async () => {
    // go-dqlite rewrites it every 30 s while the node runs and reaches the leader: a file that old
    // is the word of a node that has since stopped, or lost the leader, and its role is not taken.
    const spare = cluster.nodes[1]!;
    const other = join(mkdtempSync(join(tmpdir(), 'mk8s-backend-')), 'backend');
    cpSync(spare.backend, other, { recursive: true });
    const written = (Date.now() - 600_000) / 1000;
    utimesSync(join(other, 'cluster.yaml'), written, written);
    const r = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', other]);
    expect(r.code, r.stdout).toBe(3);
    // 10 minutes, and the time the check took to start: '10m1s' past half a second (a loaded
    // machine; seen '10m2s' with Node starting 1.5 s late). The seconds past 10m are not the point.
    expect(r.first.replace(/(last rewrote it 10m)\d+s ago/, '$1 ago')).toContain(
      `UNKNOWN - no raft data in ${other}: this node keeps no copy of the database to judge, as a dqlite spare, yet its ` +
        'role is not established (its cluster.yaml says spare, but go-dqlite last rewrote it 10m ago, where it does every ' +
        '30s while this node runs and reaches the leader: k8s-dqlite here is stopped, or has no leader) (fix: ',
    );
  });

  it("a node whose join never completed (go-dqlite's join file): UNKNOWN saying it has not joined", async () => {
    const node = joining.nodes[1]!;
    const r = await runBuilt('check_dqlite_storage', [...ANY_DISK, '--backend-dir', node.backend]);
    expect(r.code, r.stdout).toBe(3);
    const said = `DQLITE-STORAGE UNKNOWN - no raft data in ${node.backend}: this node has not joined the dqlite cluster`;
    expect(r.first.startsWith(said), r.first).toBe(true);
    expect(r.first).toMatch(/\(fix: [^)]*journalctl -u snap\.microk8s\.daemon-k8s-dqlite/);
  });
});
