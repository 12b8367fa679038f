import { execFileSync, spawn } from 'node:child_process';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, logrus, LOCK_TXN } from '../helpers/fixtures.ts';
import { CONTAINERD, DQLITE, haveJournalRemote, K8S01, K8S03, lockStorm, makeJournal, on, type Entry } from '../helpers/journal.ts';
import { DQLITE_CLI, dqliteUnavailable, startDqlite } from '../helpers/dqlite.ts';
import { inTime, runBuilt } from '../helpers/run.ts';
import { healthyNode } from '../helpers/standins.ts';
import { resettingHost, silentServer, sshdUnavailable, TestSshd } from '../helpers/sshd.ts';
import { pattern } from '../helpers/pattern.ts';
import { nagiosIds } from '../helpers/users.ts';

const unavailable = sshdUnavailable() ?? (haveJournalRemote ? undefined : 'no systemd-journal-remote');
if (unavailable) console.warn(`SSH tests: ${unavailable}`);

const storm = lockStorm;

/**
 * A central log host's journal-remote directory: k8s01's lock lines reaching back 20 minutes,
 * k8s03's begun 115 s ago (inside a 5m window).
 */
function centralLogHost() {
  const lock = (age: number): Entry => ({ age, service: DQLITE, message: logrus(at(age), 'error', LOCK_TXN) });
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-remote-'));
  const k8s01 = makeJournal(
    [1200, 200].map((age) => on(K8S01, lock(age))),
    dir,
    { anchor: false, name: 'remote-k8s01.journal' },
  );
  makeJournal(
    [115, 60, 5].map((age) => on(K8S03, lock(age))),
    dir,
    { anchor: false, name: 'remote-k8s03.journal' },
  );
  return { dir, k8s01, lock };
}

