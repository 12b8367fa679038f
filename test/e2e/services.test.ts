// check_services through a stand-in systemctl on PATH (systemd cannot run here: test/helpers/standins.ts,
// systemctlStandIn, whose formats are quoted from systemd's source) and a $SNAP_DATA of lock files as
// MicroK8s leaves them.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBuilt } from '../helpers/run.ts';
import { pattern } from '../helpers/pattern.ts';
import { nagiosIds } from '../helpers/users.ts';
import { pathWithout, showBlock, systemctlStandIn as standIn, unit, type Unit } from '../helpers/standins.ts';

/** $SNAP_DATA with these lock files in var/lock (as `microk8s join --worker` and friends leave them). */
function snapData(...locks: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-snapdata-'));
  mkdirSync(join(dir, 'var', 'lock'), { recursive: true });
  for (const l of locks) writeFileSync(join(dir, 'var', 'lock', l), '');
  return dir;
}

const stateFile = () => join(mkdtempSync(join(tmpdir(), 'mk8s-services-state-')), 'services.json');

const daemon = (name: string) => `snap.microk8s.daemon-${name}.service`;
const DQ = daemon('k8s-dqlite');
const KL = daemon('kubelite');
const CT = daemon('containerd');
const CA = daemon('cluster-agent');
const KICK = daemon('apiserver-kicker');
const PROXY = daemon('apiserver-proxy');
const PROPS =
  '--property=Id,Names,LoadState,ActiveState,SubState,Result,NRestarts,ExecMainStartTimestamp,ExecMainStartTimestampMonotonic,' +
  'StateChangeTimestamp,StateChangeTimestampMonotonic';

/** A control-plane node that is not clustered: k8s-dqlite, kubelite, containerd, cluster-agent, apiserver-kicker. */
const controlPlane = (o: Partial<Record<string, Partial<Unit> & { upFor?: number }>> = {}) =>
  [DQ, KL, CT, CA, KICK].map((id) => unit(id, o[id] ?? {}));

async function runWith(stand: ReturnType<typeof standIn>, args: string[], state = stateFile()) {
  const r = await runBuilt('check_services', ['--min-uptime', '20s', '--state-file', state, ...args], {
    env: { ...process.env, PATH: stand.path },
  });
  let argv: string[] = [];
  try {
    argv = readFileSync(stand.log, 'utf8').trim().split('\n');
  } catch {
    // systemctl was never asked.
  }
  return { ...r, argv };
}

