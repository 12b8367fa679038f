// A node read over SSH whose clock is not this host's: the window is its own clock's, never ours.
// The remote side's clock is moved by the real libfaketime, applied to every command the test
// sshd runs (its ForceCommand), and the journal there is stamped on that clock.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calicoNode, lease, node, nodeLease, pod } from '../apiserver/objects.ts';
import { useCluster } from '../helpers/cluster.ts';
import { at, klog, logrus, LOCK_TXN } from '../helpers/fixtures.ts';
import { DQLITE, haveJournalRemote, KUBELITE, makeJournal, type Entry } from '../helpers/journal.ts';
import { runBuilt } from '../helpers/run.ts';
import { pattern } from '../helpers/pattern.ts';
import { skewSaid } from '../helpers/skew.ts';
import { healthyNode, type HealthyNode } from '../helpers/standins.ts';
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
  const dateDelay = join(dir, 'date-delay');
  // date answers after the seconds in date-delay, where that file is: a host slow to read its clock.
  writeFileSync(
    login,
    '#!/bin/sh\n' +
      `case "$SSH_ORIGINAL_COMMAND" in "'date' "*) [ -e '${dateDelay}' ] && sleep "$(cat '${dateDelay}')";; esac\n` +
      `exec ${FAKETIME} -f "$(cat '${offsetFile}')" /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`,
    { mode: 0o755 },
  );
  const sshd = new TestSshd({ forceCommand: login });
  const cluster = useCluster();
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
        new RegExp(`^127\\.0\\.0\\.1's clock is \\S+ ${way} this host's \\(±[\\d.]+s\\): the window was taken on its clock`, 'm'),
      );
      // 2m, within the bound said ("2m1s" or "119s" on a loaded machine).
      const said = skewSaid(r.stdout, '127.0.0.1', seconds);
      // Two minutes is more than a polling interval: said on the first line too.
      expect(r.first).toContain(`, its clock is ${said} ${way} ours (the window taken on its clock) |`);
    });
  }

  it('check_dqlite_lock: a clock 20 s off is said in the long output alone; one that agrees, nowhere', async () => {
    const journal = makeJournal(locks(ages, skew(20)), mkdtempSync(join(dir, 'j-')), { now: Date.now() + 20_000 });
    const off = await runBuilt('check_dqlite_lock', [...ssh(), '--journal-file', journal]);
    expect(off.first).toMatch(
      /^DQLITE-LOCK OK - 127\.0\.0\.1: 5 'database is locked' lines in the last 5m \(1\.0\/min, 1 in the last minute, steady\) \|/,
    );
    expect(off.stdout).toMatch(/^127\.0\.0\.1's clock is \S+ ahead of this host's \(±[\d.]+s\)/m);
    skewSaid(off.stdout, '127.0.0.1', 20);
    const same = makeJournal(locks(ages, skew(0)), mkdtempSync(join(dir, 'j-')));
    const agrees = await runBuilt('check_dqlite_lock', [...ssh(), '--journal-file', same]);
    expect(agrees.first).toMatch(
      /^DQLITE-LOCK OK - 127\.0\.0\.1: 5 'database is locked' lines in the last 5m \(1\.0\/min, 1 in the last minute, steady\) \|/,
    );
    expect(agrees.stdout).not.toMatch(/clock/);
    // A clock read slow to come back: date ran 3 s into a round trip of 3 s and more, so a clock
    // that agrees reads about 1.5 s ahead, within the reading's own error (±1.5 s and more): not said.
    writeFileSync(dateDelay, '3');
    try {
      const slow = await runBuilt('check_dqlite_lock', [...ssh(), '--journal-file', same]);
      expect(slow.code, slow.stdout).toBe(0);
      expect(slow.stdout).not.toMatch(/clock/);
    } finally {
      rmSync(dateDelay);
    }
  });

  it('check_dqlite_lock: a clock further off than the window is UNKNOWN, with the fix', async () => {
    const journal = makeJournal(locks(ages, skew(600)), mkdtempSync(join(dir, 'j-')), { now: Date.now() + 600_000 });
    const r = await runBuilt('check_dqlite_lock', [...ssh(), '--journal-file', journal]);
    expect(r.code, r.stdout).toBe(3);
    expect(r.first).toMatch(
      /^DQLITE-LOCK UNKNOWN - 127\.0\.0\.1: 127\.0\.0\.1's clock is \S+ ahead of this host's \(±[\d.]+s\), more than the 5m window/,
    );
    skewSaid(r.first, '127.0.0.1', 600);
    expect(r.first).toMatch(/\(fix: .*timedatectl.*chrony/);
  });

  it("a login's greeting before date's line is no clock problem, nor the journal's; a host without date is UNKNOWN saying so", async () => {
    const journal = makeJournal(locks(ages, skew(120)), mkdtempSync(join(dir, 'j-')), { now: Date.now() + 120_000 });
    const greet = join(dir, 'greet');
    writeFileSync(greet, `#!/bin/sh\necho "Welcome to node1"\nexec '${login}'\n`, { mode: 0o755 });
    const greeting = new TestSshd({ forceCommand: greet });
    // A PATH holding journalctl alone: no date there.
    const tools = mkdtempSync(join(dir, 'tools-'));
    symlinkSync(execFileSync('sh', ['-c', 'command -v journalctl'], { encoding: 'utf8' }).trim(), join(tools, 'journalctl'));
    const bare = new TestSshd({ path: tools });
    await greeting.start();
    await bare.start();
    const via = (d: TestSshd) => ['--host', '127.0.0.1', '--ssh-port', String(d.port), '--ssh-key', d.clientKey];
    try {
      const greeted = [...via(greeting), '--ssh-known-hosts', greeting.knownHosts(['127.0.0.1'])];
      const r = await runBuilt('check_dqlite_lock', [...greeted, '--journal-file', journal]);
      // The clock is read past the greeting, and the journal as without one: the greeting printed
      // before date's is taken off the answer to which machines its files hold (journalctl
      // --field=_MACHINE_ID), whose every line is a value.
      expect(r.code, r.stdout).toBe(0);
      expect(r.first).toMatch(
        /^DQLITE-LOCK OK - 127\.0\.0\.1: 5 'database is locked' lines in the last 5m \(1\.0\/min, 1 in the last minute/,
      );
      expect(r.perf).toMatchObject({ locked: '5;5;50;0', locked_last_min: '1;;;0' });
      const none = await runBuilt('check_dqlite_lock', [
        ...via(bare),
        '--ssh-known-hosts',
        bare.knownHosts(['127.0.0.1']),
        '--journal-file',
        journal,
      ]);
      expect(none.code, none.stdout).toBe(3);
      expect(none.first).toMatch(/^DQLITE-LOCK UNKNOWN - 127\.0\.0\.1: cannot read the clock of 127\.0\.0\.1: /);
      expect(none.first).toMatch(/: date \+%s\.%N failed on 127\.0\.0\.1 \(exit 127\): .*date.*not found/);
      expect(none.first).toContain('(fix: check that date (coreutils) runs on 127.0.0.1 over SSH)');
    } finally {
      greeting.stop();
      bare.stop();
    }
  });

  // --min-age is judged on the node's clock, which stamps a pod's start: on ours, a pod started 2 minutes
  // ago there read as started 8 minutes from now, younger than any --min-age, and was never judged.
  it("check_calico_routes: a pod's age is taken on the host's clock; one 2m old there without a route is CRITICAL", async () => {
    const c = cluster();
    const there = skew(600);
    const started = (Date.now() - (there - 120_000)) / 1000;
    c.api.add(
      'pods',
      calicoNode({ node: 'k8s02' }),
      pod({ namespace: 'web', name: 'api', node: 'k8s02', ip: '10.1.22.7', startedAgo: started }),
    );
    const r = await runBuilt('check_calico_routes', [...ssh(), '--node', 'k8s02', '--kubeconfig', c.kubeconfig]);
    expect(r.code, r.stdout).toBe(2);
    expect(r.first).toMatch(
      /^CALICO-ROUTES CRITICAL - 1 of 1 Running pod on k8s02 without a host route through its veth \(older than 30s\)/,
    );
    expect(r.stdout).toMatch(/^web\/api 10\.1\.22\.7 \(expected dev cali[0-9a-f]{11}, no route\)$/m);
  });

  it("check_dqlite_storage: snapshot ages are the host's own; a burst that stopped there is not read as going on", async () => {
    // Two 60 MB snapshots 2 minutes apart, the newest written 6 minutes ago by the host's clock,
    // which runs 2 minutes ahead: their mtimes are 4 and 6 minutes before ours.
    const backend = mkdtempSync(join(dir, 'backend-'));
    writeFileSync(join(backend, 'cluster.yaml'), 'x\n');
    const there = skew(120);
    for (const [name, age] of [
      ['snapshot-1-12983808-1492552', 480],
      ['snapshot-1-12990000-1612552', 360],
    ] as const) {
      const file = join(backend, name);
      writeFileSync(file, '');
      truncateSync(file, 60 * 1024 * 1024);
      writeFileSync(`${file}.meta`, 'meta');
      const mtime = (there - age * 1000) / 1000;
      utimesSync(file, mtime, mtime);
    }
    const quiet = ['--free-warning', '0', '--free-critical', '0'];
    const r = await runBuilt('check_dqlite_storage', [...ssh(), '--backend-dir', backend, ...quiet]);
    // Read on this host's clock the newest was 4 minutes old: "more than one per 5m", CRITICAL.
    expect(r.code, r.stdout).toBe(1);
    expect(r.first).toMatch(/^DQLITE-STORAGE WARNING - 127\.0\.0\.1: newest snapshot 60 MB: each snapshot writes/);
    expect(r.stdout).toMatch(/^the last snapshots came every 2m, but none for 6m(\d+s)?: not frequent now$/m);
    expect(r.stdout).toMatch(/^127\.0\.0\.1's clock is \S+ ahead of this host's \(±[\d.]+s\): /m);
    const said = skewSaid(r.stdout, '127.0.0.1', 120);
    expect(r.first).toContain(`, its clock is ${said} ahead of ours (snapshot ages taken on its clock)) |`);
    // Further off than --min-interval: the cadence cannot be judged (UNKNOWN), the rest still is.
    skew(-600);
    const far = await runBuilt('check_dqlite_storage', [...ssh(), '--backend-dir', backend, ...quiet]);
    expect(far.code, far.stdout).toBe(3);
    expect(far.first).toMatch(/^DQLITE-STORAGE UNKNOWN - 127\.0\.0\.1: 127\.0\.0\.1's clock is \S+ behind this host's \(±[\d.]+s\), /);
    skewSaid(far.first, '127.0.0.1', -600);
    expect(far.first).toMatch(/, more than the 5m --min-interval: its times cannot be judged \(fix: .*timedatectl/);
    // Whether a burst goes on is not told on that clock: no CRITICAL from it.
    expect(far.first).not.toMatch(/more than one per 5m/);
    // Said once, as the finding: not again as a skew the window was taken on.
    expect(far.first).not.toMatch(/ours \(snapshot ages taken on its clock\)/);
    expect(far.perf.snapshot_size).toBe(`${60 * 1024 * 1024}B;52428800;157286400;0`);
  });
});

describe.skipIf(unavailable)('check_restart_preflight --host with a node whose clock is behind ours', () => {
  const cluster = useCluster();
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-skew-gate-'));
  const login = join(dir, 'skewed');
  const sshd = new TestSshd({ forceCommand: login });
  // A login that runs what it is given, but refuses /proc/uptime (an allowlist without it).
  const strict = join(dir, 'strict');
  const strictSshd = new TestSshd({ forceCommand: strict });
  let here: HealthyNode;
  let known: string;
  beforeAll(async () => {
    here = await healthyNode();
    writeFileSync(
      strict,
      `#!/bin/sh\nPATH='${here.bin}':$PATH; export PATH\n` +
        `case "$SSH_ORIGINAL_COMMAND" in *proc/uptime*) echo 'not allowed' >&2; exit 1 ;; esac\n` +
        `exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`,
      { mode: 0o755 },
    );
    await strictSshd.start();
    // The node's systemctl is the stand-in's; its clock 2 minutes behind ours.
    writeFileSync(
      login,
      `#!/bin/sh\nPATH='${here.bin}':$PATH; export PATH\nexec ${FAKETIME} -f -120s /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`,
      {
        mode: 0o755,
      },
    );
    await sshd.start();
    known = sshd.knownHosts(['127.0.0.1']);
  });
  afterAll(() => {
    sshd.stop();
    strictSshd.stop();
    here.close();
  });
  /** The gate for k8s02, this node read over SSH through `d`, with the node's dqlite and `extra`. */
  const gate = (kubeconfig: string, d: TestSshd, knownHosts: string, journal: string, extra: string[]) =>
    runBuilt(
      'check_restart_preflight',
      [
        '--kubeconfig',
        kubeconfig,
        '--node',
        'k8s02',
        ...['--host', '127.0.0.1', '--ssh-port', String(d.port), '--ssh-key', d.clientKey, '--ssh-known-hosts', knownHosts],
        '--journal-file',
        journal,
        '-t',
        '30',
        ...here.dqliteArgs,
        ...extra,
      ],
      { env: { ...process.env, PATH: here.path } },
    );

  it('a kubelite start 9 minutes ago there is NO-GO (settle 10m), not GO for being stamped 11 minutes before our now', async () => {
    const c = cluster();
    c.api.add('nodes', node({ name: 'k8s01', ip: '127.0.0.1' }), node({ name: 'k8s02', ip: '10.0.0.12' }));
    c.api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s01'));
    c.api.add('leases', nodeLease('k8s01'), nodeLease('k8s02'));
    const there = Date.now() - 120_000;
    const journal = makeJournal(
      [
        { age: 540, service: KUBELITE, message: 'Starting kubelite' },
        { age: 30, service: KUBELITE, message: klog(at(30, there), 'I', KUBELITE.pid, 'job_controller.go:562', '"enqueueing job"') },
      ],
      mkdtempSync(join(dir, 'j-')),
      { now: there },
    );
    const r = await gate(c.kubeconfig, sshd, known, journal, here.servicesArgs);
    expect(r.code, r.stdout).toBe(2);
    expect(r.first).toMatch(/^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: 127\.0\.0\.1: kubelite restarted 9m\d*s? ago \(settle 10m\)/);
    expect(r.stdout).toMatch(/^127\.0\.0\.1's clock is \S+ behind this host's \(±[\d.]+s\): /m);
    skewSaid(r.stdout, '127.0.0.1', -120);
  });

  it("a worker's k8s-dqlite is asked nothing, its kubelite is, on its clocks: a login refusing /proc/uptime is NO-GO", async () => {
    const c = cluster();
    c.api.add('nodes', node({ name: 'k8s01', ip: '10.0.0.11' }), node({ name: 'k8s02', ip: '10.0.0.12' }));
    c.api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s01'));
    c.api.add('leases', nodeLease('k8s01'), nodeLease('k8s02'));
    // A worker: no k8s-dqlite there (no-k8s-dqlite), joined to the cluster (clustered.lock).
    const worker = mkdtempSync(join(dir, 'worker-'));
    mkdirSync(join(worker, 'var', 'lock'), { recursive: true });
    for (const lock of ['no-k8s-dqlite', 'clustered.lock']) writeFileSync(join(worker, 'var', 'lock', lock), '');
    const journal = makeJournal(
      [
        { age: 1500, service: KUBELITE, message: 'Starting kubelite' },
        { age: 30, service: KUBELITE, message: klog(at(30), 'I', KUBELITE.pid, 'job_controller.go:562', '"enqueueing job"') },
      ],
      mkdtempSync(join(dir, 'j-')),
    );
    // kubelite's start is timed on the worker's own clocks (systemd's monotonic stamp against its
    // /proc/uptime), read there: refused, that start cannot be told, and the gate does not say GO.
    const refused = await gate(c.kubeconfig, strictSshd, strictSshd.knownHosts(['127.0.0.1']), journal, ['--snap-data', worker]);
    expect(refused.code, refused.stdout).toBe(2);
    expect(refused.first).toMatch(
      pattern(
        /^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: 127\.0\.0\.1: /,
        /cannot tell whether k8s-dqlite is crash-looping or when kubelite started \(cannot read the boot clock of 127\.0\.0\.1/,
      ),
    );
    // Allowed (the command list says it always follows systemctl show), kubelite up an hour there: GO, k8s-dqlite said left out.
    const r = await gate(c.kubeconfig, sshd, known, journal, ['--snap-data', worker]);
    expect(r.stdout).not.toMatch(/crash-looping|boot clock/);
    expect(r.stdout).toMatch(/k8s-dqlite left out: /);
    expect(r.code, r.stdout).toBe(0);
    expect(r.first).toMatch(/^RESTART-PREFLIGHT OK - GO: kubelite on k8s02 may be restarted/);
  });
});
