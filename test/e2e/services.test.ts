// check_services through a stand-in systemctl on PATH that prints what systemd prints for
// `systemctl show --property=...` (Key=Value lines in systemd's property order, a block per unit,
// LoadState=not-found for a unit that does not exist) and records every argv it was given.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBuilt } from '../helpers/run.ts';

interface Unit {
  id: string;
  active?: string;
  sub?: string;
  result?: string;
  restarts?: number;
  /** Seconds since the main process started (and since the last state change). */
  upFor?: number;
  notFound?: boolean;
}

/** CLOCK_MONOTONIC now, in microseconds: what systemd's *TimestampMonotonic values count. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

function block(u: Unit): string {
  if (u.notFound) {
    return [
      'Result=success',
      'NRestarts=0',
      'ExecMainStartTimestampMonotonic=0',
      `Id=${u.id}`,
      'LoadState=not-found',
      'ActiveState=inactive',
      'SubState=dead',
      'StateChangeTimestampMonotonic=0',
    ].join('\n');
  }
  // Short durations: the monotonic clock starts at boot, and a test machine may have booted minutes ago.
  const since = monotonicUs() - (u.upFor ?? 90) * 1e6;
  return [
    `Result=${u.result ?? 'success'}`,
    `NRestarts=${u.restarts ?? 0}`,
    `ExecMainStartTimestampMonotonic=${u.active === 'failed' ? 0 : since}`,
    `Id=${u.id}`,
    'LoadState=loaded',
    `ActiveState=${u.active ?? 'active'}`,
    `SubState=${u.sub ?? 'running'}`,
    `StateChangeTimestampMonotonic=${since}`,
  ].join('\n');
}

/** A directory holding the stand-in systemctl; its argv log is beside it. */
function standIn(units: Unit[]): { path: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-systemctl-'));
  const out = join(dir, 'show.out');
  const log = join(dir, 'argv.log');
  writeFileSync(out, `${units.map(block).join('\n\n')}\n`);
  writeFileSync(join(dir, 'systemctl'), `#!/bin/sh\nprintf '%s\\n' "$*" >> "${log}"\ncat "${out}"\n`);
  chmodSync(join(dir, 'systemctl'), 0o755);
  return { path: `${dir}:${process.env.PATH}`, log };
}

const DQ = 'snap.microk8s.daemon-k8s-dqlite.service';
const KL = 'snap.microk8s.daemon-kubelite.service';
const CT = 'snap.microk8s.daemon-containerd.service';

async function run(units: Unit[], args: string[] = []) {
  const { path, log } = standIn(units);
  const r = await runBuilt('check_services', args, { env: { ...process.env, PATH: path } });
  return { ...r, argv: readFileSync(log, 'utf8').trim().split('\n') };
}

describe('check_services', () => {
  it('all units active with no restart: OK, and one read-only systemctl show', async () => {
    const r = await run([{ id: DQ }, { id: KL }, { id: CT }]);
    expect(r.code).toBe(0);
    expect(r.first).toMatch(
      /^SERVICES OK - 3 units active, 0 restarts in all \| restarts=0c;10;50;0 restarts_k8s_dqlite=0c;;;0 uptime_k8s_dqlite=9\d(\.\d+)?s;;;0 /,
    );
    expect(r.argv).toEqual([
      `show --no-pager --property=Id,LoadState,ActiveState,SubState,Result,NRestarts,ExecMainStartTimestampMonotonic,StateChangeTimestampMonotonic -- ${DQ} ${KL} ${CT}`,
    ]);
  });

  it('k8s-dqlite at NRestarts=3794, up 20 s: CRITICAL naming it, with what to do and not to do', async () => {
    const r = await run([{ id: DQ, restarts: 3794, upFor: 20 }, { id: KL }, { id: CT }]);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(
      /^SERVICES CRITICAL - k8s_dqlite restarted 2\ds ago \(restart 3794\): restarting now \| restarts=3794c;10;50;0 restarts_k8s_dqlite=3794c;;;0 uptime_k8s_dqlite=2\d(\.\d+)?s;;;0/,
    );
    expect(r.stdout).toMatch(/^snap\.microk8s\.daemon-k8s-dqlite\.service: active \(running\), 3794 restarts, up 2\ds$/m);
    expect(r.stdout).toMatch(/Never restart kubelite on other nodes while k8s-dqlite crash-loops/);
  });

  it('a failed unit is CRITICAL; one stuck activating past --min-uptime is CRITICAL, activating just now WARNING', async () => {
    const failed = await run([{ id: DQ }, { id: KL, active: 'failed', sub: 'failed', result: 'exit-code', restarts: 5 }, { id: CT }]);
    expect(failed.code).toBe(2);
    expect(failed.first).toMatch(/^SERVICES CRITICAL - kubelite is failed \(exit-code\)/);
    const stuck = await run(
      [{ id: DQ, active: 'activating', sub: 'auto-restart', restarts: 2, upFor: 50 }, { id: KL }, { id: CT }],
      ['--min-uptime', '30s'],
    );
    expect(stuck.code).toBe(2);
    expect(stuck.first).toMatch(/k8s_dqlite activating for 5\ds(,|$| \|)/);
    const now = await run([{ id: DQ, active: 'activating', sub: 'auto-restart', restarts: 2, upFor: 5 }, { id: KL }, { id: CT }]);
    expect(now.code).toBe(1);
    expect(now.first).toMatch(/k8s_dqlite activating for \ds: restarting now/);
  });

  it('a unit that does not exist is UNKNOWN naming it; a bad unit name never reaches systemctl', async () => {
    const r = await run(
      [{ id: 'snap.microk8s.daemon-k8s-dqlit.service', notFound: true }],
      ['--unit', 'snap.microk8s.daemon-k8s-dqlit.service'],
    );
    expect(r.code).toBe(3);
    expect(r.first).toMatch(/^SERVICES UNKNOWN - unit snap\.microk8s\.daemon-k8s-dqlit\.service does not exist on this host/);
    const { path } = standIn([]);
    const bad = await runBuilt('check_services', ['--unit', 'x; reboot'], { env: { ...process.env, PATH: path } });
    expect(bad.code).toBe(3);
    expect(bad.first).toMatch(/invalid unit name 'x; reboot'/);
  });

  it('no systemd here, or an answer that is not what systemctl prints: UNKNOWN with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-systemctl-'));
    writeFileSync(
      join(dir, 'systemctl'),
      '#!/bin/sh\necho "System has not been booted with systemd as init system (PID 1). Can\'t operate." >&2\necho "Failed to connect to bus: Host is down" >&2\nexit 1\n',
      { mode: 0o755 },
    );
    const down = await runBuilt('check_services', [], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
    expect(down.code).toBe(3);
    expect(down.first).toMatch(/^SERVICES UNKNOWN - cannot ask systemd about the units: .*System has not been booted with systemd/);
    const short = await run([{ id: DQ }]);
    expect(short.code).toBe(3);
    expect(short.first).toMatch(/systemctl show gave 1 answers for 3 units/);
  });
});
