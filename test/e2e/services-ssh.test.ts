// check_services --host: how long ago a unit started, told on that host's own clocks. systemd
// stamps a start on CLOCK_MONOTONIC, which stops while the host is suspended, and on the wall
// clock; /proc/uptime counts the boot clock, which does not stop (clock_gettime(2)). A host that
// slept is a real kernel's boot clock ahead of its monotonic one: the test sshd runs every command
// in a time namespace whose boot clock is moved (unshare --time --boottime, Linux 5.6; /proc/uptime
// follows it, fs/proc/uptime.c, timens_add_boottime), its CLOCK_MONOTONIC a day ahead of this
// machine's (HOST_UP_S: a unit there can have started 15 minutes ago on a machine booted a minute
// ago), the wall clock as it is. systemd cannot run here: its answers are the stand-in's
// (test/helpers/standins.ts), whose wall stamps are printed in the zone it runs in, as systemd prints them.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bySystemd, haveJournalRemote, KUBELITE, makeJournal } from '../helpers/journal.ts';
import { pattern } from '../helpers/pattern.ts';
import { runBuilt } from '../helpers/run.ts';
import { clocksFixed, HOST_UP_S, monotonicUs, onHostClocks, systemctlStandIn, unit, type Unit } from '../helpers/standins.ts';
import { sshdUnavailable, TestSshd } from '../helpers/sshd.ts';

const unavailable = sshdUnavailable() ?? clocksFixed();
const FAKETIME = '/usr/bin/faketime';
if (unavailable) console.warn(`check_services --host clock tests: ${unavailable}`);

const daemon = (name: string) => `snap.microk8s.daemon-${name}.service`;
const [DQ, KL, CT, CA, KICK] = ['k8s-dqlite', 'kubelite', 'containerd', 'cluster-agent', 'apiserver-kicker'].map(daemon) as [
  string,
  string,
  string,
  string,
  string,
];