describe.skipIf(unavailable)('--host against a real OpenSSH sshd', () => {
  const sshd = new TestSshd();
  let journal: string;
  let known: string;
  beforeAll(async () => {
    await sshd.start();
    journal = makeJournal(storm());
    known = sshd.knownHosts(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
  });
  afterAll(() => sshd.stop());
  const ssh = (knownHosts = known, key = sshd.clientKey) => [
    '--ssh-port',
    String(sshd.port),
    '--ssh-key',
    key,
    '--ssh-known-hosts',
    knownHosts,
    '--ssh-user',
    'root',
  ];

  it('gives the same state and perfdata as the local run', async () => {
    const local = await runBuilt('check_dqlite_lock', ['--journal-file', journal]);
    const remote = await runBuilt('check_dqlite_lock', ['--host', '127.0.0.1', ...ssh(), '--journal-file', journal]);
    expect(local.code).toBe(1);
    expect(remote.code).toBe(local.code);
    expect(remote.perf).toEqual(local.perf);
    expect(remote.first).toMatch(/^DQLITE-LOCK WARNING - 127\.0\.0\.1: 12 'database is locked' lines/);
    const kine = await runBuilt('check_kine_retries', ['--host', '127.0.0.1', ...ssh(), '--journal-file', journal]);
    expect(kine.perf.exhausted).toBe('8;2;10;0');
  });

  it("a journal given twice is read once there too: the paths are the host's, compared as written", async () => {
    const dir = join(journal, '..');
    const twice = ['--journal-dir', dir, '--journal-file', journal, '--journal-dir', `${dir}/`];
    const remote = await runBuilt('check_dqlite_lock', ['--host', '127.0.0.1', ...ssh(), ...twice]);
    expect(remote.first).toMatch(/^DQLITE-LOCK WARNING - 127\.0\.0\.1: 12 'database is locked' lines/);
    expect(remote.perf.locked).toBe('12;5;50;0');
  });

  it("a central log host's journal directory read over SSH is judged per machine, as locally", async () => {
    const { dir } = centralLogHost();
    const local = await runBuilt('check_dqlite_lock', ['--journal-dir', dir]);
    const remote = await runBuilt('check_dqlite_lock', ['--host', '127.0.0.1', ...ssh(), '--journal-dir', dir]);
    expect(remote.code).toBe(0);
    expect(remote.first).toMatch(
      new RegExp(
        `^DQLITE-LOCK OK - 127\\.0\\.0\\.1: 4 'database is locked' lines in the last 5m \\(the journal of k8s03 in ${dir} begins inside `,
      ),
    );
    expect(remote.perf).toEqual(local.perf);
    expect(remote.stdout).toContain(`the journal of k8s03 in ${dir} holds nothing from before `);
  });

  it("a login that greets before each command: a central log host's journal judged as locally, an odd machine id still not", async () => {
    const { dir, k8s01, lock } = centralLogHost();
    // journal-remote keeps the _MACHINE_ID a sender says.
    const odd = mkdtempSync(join(tmpdir(), 'mk8s-remote-'));
    cpSync(k8s01, join(odd, 'remote-k8s01.journal'));
    makeJournal([{ ...on(K8S03, lock(50)), fields: { _MACHINE_ID: 'k8s04' } }], odd, { anchor: false, name: 'remote-k8s04.journal' });
    const scripts = mkdtempSync(join(tmpdir(), 'mk8s-greet-'));
    const login = (name: string, greeting: string) => {
      writeFileSync(join(scripts, name), `#!/bin/sh\n${greeting}\nexec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`, { mode: 0o755 });
      return new TestSshd({ forceCommand: join(scripts, name) });
    };
    // A .bashrc's echo, a ForceCommand's banner: the same lines before every command's output.
    const greeting = login('greet', 'echo "Welcome to node1"; echo');
    // One with the time in it: another before each command.
    const changing = login('greet-time', 'echo "Welcome to node1, it is $(date +%s.%N)"');
    await greeting.start();
    await changing.start();
    const via = (d: TestSshd) => d.loginArgs();
    try {
      const local = await runBuilt('check_dqlite_lock', ['--journal-dir', dir]);
      const greeted = await runBuilt('check_dqlite_lock', [...via(greeting), '--journal-dir', dir]);
      expect(greeted.code, greeted.stdout).toBe(local.code);
      // The same first line but the host; the time shown is taken off the host's clock (a few ms either way).
      const said = (first: string) => first.replace(/^(DQLITE-LOCK \w+ - )127\.0\.0\.1: /, '$1').replace(/at [\d:T-]+Z/, 'at T');
      expect(said(greeted.first)).toBe(said(local.first));
      expect(greeted.first).toContain(`(the journal of k8s03 in ${dir} begins inside `);
      expect(greeted.perf).toEqual(local.perf);
      // Only the greeting is taken off: a value that is no machine id is still one the journal holds.
      const refused = await runBuilt('check_dqlite_lock', [...via(greeting), '--journal-dir', odd]);
      expect(refused.code, refused.stdout).toBe(3);
      expect(refused.first).toMatch(
        new RegExp(`^DQLITE-LOCK UNKNOWN - 127\\.0\\.0\\.1: journal ${odd} holds entries of machine id "k8s04", which is not one: where `),
      );
      // A greeting that changes cannot be told from the journal's values: UNKNOWN, saying what it probably is.
      const unsure = await runBuilt('check_dqlite_lock', [...via(changing), '--journal-dir', dir]);
      expect(unsure.code, unsure.stdout).toBe(3);
      expect(unsure.first).toMatch(
        new RegExp(
          `^DQLITE-LOCK UNKNOWN - 127\\.0\\.0\\.1: journalctl --field=_MACHINE_ID of journal ${dir} answered "Welcome to node1, it is `,
        ),
      );
      expect(unsure.first).toContain("probably a login's greeting printed before journalctl's output over SSH");
      expect(unsure.first).toContain('(fix: keep the shell quiet for commands run over SSH (.bashrc, a ForceCommand)');
    } finally {
      greeting.stop();
      changing.stop();
    }
  });

  it("behind a login's greeting (or a wrapper's words, exit 0) a quiet journal is vouched for as locally: UNKNOWN, never OK", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-quiet-'));
    // Not a MicroK8s node's journal: another unit's entries only, in the window and before it.
    const other = makeJournal(
      [3600, 600, 10].map((age) => ({ age, service: CONTAINERD, message: 'containerd says hi' })),
      mkdtempSync(join(dir, 'j-')),
    );
    // A node's lock lines, all from an hour ago (a copy, written no more): nothing in the window.
    const old = makeJournal(
      [3700, 3600].map((age) => ({ age, service: DQLITE, message: logrus(at(age), 'error', LOCK_TXN) })),
      mkdtempSync(join(dir, 'j-')),
      { tail: false },
    );
    const login = (name: string, body: string) => {
      writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
      return new TestSshd({ forceCommand: join(dir, name) });
    };
    const greeting = login('greet', 'echo "Welcome to node1"\nexec /bin/sh -c "$SSH_ORIGINAL_COMMAND"');
    // A wrapper that refuses journalctl in words and exit 0 (against docs/ssh.md), repeating what it refused.
    const refusing = login(
      'refuse',
      'case "$SSH_ORIGINAL_COMMAND" in *journalctl*) echo "not allowed: $SSH_ORIGINAL_COMMAND"; exit 0;; esac\n' +
        'exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"',
    );
    await greeting.start();
    await refusing.start();
    const via = (d: TestSshd) => d.loginArgs();
    try {
      for (const file of [other, old]) {
        for (const check of ['check_dqlite_lock', 'check_kine_retries']) {
          const local = await runBuilt(check, ['--journal-file', file]);
          expect(local.code, local.stdout).toBe(3);
          const greeted = await runBuilt(check, [...via(greeting), '--journal-file', file]);
          expect(greeted.code, greeted.stdout).toBe(3);
          expect(greeted.first.replace(/^([A-Z-]+ UNKNOWN - )127\.0\.0\.1: /, '$1')).toBe(local.first);
        }
      }
      // The wrapper's words are no journal line: never counted as one, never an OK.
      for (const check of ['check_dqlite_lock', 'check_kine_retries']) {
        const refused = await runBuilt(check, [...via(refusing), '--journal-file', old]);
        expect(refused.code, refused.stdout).toBe(3);
        expect(refused.stdout).not.toContain('not allowed');
      }
    } finally {
      greeting.stop();
      refusing.stop();
    }
  });

  // A login that says something on stderr before every command (bash's setlocale warning, where
  // the locale the environment names is not installed there): a command's failure was said by the
  // warning, its own words lost, and find's 'Permission denied' was not seen (no setfacl fix).
  it("a login's words on stderr before a failing command: the reason is the command's own, as without them", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-warn-'));
    const warning = 'bash: warning: setlocale: LC_ALL: cannot change locale (en_US.UTF-8)';
    writeFileSync(join(dir, 'warn'), `#!/bin/sh\necho '${warning}' >&2\nexec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`, { mode: 0o755 });
    const warns = new TestSshd({ forceCommand: join(dir, 'warn') });
    await warns.start();
    try {
      const cases: [string, string[]][] = [
        ['check_dqlite_lock', ['--journal-file', join(dir, 'none.journal')]],
        ['check_services', ['--snap-data', join(dir, 'no-snap')]],
        ['check_dqlite_storage', ['--backend-dir', join(dir, 'no-backend')]],
      ];
      for (const [check, args] of cases) {
        const plain = await runBuilt(check, ['--host', '127.0.0.1', ...ssh(), ...args]);
        expect(plain.code, plain.stdout).toBe(3);
        const warned = await runBuilt(check, [...warns.loginArgs(), '--ssh-user', 'root', ...args]);
        expect(warned.first).toBe(plain.first);
      }
    } finally {
      warns.stop();
    }
  });

  it('accepts hashed known_hosts entries', async () => {
    const hashed = sshd.knownHosts(['127.0.0.1'], { hashed: true, name: 'known_hashed' });
    const r = await runBuilt('check_dqlite_lock', ['--host', '127.0.0.1', ...ssh(hashed), '--journal-file', journal]);
    expect(r.code).toBe(1);
  });

  it('a host name in capitals is the same host, as to ssh: its hashed known_hosts entry (of the lower-case name) is found', async () => {
    const hashed = sshd.knownHosts(['localhost'], { hashed: true, name: 'known_hashed_name' });
    const r = await runBuilt('check_dqlite_lock', ['--host', 'LocalHost', ...ssh(hashed), '--journal-file', journal]);
    expect(r.code, r.stdout).toBe(1);
  });

  it('a changed host key: UNKNOWN naming the host and the offered fingerprint', async () => {
    const wrong = sshd.knownHosts(['127.0.0.1'], { key: sshd.otherHostKey(), name: 'known_wrong' });
    const r = await runBuilt('check_dqlite_lock', ['--host', '127.0.0.1', ...ssh(wrong), '--journal-file', journal]);
    expect(r.code).toBe(3);
    expect(r.first).toMatch(
      pattern(
        /^DQLITE-LOCK UNKNOWN - 127\.0\.0\.1: host key of 127\.0\.0\.1:\d+ does not match /,
        /.* \(offered SHA256:[A-Za-z0-9+/]{43}\): it CHANGED/,
      ),
    );
  });

  // known_hosts holds an RSA key for the host, which now offers an ed25519 one only (its keys made
  // anew, or another host there): it read 'cannot connect ... Handshake failed: no matching host
  // key format (fix: check the host, --ssh-port and that sshd runs)', of a host that answered.
  it('a host offering no key of the types known_hosts holds for it: UNKNOWN as a changed key, not a host down', async () => {
    const rsa = join(mkdtempSync(join(tmpdir(), 'mk8s-rsa-')), 'host_rsa');
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsa]);
    const other = sshd.knownHosts(['127.0.0.1'], { key: rsa, name: 'known_rsa' });
    const r = await runBuilt('check_dqlite_lock', ['--host', '127.0.0.1', ...ssh(other), '--journal-file', journal]);
    expect(r.code).toBe(3);
    expect(r.first).toMatch(
      /^DQLITE-LOCK UNKNOWN - 127\.0\.0\.1: host key of 127\.0\.0\.1:\d+ does not match \S+: it offers no ssh-rsa key, .*CHANGED/,
    );
    expect(r.first).toMatch(/\(fix: verify the key out of band before updating known_hosts\)$/);
  });

  // known_hosts holds the host's own RSA key (ssh-keyscan -t rsa, or a host with no other): OpenSSH
  // since 8.8 signs with it as rsa-sha2-256/512 only, never as ssh-rsa (SHA-1), the one algorithm
  // asked for, and the same key read 'it offers no ssh-rsa key ... it CHANGED' where ssh logs in.
  it('a host whose RSA key known_hosts holds: read as with any other key, never as a changed one', async () => {
    const rsa = new TestSshd({ hostKeyType: 'rsa' });
    await rsa.start();
    try {
      const r = await runBuilt('check_dqlite_lock', [...rsa.loginArgs(), '--ssh-user', 'root', '--journal-file', journal]);
      expect(r.first).toMatch(/^DQLITE-LOCK WARNING - 127\.0\.0\.1: 12 'database is locked' lines/);
      expect(r.code).toBe(1);
    } finally {
      rsa.stop();
    }
  });

  it('an unknown host: UNKNOWN with the ssh-keyscan fix, never a silent connect', async () => {
    const none = sshd.knownHosts(['127.0.0.2'], { name: 'known_other' });
    const r = await runBuilt('check_dqlite_lock', ['--host', '127.0.0.1', ...ssh(none), '--journal-file', journal]);
    expect(r.code).toBe(3);
    expect(r.first).toMatch(/host key of 127\.0\.0\.1:\d+ is unknown .*fix: .*ssh-keyscan -p \d+ 127\.0\.0\.1/);
  });

  it("no known_hosts yet (nagios' home has no ~/.ssh): the fix makes its directory before ssh-keyscan appends", async () => {
    const home = mkdtempSync(join(tmpdir(), 'mk8s-home-'));
    const file = join(home, '.ssh', 'known_hosts');
    const r = await runBuilt('check_dqlite_lock', ['--host', '127.0.0.1', ...ssh(file), '--journal-file', journal]);
    expect(r.code).toBe(3);
    expect(r.first).toContain(`(fix: check the host's key fingerprint, then add its keys: mkdir -p -m 700 ${home}/.ssh && ssh-keyscan -p `);
    expect(r.first).toMatch(new RegExp(` 127\\.0\\.0\\.1 >> ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`));
    // With the directory there, ssh-keyscan's `>>` makes the file: no mkdir.
    mkdirSync(join(home, '.ssh'));
    const again = await runBuilt('check_dqlite_lock', ['--host', '127.0.0.1', ...ssh(file), '--journal-file', journal]);
    expect(again.first).toMatch(/\(fix: check the host's key fingerprint, then add its keys: ssh-keyscan -p \d+ 127\.0\.0\.1 >> /);
  });

  // Under nrpe the check runs as nagios, a system account nobody logs in as: its fix is typed by an
  // admin as root, and a ~/.ssh that fix made was root's 0700, which nagios may not search (the next
  // run's fix was a setfacl on nagios' own directory).
  it.skipIf(!nagiosIds() || !existsSync('/usr/bin/sudo'))(
    'no known_hosts yet, run as nagios: the fix, typed as root, leaves a known_hosts nagios reads',
    async () => {
      const ids = nagiosIds()!;
      const home = mkdtempSync(join(tmpdir(), 'mk8s-home-'));
      chmodSync(home, 0o755);
      chownSync(home, ids.uid, ids.gid);
      const key = join(home, 'key');
      cpSync(sshd.clientKey, key);
      chownSync(key, ids.uid, ids.gid);
      const file = join(home, '.ssh', 'known_hosts');
      const asNagios = { uid: ids.uid, gid: ids.gid };
      const args = ['--host', '127.0.0.1', ...ssh(file, key), '--journal-file', journal];
      const r = await runBuilt('check_dqlite_lock', args, asNagios);
      expect(r.code).toBe(3);
      const fix = /then add its keys: (.*)\)$/.exec(r.first)?.[1];
      expect(fix, r.first).toBeDefined();
      execFileSync('sh', ['-c', fix!], { stdio: 'pipe' });
      const again = await runBuilt('check_dqlite_lock', args, asNagios);
      expect(again.first).toMatch(/^DQLITE-LOCK WARNING - 127\.0\.0\.1: 12 'database is locked' lines/);
    },
  );

  it('a refused key, a closed port, a failing remote command: UNKNOWN each with its reason', async () => {
    const refused = await runBuilt('check_dqlite_lock', [
      '--host',
      '127.0.0.1',
      ...ssh(known, sshd.strangerKey),
      '--journal-file',
      journal,
    ]);
    expect(refused.code).toBe(3);
    expect(refused.first).toMatch(/SSH authentication as root to 127\.0\.0\.1:\d+ failed/);
    const closed = await runBuilt('check_dqlite_lock', ['--host', '127.0.0.3', ...ssh(), '--journal-file', journal]);
    expect(closed.code).toBe(3);
    expect(closed.first).toMatch(/cannot connect to 127\.0\.0\.3:\d+ over SSH: .*ECONNREFUSED/);
    const failing = await runBuilt('check_dqlite_lock', ['--host', '127.0.0.1', ...ssh(), '--journal-file', '/nonexistent/system.journal']);
    expect(failing.code).toBe(3);
    expect(failing.first).toMatch(/127\.0\.0\.1: .*journal/);
  });

  // A host that lets the login in and then drops the connection under the command (its sshd
  // killed, the host going down): no command ended there. It read 'date +%s.%N failed (exit
  // signal) (fix: check that date (coreutils) runs ...)', a fix for another fault.
  it('a host that closes the connection after the login: UNKNOWN saying so, not a command killed by a signal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-drop-'));
    writeFileSync(join(dir, 'drop'), '#!/bin/sh\nkill -9 $PPID\n', { mode: 0o755 });
    const dropping = new TestSshd({ forceCommand: join(dir, 'drop') });
    await dropping.start();
    try {
      const login = [...dropping.loginArgs(), '--ssh-user', 'root', '-t', '10'];
      const clock = await runBuilt('check_dqlite_lock', [...login, '--journal-file', journal]);
      expect(clock.code, clock.stdout).toBe(3);
      expect(clock.first).toMatch(/^DQLITE-LOCK UNKNOWN - 127\.0\.0\.1: .*the connection to 127\.0\.0\.1 closed before date ended/);
      expect(clock.first).not.toMatch(/signal|coreutils/);
      const listing = await runBuilt('check_dqlite_storage', [...login, '--backend-dir', dir]);
      expect(listing.code, listing.stdout).toBe(3);
      expect(listing.first).toMatch(/the connection to 127\.0\.0\.1 closed before (find|date|stat|df|sh) ended/);
      // Nor another source's fix for what it could not read (a host that is no MicroK8s node).
      const locks = await runBuilt('check_services', [...login, '--snap-data', dir]);
      expect(locks.code, locks.stdout).toBe(3);
      expect(locks.first).toMatch(
        /the connection to 127\.0\.0\.1 closed before (ls|date|env|cat) ended \(fix: check 127\.0\.0\.1 and its sshd/,
      );
    } finally {
      dropping.stop();
    }
  });

  it('several hosts: the worst state, a line per host; an unreadable host is UNKNOWN, not OK', async () => {
    const r = await runBuilt('check_dqlite_lock', [
      '--host',
      '127.0.0.1',
      '--host',
      '127.0.0.2',
      '--host',
      '127.0.0.3',
      ...ssh(),
      '--journal-file',
      journal,
    ]);
    expect(r.code).toBe(3);
    expect(r.first).toMatch(/^DQLITE-LOCK UNKNOWN - 3 hosts: 2 WARNING, 1 UNKNOWN \(UNKNOWN: 127\.0\.0\.3\)/);
    expect(r.perf).toMatchObject({ 'locked_127.0.0.1': '12;5;50;0', 'locked_127.0.0.2': '12;5;50;0' });
    expect(r.stdout).toMatch(/^127\.0\.0\.1: WARNING - 12 'database is locked' lines/m);
    expect(r.stdout).toMatch(/^127\.0\.0\.3: UNKNOWN - cannot connect/m);
    const crit = await runBuilt('check_dqlite_lock', [
      '--host',
      '127.0.0.1',
      '--host',
      '127.0.0.3',
      ...ssh(),
      '--journal-file',
      journal,
      '-c',
      '10',
    ]);
    expect(crit.code).toBe(2);
    expect(crit.first).toMatch(/2 hosts: 1 CRITICAL, 1 UNKNOWN \(CRITICAL: 127\.0\.0\.1\)/);
  });

  it('a host given twice is read once, as a --server given twice: one verdict, no perfdata label twice', async () => {
    // A journal of its own, made now, every line at least 20 s from the edges of the last minute
    // and of the window: with the storm's, made before the other tests, a line left the last
    // minute between the two runs, and the trend read 'falling' after 'steady'.
    const lock = (age: number): Entry => ({ age, service: DQLITE, message: logrus(at(age), 'error', LOCK_TXN) });
    const settled = makeJournal([20, 30, 40, 90, 150, 210, 270].map(lock));
    const once = await runBuilt('check_dqlite_lock', ['--host', '127.0.0.1', ...ssh(), '--journal-file', settled]);
    const twice = await runBuilt('check_dqlite_lock', ['--host', '127.0.0.1', '--host', '127.0.0.1', ...ssh(), '--journal-file', settled]);
    expect(twice.code).toBe(1);
    // Read twice it was `2 hosts: 2 WARNING (WARNING: 127.0.0.1, 127.0.0.1) | locked_127.0.0.1=... locked_127.0.0.1=...`.
    expect(twice.first).toBe(once.first);
    expect(twice.first.match(/ locked=/g)).toHaveLength(1);
    // Host names are case-blind: LOCALHOST after localhost is the same host, read once.
    const names = sshd.knownHosts(['localhost'], { name: 'known_localhost' });
    const hosts = ['--host', 'localhost', '--host', 'LOCALHOST'];
    const spelt = await runBuilt('check_dqlite_lock', [...hosts, ...ssh(names), '--journal-file', settled]);
    expect(spelt.first).toBe(once.first.replace('127.0.0.1:', 'localhost:'));
  });

  it('a host slower than -t: UNKNOWN, promptly', async () => {
    const { port, server } = await silentServer();
    try {
      const silentKnown = sshd.knownHosts(['127.0.0.1'], { port, name: 'known_silent' });
      const r = await runBuilt('check_dqlite_lock', [
        '--host',
        '127.0.0.1',
        '--ssh-port',
        String(port),
        '--ssh-key',
        sshd.clientKey,
        '--ssh-known-hosts',
        silentKnown,
        '--journal-file',
        journal,
        '-t',
        '2',
      ]);
      expect(r.code).toBe(3);
      expect(r.first).toMatch(/^DQLITE-LOCK UNKNOWN - .*(timed out)/);
      // Within -t of the check's start and a loaded machine's start-up (3.5 s from exec was 3.83 s
      // with Node starting 1.5 s late).
      inTime(r, 2);
    } finally {
      server.close();
    }
  });

  it('a host that resets the connection before its banner: UNKNOWN in its own row of all, as alone, never an internal error', async () => {
    // ssh2 reports such a connection twice (the reset, then "Connection lost before handshake"):
    // the second report, heard by nobody, crashed a run still going on (here: waiting for the
    // silent 127.0.0.2), as "internal error", and in `all` took every row with it.
    const host = await resettingHost();
    try {
      const via = [
        ...['--host', '127.0.0.1', '--host', '127.0.0.2', '--ssh-port', String(host.port), '--ssh-key', sshd.clientKey],
        ...['--ssh-known-hosts', sshd.knownHosts(['127.0.0.1', '127.0.0.2'], { port: host.port, name: 'known_reset' }), '-t', '3'],
      ];
      const alone = await runBuilt('check_dqlite_lock', [...via, '--journal-file', journal]);
      expect(alone.first).toBe('DQLITE-LOCK UNKNOWN - 2 hosts: 2 UNKNOWN (UNKNOWN: 127.0.0.1, 127.0.0.2)');
      // The reset meets ssh2 reading, or writing its own banner on a loaded machine: the kernel says which.
      expect(alone.stdout).toMatch(/^127\.0\.0\.1: UNKNOWN - cannot connect to 127\.0\.0\.1:\d+ over SSH: (read|write) ECONNRESET/m);
      const snapData = mkdtempSync(join(tmpdir(), 'mk8s-snap-'));
      mkdirSync(join(snapData, 'var', 'lock'), { recursive: true });
      const all = await runBuilt('microk8s-checks', [
        'all',
        ...via,
        '--journal-file',
        journal,
        '--snap-data',
        snapData,
        '--format',
        'json',
      ]);
      const rows = JSON.parse(all.stdout) as { check: string; code: number | null; summary: string }[];
      expect(rows.map((r) => r.check)).toContain('SERVICES');
      expect(rows.map((r) => r.check)).not.toContain('MICROK8S-CHECKS');
      const lock = rows.find((r) => r.check === 'DQLITE-LOCK')!;
      expect(`DQLITE-LOCK UNKNOWN - ${lock.summary}`).toBe(alone.first);
      for (const r of rows.filter((x) => x.code !== null)) expect(r.summary, r.check).toMatch(/^2 hosts: /);
    } finally {
      host.close();
    }
  });

  // all --host asks the one host its name before any check starts (the node calico-routes and the
  // gate judge). A host that never answers held that question for the whole -t: every row, the API
  // checks' too, said 'timed out after 4s', and a kubeconfig that cannot be read was not said.
  it('all --host with the one host silent: only the rows that read it wait for it, the others say their own', async () => {
    const { port, server } = await silentServer();
    try {
      const snapData = mkdtempSync(join(tmpdir(), 'mk8s-snap-'));
      mkdirSync(join(snapData, 'var', 'lock'), { recursive: true });
      const all = await runBuilt('microk8s-checks', [
        'all',
        ...['--host', '127.0.0.1', '--ssh-port', String(port), '--ssh-key', sshd.clientKey],
        ...['--ssh-known-hosts', sshd.knownHosts(['127.0.0.1'], { port, name: 'known_silent' }), '-t', '4'],
        ...['--kubeconfig', join(snapData, 'no-kubeconfig'), '--snap-data', snapData, '--format', 'json'],
      ]);
      const rows = JSON.parse(all.stdout) as { check: string; summary: string }[];
      const row = (check: string) => rows.find((r) => r.check === check)?.summary;
      expect(row('NODES')).toMatch(/^cannot read kubeconfig \S+: no such file/);
      expect(row('CALICO-ROUTES')).toMatch(/^timed out after \d+(\.\d)?s while asking 127\.0\.0\.1 its host name over SSH/);
      expect(row('DQLITE-LOCK')).toMatch(/127\.0\.0\.1.*timed out after [\d.]+s while connecting to 127\.0\.0\.1 over SSH/);
    } finally {
      server.close();
    }
  });

  it('a dead agent socket, a FIFO for known_hosts, /dev/zero for the key: UNKNOWN within -t, never a crash', async () => {
    const noKey = ['--ssh-port', String(sshd.port), '--ssh-known-hosts', known, '--ssh-user', 'root'];
    const agent = await runBuilt('check_dqlite_lock', ['--host', '127.0.0.1', ...noKey, '--journal-file', journal], {
      env: { ...process.env, SSH_AUTH_SOCK: '/nonexistent.sock' },
    });
    expect(agent.code).toBe(3);
    expect(agent.first).toMatch(
      /^DQLITE-LOCK UNKNOWN - 127\.0\.0\.1: no SSH agent at SSH_AUTH_SOCK=\/nonexistent\.sock \(fix: give --ssh-key/,
    );
    expect(agent.stderr).toBe('');
    // No agent at all (as under nrpe): the same fix, in the same place as every other reason's.
    const { SSH_AUTH_SOCK: _, ...noAgentEnv } = process.env;
    const noAgent = await runBuilt('check_dqlite_lock', ['--host', '127.0.0.1', ...noKey, '--journal-file', journal], { env: noAgentEnv });
    expect(noAgent.code).toBe(3);
    expect(noAgent.first).toBe(
      'DQLITE-LOCK UNKNOWN - 127.0.0.1: no SSH key and no SSH agent (SSH_AUTH_SOCK is not set) ' +
        '(fix: give --ssh-key, or start ssh-agent and export its SSH_AUTH_SOCK)',
    );
    const fifo = join(mkdtempSync(join(tmpdir(), 'mk8s-fifo-')), 'known_hosts');
    execFileSync('mkfifo', [fifo]);
    const hosts = await runBuilt('check_dqlite_lock', ['--host', '127.0.0.1', ...ssh(fifo), '--journal-file', journal, '-t', '3']);
    expect(hosts.code).toBe(3);
    expect(hosts.first).toMatch(/cannot read known hosts file .*known_hosts: it is a pipe, not a file/);
    const zero = await runBuilt('check_dqlite_lock', [
      '--host',
      '127.0.0.1',
      ...ssh(known, '/dev/zero'),
      '--journal-file',
      journal,
      '-t',
      '3',
    ]);
    expect(zero.code).toBe(3);
    expect(zero.first).toMatch(/cannot read SSH key \/dev\/zero: it is a device, not a file/);
    for (const r of [hosts, zero]) expect(r.ms).toBeLessThan(4000);
    const notKey = join(mkdtempSync(join(tmpdir(), 'mk8s-key-')), 'id_ed25519');
    writeFileSync(notKey, 'this is not a key\n', { mode: 0o600 });
    const bad = await runBuilt('check_dqlite_lock', ['--host', '127.0.0.1', ...ssh(known, notKey), '--journal-file', journal]);
    expect(bad.code).toBe(3);
    expect(bad.first).toMatch(
      /^DQLITE-LOCK UNKNOWN - 127\.0\.0\.1: cannot use SSH key \S+id_ed25519: .*\(fix: give --ssh-key a private key without a passphrase/,
    );
    expect(bad.first).not.toMatch(/internal error/);
    // A key as openssl writes it (PKCS#8), which ssh2 does not read: the fix says so and how to convert a copy.
    const pkcs8 = join(mkdtempSync(join(tmpdir(), 'mk8s-key-')), 'id_ed25519');
    execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', pkcs8]);
    const p8 = await runBuilt('check_dqlite_lock', ['--host', '127.0.0.1', ...ssh(known, pkcs8), '--journal-file', journal]);
    expect(p8.code).toBe(3);
    expect(p8.first).toMatch(/cannot use SSH key \S+: .*as ssh-keygen writes it: a PKCS#8 "BEGIN PRIVATE KEY" file is not read, /);
    expect(p8.first).toMatch(/ssh-keygen -p -N "" -f COPY rewrites a copy of it\)$/);
  });

  // Over SSH the node store is read by a script there: behind a backend its login cannot enter both
  // files read as missing, and it said 'no such file (fix: check --backend-dir)' of a backend that is
  // there. A login of the test's own (root enters everything), with a shell and this sshd's key.
  it('check_dqlite --host as a login that cannot enter the backend there: UNKNOWN naming the directory, not a missing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-bdir-'));
    chmodSync(dir, 0o755);
    const here = await healthyNode(join(dir, 'node'));
    const user = `mk8sbs${process.pid}`;
    try {
      // '*': no password, and not locked ('!', useradd's), which sshd without PAM refuses.
      execFileSync('useradd', ['--system', '--home-dir', dir, '--no-create-home', '--shell', '/bin/sh', '--password', '*', user]);
      // sshd reads the key as the user logging in.
      chmodSync(sshd.dir, 0o755);
      chmodSync(join(sshd.dir, 'authorized_keys'), 0o644);
      const backend = here.dqliteArgs[3]!;
      chmodSync(backend, 0o700);
      const login = ssh().map((a) => (a === 'root' ? user : a));
      const r = await runBuilt('check_dqlite', ['--host', '127.0.0.1', ...login, ...here.dqliteArgs], {
        env: { ...process.env, KUBECONFIG: '', HOME: tmpdir() },
      });
      expect(r.code, r.stdout).toBe(3);
      expect(r.first).toBe(
        `DQLITE UNKNOWN - 127.0.0.1: cannot enter the dqlite backend directory ${backend} there: permission denied for user ${user} ` +
          `(fix: give user ${user} search access to ${backend}: sudo setfacl -m u:${user}:x ${backend})`,
      );
    } finally {
      chmodSync(sshd.dir, 0o700);
      execFileSync('userdel', [user], { stdio: 'ignore' });
      here.close();
    }
  });

  // The fixes over SSH name the user the script there ran as (id -un), whatever the environment
  // says: with LOGNAME empty (a ForceCommand, a site's wrapper) it said 'the SSH user'. The node
  // store and the listing denied are said as this node's are: that user and that path, never
  // 'nagios' and '<backend>'; no snap refresh for a directory MicroK8s does not keep.
  it('check_dqlite, check_dqlite_storage --host denied there: the fix names the login and the path, LOGNAME empty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-bdir-'));
    chmodSync(dir, 0o755);
    const here = await healthyNode(join(dir, 'node'));
    const user = `mk8sbl${process.pid}`;
    const wrapper = join(dir, 'no-logname');
    writeFileSync(wrapper, '#!/bin/sh\nLOGNAME=; export LOGNAME\nexec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n', { mode: 0o755 });
    const bare = new TestSshd({ forceCommand: wrapper });
    await bare.start();
    try {
      execFileSync('useradd', ['--system', '--home-dir', dir, '--no-create-home', '--shell', '/bin/sh', '--password', '*', user]);
      chmodSync(bare.dir, 0o755);
      chmodSync(join(bare.dir, 'authorized_keys'), 0o644);
      const login = ['--ssh-port', String(bare.port), '--ssh-key', bare.clientKey, '--ssh-known-hosts', bare.knownHosts(['127.0.0.1'])];
      const run = (command: string, backend: string) =>
        runBuilt(
          command,
          ['--host', '127.0.0.1', ...login, '--ssh-user', user, '--dqlite-bin', here.dqliteArgs[1]!, '--backend-dir', backend],
          {
            env: { ...process.env, KUBECONFIG: '', HOME: tmpdir() },
          },
        );
      const backend = here.dqliteArgs[3]!;
      chmodSync(backend, 0o700);
      const blocked = await run('check_dqlite', backend);
      expect(blocked.code, blocked.stdout).toBe(3);
      expect(blocked.first).toBe(
        `DQLITE UNKNOWN - 127.0.0.1: cannot enter the dqlite backend directory ${backend} there: permission denied for user ${user} ` +
          `(fix: give user ${user} search access to ${backend}: sudo setfacl -m u:${user}:x ${backend})`,
      );
      chmodSync(backend, 0o755);
      const info = join(backend, 'info.yaml');
      chmodSync(info, 0o600);
      const store = await run('check_dqlite', backend);
      expect(store.code, store.stdout).toBe(3);
      expect(store.first).toBe(
        `DQLITE UNKNOWN - 127.0.0.1: cannot read dqlite node store ${info} there: permission denied for user ${user} ` +
          `(fix: give user ${user} read access to ${info}: sudo setfacl -m u:${user}:r ${info}; ` +
          'never cluster.key (for the leader use --sudo))',
      );
      chmodSync(backend, 0o711);
      const listing = await run('check_dqlite_storage', backend);
      expect(listing.code, listing.stdout).toBe(3);
      expect(listing.first).toBe(
        `DQLITE-STORAGE UNKNOWN - 127.0.0.1: cannot list ${backend} there: permission denied for user ${user} ` +
          `(fix: give user ${user} read access to ${backend}: sudo setfacl -m u:${user}:rx ${backend})`,
      );
    } finally {
      bare.stop();
      execFileSync('userdel', [user], { stdio: 'ignore' });
      here.close();
    }
  });

  it("check_dqlite --host reads that node's view: the same verdict as a local run, probes made there", async () => {
    const here = await healthyNode();
    try {
      const local = await runBuilt('check_dqlite', here.dqliteArgs, { env: { ...process.env, KUBECONFIG: '', HOME: tmpdir() } });
      const remote = await runBuilt('check_dqlite', ['--host', '127.0.0.1', ...ssh(), ...here.dqliteArgs], {
        env: { ...process.env, KUBECONFIG: '', HOME: tmpdir() },
      });
      expect(local.code).toBe(0);
      expect(remote.code).toBe(0);
      expect(remote.first).toBe(local.first.replace('DQLITE OK - ', 'DQLITE OK - 127.0.0.1: '));
      // A voter that does not listen, seen from the remote side: WARNING there too.
      const backend = here.dqliteArgs[3]!;
      const store = readFileSync(join(backend, 'cluster.yaml'), 'utf8');
      writeFileSync(join(backend, 'cluster.yaml'), `${store}- Address: 127.0.0.1:1\n  ID: 6780373466574862769\n  Role: 0\n`);
      const noCli = ['--dqlite-bin', '/nonexistent/dqlite', '--backend-dir', backend];
      const down = await runBuilt('check_dqlite', ['--host', '127.0.0.1', ...ssh(), ...noCli], {
        env: { ...process.env, KUBECONFIG: '', HOME: tmpdir() },
      });
      expect(down.code).toBe(2);
      expect(down.first).toMatch(/^DQLITE CRITICAL - 127\.0\.0\.1: quorum lost: 1 of 2 voters reachable, 2 needed/);
      expect(down.stdout).toMatch(/127\.0\.0\.1:1 \(id 6780373466574862769\): voter, unreachable: ECONNREFUSED/);
    } finally {
      here.close();
    }
  });

  it.skipIf(dqliteUnavailable() !== undefined)(
    'check_dqlite --host, a real dqlite voter hung (SIGSTOP): unreachable from there too, never OK',
    async () => {
      const d = await startDqlite(3);
      try {
        const leader = d.leader()!;
        const hung = d.nodes.find((n) => n !== leader)!;
        hung.proc!.kill('SIGSTOP');
        const args = ['--dqlite-bin', DQLITE_CLI, '--backend-dir', leader.backend, '--database', 'demo', '-t', '8'];
        const r = await runBuilt('check_dqlite', ['--host', '127.0.0.1', ...ssh(), ...args], {
          env: { ...process.env, KUBECONFIG: '', HOME: tmpdir() },
        });
        const addr = hung.address.replace(/\./g, '\\.');
        expect(r.first, r.stdout).toMatch(new RegExp(`^DQLITE WARNING - 127\\.0\\.0\\.1: 1 voter unreachable \\(${addr}\\): one more`));
        expect(r.code).toBe(1);
        expect(r.stdout).toMatch(
          new RegExp(`^${addr} \\(id \\d+\\): voter, unreachable: accepts TCP, no answer within 2s \\(hung\\?\\)$`, 'm'),
        );
      } finally {
        for (const n of d.nodes) if (n.running) n.proc!.kill('SIGCONT');
        await d.stop();
      }
    },
    60_000,
  );

  it('check_dqlite_lock --host on a host without journalctl: UNKNOWN saying so, with what to install there', async () => {
    const tools = mkdtempSync(join(tmpdir(), 'mk8s-tools-'));
    for (const n of ['sh', 'date'])
      symlinkSync(execFileSync('sh', ['-c', 'command -v "$1"', 'sh', n], { encoding: 'utf8' }).trim(), join(tools, n));
    const bare = new TestSshd({ path: tools });
    await bare.start();
    try {
      const login = ['--ssh-port', String(bare.port), '--ssh-key', bare.clientKey, '--ssh-known-hosts', bare.knownHosts(['127.0.0.1'])];
      const r = await runBuilt('check_dqlite_lock', ['--host', '127.0.0.1', ...login, '--ssh-user', 'root', '-t', '30'], {
        env: { ...process.env, HOME: tmpdir() },
      });
      expect(r.code, r.stdout).toBe(3);
      // Not "journalctl failed (exit 127): sh: 1: journalctl: not found" with no fix: the shell's 127 is a command it did not find.
      expect(r.first).toMatch(/^DQLITE-LOCK UNKNOWN - 127\.0\.0\.1: journalctl not found there /);
      expect(r.first).toContain('(fix: install systemd (journalctl) there, in the PATH an SSH command gets)');
    } finally {
      bare.stop();
    }
  });

  it('check_dqlite --host on a host lacking a tool it runs there: UNKNOWN naming the tool, never a member down', async () => {
    const here = await healthyNode();
    // The host's PATH: a directory holding only the tools given.
    const tools = mkdtempSync(join(tmpdir(), 'mk8s-tools-'));
    const only = (names: string[]) => {
      for (const n of readdirSync(tools)) unlinkSync(join(tools, n));
      for (const n of names)
        symlinkSync(execFileSync('sh', ['-c', 'command -v "$1"', 'sh', n], { encoding: 'utf8' }).trim(), join(tools, n));
    };
    const bare = new TestSshd({ path: tools });
    await bare.start();
    try {
      const known = bare.knownHosts(['127.0.0.1']);
      const login = ['--ssh-port', String(bare.port), '--ssh-key', bare.clientKey, '--ssh-known-hosts', known, '--ssh-user', 'root'];
      const run = (...extra: string[]) =>
        runBuilt('check_dqlite', ['--host', '127.0.0.1', ...login, ...here.dqliteArgs, '-t', '30', ...extra], {
          env: { ...process.env, KUBECONFIG: '', HOME: tmpdir() },
        });
      const all = ['sh', 'cat', 'wc', 'timeout', 'bash'];
      // What docs/checks/dqlite.md lists, and nothing more: the node read as with every tool.
      only(all);
      const ok = await run();
      expect(ok.code, ok.stdout).toBe(0);
      expect(ok.first).toMatch(/^DQLITE OK - 127\.0\.0\.1: 1 voter, leader 127\.0\.0\.1:\d+, 0 unreachable/);
      for (const [missing, fix] of [
        ['timeout', 'coreutils'],
        ['bash', 'bash'],
        ['wc', 'coreutils'],
        ['cat', 'coreutils'],
      ] as const) {
        only(all.filter((n) => n !== missing));
        const r = await run();
        // Without timeout or bash every member read as down: 'quorum lost: 0 of 1 voters reachable', CRITICAL.
        expect(r.code, r.stdout).toBe(3);
        expect(r.first).toMatch(
          new RegExp(`^DQLITE UNKNOWN - 127\\.0\\.0\\.1: 127\\.0\\.0\\.1 lacks '${missing}', which check_dqlite runs there `),
        );
        expect(r.first).toContain(`(fix: install ${fix} on 127.0.0.1, in the PATH an SSH command gets there)`);
        expect(r.stdout).not.toMatch(/unreachable|quorum/);
      }
      // A bash there that cannot run (its interpreter gone): the probe did not run, which says nothing of the member.
      only(all.filter((n) => n !== 'bash'));
      writeFileSync(join(tools, 'bash'), '#!/nonexistent/bash\n', { mode: 0o755 });
      const broken = await run();
      expect(broken.code, broken.stdout).toBe(3);
      expect(broken.first).toMatch(
        pattern(
          /^DQLITE UNKNOWN - 127\.0\.0\.1: cannot probe the members from 127\.0\.0\.1: /,
          /bash -c <script> probe 2 \d+ 127\.0\.0\.1 \d+ failed on 127\.0\.0\.1 \(exit 127\): /,
        ),
      );
      expect(broken.stdout).not.toMatch(/unreachable|quorum/);
      // --sudo: the CLI asked through sudo there.
      only(all);
      const sudo = await run('--sudo');
      expect(sudo.code, sudo.stdout).toBe(3);
      expect(sudo.first).toMatch(/^DQLITE UNKNOWN - 127\.0\.0\.1: 127\.0\.0\.1 lacks 'sudo', which check_dqlite runs there /);
    } finally {
      bare.stop();
      here.close();
    }
  });

  it('check_dqlite --host: members probed in one SSH command; probes SSH would not run are UNKNOWN, never unreachable', async () => {
    const here = await healthyNode();
    // Two more voters, both listening: every member is up.
    const voters = await Promise.all(
      [0, 1].map(async () => {
        const server = createServer((socket) => socket.destroy());
        await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
        return server;
      }),
    );
    const backend = here.dqliteArgs[3]!;
    const store = readFileSync(join(backend, 'cluster.yaml'), 'utf8');
    writeFileSync(
      join(backend, 'cluster.yaml'),
      store + voters.map((v, i) => `- Address: 127.0.0.1:${(v.address() as AddressInfo).port}\n  ID: ${100 + i}\n  Role: 0\n`).join(''),
    );
    // Forty more members up (spares), more than sshd's default MaxSessions (10): probed from the node
    // in one SSH command, every one is reachable (a command each, side by side, past 10 were refused).
    const spares = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const server = createServer((socket) => socket.destroy());
        await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
        return server;
      }),
    );
    const many = join(mkdtempSync(join(tmpdir(), 'mk8s-backend-')), 'backend');
    cpSync(backend, many, { recursive: true });
    writeFileSync(
      join(many, 'cluster.yaml'),
      readFileSync(join(backend, 'cluster.yaml'), 'utf8') +
        spares.map((v, i) => `- Address: 127.0.0.1:${(v.address() as AddressInfo).port}\n  ID: ${200 + i}\n  Role: 2\n`).join(''),
    );
    try {
      const wide = await runBuilt(
        'check_dqlite',
        ['--host', '127.0.0.1', ...ssh(), '--dqlite-bin', '/nonexistent/dqlite', '--backend-dir', many],
        {
          env: { ...process.env, KUBECONFIG: '', HOME: tmpdir() },
        },
      );
      expect(wide.stdout, wide.stdout).not.toMatch(/cannot probe|unreachable: /);
      expect(wide.first).toMatch(/^DQLITE OK - 127\.0\.0\.1: 3 voters, leader not asked, 0 unreachable/);
      // 31 spares that hang (connects never answered), one among each 8 of 248 members: each holds up
      // no other probe, and the verdict comes within -t 12. Once they were probed 32 at a time, each 32
      // waiting for its slowest (UNKNOWN timed out while probing the members); then each start after
      // quick probes waited for one that hung to time out, bash's `wait -n` missing the probes that had
      // ended (UNKNOWN: cannot probe 127.0.1.x from 127.0.0.1).
      const hung = await hangingListener();
      const after: (() => void)[] = [];
      try {
        // 217 spares up, at addresses of their own on one listener (every 127.x address reaches it).
        const up = createServer((socket) => socket.destroy());
        await new Promise<void>((ok) => up.listen(0, '0.0.0.0', ok));
        after.push(() => up.close());
        const port = (up.address() as AddressInfo).port;
        const rows = Array.from({ length: 217 }, (_, i) => `- Address: 127.0.1.${i + 1}:${port}\n  ID: ${400 + i}\n  Role: 2\n`);
        for (let n = 0; n < 31; n++) rows.splice(n * 8, 0, `- Address: 127.0.0.${n + 2}:${hung.port}\n  ID: ${300 + n}\n  Role: 2\n`);
        writeFileSync(join(many, 'cluster.yaml'), readFileSync(join(backend, 'cluster.yaml'), 'utf8') + rows.join(''));
        const node = ['--host', '127.0.0.1', ...ssh(), '--dqlite-bin', '/nonexistent/dqlite', '--backend-dir', many];
        const slow = await runBuilt('check_dqlite', [...node, '-t', '12', '--max-long-output', '65536'], {
          env: { ...process.env, KUBECONFIG: '', HOME: tmpdir() },
        });
        expect(slow.first, slow.stdout).toMatch(/^DQLITE OK - 127\.0\.0\.1: 3 voters, leader not asked, 0 unreachable/);
        expect(slow.stdout).toMatch(/127\.0\.0\.2:\d+ \(id 300\): spare, unreachable: no answer/);
        // Those 31, and no other, unanswered (every member's line shown).
        expect(slow.stdout.match(/^127\.0\.0\.\d+:\d+ \(id 3\d\d\): spare, unreachable: no answer$/gm)).toHaveLength(31);
        expect(slow.stdout.match(/unreachable: /g)).toHaveLength(31);
      } finally {
        hung.close();
        for (const f of after) f();
      }
    } finally {
      for (const v of spares) v.close();
    }
    // One channel at a time on a connection.
    const narrow = new TestSshd({ maxSessions: 1 });
    await narrow.start();
    try {
      const known = narrow.knownHosts(['127.0.0.1']);
      const login = ['--ssh-port', String(narrow.port), '--ssh-key', narrow.clientKey, '--ssh-known-hosts', known, '--ssh-user', 'root'];
      const r = await runBuilt(
        'check_dqlite',
        ['--host', '127.0.0.1', ...login, '--dqlite-bin', '/nonexistent/dqlite', '--backend-dir', backend],
        {
          env: { ...process.env, KUBECONFIG: '', HOME: tmpdir() },
        },
      );
      expect(r.stdout, r.stdout).not.toMatch(/unreachable: cannot connect|quorum lost|[1-9] unreachable/);
      // All the probes are one SSH command: they run, or (the channel refused while the one before
      // it closes) none does, which is UNKNOWN.
      if (r.code === 3) {
        expect(r.first).toMatch(/^DQLITE UNKNOWN - 127\.0\.0\.1: cannot probe the members from 127\.0\.0\.1: /);
        expect(r.first).toMatch(/\(fix: check SSH to 127\.0\.0\.1 \(its sshd's MaxSessions, the network\) and bash there\)$/);
      } else expect(r.first, r.stdout).toMatch(/^DQLITE (OK|WARNING) - 127\.0\.0\.1: 3 voters, leader not asked, 0 unreachable/);
    } finally {
      narrow.stop();
      for (const v of voters) v.close();
      here.close();
    }
  });

  it("check_services --host reads that node's lock files there (ls of var/lock): none is UNKNOWN naming why", async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'mk8s-services-state-')), 'services.json');
    // -t 30: a loaded machine is slow to open SSH connections.
    const args = ['--host', '127.0.0.1', ...ssh(), '--state-file', state, '-t', '30'];
    const none = await runBuilt('check_services', [...args, '--snap-data', '/nonexistent/microk8s']);
    expect(none.code).toBe(3);
    expect(none.first).toMatch(
      /^SERVICES UNKNOWN - 127\.0\.0\.1: cannot list \/nonexistent\/microk8s\/var\/lock: .*No such file or directory/,
    );
    // Lock files read there, then systemd asked there: this machine's systemctl, with no systemd running.
    const here = await healthyNode();
    try {
      const read = await runBuilt('check_services', [...args, ...here.servicesArgs]);
      expect(read.code).toBe(3);
      expect(read.first).toMatch(
        /^SERVICES UNKNOWN - 127\.0\.0\.1: cannot ask systemd about the units: .*snap\.microk8s\.daemon-k8s-dqlite\.service/,
      );
    } finally {
      here.close();
    }
  });

  it('check_dqlite_storage --host: the same verdict as a local run (find, stat -f, df over SSH)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-backend-'));
    writeFileSync(join(dir, 'cluster.yaml'), 'x\n');
    // raft names a snapshot by milliseconds since boot, and lists it only with its .meta.
    writeFileSync(join(dir, 'snapshot-1-12983808-1492552'), Buffer.alloc(3 * 1024 * 1024));
    writeFileSync(join(dir, 'snapshot-1-12983808-1492552.meta'), 'meta');
    const local = await runBuilt('check_dqlite_storage', ['--backend-dir', dir, '--free-warning', '0', '--free-critical', '0']);
    const remote = await runBuilt('check_dqlite_storage', [
      '--host',
      '127.0.0.1',
      ...ssh(),
      '--backend-dir',
      dir,
      '--free-warning',
      '0',
      '--free-critical',
      '0',
    ]);
    expect(local.code).toBe(0);
    expect(remote.code).toBe(0);
    // Free space moves between the two runs on a shared machine.
    const freeless = (first: string) =>
      first
        .replace(/[\d.]+% free/, 'N% free')
        .replace(/free_pct=[\d.]+%/, 'free_pct=N%')
        .replace(/ free=\d+B/, ' free=NB');
    expect(freeless(remote.first)).toBe(freeless(local.first).replace('DQLITE-STORAGE OK - ', 'DQLITE-STORAGE OK - 127.0.0.1: '));
    expect(remote.perf.snapshot_size).toBe(`${3 * 1024 * 1024}B;52428800;157286400;0`);
  });

  it("check_dqlite_storage and check_dqlite --host behind a login's greeting: UNKNOWN, saying what they got and the fix", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-backend-'));
    writeFileSync(join(dir, 'cluster.yaml'), 'x\n');
    const scripts = mkdtempSync(join(tmpdir(), 'mk8s-greet-'));
    writeFileSync(join(scripts, 'greet'), '#!/bin/sh\necho "Welcome to node1"\nexec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n', { mode: 0o755 });
    const greeting = new TestSshd({ forceCommand: join(scripts, 'greet') });
    await greeting.start();
    const here = await healthyNode();
    try {
      const via = ['--host', '127.0.0.1', '--ssh-port', String(greeting.port), '--ssh-key', greeting.clientKey];
      const known = ['--ssh-known-hosts', greeting.knownHosts(['127.0.0.1'])];
      const quiet = '(fix: keep the shell on 127.0.0.1 quiet for commands run over SSH (.bashrc, a ForceCommand))';
      const storage = await runBuilt('check_dqlite_storage', [...via, ...known, '--backend-dir', dir]);
      expect(storage.code, storage.stdout).toBe(3);
      // The greeting breaks its listing (not the filesystem's one-line answers, read from their
      // last line, nor the clock's): the listing's failure, its own question, is the reason.
      expect(storage.first, storage.first).toMatch(
        /^DQLITE-STORAGE UNKNOWN - 127\.0\.0\.1: find printed 'Welcome to node1': not a file entry /,
      );
      expect(storage.first.endsWith(quiet)).toBe(true);
      const dqlite = await runBuilt('check_dqlite', [...via, ...known, ...here.dqliteArgs], {
        env: { ...process.env, KUBECONFIG: '', HOME: tmpdir() },
      });
      expect(dqlite.code, dqlite.stdout).toBe(3);
      expect(dqlite.first).toContain(`(got 'Welcome to node1') ${quiet}`);
    } finally {
      greeting.stop();
      here.close();
    }
  });

  it.skipIf(dqliteUnavailable())(
    'check_dqlite_storage --freelist --host: the real v1 CLI asked there, the same free pages as locally',
    async () => {
      const cluster = await startDqlite(1);
      try {
        const node = cluster.nodes[0]!;
        cluster.cli(node, 'CREATE TABLE IF NOT EXISTS t (v TEXT)');
        const args = ['--backend-dir', node.backend, '--freelist', '--database', 'demo', '--dqlite-bin', DQLITE_CLI];
        const quiet = ['--free-warning', '0', '--free-critical', '0', '-t', '30'];
        const local = await runBuilt('check_dqlite_storage', [...args, ...quiet]);
        // A CLI that refuses to answer in this process's environment: only the SSH session's may ask it.
        const wrapper = join(mkdtempSync(join(tmpdir(), 'mk8s-remote-cli-')), 'dqlite');
        writeFileSync(
          wrapper,
          `#!/bin/sh\n[ -z "$MK8S_NOT_HERE" ] || { echo 'asked on the wrong side' >&2; exit 1; }\nexec ${DQLITE_CLI} "$@"\n`,
          {
            mode: 0o755,
          },
        );
        const there = [...args.slice(0, -1), wrapper];
        const remote = await runBuilt('check_dqlite_storage', ['--host', '127.0.0.1', ...ssh(), ...there, ...quiet], {
          env: { ...process.env, MK8S_NOT_HERE: '1' },
        });
        expect(local.code, local.stdout).toBe(0);
        expect(remote.code, remote.stdout).toBe(0);
        const pages = Number(cluster.cli(node, 'SELECT page_count FROM pragma_page_count()'));
        const free = Number(cluster.cli(node, 'SELECT freelist_count FROM pragma_freelist_count()'));
        expect(pages).toBeGreaterThan(1);
        expect(remote.stdout).toContain(`${free} of ${pages} database pages free`);
        expect(remote.perf.freelist_pct).toBe(local.perf.freelist_pct);
        // The CLI named on the command line is the remote host's: one that is not there is UNKNOWN, not a local answer.
        const missing = await runBuilt('check_dqlite_storage', [
          '--host',
          '127.0.0.1',
          ...ssh(),
          ...args.slice(0, -1),
          '/nonexistent/dqlite',
          ...quiet,
        ]);
        expect(missing.code, missing.stdout).toBe(3);
        expect(missing.first).toMatch(/^DQLITE-STORAGE UNKNOWN - 127\.0\.0\.1: .*\/nonexistent\/dqlite/);
      } finally {
        await cluster.stop();
      }
    },
  );

  it('hostile values reach the remote side as one literal argument, or are refused', async () => {
    // Were any of these run by the remote shell, it would create the marker files in its cwd, root's home.
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-hostile-'));
    const mark = `mk8s-pwned-${process.pid}`;
    const evil = join(dir, `x'; touch ${mark}1; echo '$(touch ${mark}2) \`touch ${mark}3\` "q".journal`);
    renameSync(makeJournal(storm()), evil);
    const r = await runBuilt('check_dqlite_lock', ['--host', '127.0.0.1', ...ssh(), '--journal-file', evil]);
    expect(r.code).toBe(1);
    expect(r.perf.locked).toBe('12;5;50;0');
    for (const n of [1, 2, 3]) expect(existsSync(join(homedir(), `${mark}${n}`))).toBe(false);
    const unit = await runBuilt('check_dqlite_lock', ['--host', '127.0.0.1', ...ssh(), '--unit', 'x; reboot', '--journal-file', journal]);
    expect(unit.code).toBe(3);
    expect(unit.first).toMatch(/--unit must be a systemd unit name .*, not 'x; reboot'/);
    const newline = await runBuilt('check_dqlite_lock', ['--host', '127.0.0.1\nreboot', ...ssh(), '--journal-file', journal]);
    expect(newline.code).toBe(3);
    expect(newline.first).toMatch(/invalid host/);
  });
});

