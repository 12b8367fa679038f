import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { at, klog, logrus, LOCK_CREATE, LOCK_TXN } from '../helpers/fixtures.ts';
import { CONTAINERD, DQLITE, haveJournalRemote, K8S01, K8S03, KUBELITE, makeJournal, on, type Entry } from '../helpers/journal.ts';
import { pattern } from '../helpers/pattern.ts';
import { DIST, runBuilt, runProcess } from '../helpers/run.ts';
import { nagiosIds } from '../helpers/users.ts';

const storm = (): Entry[] => {
  const entries: Entry[] = [];
  // 14 lock lines inside the last 5 minutes: 9 from k8s-dqlite, 5 from kubelite.
  for (let i = 0; i < 9; i++)
    entries.push({ age: 20 + i * 25, service: DQLITE, message: logrus(at(20 + i * 25), 'error', i % 2 ? LOCK_CREATE : LOCK_TXN) });
  for (let i = 0; i < 5; i++) {
    const age = 15 + i * 40;
    entries.push({
      age,
      service: KUBELITE,
      message: klog(
        at(age),
        'E',
        KUBELITE.pid,
        'leaderelection.go:429',
        'Failed to update lock optimistically: rpc error: code = Unknown desc = exec (try: 500): ' +
          'database is locked, falling back to slow path',
      ),
    });
  }
  // Older lock lines, outside the window.
  for (let i = 0; i < 6; i++) entries.push({ age: 600 + i * 60, service: DQLITE, message: logrus(at(600 + i * 60), 'error', LOCK_TXN) });
  // Lock lines from another unit, which the check must not read.
  for (let i = 0; i < 4; i++)
    entries.push({ age: 30 + i, service: CONTAINERD, message: 'level=error msg="failed to write state: database is locked"' });
  // Ordinary noise.
  entries.push({
    age: 50,
    service: KUBELITE,
    message: klog(at(50), 'I', KUBELITE.pid, 'job_controller.go:562', '"enqueueing job" key="rook-ceph/rook-ceph-csi-detect-version"'),
  });
  return entries;
};