describe('check_services', () => {
  it('a control-plane node: the units its lock files say, one read-only systemctl show; a first sample is OK and says so', async () => {
    const stand = standIn(controlPlane());
    const r = await runWith(stand, ['--snap-data', snapData()]);
    expect(r.argv).toEqual([`show --no-pager ${PROPS} -- ${DQ} ${KL} ${CT} ${CA} ${KICK}`]);
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^SERVICES OK - 5 units active, first sample \(restarts per hour from the next run\) \| /);
    expect(r.perf.restarts_per_hour).toBe('U;3;10;0');
    expect(r.perf.restarts_k8s_dqlite).toBe('0c;;;0');
    expect(r.perf.uptime_k8s_dqlite).toMatch(/^\d+(\.\d+)?s;;;0$/);
    expect(Number.parseFloat(r.perf.uptime_k8s_dqlite!)).toBeGreaterThanOrEqual(59);
    expect(r.stdout).toMatch(/^first sample: restarts per hour are measured from the next run/m);
  });

  it('a worker: k8s-dqlite (inactive by design) and apiserver-kicker are not judged, apiserver-proxy is; OK, saying why', async () => {
    const units = [KL, CT, CA, PROXY].map((id) => unit(id));
    const stand = standIn([...units, unit(DQ, { active: 'inactive', sub: 'dead' })]);
    const worker = snapData('no-k8s-dqlite', 'clustered.lock');
    const state = stateFile();
    const first = await runWith(stand, ['--snap-data', worker], state);
    expect(first.argv).toEqual([`show --no-pager ${PROPS} -- ${KL} ${CT} ${CA} ${PROXY}`]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^k8s-dqlite left out: no-k8s-dqlite: a worker, inactive by design$/m);
    expect(first.stdout).toMatch(/^apiserver-kicker left out: clustered\.lock/m);
    const second = await runWith(stand, ['--snap-data', worker], state);
    expect(second.code).toBe(0);
    expect(second.first).toMatch(/^SERVICES OK - 4 units active, 0 restarts in \d+s \| restarts_per_hour=0;3;10;0 /);
    expect(second.perf.restarts_k8s_dqlite).toBeUndefined();
    const noProxy = await runWith(standIn(units), ['--snap-data', snapData('no-k8s-dqlite', 'clustered.lock', 'no-apiserver-proxy')]);
    expect(noProxy.argv).toEqual([`show --no-pager ${PROPS} -- ${KL} ${CT} ${CA}`]);
    expect(noProxy.code).toBe(0);
  });

  it('a joined control-plane node (clustered.lock alone) runs k8s-dqlite: a failed one is CRITICAL; the kicker is left out', async () => {
    const stand = standIn([unit(DQ, { active: 'failed', sub: 'failed', result: 'exit-code' }), ...[KL, CT, CA].map((id) => unit(id))]);
    const r = await runWith(stand, ['--snap-data', snapData('clustered.lock')]);
    expect(r.argv).toEqual([`show --no-pager ${PROPS} -- ${DQ} ${KL} ${CT} ${CA}`]);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^SERVICES CRITICAL - k8s-dqlite is failed \(exit-code\)/);
    expect(r.stdout).toMatch(/^apiserver-kicker left out: clustered\.lock/m);
    // External etcd: no-k8s-dqlite without clustered.lock, k8s-dqlite inactive by design.
    const etcd = standIn([unit(DQ, { active: 'inactive', sub: 'dead' }), ...[KL, CT, CA, KICK].map((id) => unit(id))]);
    const external = await runWith(etcd, ['--snap-data', snapData('no-k8s-dqlite')]);
    expect(external.code).toBe(0);
    expect(external.stdout).toMatch(/^k8s-dqlite left out: no-k8s-dqlite: external datastore, inactive by design$/m);
  });

  it('k8s-dqlite inactive where the lock files say it runs (its wrapper exited 0: nothing restarts it): CRITICAL, never OK', async () => {
    const stand = standIn(controlPlane({ [DQ]: { active: 'inactive', sub: 'dead' } }));
    const r = await runWith(stand, ['--snap-data', snapData()]);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^SERVICES CRITICAL - k8s-dqlite is inactive \| /);
    expect(r.perf.restarts_k8s_dqlite).toBe('0c;;;0');
  });

  it('12 old restarts unchanged between runs are OK; 18 new ones within the window CRITICAL naming k8s-dqlite', async () => {
    const old = controlPlane({ [DQ]: { restarts: 12 } });
    const stand = standIn(old);
    const data = snapData();
    const locks = ['--snap-data', data];
    const state = stateFile();
    expect((await runWith(stand, locks, state)).code).toBe(0);
    const same = await runWith(stand, locks, state);
    expect(same.code).toBe(0);
    expect(same.first).toMatch(/^SERVICES OK - 5 units active, 0 restarts in \d+s \| restarts_per_hour=0;3;10;0 restarts=12c;;;0 /);
    stand.set([{ ...old[0]!, restarts: 30 }]);
    const loop = await runWith(stand, locks, state);
    expect(loop.code).toBe(2);
    // Seconds apart, the rate is judged over an hour: said as a count within the hour, never "in 2s (18/h)".
    expect(loop.first).toMatch(/^SERVICES CRITICAL - k8s-dqlite restarted 18 times within the last hour \| /);
    expect(loop.perf.restarts_per_hour).toBe('18;3;10;0');
    // The absolute count stays in the perfdata.
    expect(loop.perf.restarts).toBe('30c;;;0');
    expect(loop.perf.restarts_k8s_dqlite).toBe('30c;;;0');
    expect(loop.stdout).toMatch(/Never restart kubelite on other nodes while k8s-dqlite crash-loops/);
    // The backend whose free space to look at is the one under the --snap-data given, not the default's.
    expect(loop.stdout).toContain(`(df ${join(data, 'var/kubernetes/backend')})`);
  });

  it('a count that went down (reset by a manual restart or refresh) counts its new value', async () => {
    const before = controlPlane({ [KL]: { restarts: 40 } });
    const stand = standIn(before);
    const locks = ['--snap-data', snapData()];
    const state = stateFile();
    await runWith(stand, locks, state);
    stand.set([{ ...before[1]!, restarts: 4 }]);
    const r = await runWith(stand, locks, state);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^SERVICES WARNING - kubelite restarted 4 times within the last hour \| /);
  });

  it('a --window below an hour counts over an hour, and keeps an hour of samples: the runbook loop stays CRITICAL', async () => {
    // The runbook's loop (about 22/h) seen by polls 10 minutes apart: k8s-dqlite up 2m30s at each.
    const now = Date.now();
    const loop = controlPlane({ [DQ]: { restarts: 21, upFor: 150 } });
    const stand = standIn(loop);
    const state = stateFile();
    const started = loop[0]!.since;
    const counts = [0, 4, 7, 11, 15, 18];
    const samples = counts.map((n, i) => [now - (59 - 10 * i) * 60_000, n, started - (59 - 10 * i) * 60_000_000]);
    writeFileSync(state, JSON.stringify({ version: 1, hosts: { '': { [DQ]: samples } } }));
    const locks = ['--snap-data', snapData()];
    // Another command line over the same units (the file is per hosts, units and --snap-data), asking a shorter window:
    // counted over its 10 minutes, 3 restarts read as 3/h (OK), and its samples alone were kept for the default run (OK).
    const short = await runWith(stand, [...locks, '--window', '10m'], state);
    expect(short.code).toBe(2);
    expect(short.first).toMatch(/^SERVICES CRITICAL - k8s-dqlite restarted 21 times within the last hour \| /);
    const r = await runWith(stand, locks, state);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^SERVICES CRITICAL - k8s-dqlite restarted 21 times within the last hour \| /);
  });

  it('restarts since a sample older than the window (checks paused, an old state file): judged as within it, never averaged', async () => {
    // Polls stopped 8 days ago (at NRestarts 0); the runbook's loop began an hour ago: 22 restarts, k8s-dqlite up 2m30s now.
    const loop = controlPlane({ [DQ]: { restarts: 22, upFor: 150 } });
    const state = stateFile();
    const weekAgo = [Date.now() - 8 * 86_400_000, 0, loop[0]!.since - 3600e6];
    writeFileSync(state, JSON.stringify({ version: 1, hosts: { '': { [DQ]: [weekAgo] } } }));
    const r = await runWith(standIn(loop), ['--snap-data', snapData()], state);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(
      /^SERVICES CRITICAL - k8s-dqlite restarted 22 times since a sample 8d(?:0h)? old \(judged as within 1h: 22\/h\) \| /,
    );
    expect(r.perf.restarts_per_hour_k8s_dqlite).toBe('22;;;0');
  });

  it('the restarts of a pause are judged once, on the run after it: the next run judges what came since', async () => {
    // Polls stopped 8 days ago (NRestarts 0); the run after the pause, 5 minutes ago, saw 11 and judged them; none since.
    const quiet = controlPlane({ [DQ]: { restarts: 11, upFor: 600 } });
    const state = stateFile();
    const since = quiet[0]!.since;
    const samples = [
      [Date.now() - 8 * 86_400_000, 0, 0],
      [Date.now() - 5 * 60_000, 11, since],
    ];
    writeFileSync(state, JSON.stringify({ version: 1, hosts: { '': { [DQ]: samples } } }));
    const r = await runWith(standIn(quiet), ['--snap-data', snapData()], state);
    expect(r.first).toMatch(/^SERVICES OK - 5 units active, 0 restarts in 5m\d*s? \| /);
    expect(r.code).toBe(0);
  });

  it('polls 10 minutes apart: the count spans the whole hour, from the newest sample before it; 4 restarts in it are WARNING', async () => {
    // Restarts 59, 44, 29 and 14 minutes ago (4/h, k8s-dqlite up 14m now); the samples 55 minutes ago and since saw only 3.
    const loop = controlPlane({ [DQ]: { restarts: 4, upFor: 840 } });
    const state = stateFile();
    const started = loop[0]!.since;
    const counts = [0, 1, 1, 2, 3, 3, 4];
    const samples = counts.map((n, i) => [Date.now() - (65 - 10 * i) * 60_000, n, started - (4 - n) * 900e6]);
    writeFileSync(state, JSON.stringify({ version: 1, hosts: { '': { [DQ]: samples } } }));
    const r = await runWith(standIn(loop), ['--snap-data', snapData()], state);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^SERVICES WARNING - k8s-dqlite restarted 4 times in 1h5m \(4\/h\) \| /);
  });

  it('a kicker-driven restart (NRestarts 0, up a few seconds) is WARNING', async () => {
    const r = await runWith(standIn(controlPlane({ [KL]: { upFor: 5 } })), ['--snap-data', snapData()]);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^SERVICES WARNING - kubelite restarted \d+s ago \(NRestarts 0: by hand, by apiserver-kicker or at boot\) \| /);
    expect(r.perf.restarts_kubelite).toBe('0c;;;0');
  });

  it('blocks answered out of order are matched by Id: the failed unit is the one named', async () => {
    const units = controlPlane({ [KL]: { active: 'failed', sub: 'failed', result: 'exit-code', restarts: 5 } });
    const r = await runWith(standIn(units, 'reversed'), ['--snap-data', snapData()]);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^SERVICES CRITICAL - kubelite is failed \(exit-code\) \| /);
    expect(r.perf.restarts_kubelite).toBe('5c;;;0');
    expect(r.perf.restarts_k8s_dqlite).toBe('0c;;;0');
  });

  it('a damaged state file: starting over, said in the long output, never an internal error', async () => {
    for (const text of ['{"version":1,"hosts":{"":{"x":null}}}', '{"counts":null}', 'not json', '[]']) {
      const state = stateFile();
      writeFileSync(state, text);
      const r = await runWith(standIn(controlPlane()), ['--snap-data', snapData()], state);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/state file .* is damaged, starting over/);
      expect(r.stdout).not.toMatch(/internal error/);
      expect(JSON.parse(readFileSync(state, 'utf8')).version).toBe(1);
    }
  });

  it('a state file it cannot keep: UNKNOWN on every run, saying so once; never that rates come from the next run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-services-state-'));
    // Under a regular file no directory can be made, for root either; a directory is left as it is.
    writeFileSync(join(dir, 'plain'), '');
    const why = { [join(dir, 'plain', 'services.json')]: `${join(dir, 'plain')} is not a directory`, [dir]: 'it is a directory' };
    for (const [state, cause] of Object.entries(why)) {
      for (const run of ['first', 'second']) {
        const r = await runWith(standIn(controlPlane()), ['--snap-data', snapData()], state);
        expect(r.code, `${state} ${run}`).toBe(3);
        expect(r.first, `${state} ${run}`).toMatch(
          new RegExp(
            `^SERVICES UNKNOWN - restart counts cannot be kept in ${state} \\(${cause}.*\\): restarts per hour not measured \\(fix: `,
          ),
        );
        expect(r.perf.restarts_per_hour, `${state} ${run}`).toBe('U;3;10;0');
        expect(r.stdout, `${state} ${run}`).not.toMatch(/from the next run|starting over|internal error/);
        expect(r.stdout.match(/cannot be kept/g), `${state} ${run}`).toHaveLength(1);
      }
    }
    // What it does judge still counts: a failed unit is CRITICAL beside it.
    const failed = controlPlane({ [KL]: { active: 'failed', sub: 'failed', result: 'exit-code' } });
    const r = await runWith(standIn(failed), ['--snap-data', snapData()], dir);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^SERVICES CRITICAL - kubelite is failed \(exit-code\), restart counts cannot be kept in /);
  });

  it('no $SNAP_DATA: UNKNOWN naming why, unless --unit names the units', async () => {
    const stand = standIn(controlPlane());
    const none = await runWith(stand, ['--snap-data', '/nonexistent/microk8s']);
    expect(none.code).toBe(3);
    expect(none.first).toMatch(/^SERVICES UNKNOWN - \/nonexistent\/microk8s does not exist: this host is not a MicroK8s node/);
    expect(none.argv).toEqual([]);
    const named = await runWith(stand, ['--snap-data', '/nonexistent/microk8s', '--unit', KL]);
    expect(named.code).toBe(0);
    expect(named.argv).toEqual([`show --no-pager ${PROPS} -- ${KL}`]);
  });

  /**
   * A node another user can read (the stand-in systemctl, $SNAP_DATA), and a state file in a
   * directory of root's, as /var/lib/nagios would be had someone made it so: readable, not writable.
   */
  const readOnlyState = () => {
    const stand = standIn(controlPlane());
    const locks = snapData();
    for (const d of [stand.dir, locks, join(locks, 'var'), join(locks, 'var', 'lock')]) chmodSync(d, 0o755);
    const readOnly = mkdtempSync(join(tmpdir(), 'mk8s-services-ro-'));
    chmodSync(readOnly, 0o755);
    return { stand, locks, state: join(readOnly, 'services.json') };
  };

  it.skipIf(!nagiosIds())('as the nagios user, a state file in a directory it cannot write: UNKNOWN naming the user', async () => {
    const ids = nagiosIds()!;
    const { stand, locks, state } = readOnlyState();
    for (const run of ['first', 'second']) {
      const r = await runBuilt('check_services', ['--snap-data', locks, '--state-file', state], {
        env: { ...process.env, PATH: stand.path },
        uid: ids.uid,
        gid: ids.gid,
      });
      expect(r.code, run).toBe(3);
      expect(r.first, run).toMatch(
        new RegExp(`^SERVICES UNKNOWN - restart counts cannot be kept in ${state} \\(permission denied for user nagios\\): `),
      );
    }
  });

  it('run by a uid the passwd database does not know (a container): the state file problem names the uid', async () => {
    const { stand, locks, state } = readOnlyState();
    const r = await runBuilt('check_services', ['--snap-data', locks, '--state-file', state], {
      env: { ...process.env, PATH: stand.path, HOME: '/nonexistent' },
      uid: 54321,
      gid: 54321,
    });
    expect(r.code).toBe(3);
    expect(r.first).toMatch(
      new RegExp(`^SERVICES UNKNOWN - restart counts cannot be kept in ${state} \\(permission denied for user uid 54321\\): `),
    );
  });

  it('a --snap-data that is no $SNAP_DATA (a file, a directory without var/lock): UNKNOWN, never a guess of the units', async () => {
    const notSnap = mkdtempSync(join(tmpdir(), 'mk8s-notsnap-'));
    writeFileSync(join(notSnap, 'file'), '');
    // Over SSH, `ls -1A` of its var/lock fails there alike (test/e2e/ssh.test.ts).
    for (const given of [notSnap, join(notSnap, 'file')]) {
      const stand = standIn(controlPlane());
      const r = await runWith(stand, ['--snap-data', given]);
      expect(r.code, given).toBe(3);
      expect(r.first, given).toMatch(
        new RegExp(`^SERVICES UNKNOWN - ${given}/var/lock is not a directory: ${given} is not MicroK8s' \\$SNAP_DATA \\(fix: `),
      );
      expect(r.argv, given).toEqual([]);
    }
  });

  it('k8s-dqlite held back by low-memory-guard.lock: WARNING saying so', async () => {
    const r = await runWith(standIn(controlPlane()), ['--snap-data', snapData('low-memory-guard.lock')]);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^SERVICES WARNING - k8s-dqlite held back by low-memory-guard\.lock \| /);
    expect(r.argv).toEqual([`show --no-pager ${PROPS} -- ${KL} ${CT} ${CA} ${KICK}`]);
  });

  it('MicroK8s stopped (microk8s stop left stopped.lock): CRITICAL naming it, the fix microk8s start, no crash-loop advice', async () => {
    // What `microk8s stop` leaves: every service stopped (inactive, dead, result success) and the lock its wrappers read.
    const down = Object.fromEntries([DQ, KL, CT, CA, KICK].map((id) => [id, { active: 'inactive', sub: 'dead' }]));
    const r = await runWith(standIn(controlPlane(down)), ['--snap-data', snapData('stopped.lock')]);
    expect(r.code, r.stdout).toBe(2);
    expect(r.first).toMatch(
      /^SERVICES CRITICAL - MicroK8s stopped on this node \(stopped\.lock: microk8s stop\), k8s-dqlite is inactive, /,
    );
    expect(r.stdout).toMatch(/^MicroK8s was stopped here .*: microk8s start$/m);
    expect(r.stdout).not.toMatch(/crash-loop/);
  });

  it('stopped.lock left behind (started by snap start), k8s-dqlite crash-looping: the crash loop and its advice', async () => {
    // microk8s stop stops every unit; here systemd restarts k8s-dqlite and the others run: nothing stopped them.
    const looping = controlPlane({ [DQ]: { active: 'activating', sub: 'auto-restart', restarts: 40, upFor: 50 } });
    const r = await runWith(standIn(looping), ['--snap-data', snapData('stopped.lock')]);
    expect(r.code, r.stdout).toBe(2);
    expect(r.first).toMatch(/^SERVICES CRITICAL - k8s-dqlite activating for \d+s \| /);
    expect(r.stdout).not.toMatch(/MicroK8s (was )?stopped/);
    expect(r.stdout).toMatch(/crash-loop/);
  });

  it('one stuck activating past --min-uptime is CRITICAL, activating just now WARNING', async () => {
    const stuck = await runWith(standIn(controlPlane({ [DQ]: { active: 'activating', sub: 'auto-restart', restarts: 2, upFor: 50 } })), [
      '--snap-data',
      snapData(),
    ]);
    expect(stuck.code).toBe(2);
    expect(stuck.first).toMatch(/^SERVICES CRITICAL - k8s-dqlite activating for \d+s \| /);
    const now = await runWith(standIn(controlPlane({ [DQ]: { active: 'activating', sub: 'auto-restart', restarts: 2, upFor: 5 } })), [
      '--snap-data',
      snapData(),
    ]);
    expect(now.code).toBe(1);
    expect(now.first).toMatch(/^SERVICES WARNING - k8s-dqlite activating for \d+s: restarting now \| /);
  });

  it('a unit that does not exist is UNKNOWN naming it; a bad unit name never reaches systemctl', async () => {
    const stand = standIn([]);
    const r = await runWith(stand, ['--unit', 'snap.microk8s.daemon-k8s-dqlit.service']);
    expect(r.code).toBe(3);
    expect(r.first).toMatch(/^SERVICES UNKNOWN - unit snap\.microk8s\.daemon-k8s-dqlit\.service does not exist on this host/);
    // A MicroK8s service by the name people say (as the long output writes it): its unit's name is the fix.
    const said = await runWith(standIn([]), ['--unit', 'kubelite', '--unit', 'nginx']);
    expect(said.code).toBe(3);
    expect(said.first).toMatch(
      pattern(
        /^SERVICES UNKNOWN - unit kubelite\.service does not exist on this host /,
        /\(fix: MicroK8s' kubelite is --unit snap\.microk8s\.daemon-kubelite\.service\), /,
        /unit nginx\.service does not exist on this host \| /,
      ),
    );
    const bad = await runWith(standIn([]), ['--unit', 'x; reboot']);
    expect(bad.code).toBe(3);
    expect(bad.first).toMatch(/--unit must be a systemd unit name .*, not 'x; reboot'/);
    expect(bad.argv).toEqual([]);
  });

  it('a troubled unit on a host that keeps no journal: the fix is for the host, never an option check_services lacks', async () => {
    const stand = standIn(controlPlane({ [DQ]: { active: 'failed', sub: 'failed', result: 'exit-code', restarts: 4 } }));
    // The real journalctl, reading an empty directory: what it says on a host whose journald keeps
    // no journal (Storage=none, or journald not running), "No journal files were found." on stderr.
    const empty = mkdtempSync(join(tmpdir(), 'mk8s-nojournal-'));
    writeFileSync(join(stand.dir, 'journalctl'), `#!/bin/sh\nexec /usr/bin/journalctl --directory='${empty}' "$@"\n`, { mode: 0o755 });
    const r = await runWith(stand, ['--snap-data', snapData()]);
    expect(r.code).toBe(2);
    const line = r.stdout.split('\n').find((l) => l.startsWith('(journal not read: '));
    expect(line).toMatch(/no journal files were found \(fix: .*systemd-journald.*journald\.conf/);
    expect(line).not.toMatch(/--journal-(dir|file)|--log-file/);
  });

  it('a troubled unit on a host without journalctl: the fix installs it, never names --log-file, which check_services lacks', async () => {
    const stand = standIn(controlPlane({ [DQ]: { active: 'failed', sub: 'failed', result: 'exit-code', restarts: 4 } }));
    // Every tool of PATH but journalctl, so that spawning it fails as on a host without systemd's tools.
    const tools = pathWithout('journalctl');
    const r = await runBuilt('check_services', ['--min-uptime', '20s', '--state-file', stateFile(), '--snap-data', snapData()], {
      env: { ...process.env, PATH: `${stand.dir}:${tools}` },
    });
    expect(r.code).toBe(2);
    const line = r.stdout.split('\n').find((l) => l.startsWith('(journal not read: '));
    expect(line).toMatch(/journalctl not found.*\(fix: install systemd \(journalctl\)\)\)$/);
    expect(line).not.toMatch(/--log-file/);
  });

  it('no systemd here, or an answer for another unit than asked (paired by position it would pass): UNKNOWN with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-systemctl-'));
    writeFileSync(
      join(dir, 'systemctl'),
      '#!/bin/sh\necho "System has not been booted with systemd as init system (PID 1). Can\'t ' +
        'operate." >&2\necho "Failed to connect to bus: Host is down" >&2\nexit 1\n',
      { mode: 0o755 },
    );
    const down = await runBuilt('check_services', ['--snap-data', snapData(), '--state-file', stateFile()], {
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
    });
    expect(down.code).toBe(3);
    expect(down.first).toMatch(/^SERVICES UNKNOWN - cannot ask systemd about the units: .*System has not been booted with systemd/);
    const other = join(mkdtempSync(join(tmpdir(), 'mk8s-systemctl-')), 'systemctl');
    writeFileSync(other, `#!/bin/sh\ncat <<'EOF'\n${showBlock(unit(KL))}\nEOF\n`, { mode: 0o755 });
    const wrong = await runBuilt('check_services', ['--unit', CT, '--state-file', stateFile()], {
      env: { ...process.env, PATH: `${join(other, '..')}:${process.env.PATH}` },
    });
    expect(wrong.code).toBe(3);
    expect(wrong.first).toMatch(
      pattern(
        /^SERVICES UNKNOWN - systemctl show gave no answer for /,
        /snap\.microk8s\.daemon-containerd\.service \(answers for: /,
        /snap\.microk8s\.daemon-kubelite\.service\)/,
      ),
    );
  });
});
