// Stand-ins for what a MicroK8s node has and this machine does not (systemd, the dqlite CLI and
// its backend), printing exactly what the real programs print (see services.test.ts and
// dqlite.test.ts for their formats and the sources they are quoted from).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface HealthyNode {
  /** Options for check_dqlite and check_restart_preflight: --dqlite-bin, --backend-dir. */
  dqliteArgs: string[];
  /** Options for check_services: --snap-data of a single control-plane node. */
  servicesArgs: string[];
  /** PATH with the stand-in systemctl first. */
  path: string;
  /** The bin directory holding the stand-ins. */
  bin: string;
  close(): void;
}

/**
 * A node whose MicroK8s services run without a restart (systemctl show answers a healthy block for
 * each unit asked, started five minutes ago: past check_services' --min-uptime; kubelite an hour
 * ago: past the gate's --settle), whose $SNAP_DATA
 * is a single control-plane node's (no lock file), and whose dqlite cluster is this one voter,
 * listening, and its leader.
 */
export async function healthyNode(dir = mkdtempSync(join(tmpdir(), 'mk8s-node-'))): Promise<HealthyNode> {
  const bin = join(dir, 'bin');
  const backend = join(dir, 'backend');
  mkdirSync(bin, { recursive: true });
  mkdirSync(backend, { recursive: true });
  // CLOCK_MONOTONIC counts from boot: on a machine up less than that, the boot itself. kubelite an
  // hour ago: past check_restart_preflight's --settle (10m), which times its start on this clock.
  const startedAgo = (s: number) => Math.max(1, Number(process.hrtime.bigint() / 1000n) - s * 1e6);
  // The same moment on the wall clock, printed as systemd prints a realtime stamp (see STAMP below).
  const wallOf = (mono: number) => Math.floor((Date.now() - (Number(process.hrtime.bigint() / 1000n) - mono) / 1000) / 1000);
  const [started, kubelite] = [startedAgo(300), startedAgo(3600)];
  const snapData = join(dir, 'snap-data');
  mkdirSync(join(snapData, 'var', 'lock'), { recursive: true });
  writeFileSync(
    join(bin, 'systemctl'),
    [
      '#!/bin/sh',
      'units=; for a in "$@"; do [ -n "$units" ] && printf "%s\\n" "$a"; [ "$a" = "--" ] && units=1; done | {',
      'first=1; while read -r u; do [ $first = 1 ] || echo; first=0',
      `case "$u" in *daemon-kubelite*) mono=${kubelite} at=${wallOf(kubelite)} ;; *) mono=${started} at=${wallOf(started)} ;; esac`,
      `wall=$(${STAMP} @$at)`,
      `printf 'Result=success\\nNRestarts=0\\nExecMainStartTimestamp=%s\\nExecMainStartTimestampMonotonic=%s\\n` +
        `Id=%s\\nLoadState=loaded\\nActiveState=active\\nSubState=running\\n` +
        `StateChangeTimestamp=%s\\nStateChangeTimestampMonotonic=%s\\n' "$wall" "$mono" "$u" "$wall" "$mono"`,
      'done; }',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  const voter: Server = createServer((s) => s.destroy());
  await new Promise<void>((ok) => voter.listen(0, '127.0.0.1', ok));
  const address = `127.0.0.1:${(voter.address() as { port: number }).port}`;
  writeFileSync(join(backend, 'cluster.yaml'), `- Address: ${address}\n  ID: 3297041220608546238\n  Role: 0\n`);
  writeFileSync(join(backend, 'info.yaml'), `Address: ${address}\nID: 3297041220608546238\nRole: 0\n`);
  for (const f of ['cluster.crt', 'cluster.key']) writeFileSync(join(backend, f), 'PEM\n');
  // raft's own files, as a bootstrapped voter has them within a second of starting (no snapshot yet).
  for (const f of ['metadata1', '0000000000000001-0000000000000001', 'open-1']) writeFileSync(join(backend, f), 'raft\n');
  // The last argument is the command: `.cluster` prints the members, `.leader` the leader's address
  // (go-dqlite internal/shell/shell.go, processCluster and processLeader).
  writeFileSync(
    join(bin, 'dqlite'),
    `#!/bin/sh\nfor c; do :; done\ncase "$c" in\n.cluster) echo ` +
      `'2dc171858c3155be|${address}|voter' ;;\n.leader) echo '${address}' ;;\nesac\n`,
    { mode: 0o755 },
  );
  return {
    dqliteArgs: ['--dqlite-bin', join(bin, 'dqlite'), '--backend-dir', backend],
    servicesArgs: ['--snap-data', snapData],
    path: `${bin}:${process.env.PATH}`,
    bin,
    close: () => voter.close(),
  };
}

// A stand-in systemctl that answers `systemctl show` for the units it knows the way systemd does,
// each format from systemd's source:
// - one `Key=Value` line per property (src/shared/bus-print-properties.c, bus_print_property_value),
//   a list such as Names= space-separated;
// - properties in systemd's order, not the -p order: the Service interface first (src/core/dbus-service.c:
//   ... Result ... NRestarts, then the ExecMain* status, each dual stamp its realtime property before its
//   Monotonic one: src/core/dbus-execute.h, BUS_EXEC_STATUS_VTABLE with BUS_PROPERTY_DUAL_TIMESTAMP), then
//   the Unit interface (src/core/dbus-unit.c: Id, Names, ... LoadState, ActiveState, SubState, ...
//   StateChangeTimestamp, StateChangeTimestampMonotonic);
// - a realtime stamp (a *Timestamp property) as STAMP prints it, empty when unset (see STAMP);
// - an empty line before each unit's block after the first (src/systemctl/systemctl-show.c, show_one:
//   `if (*new_line) printf("\n")`), a block for every unit named, LoadState=not-found for one that
//   does not exist (its Id is the name asked, mangled as show() mangles every name: one without a
//   unit type gets `.service`, src/basic/unit-name.c, unit_name_mangle_with_suffix).
// It records every argv it is given, and can answer in the reverse order of the units asked.

export interface Unit {
  id: string;
  active?: string;
  sub?: string;
  result?: string;
  restarts?: number;
  /** CLOCK_MONOTONIC µs when the main process started (kept across runs unless it restarts). */
  since: number;
  /**
   * The same moment on the wall clock, ms: systemd stamps both at once (src/basic/time-util.c,
   * dual_timestamp_get). Default: where the wall clock was that long ago, as on a machine that never
   * slept; a host that slept, or whose clock was set since, has them apart.
   */
  wallSince?: number;
}

/** CLOCK_MONOTONIC now, in microseconds: what systemd's *TimestampMonotonic values count. */
export const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * A unit whose main process started upFor seconds ago (short: a test machine may have booted minutes
 * ago). On a machine up for less, since its boot, as systemd would say: it never prints a negative
 * monotonic stamp, and the checks rightly refuse one ('not a number' failed a test 4 min after boot).
 */
export const unit = (id: string, o: Partial<Omit<Unit, 'id' | 'since'>> & { upFor?: number } = {}): Unit => ({
  id,
  ...o,
  since: Math.max(1, monotonicUs() - Math.round((o.upFor ?? 60) * 1e6)),
});

/** Why a time namespace cannot move the clocks a test host's commands run with, if it cannot. */
export function clocksFixed(): string | undefined {
  try {
    execFileSync('unshare', ['--fork', '--time', '--monotonic', '1', '--boottime', '1', 'true'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'no time namespaces (unshare --time: Linux 5.6 with CONFIG_TIME_NS, util-linux 2.36, root)';
  }
}

/**
 * How far the monotonic and boot clocks of a test host reached over SSH run ahead of this
 * machine's: a host up a day, whose units can have started an hour ago on a machine booted a
 * minute ago (a CI machine may be: there a unit's start was stamped below 0, "not a number").
 * 0 where a time namespace cannot move them: the host's clocks are then this machine's.
 */
export const HOST_UP_S = clocksFixed() ? 0 : 86_400;

/**
 * The lines of a test host's login that run its command (`$SSH_ORIGINAL_COMMAND`, `through` what
 * words come first) on the host's clocks (HOST_UP_S), the boot clock `sleptS` (shell arithmetic)
 * further on: a host that slept.
 * A time namespace's offsets count from the first namespace's clocks, not from its parent's: they
 * are added to those the login runs with (0, unless the tests themselves run in a time namespace).
 */
export function onHostClocks(sleptS = '0', through = ''): string {
  const run = `${through}/bin/sh -c "$SSH_ORIGINAL_COMMAND"`;
  if (!HOST_UP_S) return `exec ${run}\n`;
  return (
    '{ read -r _ MONO _; read -r _ BOOT _; } </proc/self/timens_offsets\n' +
    `exec unshare --fork --time --monotonic $((MONO + ${HOST_UP_S})) --boottime $((BOOT + ${HOST_UP_S} + ${sleptS})) ${run}\n`
  );
}

/** A unit of a test host (onHostClocks) whose main process started upFor seconds of its running time ago. */
export const hostUnit = (id: string, o: Partial<Omit<Unit, 'id' | 'since'>> & { upFor?: number } = {}): Unit => ({
  wallSince: Date.now() - (o.upFor ?? 60) * 1000,
  ...unit(id, o),
  since: monotonicUs() + Math.round((HOST_UP_S - (o.upFor ?? 60)) * 1e6),
});

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/**
 * A realtime stamp (ms) as systemd prints it where the zone is UTC, as `env TZ=UTC systemctl show`
 * has it: src/basic/time-util.c, format_timestamp: the weekday in English whatever the locale, then
 * strftime(" %Y-%m-%d %H:%M:%S"), rounded down to the second, then the zone's abbreviation;
 * systemd 252 here: `TZ=UTC systemd-analyze timestamp @1700000000` prints
 * `Normalized form: Tue 2023-11-14 22:13:20 UTC`. An unset stamp (0) prints empty:
 * format_timestamp returns NULL and `-p` shows empty properties (src/shared/bus-util.c,
 * bus_print_property, `if (t || all)` in 245; BUS_PRINT_PROPERTY_SHOW_EMPTY since).
 */
export function utcStamp(ms: number): string {
  if (ms === 0) return '';
  const d = new Date(Math.floor(ms / 1000) * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC`
  );
}

/**
 * The shell command the stand-ins print a realtime stamp (`@SECONDS`) with, in the zone of their
 * environment as systemd does (localtime_r and its tm_zone): on a host whose zone is not UTC a
 * check that does not set TZ=UTC reads `... CET`. English weekdays, as systemd's.
 */
const STAMP = "LC_ALL=C date '+%a %Y-%m-%d %H:%M:%S %Z' -d";

const wallOf = (u: Unit) => u.wallSince ?? Math.round(Date.now() - (monotonicUs() - u.since) / 1000);

/** The block `systemctl show` prints for one unit, each realtime stamp written by `stamp`. */
export function showBlock(u: Unit, stamp: (ms: number) => string = utcStamp): string {
  const wall = wallOf(u);
  return [
    `Result=${u.result ?? 'success'}`,
    `NRestarts=${u.restarts ?? 0}`,
    `ExecMainStartTimestamp=${stamp(u.active === 'failed' ? 0 : wall)}`,
    `ExecMainStartTimestampMonotonic=${u.active === 'failed' ? 0 : u.since}`,
    `Id=${u.id}`,
    `Names=${u.id}`,
    'LoadState=loaded',
    `ActiveState=${u.active ?? 'active'}`,
    `SubState=${u.sub ?? 'running'}`,
    `StateChangeTimestamp=${stamp(wall)}`,
    `StateChangeTimestampMonotonic=${u.since}`,
  ].join('\n');
}

const NOT_FOUND = [
  'Result=success',
  'NRestarts=0',
  'ExecMainStartTimestamp=',
  'ExecMainStartTimestampMonotonic=0',
  'Id=%s',
  'Names=%s',
  'LoadState=not-found',
  'ActiveState=inactive',
  'SubState=dead',
  'StateChangeTimestamp=',
  'StateChangeTimestampMonotonic=0',
].join('\\n');

export interface SystemctlStandIn {
  /** PATH with the stand-in first. */
  path: string;
  /** The directory holding `systemctl`. */
  dir: string;
  /** Every argv it was given, one line each. */
  log: string;
  /** Changes what it knows of these units (others stay as they were). */
  set(units: Unit[]): void;
}

/** A stand-in systemctl knowing these units, in `dir` (default: a new temporary directory). */
export function systemctlStandIn(
  units: Unit[],
  order: 'asked' | 'reversed' = 'asked',
  dir = mkdtempSync(join(tmpdir(), 'mk8s-systemctl-')),
): SystemctlStandIn {
  const log = join(dir, 'argv.log');
  mkdirSync(join(dir, 'units'), { recursive: true });
  // Kept as @SECONDS, printed in the zone systemctl is run in.
  const set = (us: Unit[]) => {
    for (const u of us) writeFileSync(join(dir, 'units', u.id), `${showBlock(u, (ms) => (ms ? `@${Math.floor(ms / 1000)}` : ''))}\n`);
  };
  set(units);
  const collect = order === 'asked' ? 'list="$list $a"' : 'list="$a $list"';
  writeFileSync(
    join(dir, 'systemctl'),
    `#!/bin/sh
printf '%s\\n' "$*" >> "${log}"
list=; named=
for a in "$@"; do
  if [ -n "$named" ]; then ${collect}; fi
  [ "$a" = "--" ] && named=1
done
first=1
for a in $list; do
  [ $first = 1 ] || echo
  first=0
  case "$a" in *.*) id=$a ;; *) id=$a.service ;; esac
  if [ -f "${dir}/units/$a" ]; then
    while IFS= read -r line; do
      case "$line" in
        *Timestamp=@*) printf '%s=%s\\n' "\${line%%=*}" "$(${STAMP} "\${line#*=}")" ;;
        *) printf '%s\\n' "$line" ;;
      esac
    done < "${dir}/units/$a"
  else printf '${NOT_FOUND}\\n' "$id" "$id"; fi
done
`,
  );
  chmodSync(join(dir, 'systemctl'), 0o755);
  return { path: `${dir}:${process.env.PATH}`, dir, log, set };
}

/**
 * A directory of every command of this PATH but `missing` (each linked to the one PATH finds
 * first): put in PATH instead of it, that command is not there, as on a host without it.
 */
export function pathWithout(missing: string): string {
  const bin = mkdtempSync(join(tmpdir(), `mk8s-no-${missing}-`));
  for (const dir of (process.env.PATH ?? '').split(':').filter((d) => d && existsSync(d))) {
    for (const name of readdirSync(dir)) {
      if (name !== missing && !existsSync(join(bin, name))) symlinkSync(join(dir, name), join(bin, name));
    }
  }
  return bin;
}