describe.skipIf(!haveJournalRemote)('check_dqlite_lock on real journal files', () => {
  it('counts the lock lines of both units inside the window only', async () => {
    const file = makeJournal(storm());
    const r = await runBuilt('check_dqlite_lock', ['--journal-file', file, '-w', '10', '-c', '20']);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^DQLITE-LOCK WARNING - 14 'database is locked' lines in the last 5m .*\| locked=14;10;20;0 /);
    expect(r.perf.locked_per_min).toBe('2.8;;;0');
    expect(r.stdout).toMatch(/microk8s\.daemon-k8s-dqlite 9/);
    expect(r.stdout).toMatch(/microk8s\.daemon-kubelite 5/);
    expect(r.stdout).toMatch(/Do not restart kubelite/);
  });

  it('-vv logs each journalctl it runs on stderr, and stdout stays plugin output', async () => {
    const file = makeJournal(storm());
    const quiet = await runBuilt('check_dqlite_lock', ['--journal-file', file]);
    const r = await runBuilt('check_dqlite_lock', ['--journal-file', file, '-vv']);
    expect(r.stdout).toBe(quiet.stdout);
    const logged = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; argv?: string[]; code?: number });
    // Beside the reads, four questions of the file alone: whether it reaches back over the window,
    // whose entries it holds, by machine id and host name (one machine's: the first answers for it),
    // and where it ends (its newest entry: a copy ends inside the window).
    const asked = (l: { argv?: string[] }) => !!l.argv?.some((a) => a === '--reverse' || a.startsWith('--field='));
    const reach = logged.filter((l) => l.msg === 'journalctl started' && asked(l));
    expect(reach.map((l) => l.argv!.filter((a) => !a.startsWith('--until=')))).toEqual([
      ['journalctl', '--no-pager', '--field=_MACHINE_ID', `--file=${file}`],
      ['journalctl', '--no-pager', '--field=_HOSTNAME', `--file=${file}`],
      ['journalctl', '--no-pager', '--quiet', '--output=short-unix', '--reverse', '--lines=1', `--file=${file}`],
      ['journalctl', '--no-pager', '--quiet', '--output=short-unix', '--reverse', '--lines=1', `--file=${file}`],
    ]);
    const started = logged.filter((l) => l.msg === 'journalctl started' && !asked(l));
    expect(started.length).toBeGreaterThan(0);
    for (const l of started)
      expect(l.argv).toEqual(
        expect.arrayContaining([
          'journalctl',
          `--file=${file}`,
          '--unit=snap.microk8s.daemon-k8s-dqlite.service',
          '--grep=database is locked',
        ]),
      );
    expect(logged.filter((l) => l.msg === 'journalctl ended' && l.code === 0)).toHaveLength(started.length + 4);
    expect(quiet.stderr).toBe('');
  });

  it('uses the contract defaults (5/50): the storm is WARNING, background noise is OK', async () => {
    const stormy = await runBuilt('check_dqlite_lock', ['--journal-file', makeJournal(storm())]);
    expect(stormy.code).toBe(1);
    expect(stormy.perf.locked).toBe('14;5;50;0');
    const quiet = makeJournal([
      { age: 100, service: DQLITE, message: logrus(at(100), 'error', LOCK_TXN) },
      { age: 2000, service: DQLITE, message: logrus(at(2000), 'error', LOCK_TXN) },
    ]);
    const r = await runBuilt('check_dqlite_lock', ['--journal-file', quiet]);
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^DQLITE-LOCK OK - 1 'database is locked' line in the last 5m/);
    expect(r.perf.locked).toBe('1;5;50;0');
  });

  it('is OK with no lock line at all in the window', async () => {
    const file = makeJournal([
      {
        age: 20,
        service: KUBELITE,
        message: klog(at(20), 'I', KUBELITE.pid, 'job_controller.go:562', '"enqueueing job" key="ops/backup-29361840"'),
      },
      { age: 900, service: DQLITE, message: logrus(at(900), 'error', LOCK_TXN) },
    ]);
    const r = await runBuilt('check_dqlite_lock', ['--journal-file', file]);
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^DQLITE-LOCK OK - no 'database is locked' in the last 5m \(.*system\.journal\) \| locked=0;5;50;0 /);
  });

  it("a lock line inside an entry of several lines is the entry's: its time, its source, never 'without a time'", async () => {
    // k8s-dqlite's message of several lines 4 minutes ago: its second line says 'database is locked'.
    const file = makeJournal([
      { age: 240, service: DQLITE, message: 'level=error msg="error in txn"\n  cause: exec (try: 500): database is locked' },
      { age: 200, service: DQLITE, message: logrus(at(200), 'error', LOCK_TXN) },
      { age: 150, service: DQLITE, message: logrus(at(150), 'error', LOCK_TXN) },
    ]);
    const r = await runBuilt('check_dqlite_lock', ['--journal-file', file, '-w', '2']);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(
      /^DQLITE-LOCK WARNING - 3 'database is locked' lines in the last 5m \(0\.6\/min, 0 in the last minute, falling\) \|/,
    );
    expect(r.perf.locked_last_min).toBe('0;;;0');
    expect(r.stdout).toMatch(/^by source: microk8s\.daemon-k8s-dqlite 3$/m);
  });

  it('is UNKNOWN, not a quiet OK, for a journal without either MicroK8s unit (no node); one of them is enough', async () => {
    const noise = (age: number) => ({ age, service: CONTAINERD, message: 'level=info msg="loading plugin"' });
    const none = makeJournal([noise(20), noise(600)]);
    for (const check of ['check_dqlite_lock', 'check_kine_retries']) {
      const r = await runBuilt(check, ['--journal-file', none]);
      expect(r.code, check).toBe(3);
      const units = 'snap\\.microk8s\\.daemon-kubelite\\.service or snap\\.microk8s\\.daemon-k8s-dqlite\\.service';
      expect(r.first).toMatch(
        new RegExp(`UNKNOWN - no entry of ${units} is in journal .*system\\.journal at all: not a MicroK8s node\\? \\(fix: run it on`),
      );
    }
    // A worker's journal: kubelite only (its k8s-dqlite never runs), quiet.
    const worker = makeJournal([
      noise(20),
      { age: 900, service: KUBELITE, message: klog(at(900), 'I', KUBELITE.pid, 'server.go:123', 'Version: v1.32.3') },
    ]);
    const r = await runBuilt('check_dqlite_lock', ['--journal-file', worker]);
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^DQLITE-LOCK OK - no 'database is locked' in the last 5m/);
  });

  it("knows a node's units in a journal of many others (a session scope per SSH login): never 'not a MicroK8s node?'", async () => {
    // 60,000 session-N.scope units list 1.2 MB of unit names (journalctl -F _SYSTEMD_UNIT), more
    // than was read of them: kubelite, listed last, read as absent, on a quiet, healthy node.
    const sessions = Array.from({ length: 60_000 }, (_, i) => ({
      age: 3000 - i * 0.049,
      service: { unit: `session-${100_000 + i}.scope`, ident: 'sshd', pid: 1000 + (i % 30_000) },
      message: 'pam_unix(sshd:session): session closed for user nagios',
    }));
    const file = makeJournal([
      { age: 3600, service: KUBELITE, message: klog(at(3600), 'I', KUBELITE.pid, 'server.go:123', 'Version: v1.32.3') },
      ...sessions,
    ]);
    for (const unit of [[], ['--unit', 'snap.microk8s.daemon-kubelite']]) {
      const r = await runBuilt('check_dqlite_lock', ['--journal-file', file, ...unit]);
      expect(r.first, unit.join(' ')).toMatch(/^DQLITE-LOCK OK - no 'database is locked' in the last 5m/);
    }
  });

  it('a journal that begins inside the window names the span it saw, never the whole window; the rate is over that span', async () => {
    const lock = (age: number): Entry => ({ age, service: DQLITE, message: logrus(at(age), 'error', LOCK_TXN) });
    const version = { age: 134, service: KUBELITE, message: klog(at(134), 'I', KUBELITE.pid, 'server.go:123', 'Version: v1.32.3') };
    // The active file just after a rotation, a small volatile journal a log storm rotated: its first entry 134 s ago.
    const begun = makeJournal([version, ...[20, 40, 60, 80, 100, 120].map(lock)], undefined, { anchor: false });
    const r = await runBuilt('check_dqlite_lock', ['--journal-file', begun]);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(
      pattern(
        /^DQLITE-LOCK WARNING - 6 'database is locked' lines in the last 2m1\ds /,
        /\(\S+\/system\.journal begins inside the 5m window, at 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ\) \(2\.[67]\/min, /,
      ),
    );
    // The same labels; the rate over the 2m14s seen (6 a 5m window would make 1.2/min).
    expect(r.perf.locked).toBe('6;5;50;0');
    expect(r.perf.locked_per_min).toMatch(/^2\.6\d*;;;0$/);
    // The active file given alone: its fix is every file of the journal.
    expect(r.stdout).toMatch(/holds nothing from before .*\(fix: give every journal file of the node \(--journal-dir\)/);
    // Quiet: OK, and still only what it saw.
    const quiet = await runBuilt('check_dqlite_lock', [
      '--journal-file',
      makeJournal([version, { ...version, age: 10 }], undefined, { anchor: false }),
    ]);
    expect(quiet.code).toBe(0);
    expect(quiet.first).toMatch(
      /^DQLITE-LOCK OK - no 'database is locked' in the last 2m1\ds \(\S+ begins inside the 5m window, at \S+Z\) \| locked=0;5;50;0 /,
    );
    // The same entries after journald's start hours before: the whole window.
    const whole = await runBuilt('check_dqlite_lock', ['--journal-file', makeJournal([version, ...[20, 40, 60, 80, 100, 120].map(lock)])]);
    expect(whole.first).toMatch(/^DQLITE-LOCK WARNING - 6 'database is locked' lines in the last 5m \(1\.2\/min, /);
    expect(whole.stdout).not.toMatch(/begins inside|holds nothing from before/);
  });

  // journald just rotated: the archived file holds the entries, the new active one none yet, its header's
  // head realtime 0. That 0 is no entry of the epoch: the directory begins where its entries do.
  it('a directory whose new active file holds no entry yet begins at its first entry, never at the window start', async () => {
    const lock = (age: number): Entry => ({ age, service: DQLITE, message: logrus(at(age), 'error', LOCK_TXN) });
    const version = { age: 134, service: KUBELITE, message: klog(at(134), 'I', KUBELITE.pid, 'server.go:123', 'Version: v1.32.3') };
    const dir = dirname(
      makeJournal([version, ...[20, 40, 60, 80, 100, 120].map(lock)], undefined, {
        anchor: false,
        name: 'system@0123456789abcdef0123456789abcdef-0000000000000001-0005f0c0ffee0000.journal',
      }),
    );
    const active = makeJournal([version], dir, { anchor: false });
    // Its header as a file with no entry: n_entries through tail_entry_monotonic (journal-def.h, bytes 152-207) zero.
    const bytes = readFileSync(active);
    bytes.fill(0, 152, 208);
    writeFileSync(active, bytes);
    const r = await runBuilt('check_dqlite_lock', ['--journal-dir', dir]);
    expect(r.code, r.stdout).toBe(1);
    expect(r.first).toMatch(
      pattern(
        /^DQLITE-LOCK WARNING - 6 'database is locked' lines in the last 2m1\ds /,
        /\(\S+ begins inside the 5m window, at 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ\) \(2\.[67]\/min, /,
      ),
    );
  });

  it('of several journal directories, the one that begins inside the window is named; the span is what they were read over', async () => {
    const lock = (age: number, host: string): Entry => ({ age, host, service: DQLITE, message: logrus(at(age), 'error', LOCK_TXN) });
    const whole = dirname(makeJournal([lock(250, 'k8s01'), lock(200, 'k8s01')]));
    const begun = dirname(makeJournal([lock(60, 'k8s02'), lock(20, 'k8s02')], undefined, { anchor: false }));
    const r = await runBuilt('check_dqlite_lock', ['--journal-dir', whole, '--journal-dir', begun]);
    // The lines of k8s01 from 250 s and 200 s ago count: the span is the whole window, never the
    // last minute of k8s02 alone (which read "4 lines in the last 1m (4.0/min, 0 in the last minute)").
    expect(r.first).toMatch(
      pattern(
        /^DQLITE-LOCK OK - 4 'database is locked' lines in the last 5m /,
        /\((\S+) begins inside the 5m window, at \S+Z\) \(0\.8\/min, /,
      ),
    );
    expect(/\((\S+) begins inside/.exec(r.first)?.[1]).toBe(begun);
    expect(r.perf.locked_per_min).toMatch(/^0\.8;;;0$/);
    expect(r.stdout).toContain(`${begun} holds nothing from before `);
    expect(r.stdout).toMatch(/its lines are of the (?:1m|6\ds) since, the other journals' of the whole 5m window/);
    // Every file of that directory was read: the fix is where it is written, not --journal-dir again.
    expect(r.stdout).toMatch(/holds nothing from before .*\(fix: where this journal is written, keep more than the window/);
    expect(r.stdout).not.toMatch(/give every journal file/);
    // Both begin inside the window: the span from the first to begin, the latest named.
    const early = dirname(makeJournal([lock(200, 'k8s01'), lock(190, 'k8s01')], undefined, { anchor: false }));
    const both = await runBuilt('check_dqlite_lock', ['--journal-dir', early, '--journal-dir', begun]);
    expect(both.first).toMatch(/^DQLITE-LOCK OK - 4 'database is locked' lines in the last 3m2\ds \((\S+) begins inside the 5m window, /);
    expect(/\((\S+) begins inside/.exec(both.first)?.[1]).toBe(begun);
  });

  it('a journal given that ends inside the window (a copy) vouches for no calm after its end; a count found stands, named', async () => {
    const lock = (age: number): Entry => ({ age, service: DQLITE, message: logrus(at(age), 'error', LOCK_TXN) });
    const version = (age: number): Entry => ({
      age,
      service: KUBELITE,
      message: klog(at(age), 'I', KUBELITE.pid, 'server.go:123', 'v1.32.3'),
    });
    // A copy taken 3 minutes ago: its newest entry 190 s old. It said "0 ... in the last 5m" and OK, for minutes it never saw.
    const copy = makeJournal([lock(900), version(190)], undefined, { tail: false });
    const calm = await runBuilt('check_dqlite_lock', ['--journal-file', copy]);
    expect(calm.code).toBe(3);
    expect(calm.first).toMatch(
      pattern(
        /^DQLITE-LOCK UNKNOWN - journal \S+\/system\.journal ends at 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ, 3m ago: /,
        /the last 3m of the 5m window are not in it \(fix: check that the node still sends its journal, or give its live journal\) /,
        /\| locked=0;5;50;0 locked_per_min=0;;;0 locked_last_min=U;;;0$/,
      ),
    );
    // A storm in what it holds is WARNING as ever (the whole window can only hold more); no last minute is claimed.
    const stormy = makeJournal([180, 200, 220, 240, 260, 280].map(lock), undefined, { tail: false });
    const storm = await runBuilt('check_dqlite_lock', ['--journal-file', stormy]);
    expect(storm.code).toBe(1);
    expect(storm.first).toMatch(
      pattern(
        /^DQLITE-LOCK WARNING - 6 'database is locked' lines in the last 5m /,
        /\(\S+\/system\.journal ends inside the 5m window, at \S+Z: nothing after it\) \([23]\.\d\/min\) \| /,
      ),
    );
    expect(storm.first).not.toMatch(/in the last minute|rising|falling|steady/);
    expect(storm.perf.locked_last_min).toBe('U;;;0');
    expect(storm.stdout).toMatch(/^journal \S+ ends at \S+Z, 3m ago: the last 3m of the 5m window are not in it \(fix: /m);
    // Its newest entry 90 s old: a quiet minute is normal, judged as live.
    const live = await runBuilt('check_dqlite_lock', ['--journal-file', makeJournal([lock(900), version(90)], undefined, { tail: false })]);
    expect(live.first).toMatch(/^DQLITE-LOCK OK - no 'database is locked' in the last 5m \(\S+\) \| .* locked_last_min=0;;;0$/);
  });

  it("a central log host's directory: a machine that stopped sending is UNKNOWN by name, whatever the others send", async () => {
    const of = (machine: typeof K8S01) => (age: number) =>
      on(machine, { age, service: KUBELITE, message: klog(at(age), 'I', KUBELITE.pid, 'server.go:123', 'v1.32.3') });
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-remote-'));
    // k8s01 sends (its newest entry now); k8s03 stopped 4 minutes ago.
    makeJournal([1200, 30].map(of(K8S01)), dir, { anchor: false, name: 'remote-k8s01.journal' });
    makeJournal([1200, 240].map(of(K8S03)), dir, { anchor: false, name: 'remote-k8s03.journal', tail: false });
    const r = await runBuilt('check_dqlite_lock', ['--journal-dir', dir]);
    expect(r.code).toBe(3);
    expect(r.first).toMatch(
      new RegExp(
        `^DQLITE-LOCK UNKNOWN - the journal of k8s03 in ${dir} ends at \\S+Z, 4m ago: the last 4m of the 5m window are not in it `,
      ),
    );
    // Stopped 20 minutes ago: none of the window is in it, and that stays so (never OK once it left the window).
    const gone = mkdtempSync(join(tmpdir(), 'mk8s-remote-'));
    makeJournal([1200, 30].map(of(K8S01)), gone, { anchor: false, name: 'remote-k8s01.journal' });
    makeJournal([2400, 1200].map(of(K8S03)), gone, { anchor: false, name: 'remote-k8s03.journal', tail: false });
    const long = await runBuilt('check_dqlite_lock', ['--journal-dir', gone]);
    expect(long.first).toMatch(
      new RegExp(`^DQLITE-LOCK UNKNOWN - the journal of k8s03 in ${gone} ends at \\S+Z, 20m ago: none of the 5m window is in it `),
    );
    // k8s03 reinstalled 18 minutes ago (a new machine id), sending under it: its old id's end is no machine gone silent.
    makeJournal([1100, 20].map(of({ id: '3'.repeat(32), host: 'k8s03' })), gone, { anchor: false, name: 'remote-k8s03@new.journal' });
    const back = await runBuilt('check_dqlite_lock', ['--journal-dir', gone]);
    expect(back.first).toMatch(new RegExp(`^DQLITE-LOCK OK - no 'database is locked' in the last 5m \\(${gone}\\) \\|`));
  });

  it("a central log host's directory is judged per machine: one whose entries begin inside the window is named", async () => {
    // systemd-journal-remote writes each sending machine's entries to its own files. k8s01's reach
    // back 20 minutes; k8s03 was added 1m55s ago: what it logged before then was never seen here.
    const of = (machine: typeof K8S01) => (age: number, message: string) =>
      on(machine, { age, service: DQLITE, message: logrus(at(age), 'error', message) });
    const k8s01 = of(K8S01);
    const k8s03 = of(K8S03);
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-remote-'));
    const a = makeJournal([k8s01(1200, 'starting'), k8s01(200, LOCK_TXN), k8s01(10, 'ok')], dir, {
      anchor: false,
      name: 'remote-k8s01.journal',
    });
    const b = makeJournal(
      [115, 90, 60, 30, 5].map((age) => k8s03(age, LOCK_TXN)),
      dir,
      { anchor: false, name: 'remote-k8s03.journal' },
    );
    const r = await runBuilt('check_dqlite_lock', ['--journal-dir', dir]);
    // It said "6 'database is locked' lines in the last 5m (1.2/min, ...)": the whole window, of k8s03 too.
    expect(r.code).toBe(1);
    expect(r.first).toMatch(
      pattern(
        /^DQLITE-LOCK WARNING - 6 'database is locked' lines in the last 5m /,
        new RegExp(`\\(the journal of k8s03 in ${dir} begins inside the 5m window, at \\S+Z\\) \\(1\\.2/min, `),
      ),
    );
    expect(r.perf.locked).toBe('6;5;50;0');
    expect(r.stdout).toMatch(
      new RegExp(
        `^the journal of k8s03 in ${dir} holds nothing from before \\S+Z: its lines are of the (?:11\\ds|2m\\d*s?) since, ` +
          "the other machines' of the whole 5m window, and it may hold more \\(fix: ",
        'm',
      ),
    );
    // The two files given: the same question, of each machine.
    const files = await runBuilt('check_dqlite_lock', ['--journal-file', a, '--journal-file', b]);
    expect(files.first).toMatch(
      /^DQLITE-LOCK WARNING - 6 'database is locked' lines in the last 5m \(the journal of k8s03 in the 2 files /,
    );
    // Both machines' entries in one file (journal-remote --split-mode=none): the same.
    const one = makeJournal([k8s01(1200, 'starting'), k8s01(200, LOCK_TXN), ...[115, 90, 60, 30, 5].map((age) => k8s03(age, LOCK_TXN))]);
    const merged = await runBuilt('check_dqlite_lock', ['--journal-file', one, '-w', '10']);
    expect(merged.first).toMatch(
      new RegExp(`^DQLITE-LOCK OK - 6 'database is locked' lines in the last 5m \\(the journal of k8s03 in ${one} begins`),
    );
    // k8s03's entries reaching back too: the whole window, nothing named.
    makeJournal([k8s03(900, 'starting')], dir, { anchor: false, name: 'remote-k8s03@0001.journal' });
    const whole = await runBuilt('check_dqlite_lock', ['--journal-dir', dir]);
    expect(whole.first).toMatch(/^DQLITE-LOCK WARNING - 6 'database is locked' lines in the last 5m \(1\.2\/min, /);
    expect(whole.stdout).not.toMatch(/begins inside|holds nothing from before/);
    // A machine id that is not one (journal-remote keeps what a sender says) is never passed on to journalctl.
    const odd = mkdtempSync(join(tmpdir(), 'mk8s-remote-'));
    copyFileSync(a, join(odd, 'remote-k8s01.journal'));
    makeJournal([{ ...k8s03(50, LOCK_TXN), fields: { _MACHINE_ID: 'k8s04' } }], odd, { anchor: false, name: 'remote-k8s04.journal' });
    const refused = await runBuilt('check_dqlite_lock', ['--journal-dir', odd]);
    expect(refused.code).toBe(3);
    expect(refused.first).toMatch(
      new RegExp(`^DQLITE-LOCK UNKNOWN - journal ${odd} holds entries of machine id "k8s04", which is not one: where that machine's `),
    );
  });

  it('machines cloned from one image (one machine id, two hosts) are told apart by host name: the one begun inside is named', async () => {
    // A VM template copied with its /etc/machine-id: k8s01 and k8s03 send entries of one machine id.
    // k8s03 began sending 115 s ago; k8s01's entries reach back 20 minutes.
    const clone = (host: string) => (age: number) =>
      on({ id: K8S01.id, host }, { age, service: DQLITE, message: logrus(at(age), 'error', LOCK_TXN) });
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-remote-'));
    makeJournal([1200, 200].map(clone('k8s01')), dir, { anchor: false, name: 'remote-k8s01.journal' });
    const k8s03 = [115, 60, 5].map(clone('k8s03')).map((e) => ({ ...e, fields: { ...e.fields, _BOOT_ID: K8S03.id } }));
    makeJournal(k8s03, dir, { anchor: false, name: 'remote-k8s03.journal' });
    const r = await runBuilt('check_dqlite_lock', ['--journal-dir', dir]);
    // It said "4 'database is locked' lines in the last 5m (0.8/min, ...)": the whole window, of k8s03 too.
    expect(r.first).toMatch(
      new RegExp(`^DQLITE-LOCK OK - 4 'database is locked' lines in the last 5m \\(the journal of k8s03 in ${dir} begins inside the 5m `),
    );
    // A third machine, with an id of its own, reaching back beside them: the same.
    const k8s04 = { id: K8S03.id, host: 'k8s04' };
    makeJournal(
      [1200, 30].map((age) => on(k8s04, { age, service: DQLITE, message: logrus(at(age), 'error', LOCK_TXN) })),
      dir,
      { anchor: false, name: 'remote-k8s04.journal' },
    );
    const three = await runBuilt('check_dqlite_lock', ['--journal-dir', dir]);
    expect(three.first).toMatch(/^DQLITE-LOCK OK - 5 'database is locked' lines in the last 5m \(the journal of k8s03 in /);
    // k8s03's entries reaching back too: the whole window, nothing named.
    makeJournal([900].map(clone('k8s03')), dir, { anchor: false, name: 'remote-k8s03@0001.journal' });
    const whole = await runBuilt('check_dqlite_lock', ['--journal-dir', dir]);
    expect(whole.first).toMatch(/^DQLITE-LOCK OK - 5 'database is locked' lines in the last 5m \(1\.0\/min, /);
    // One machine under the names it had (none yet at boot, then its own): the whole window, judged.
    const own = makeJournal([...[86400].map(clone('(none)')), ...[1200, 30].map(clone('k8s01'))], undefined, { anchor: false });
    const named = await runBuilt('check_dqlite_lock', ['--journal-file', own]);
    expect(named.first).toMatch(/^DQLITE-LOCK OK - 1 'database is locked' line in the last 5m \(0\.2\/min, /);
  });

  it('of machines of which two begin inside the window, the long output never says the others were read whole', async () => {
    const lock = (machine: { id: string; host: string }) => (age: number) =>
      on(machine, { age, service: DQLITE, message: logrus(at(age), 'error', LOCK_TXN) });
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-remote-'));
    makeJournal([1200, 250].map(lock(K8S01)), dir, { anchor: false, name: 'remote-k8s01.journal' });
    // k8s04 began sending 200 s ago, k8s03 115 s ago: k8s03 is named, k8s04 holds 3m20s of the window.
    makeJournal([200, 150].map(lock({ id: '4'.repeat(32), host: 'k8s04' })), dir, { anchor: false, name: 'remote-k8s04.journal' });
    makeJournal([115, 5].map(lock(K8S03)), dir, { anchor: false, name: 'remote-k8s03.journal' });
    const r = await runBuilt('check_dqlite_lock', ['--journal-dir', dir]);
    expect(r.first).toMatch(
      new RegExp(`^DQLITE-LOCK OK - 5 'database is locked' lines in the last 5m \\(the journal of k8s03 in ${dir} begins `),
    );
    // It said "the other machines' of the whole 5m window": k8s04's are of 3m20s.
    expect(r.stdout).toMatch(
      pattern(
        /^the journal of k8s03 in \S+ holds nothing from before \S+Z: its lines are of the \S+ since, /m,
        /the other machines' of the whole 5m window or less \(1 more begins inside it\), and it may hold more \(fix: /,
      ),
    );
  });

  it('journal files that begin inside the window are named briefly: the summary keeps its time and rate within 1024 chars', async () => {
    const lock = (age: number): Entry => ({ age, service: DQLITE, message: logrus(at(age), 'error', LOCK_TXN) });
    // A volatile journal a storm rotated, every file given: names as journald's, a hundred characters each.
    const machine = mkdtempSync(join(tmpdir(), 'mk8s-volatile-'));
    const files = Array.from({ length: 12 }, (_, i) => {
      const file = join(machine, `system@0123456789abcdef0123456789abcdef-${String(i).padStart(16, '0')}-0006${i}abcdef01234.journal`);
      copyFileSync(makeJournal([lock(100 - i * 5)], undefined, { anchor: false }), file);
      return file;
    });
    const r = await runBuilt(
      'check_dqlite_lock',
      files.flatMap((f) => ['--journal-file', f]),
    );
    expect(r.code).toBe(1);
    // It read "(/tmp/.../system@...journal, /tmp/.../system@...journal, ..." cut at 1024 characters, before the
    // time of the beginning and the rate.
    expect(r.first).toMatch(
      pattern(
        // The span from the first file's line, 100 s old when made (more where making twelve is slow).
        /^DQLITE-LOCK WARNING - 12 'database is locked' lines in the last (?:\d+m)?\d+s /,
        /\(the journal of the 12 files given begins inside the 5m window, at \S+Z\) \(\d\.\d\/min, \d+ in the last minute\) \| /,
      ),
    );
    expect(r.stdout).toContain('the journal of the 12 files given holds nothing from before ');
  });

  it('a log file whose first line is inside the window (logrotate just rotated it) names the span it holds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-text-'));
    const fmt = (d: Date) =>
      `${d.toLocaleString('en-US', { month: 'short' })} ${String(d.getDate()).padStart(2, '0')} ${d.toTimeString().slice(0, 8)}`;
    const line = (age: number, msg: string) => `${fmt(at(age))} k8s02 microk8s.daemon-k8s-dqlite[739]: ${logrus(at(age), 'error', msg)}`;
    const rotated = join(dir, 'syslog');
    writeFileSync(rotated, `${[line(100, 'starting'), line(40, LOCK_TXN), line(30, LOCK_TXN)].join('\n')}\n`);
    const r = await runBuilt('check_dqlite_lock', ['--log-file', rotated]);
    expect(r.code).toBe(0);
    expect(r.first).toMatch(
      new RegExp(
        `^DQLITE-LOCK OK - 2 'database is locked' lines in the last 10\\ds ` +
          `\\(${rotated} begins inside the 5m window, at \\S+Z\\) \\(1\\.[12]/min, `,
      ),
    );
    expect(r.perf.locked).toBe('2;5;50;0');
    // Its first line before the window: the whole window, as before.
    const older = join(dir, 'syslog.1');
    writeFileSync(older, `${[line(900, 'starting'), line(40, LOCK_TXN), line(30, LOCK_TXN)].join('\n')}\n`);
    const whole = await runBuilt('check_dqlite_lock', ['--log-file', older]);
    expect(whole.first).toMatch(/^DQLITE-LOCK OK - 2 'database is locked' lines in the last 5m \(0\.4\/min, /);
    // A pipe is judged as given: the command before it chose its lines (journalctl --since).
    const piped = await runBuilt('check_dqlite_lock', ['--log-file', '-'], { input: readFileSync(rotated, 'utf8') });
    expect(piped.first).toMatch(/^DQLITE-LOCK OK - 2 'database is locked' lines in the last 5m /);
  });

  it('a journal given twice (the directory again, a file of it, its machine-id directory) is read once: no line twice', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'mk8s-twice-'));
    const machine = join(parent, '0123456789abcdef0123456789abcdef');
    mkdirSync(machine);
    const file = makeJournal(storm(), machine);
    const once = await runBuilt('check_dqlite_lock', ['--journal-dir', machine]);
    expect(once.first).toMatch(/^DQLITE-LOCK WARNING - 14 'database is locked' lines in the last 5m .*\| locked=14;5;50;0 /);
    for (const twice of [
      ['--journal-dir', machine, '--journal-dir', `${machine}/`],
      ['--journal-dir', machine, '--journal-file', file],
      ['--journal-dir', parent, '--journal-dir', machine],
      ['--journal-file', file, '--journal-file', join(machine, '.', 'system.journal'), '--journal-dir', parent],
    ]) {
      const r = await runBuilt('check_dqlite_lock', twice);
      expect(r.code, twice.join(' ')).toBe(1);
      expect(r.perf.locked, twice.join(' ')).toBe('14;5;50;0');
    }
  });

  it('reads a journal directory and a wider --since', async () => {
    const file = makeJournal(storm());
    const r = await runBuilt('check_dqlite_lock', ['--journal-dir', dirname(file), '--since', '1h', '-c', '15']);
    expect(r.code).toBe(2);
    expect(r.perf.locked).toBe('20;5;15;0');
  });

  it('judges the lines piped from journalctl into --log-file -', async () => {
    const file = makeJournal(storm());
    const units = ['-u', KUBELITE.unit, '-u', DQLITE.unit];
    const sh = `journalctl --no-pager --file "$1" ${units.join(' ')} --since -5min | "$2" --log-file - -w 10 -c 20`;
    const r = await runProcess('sh', ['-c', sh, 'sh', file, `${DIST}/check_dqlite_lock`]);
    expect(r.code).toBe(1);
    expect(r.perf.locked).toBe('14;10;20;0');
  });

  it("-h's pipe example, run as printed on a node's journal, reads both units: never a quiet OK while k8s-dqlite storms", async () => {
    const file = makeJournal(storm());
    const help = await runBuilt('check_dqlite_lock', ['-h']);
    const example = help.stdout.split('\n').find((l) => /^\s+journalctl .*\| check_dqlite_lock --log-file -$/.test(l));
    expect(example, help.stdout).toBeDefined();
    // The node's journal is this file; the check is the one built.
    const sh = example!.trim().replace(/^journalctl /, 'journalctl --file "$1" ');
    const r = await runProcess('sh', ['-c', sh, 'sh', file], { env: { ...process.env, PATH: `${DIST}:${process.env.PATH}` } });
    expect(r.first).toMatch(/^DQLITE-LOCK WARNING - 14 'database is locked' lines/);
  });

  it('never lets a | from a log line break the perfdata', async () => {
    const file = makeJournal([
      { age: 10, service: DQLITE, message: logrus(at(10), 'error', 'error in txn: exec (try: 500): database is locked | locked=0;;;') },
    ]);
    const r = await runBuilt('check_dqlite_lock', ['--journal-file', file, '-w', '0']);
    expect(r.code).toBe(1);
    expect(r.first.split('|')).toHaveLength(2);
    expect(r.perf.locked).toBe('1;0;50;0');
    expect(r.stdout).not.toMatch(/locked \| locked/);
    expect(r.stdout).toMatch(/database is locked \u00a6 locked=0/);
  });

  it('is UNKNOWN, never OK, for a journal file it cannot open', async () => {
    const r = await runBuilt('check_dqlite_lock', ['--journal-file', '/nonexistent/system.journal']);
    expect(r.code).toBe(3);
    expect(r.first).toBe(
      'DQLITE-LOCK UNKNOWN - cannot read the journal: /nonexistent/system.journal does not exist (fix: check --journal-dir/--journal-file)',
    );
  });

  // Its header intact, its objects zeroed (a disk error, a file cut off while copied): journalctl reads
  // "-- No entries --" and exits 0, as for a quiet window, while the header records entries in the window.
  it('a journal file whose entries cannot be read (zeroed past its header) is UNKNOWN, damaged: never a quiet OK', async () => {
    const file = makeJournal(storm());
    const bytes = readFileSync(file);
    // The header's header_size field (systemd src/libsystemd/sd-journal/journal-def.h): all of it kept.
    bytes.fill(0, Number(bytes.readBigUInt64LE(88)));
    writeFileSync(file, bytes);
    const r = await runBuilt('check_dqlite_lock', ['--journal-file', file]);
    expect(r.code).toBe(3);
    expect(r.first).toMatch(
      pattern(
        /^DQLITE-LOCK UNKNOWN - journal \S+\/system\.journal is damaged: it records entries up to 20\d\d-\d\d-\d\dT[\d:.]+Z, /,
        /but none in the window can be read \(fix: see journalctl --verify --file=\S+\/system\.journal\)( \||$)/,
      ),
    );
  });

  it.skipIf(!nagiosIds())('as the nagios user: UNKNOWN without journal access, a verdict with the group', async () => {
    const ids = nagiosIds()!;
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-nagios-'));
    chmodSync(dir, 0o755);
    const file = makeJournal(storm(), dir);
    chmodSync(file, 0o640);
    chownSync(file, 0, ids.journalGid);
    const denied = await runBuilt('check_dqlite_lock', ['--journal-file', file], { uid: ids.uid, gid: ids.gid });
    expect(denied.code).toBe(3);
    expect(denied.first).toMatch(/^DQLITE-LOCK UNKNOWN - cannot read the journal.*systemd-journal/);
    const local = await runBuilt('check_dqlite_lock', [], { uid: ids.uid, gid: ids.gid });
    expect(local.code).toBe(3);
    const allowed = await runBuilt('check_dqlite_lock', ['--journal-file', file], { uid: ids.uid, gid: ids.journalGid });
    expect(allowed.code).toBe(1);
    expect(allowed.perf.locked).toBe('14;5;50;0');
  });

  it.skipIf(!nagiosIds())("as the nagios user: denied by a directory not journald's, the fix names it, not the group", async () => {
    const ids = nagiosIds()!;
    const asNagios = { uid: ids.uid, gid: ids.gid };
    // A parent only root may search (mkdtemp makes it 0700), the journal directory itself open to all.
    const parent = mkdtempSync(join(tmpdir(), 'mk8s-rootonly-'));
    const journal = join(parent, 'journal');
    mkdirSync(journal, { mode: 0o755 });
    makeJournal(storm(), journal);
    const hidden = await runBuilt('check_dqlite_lock', ['--journal-dir', journal], asNagios);
    expect(hidden.code).toBe(3);
    expect(hidden.first).toBe(
      `DQLITE-LOCK UNKNOWN - cannot read the journal: ${journal}: permission denied for user nagios: ` +
        `${parent} (root:root 0700) cannot be searched (fix: give user nagios search access to ${parent}: ` +
        `sudo setfacl -m u:nagios:x ${parent})`,
    );
    // The journal directory itself root-only: it is named, and what a directory needs to be read.
    const closed = mkdtempSync(join(tmpdir(), 'mk8s-rootonly-'));
    chmodSync(closed, 0o700);
    makeJournal(storm(), closed);
    const unlisted = await runBuilt('check_dqlite_lock', ['--journal-dir', closed], asNagios);
    expect(unlisted.first).toBe(
      `DQLITE-LOCK UNKNOWN - cannot read the journal: ${closed}: permission denied for user nagios: ` +
        `it (root:root 0700) cannot be read (fix: give user nagios read access to ${closed}: ` +
        `sudo setfacl -m u:nagios:rx ${closed})`,
    );
    // Laid out as journald keeps /var/log/journal (root:systemd-journal, 2750 here): the group is the fix.
    const real = mkdtempSync(join(tmpdir(), 'mk8s-journalgroup-'));
    chmodSync(real, 0o755);
    const machine = join(real, 'machine-id');
    mkdirSync(machine);
    chownSync(machine, 0, ids.journalGid);
    chmodSync(machine, 0o2750);
    makeJournal(storm(), machine);
    const grouped = await runBuilt('check_dqlite_lock', ['--journal-dir', machine], asNagios);
    expect(grouped.first).toBe(
      `DQLITE-LOCK UNKNOWN - cannot read the journal: ${machine}: permission denied for user nagios: ` +
        'it (root:systemd-journal 2750) cannot be read (fix: add user nagios to the group systemd-journal, which may read the journal: ' +
        'sudo usermod -aG systemd-journal nagios, then restart nrpe)',
    );
  });

  it.skipIf(!nagiosIds())('as the nagios user: a journal file in --journal-dir it may not read is named, with its own fix', async () => {
    const ids = nagiosIds()!;
    const asNagios = { uid: ids.uid, gid: ids.gid };
    // The directory open to all, one of its files root's alone: journalctl read the others and
    // said only that some users cannot see all messages, and the fix was the group, which changes nothing.
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-onefile-'));
    chmodSync(dir, 0o755);
    makeJournal(storm(), dir, { name: 'open.journal' });
    const closed = makeJournal(storm(), dir, { name: 'closed.journal' });
    chmodSync(dir, 0o755);
    for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o644);
    chmodSync(closed, 0o600);
    const r = await runBuilt('check_dqlite_lock', ['--journal-dir', dir], asNagios);
    expect(r.code).toBe(3);
    expect(r.first).toBe(
      `DQLITE-LOCK UNKNOWN - cannot read the journal: ${closed}: permission denied for user nagios: ` +
        `it (root:root 0600) cannot be read (fix: give user nagios read access to ${closed}: sudo setfacl -m u:nagios:r ${closed})`,
    );
    // journald's layout, a directory per machine id: a file the systemd-journal group may read names the group.
    const machine = join(dir, '0123456789abcdef0123456789abcdef');
    rmSync(closed);
    mkdirSync(machine, { mode: 0o755 });
    const grouped = makeJournal(storm(), machine, { name: 'system.journal' });
    chownSync(grouped, 0, ids.journalGid);
    chmodSync(grouped, 0o640);
    const g = await runBuilt('check_dqlite_lock', ['--journal-dir', dir], asNagios);
    expect(g.first).toBe(
      `DQLITE-LOCK UNKNOWN - cannot read the journal: ${grouped}: permission denied for user nagios: ` +
        'it (root:systemd-journal 0640) cannot be read (fix: add user nagios to the group systemd-journal, which may read the journal: ' +
        'sudo usermod -aG systemd-journal nagios, then restart nrpe)',
    );
    // Run by hand as another user, the fix is for that user, not nagios.
    const asNobody = await runBuilt('check_dqlite_lock', ['--journal-dir', dir], { uid: 65534, gid: 65534 });
    expect(asNobody.first).toBe(
      `DQLITE-LOCK UNKNOWN - cannot read the journal: ${grouped}: permission denied for user nobody: ` +
        'it (root:systemd-journal 0640) cannot be read (fix: add user nobody to the group systemd-journal, which may read the journal: ' +
        'sudo usermod -aG systemd-journal nobody, then restart nrpe)',
    );
    // With the group, every file is read.
    const read = await runBuilt('check_dqlite_lock', ['--journal-dir', dir], { uid: ids.uid, gid: ids.journalGid });
    expect(read.code, read.stdout).toBe(1);
  });

  // nagios given CAP_DAC_READ_SEARCH (an nrpe unit's AmbientCapabilities=), as setpriv gives it:
  // journalctl opens every file with it, whatever its mode.
  const withCap = (ids: { uid: number; gid: number }) => [
    ...['--reuid', String(ids.uid), '--regid', String(ids.gid), '--clear-groups'],
    ...['--inh-caps', '+dac_read_search', '--ambient-caps', '+dac_read_search'],
  ];
  const capable = () => {
    const ids = nagiosIds();
    if (!ids) return false;
    try {
      execFileSync('setpriv', [...withCap(ids), 'true'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };

  it.skipIf(!capable())(
    'as nagios with CAP_DAC_READ_SEARCH: root-only files and directories are read, as journalctl reads them',
    async () => {
      const ids = nagiosIds()!;
      // A root-only file in an open directory, and a root-only directory.
      const open = mkdtempSync(join(tmpdir(), 'mk8s-cap-'));
      chmodSync(open, 0o755);
      chmodSync(makeJournal(storm(), open), 0o600);
      const closed = mkdtempSync(join(tmpdir(), 'mk8s-cap-'));
      chmodSync(makeJournal(storm(), closed), 0o600);
      chmodSync(closed, 0o700);
      for (const dir of [open, closed]) {
        const r = await runProcess('setpriv', [...withCap(ids), `${DIST}/check_dqlite_lock`, '--journal-dir', dir]);
        expect(r.first, `${dir}: ${r.stdout}`).toMatch(/^DQLITE-LOCK WARNING - 14 'database is locked' lines/);
      }
    },
  );
});

describe('check_dqlite_lock options and failures', () => {
  it('rejects a bad range with a usage hint and no stack trace', async () => {
    const r = await runBuilt('check_dqlite_lock', ['-w', 'banana']);
    expect(r.code).toBe(3);
    expect(r.first).toBe(
      "DQLITE-LOCK UNKNOWN - -w/--warning takes a number of 'database is locked' lines or a " +
        "Nagios range, not 'banana' (examples: 10, 10:, ~:10, 10:20, @10:20)",
    );
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects unknown options and bad durations', async () => {
    for (const args of [['--bogus'], ['--since', 'yesterday'], ['-t', '0'], ['--format', 'xml']]) {
      const r = await runBuilt('check_dqlite_lock', args);
      expect(r.code, args.join(' ')).toBe(3);
      expect(r.first).toMatch(/^DQLITE-LOCK UNKNOWN - /);
      expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    }
  });

  it('answers -h and -V with exit 0', async () => {
    const help = await runBuilt('check_dqlite_lock', ['-h']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--since/);
    const version = await runBuilt('check_dqlite_lock', ['-V']);
    expect(version.code).toBe(0);
    expect(version.first).toMatch(/^check_dqlite_lock \d+\.\d+\.\d+/);
  });

  it('times out promptly with UNKNOWN while input is still pending', async () => {
    const r = await runBuilt('check_dqlite_lock', ['--log-file', '-', '-t', '1'], { keepStdinOpen: true });
    expect(r.code).toBe(3);
    expect(r.first).toMatch(/^DQLITE-LOCK UNKNOWN - timed out after 1s/);
    expect(r.ms).toBeLessThan(5000);
  });

  it('reads plain syslog lines from a file, skipping those before the window', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-text-'));
    const fmt = (d: Date) =>
      `${d.toLocaleString('en-US', { month: 'short' })} ${String(d.getDate()).padStart(2, '0')} ${d.toTimeString().slice(0, 8)}`;
    const lines = [
      `${fmt(at(30))} k8s02 microk8s.daemon-k8s-dqlite[739]: ${logrus(at(30), 'error', LOCK_TXN)}`,
      `${fmt(at(40))} microk8s.daemon-k8s-dqlite[739]: ${logrus(at(40), 'error', LOCK_TXN)}`,
      `${fmt(at(3600))} k8s02 microk8s.daemon-k8s-dqlite[739]: ${logrus(at(3600), 'error', LOCK_TXN)}`,
      '-- No entries --',
    ];
    const file = join(dir, 'kine.log');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const r = await runBuilt('check_dqlite_lock', ['--log-file', file, '--format', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ check: 'DQLITE-LOCK', state: 'OK', code: 0 });
    expect(out.metrics.find((m: { label: string }) => m.label === 'locked')).toMatchObject({ value: 2, warn: '5', crit: '50', min: 0 });
  });

  it('a runtime that dies without a verdict is UNKNOWN with a line, never silence', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-runtime-'));
    const dying = join(dir, 'node');
    writeFileSync(dying, '#!/bin/sh\nkill -ABRT $$\n', { mode: 0o755 });
    const r = await runBuilt('check_dqlite_lock', [], { env: { ...process.env, MICROK8S_CHECKS_NODE: dying } });
    expect(r.code).toBe(3);
    expect(r.first).toMatch(/^DQLITE-LOCK UNKNOWN - the check's runtime died \(exit 134\)/);
  });

  it('empty stdin is UNKNOWN (the command before the pipe failed); journalctl\'s "-- No entries --" is OK', async () => {
    const empty = await runBuilt('check_dqlite_lock', ['--log-file', '-'], { input: '' });
    expect(empty.code).toBe(3);
    expect(empty.first).toMatch(/^DQLITE-LOCK UNKNOWN - nothing was read from stdin/);
    const none = await runBuilt('check_dqlite_lock', ['--log-file', '-'], { input: '-- No entries --\n' });
    expect(none.code).toBe(0);
    expect(none.perf.locked).toBe('0;5;50;0');
  });

  it('is UNKNOWN for a missing log file', async () => {
    const r = await runBuilt('check_dqlite_lock', ['--log-file', '/nonexistent/kine.log']);
    expect(r.code).toBe(3);
    expect(r.first).toMatch(/^DQLITE-LOCK UNKNOWN - cannot read log file \/nonexistent\/kine\.log: .*no such file/i);
  });
});
