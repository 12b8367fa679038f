import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, LOCK_TXN, logrus } from '../helpers/fixtures.ts';
import { DQLITE, haveJournalRemote, K8S01, lockStorm, makeJournal, on } from '../helpers/journal.ts';
import { runBuilt } from '../helpers/run.ts';
import { healthyNode } from '../helpers/standins.ts';
import { sshdUnavailable, TestSshd } from '../helpers/sshd.ts';

// sshd runs a command with the login's shell (`shell -c COMMAND`), and a user's may be fish or
// tcsh: inside single quotes fish reads `\\` and `\'`, (t)csh `!` (history) and `\!`. What the
// checks send must reach the command as one literal argument there too, or not run at all.
const shells = ['/usr/bin/fish', '/usr/bin/tcsh'].filter((s) => existsSync(s));
const unavailable =
  sshdUnavailable() ?? (haveJournalRemote ? undefined : 'no systemd-journal-remote') ?? (shells.length ? undefined : 'no fish, no tcsh');
if (unavailable) console.warn(`SSH login shell tests: ${unavailable}`);

describe.skipIf(unavailable)('--host where the login shell is not sh (fish, tcsh)', () => {
  const sshd = new TestSshd();
  const users: string[] = [];
  beforeAll(async () => {
    await sshd.start();
    // sshd reads the key as the user logging in.
    chmodSync(sshd.dir, 0o755);
    chmodSync(join(sshd.dir, 'authorized_keys'), 0o644);
    // The test sshd gives every login its own HOME (SetEnv): fish writes its variables there.
    chmodSync(join(sshd.dir, 'home'), 0o1777);
  });
  afterAll(() => {
    sshd.stop();
    for (const user of users) execFileSync('userdel', [user], { stdio: 'ignore' });
  });

  /**
   * A login of its own with this shell, and its home (where a command run there would write): one
   * for each shell, which the test sshd gives its HOME (fish keeps its files there, as that user).
   */
  const logins = new Map<string, { home: string; args: string[] }>();
  const loginWith = (shell: string) => logins.get(shell) ?? newLogin(shell);
  const newLogin = (shell: string) => {
    const user = `mk8s${shell.split('/').pop()}${process.pid}`.slice(0, 31);
    const home = mkdtempSync(join(tmpdir(), 'mk8s-home-'));
    // '*': no password, and not locked ('!', useradd's), which sshd without PAM refuses.
    execFileSync('useradd', ['--system', '--home-dir', home, '--no-create-home', '--shell', shell, '--password', '*', user]);
    users.push(user);
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }));
    chownSync(home, uid, -1);
    const login = { home, args: [...sshd.loginArgs(), '--ssh-user', user, '-t', '20'] };
    logins.set(shell, login);
    return login;
  };

  /** A directory anyone may read, named `name` (a journal there is read by the login above). */
  const readable = (name: string) => {
    const dir = join(mkdtempSync(join(tmpdir(), 'mk8s-odd-')), name);
    mkdirSync(dir);
    chmodSync(join(dir, '..'), 0o755);
    return dir;
  };

  // check_dqlite sends scripts (the node store, the probes), each one argument of several lines:
  // (t)csh reads no line break inside quotes, and said only 'sh -c <script> ... failed (exit 1): Unmatched '''.'.
  it.skipIf(!shells.includes('/usr/bin/tcsh'))("/usr/bin/tcsh: check_dqlite's scripts: UNKNOWN naming the login's shell", async () => {
    const { args } = loginWith('/usr/bin/tcsh');
    const dir = readable('node');
    const node = await healthyNode(dir);
    try {
      const r = await runBuilt('check_dqlite', [...args, ...node.dqliteArgs], { env: { ...process.env, KUBECONFIG: '' } });
      expect(r.code, r.stdout).toBe(3);
      const user = args[args.indexOf('--ssh-user') + 1]!;
      expect(r.first).toMatch(/^DQLITE UNKNOWN - 127\.0\.0\.1: .*: the login's shell there is csh or tcsh, which takes no line break /);
      expect(r.first).toContain(`(fix: give ${user} a POSIX login shell there: sudo chsh -s /bin/sh ${user})`);
    } finally {
      node.close();
    }
  });

  for (const shell of shells) {
    it(`${shell}: a path with quotes, backslashes and '!' reaches journalctl as given, the same verdict as locally`, async () => {
      const { args } = loginWith(shell);
      // A site's directory may be named so; each part of it was read another way by fish or tcsh.
      const dir = readable(`it's a \\\\ \\' ü !x \\`);
      chmodSync(makeJournal(lockStorm(), dir), 0o644);
      const local = await runBuilt('check_dqlite_lock', ['--journal-dir', dir]);
      expect(local.code, local.stdout).toBe(1);
      const remote = await runBuilt('check_dqlite_lock', [...args, '--journal-dir', dir]);
      expect(remote.first).toMatch(/^DQLITE-LOCK WARNING - 127\.0\.0\.1: 12 'database is locked' lines in the last 5m/);
      expect(remote.perf).toEqual(local.perf);
    });

    it(`${shell}: a host name a central log host's journal holds is asked about as written, never run there`, async () => {
      const { home, args } = loginWith(shell);
      const dir = readable('remote');
      const lock = (age: number) => ({ age, service: DQLITE, message: logrus(at(age), 'error', LOCK_TXN) });
      // Machines cloned from one image send under one machine id: each host name is asked about
      // (`_HOSTNAME=`). A sender names itself; this name, no blank in it, is one a kernel takes.
      const odd = { id: K8S01.id, host: "x\\';id>mk8s-pwned;\\'" };
      const entries = [on(K8S01, lock(1200)), on(K8S01, lock(200)), on(odd, lock(100)), on(odd, lock(40))];
      chmodSync(makeJournal(entries, dir, { anchor: false, name: 'remote-k8s01.journal' }), 0o644);
      const local = await runBuilt('check_dqlite_lock', ['--journal-dir', dir]);
      expect(local.code, local.stdout).toBe(0);
      const remote = await runBuilt('check_dqlite_lock', [...args, '--journal-dir', dir]);
      expect(readdirSync(home)).toEqual([]);
      expect(remote.code, remote.stdout).toBe(0);
      expect(remote.perf).toEqual(local.perf);
      expect(remote.first.replace(/^(DQLITE-LOCK OK - )127\.0\.0\.1: /, '$1')).toBe(local.first);
    });

    // fish says `fish: Unknown command: journalctl` (127), tcsh `journalctl: Command not found.` (exit 1):
    // each read 'journalctl failed (exit N): ...', without the fix sh's `journalctl: not found` gets.
    it(`${shell}: a host without journalctl in the login's PATH: UNKNOWN saying so, with what to install there`, async () => {
      const { args } = loginWith(shell);
      const tools = mkdtempSync(join(tmpdir(), 'mk8s-tools-'));
      chmodSync(tools, 0o755);
      symlinkSync('/bin/date', join(tools, 'date'));
      // The login's own rc file sets its PATH: fish's and tcsh's, in the HOME the test sshd gives it.
      const home = join(sshd.dir, 'home');
      const rc = shell.endsWith('fish') ? join(home, '.config', 'fish', 'config.fish') : join(home, '.tcshrc');
      mkdirSync(join(rc, '..'), { recursive: true, mode: 0o777 });
      writeFileSync(rc, shell.endsWith('fish') ? `set -gx PATH ${tools}\n` : `setenv PATH ${tools}\n`);
      try {
        const r = await runBuilt('check_dqlite_lock', args);
        expect(r.code, r.stdout).toBe(3);
        expect(r.first).toBe(
          'DQLITE-LOCK UNKNOWN - 127.0.0.1: journalctl not found there ' +
            '(fix: install systemd (journalctl) there, in the PATH an SSH command gets)',
        );
      } finally {
        rmSync(rc);
      }
    });
  }
});
