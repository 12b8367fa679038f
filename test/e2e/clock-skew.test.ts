// A node read over SSH whose clock is not this host's: the window is its own clock's, never ours.
// The remote side's clock is moved by the real libfaketime, applied to every command the test
// sshd runs (its ForceCommand), and the journal there is stamped on that clock.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, logrus, LOCK_TXN } from '../helpers/fixtures.ts';
import { DQLITE, haveJournalRemote, makeJournal, type Entry } from '../helpers/journal.ts';
import { runBuilt } from '../helpers/run.ts';
import { sshdUnavailable, TestSshd } from '../helpers/sshd.ts';

const FAKETIME = '/usr/bin/faketime';
const unavailable =
  sshdUnavailable() ??
  (haveJournalRemote ? undefined : 'no systemd-journal-remote') ??
  (existsSync(FAKETIME) ? undefined : 'no faketime (apt-get install faketime)');
if (unavailable) console.warn(`clock skew tests: ${unavailable}`);

/** 'database is locked' lines at these ages (seconds) on the remote clock. */
const locks = (ages: number[], now: number): Entry[] =>
  ages.map((age) => ({ age, service: DQLITE, message: logrus(at(age, now), 'error', LOCK_TXN) }));

describe.skipIf(unavailable)('--host with a remote clock that is not ours', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-skew-'));
  const offsetFile = join(dir, 'offset');
  // Every command of the session runs under faketime at the offset the test writes.
  const login = join(dir, 'skewed');
  writeFileSync(login, `#!/bin/sh\nexec ${FAKETIME} -f "$(cat '${offsetFile}')" /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`, { mode: 0o755 });
  const sshd = new TestSshd({ forceCommand: login });
  let known: string;
  beforeAll(async () => {
    await sshd.start();
    known = sshd.knownHosts(['127.0.0.1']);
  });
  afterAll(() => sshd.stop());
  const ssh = () => ['--host', '127.0.0.1', '--ssh-port', String(sshd.port), '--ssh-key', sshd.clientKey, '--ssh-known-hosts', known];
  /** The remote clock `seconds` ahead of ours (behind if negative): what `date` says there. */
  const skew = (seconds: number) => {
    writeFileSync(offsetFile, `${seconds >= 0 ? '+' : ''}${seconds}s`);
    const there = Number(execFileSync(FAKETIME, ['-f', `${seconds >= 0 ? '+' : ''}${seconds}s`, 'date', '+%s'], { encoding: 'utf8' }));
    expect(Math.abs(there - Date.now() / 1000 - seconds)).toBeLessThan(5);
    return Date.now() + seconds * 1000;
  };
  // Five lines in the last 5 minutes of the remote clock, one of them in its last minute, and two
  // from before the window: the count a user expects whatever the clock there says.
  const ages = [30, 90, 150, 210, 270, 330, 390];

  for (const seconds of [120, -120]) {
    it(`check_dqlite_lock: a clock ${Math.abs(seconds)} s ${seconds > 0 ? 'ahead' : 'behind'} reads its own last 5m`, async () => {
      const journal = makeJournal(locks(ages, skew(seconds)), mkdtempSync(join(dir, 'j-')), { now: Date.now() + seconds * 1000 });
      const r = await runBuilt('check_dqlite_lock', [...ssh(), '--journal-file', journal]);
      expect(r.code, r.stdout).toBe(0);
      expect(r.first).toMatch(
        /^DQLITE-LOCK OK - 127\.0\.0\.1: 5 'database is locked' lines in the last 5m \(1\.0\/min, 1 in the last minute/,
      );
      expect(r.perf).toMatchObject({ locked: '5;5;50;0', locked_last_min: '1;;;0' });
      // Said, with the bound the round trip puts on it, and the times shown on this host's clock.
      const way = seconds > 0 ? 'ahead of' : 'behind';
      expect(r.stdout).toMatch(
        new RegExp(`^127\\.0\\.0\\.1's clock is 2m ${way} this host's \\(±[\\d.]+ s\\): the window was taken on its clock`, 'm'),
      );
      // Two minutes is more than a polling interval: said on the first line too.
      expect(r.first).toContain(`; its clock is 2m ${way} ours, read on its own |`);
    });
  }

  it('check_dqlite_lock: a clock 20 s off is said in the long output alone; one that agrees, nowhere', async () => {
    const journal = makeJournal(locks(ages, skew(20)), mkdtempSync(join(dir, 'j-')), { now: Date.now() + 20_000 });
    const off = await runBuilt('check_dqlite_lock', [...ssh(), '--journal-file', journal]);
    expect(off.first).toMatch(
      /^DQLITE-LOCK OK - 127\.0\.0\.1: 5 'database is locked' lines in the last 5m \(1\.0\/min, 1 in the last minute, steady\) \|/,
    );
    expect(off.stdout).toMatch(/^127\.0\.0\.1's clock is 20s ahead of this host's \(±[\d.]+ s\)/m);
    const same = makeJournal(locks(ages, skew(0)), mkdtempSync(join(dir, 'j-')));
    const agrees = await runBuilt('check_dqlite_lock', [...ssh(), '--journal-file', same]);
    expect(agrees.first).toMatch(
      /^DQLITE-LOCK OK - 127\.0\.0\.1: 5 'database is locked' lines in the last 5m \(1\.0\/min, 1 in the last minute, steady\) \|/,
    );
    expect(agrees.stdout).not.toMatch(/clock/);
  });

  it('check_dqlite_lock: a clock further off than the window is UNKNOWN, with the fix', async () => {
    const journal = makeJournal(locks(ages, skew(600)), mkdtempSync(join(dir, 'j-')), { now: Date.now() + 600_000 });
    const r = await runBuilt('check_dqlite_lock', [...ssh(), '--journal-file', journal]);
    expect(r.code, r.stdout).toBe(3);
    expect(r.first).toMatch(
      /^DQLITE-LOCK UNKNOWN - 127\.0\.0\.1: 127\.0\.0\.1's clock is 10m ahead of this host's \(±[\d.]+ s\), more than the 5m window/,
    );
    expect(r.first).toMatch(/\(fix: .*timedatectl.*chrony/);
  });
});