/**
 * A listener on every address whose accept queue is full and never drained (its process blocked):
 * a connect to it hangs, as to a frozen host, until the prober gives up.
 */
async function hangingListener(): Promise<{ port: number; close: () => void }> {
  const code =
    "const s = require('node:net').createServer(); s.listen({ port: 0, host: '0.0.0.0', backlog: 1 }, () => {" +
    ' console.log(s.address().port); setTimeout(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0), 100); });';
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = Number(await new Promise<string>((ok) => child.stdout!.once('data', (d) => ok(String(d).trim()))));
  await new Promise((r) => setTimeout(r, 300));
  // Fill the queue: these complete and are never accepted; every connect after them hangs.
  const fillers = await Promise.all(
    [0, 1, 2, 3].map(
      () =>
        new Promise<Socket>((ok) => {
          const c = connect(port, '127.0.0.1');
          c.on('error', () => undefined);
          setTimeout(() => ok(c), 200);
        }),
    ),
  );
  return {
    port,
    close: () => {
      for (const c of fillers) c.destroy();
      child.kill('SIGKILL');
    },
  };
}

describe('--host: a host that accepts and then stalls', () => {
  // An SSH server (ssh2's own) whose journalctl prints one line and then waits for good, as one
  // stuck on a slow disk does on a node in a write storm. OpenSSH's sshd ends such a command only
  // when asked to (a signal request; it has no terminal to hang up), and never for a root login,
  // which the test sshd is: this server records what it was asked instead.
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-stall-'));
  const hostKey = join(dir, 'host_ed25519');
  const clientKey = join(dir, 'client_ed25519');
  for (const f of [hostKey, clientKey]) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', f]);
  const signals: string[] = [];
  let closed = 0;
  let ran = 0;
  const server = new Server({ hostKeys: [readFileSync(hostKey)] }, (client) => {
    client.on('error', () => {});
    client.on('authentication', (ctx) => (ctx.method === 'publickey' ? ctx.accept() : ctx.reject(['publickey'])));
    client.on('session', (accept) => {
      const session = accept();
      session.on('signal', (_ok, _no, info) => signals.push(info.name));
      session.on('exec', (ok) => {
        ran++;
        const stream = ok();
        stream.write('1733400000.000000 k8s01 k8s-dqlite[1]: started\n');
        stream.on('close', () => closed++);
      });
    });
  });
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => server.close());

  it('is UNKNOWN by name within -t, and the command it ran there is killed, not only its channel closed', async () => {
    const pub = readFileSync(`${hostKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    const known = join(dir, 'known_hosts');
    writeFileSync(known, `[127.0.0.1]:${port} ${pub}\n`);
    const ssh = ['--ssh-port', String(port), '--ssh-key', clientKey, '--ssh-known-hosts', known, '--ssh-user', 'nagios'];
    const r = await runBuilt('check_dqlite_lock', ['--host', '127.0.0.1', ...ssh, '-t', '2']);
    expect(r.code).toBe(3);
    expect(r.first).toMatch(/^DQLITE-LOCK UNKNOWN - 127\.0\.0\.1: timed out after [\d.]+s while reading 127\.0\.0\.1 over SSH/);
    // The run has ended: what it sent has arrived, or never will. Each command it ran (the read, and
    // whether the journal reaches back over the window) is killed.
    for (let i = 0; i < 40 && closed < ran; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ran).toBeGreaterThan(0);
    expect(signals).toEqual(Array.from({ length: ran }, () => 'KILL'));
  });
});