describe.skipIf(unavailable)('check_services --host: uptime on the host its own clocks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-services-ssh-'));
  const stand = systemctlStandIn([], 'asked', join(dir, 'bin'));
  const snapData = join(dir, 'snap-data');
  mkdirSync(join(snapData, 'var', 'lock'), { recursive: true });
  // What the host is like for the next run: its login's greeting, and how long it slept.
  const hostFile = join(dir, 'host');
  // its wall clock's offset from ours (libfaketime's -f, as '-7200s'), and its journal file.
  const host = (o: { greeting?: string; sleptS?: number; skew?: string; journal?: string } = {}) =>
    writeFileSync(
      hostFile,
      `GREETING='${o.greeting ?? ''}'\nSLEPT=${o.sleptS ?? 0}\nSKEW='${o.skew ?? ''}'\nJOURNAL='${o.journal ?? ''}'\n`,
    );
  // The real journalctl on the host's journal file, where it has one.
  const journalBin = join(dir, 'journal-bin');
  mkdirSync(journalBin);
  writeFileSync(join(journalBin, 'journalctl'), `#!/bin/sh\nexec /usr/bin/journalctl --file="$JOURNAL" "$@"\n`, { mode: 0o755 });
  // A host whose zone is not UTC, the node's systemctl the stand-in, its clocks the host's.
  const login = join(dir, 'login');
  writeFileSync(
    login,
    `#!/bin/sh\nPATH='${stand.dir}':$PATH; TZ=Europe/Berlin; export PATH TZ\n. '${hostFile}'\n` +
      `[ -n "$JOURNAL" ] && PATH='${journalBin}':$PATH && export JOURNAL\n` +
      `[ -n "$GREETING" ] && echo "$GREETING"\n` +
      onHostClocks('SLEPT', `\${SKEW:+${FAKETIME} -f $SKEW} `),
    { mode: 0o755 },
  );
  const sshd = new TestSshd({ forceCommand: login });
  let known: string;
  beforeAll(async () => {
    await sshd.start();
    known = sshd.knownHosts(['127.0.0.1']);
  });
  afterAll(() => sshd.stop());
  const check = () =>
    runBuilt('check_services', [
      '--host',
      '127.0.0.1',
      '--ssh-port',
      String(sshd.port),
      '--ssh-key',
      sshd.clientKey,
      '--ssh-known-hosts',
      known,
      '--snap-data',
      snapData,
      '--state-file',
      join(mkdtempSync(join(dir, 'state-')), 'services.json'),
      '-t',
      '30',
    ]);
  /** A unit started `awakeS` seconds of the host's running time ago, and `wallS` seconds ago on its wall clock. */
  const started = (id: string, awakeS: number, wallS = awakeS): Unit => ({
    ...unit(id),
    since: monotonicUs() + (HOST_UP_S - awakeS) * 1e6,
    wallSince: Date.now() - wallS * 1000,
  });

  it("a login's greeting before what the commands print is read past, as the journal checks do", async () => {
    stand.set([DQ, KL, CT, CA, KICK].map((id) => started(id, 600)));
    host({ greeting: 'Welcome to node1' });
    const r = await check();
    expect(r.code, r.stdout).toBe(0);
    expect(r.first).toMatch(/^SERVICES OK - 127\.0\.0\.1: 5 units active, first sample \(restarts per hour from the next run\) \| /);
    expect(Number.parseFloat(r.perf.uptime_kubelite!)).toBeGreaterThanOrEqual(599);
  });

  it.skipIf(!haveJournalRemote)("a login's greeting is never a troubled unit's last words: a journal with none says none", async () => {
    // kubelite's 7th restart two hours ago: nothing of it in the last hour.
    const journal = makeJournal(
      [bySystemd(7200, KUBELITE, `${KL}: Scheduled restart job, restart counter is at 7.`)],
      mkdtempSync(join(dir, 'journal-')),
    );
    stand.set([...[DQ, CT, CA, KICK].map((id) => started(id, 900)), { ...started(KL, 600), restarts: 7 }]);
    host({ greeting: 'Welcome to node1', journal });
    const r = await check();
    expect(r.stdout).toMatch(/^kubelite \(snap\.microk8s\.daemon-kubelite\.service\): active \(running\), NRestarts 7, up 10m/m);
    expect(r.stdout).not.toContain('Welcome to node1');
  });

  it('a host that slept an hour: kubelite restarted since is WARNING, not up for an hour; units from before count the sleep', async () => {
    // Resumed 5 minutes ago from an hour asleep; kubelite restarted 5 s ago (apiserver-kicker:
    // NRestarts 0), the others have run since the boot, 15 minutes of running time before now.
    stand.set([...[DQ, CT, CA, KICK].map((id) => started(id, 900, 900 + 3600)), started(KL, 5)]);
    host({ sleptS: 3600 });
    const r = await check();
    expect(r.code, r.stdout).toBe(1);
    expect(r.first).toMatch(
      /^SERVICES WARNING - 127\.0\.0\.1: kubelite restarted \d+s ago \(NRestarts 0: by hand, by apiserver-kicker or at boot\) \| /,
    );
    expect(Number.parseFloat(r.perf.uptime_kubelite!)).toBeLessThan(60);
    // 1h15m: the wall clock's, to the second (and the seconds the run took).
    expect(Number.parseFloat(r.perf.uptime_k8s_dqlite!)).toBeGreaterThanOrEqual(4498);
    expect(Number.parseFloat(r.perf.uptime_k8s_dqlite!)).toBeLessThan(4560);
    expect(r.stdout).toMatch(/^k8s-dqlite \(snap\.microk8s\.daemon-k8s-dqlite\.service\): active \(running\), NRestarts 0, up 1h15m/m);
  });

  it.skipIf(!existsSync(FAKETIME) || !haveJournalRemote)(
    "a troubled unit's newest journal line is of the last hour on the host's clock, two hours behind ours",
    async () => {
      // kubelite restarting for the 7th time 30 minutes ago by the host's clock: two and a half
      // hours ago by ours, where the last hour holds nothing.
      const journal = makeJournal(
        [bySystemd(1800, KUBELITE, `${KL}: Scheduled restart job, restart counter is at 7.`)],
        mkdtempSync(join(dir, 'journal-')),
        { now: Date.now() - 7200_000 },
      );
      // Stamped by systemd on the host's wall clock.
      stand.set([...[DQ, CT, CA, KICK].map((id) => started(id, 900, 900 + 7200)), { ...started(KL, 600, 600 + 7200), restarts: 7 }]);
      host({ skew: '-7200s', journal });
      const r = await check();
      expect(r.stdout).toMatch(/^kubelite \(snap\.microk8s\.daemon-kubelite\.service\): active \(running\), NRestarts 7, up 10m/m);
      expect(r.stdout).toContain(`  newest: ${KL}: Scheduled restart job, restart counter is at 7.`);
    },
  );

  it('a wall clock set back since a unit started: its uptime cannot be told, UNKNOWN saying so, never OK', async () => {
    // kubelite has run 10 minutes, and systemd stamped its start 10 minutes after what the clock
    // there reads now: how long ago it started is not told by that clock, nor (had the host slept
    // before it started) by the boot clock.
    stand.set([...[DQ, CT, CA, KICK].map((id) => started(id, 900)), started(KL, 600, -600)]);
    host();
    const r = await check();
    expect(r.code, r.stdout).toBe(3);
    expect(r.first).toMatch(
      pattern(
        /^SERVICES UNKNOWN - 127\.0\.0\.1: kubelite's uptime cannot be told: systemd stamped its start at [\d-]+T[\d:]+Z, /,
        /after what the clock there reads now \([\d-]+T[\d:]+Z\): set back since\? \| /,
      ),
    );
    expect(r.perf.uptime_kubelite).toBe('U;;;0');
    expect(Number.parseFloat(r.perf.uptime_k8s_dqlite!)).toBeGreaterThanOrEqual(899);
  });

  // This machine's own boot clock, to set the host's a minute after its boot.
  const uptimeS = () => Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  it("a /proc/uptime behind systemd's monotonic stamps (lxcfs: a container's age): UNKNOWN saying so, not restarted 1s ago", async () => {
    // The container started a minute ago by /proc/uptime there, its units 50 s ago on the
    // host's monotonic clock, which systemd in it stamps: the boot clock less the stamp was
    // below 0, and every unit read as restarted just now.
    stand.set([DQ, KL, CT, CA, KICK].map((id) => started(id, 50)));
    host({ sleptS: 60 - Math.floor(uptimeS()) - HOST_UP_S });
    const r = await check();
    expect(r.code, r.stdout).toBe(3);
    expect(r.first).toMatch(
      pattern(
        /^SERVICES UNKNOWN - 127\.0\.0\.1: k8s-dqlite's uptime cannot be told: \/proc\/uptime there reads 6\d\.\d\ds, /,
        /less than systemd's monotonic stamp of its start \(\d+\.\d\ds\): not the kernel's boot clock \(a container's, from lxcfs\?\)/,
      ),
    );
    expect(r.first).not.toMatch(/restarted \d+s ago/);
    expect(r.perf.uptime_kubelite).toBe('U;;;0');
  });

  it('a wall clock set forward since a unit started (an RTC-less board at its first NTP sync): the boot clock, which was not', async () => {
    // kubelite started 30 s ago, before NTP moved the clock there three days on.
    stand.set([...[DQ, CT, CA, KICK].map((id) => started(id, 600)), started(KL, 30, 30 + 3 * 86400)]);
    host();
    const r = await check();
    expect(r.code, r.stdout).toBe(1);
    expect(r.first).toMatch(/^SERVICES WARNING - 127\.0\.0\.1: kubelite restarted \d+s ago /);
    expect(Number.parseFloat(r.perf.uptime_kubelite!)).toBeLessThan(60);
  });
});
