import { inOrder } from '../in-order.ts';
import type { Deadline } from '../plugin/deadline.ts';
import { ReasonedError } from '../errors.ts';
import { shorten } from '../text.ts';
import type { CommandRunner } from './command.ts';
import { validateUnit } from './journalctl.ts';
import { readRemoteClock } from './ssh/clock.ts';
import { lastLine, quietShell } from './ssh/greeting.ts';

export class SystemdError extends ReasonedError {
  override readonly name = 'SystemdError';
}

/**
 * A unit as `systemctl show` describes it. systemd stamps each moment on two clocks at once
 * (src/basic/time-util.c, dual_timestamp_get): *Us is CLOCK_MONOTONIC in microseconds, *At the
 * wall clock in ms, to the second (systemctl prints it so); 0: never.
 */
export interface UnitState {
  id: string;
  /** loaded, not-found, masked, error ... */
  load: string;
  /** active, activating, deactivating, inactive, failed, reloading */
  active: string;
  sub: string;
  /** success, exit-code, signal, core-dump, timeout, start-limit-hit ... */
  result: string;
  restarts: number;
  /** When the main process last started. */
  startedUs: number;
  startedAt: number;
  /** When ActiveState last changed. */
  changedUs: number;
  changedAt: number;
}

export const UNIT_PROPERTIES = [
  'Id',
  'Names',
  'LoadState',
  'ActiveState',
  'SubState',
  'Result',
  'NRestarts',
  'ExecMainStartTimestamp',
  'ExecMainStartTimestampMonotonic',
  'StateChangeTimestamp',
  'StateChangeTimestampMonotonic',
];

/** The name systemctl answers under: a name without a unit type is a service (as systemctl reads it). */
export const unitId = (unit: string): string => (/\.[a-z]+$/.test(unit) ? unit : `${unit}.service`);

/**
 * The argv that reads these units: one read-only `systemctl show`, never a shell. systemctl prints
 * a wall-clock stamp in the zone it runs in, named by an abbreviation (CET, IST) that says no
 * offset: run with TZ=UTC, it is UTC. `--timestamp=` came with systemd 247 (NEWS), after Ubuntu
 * 20.04's 245, which MicroK8s supports.
 */
export function showArgv(units: string[]): string[] {
  return ['env', 'TZ=UTC', 'systemctl', 'show', '--no-pager', `--property=${UNIT_PROPERTIES.join(',')}`, '--', ...units.map(validateUnit)];
}

/**
 * A wall-clock stamp as systemd prints it where the zone is UTC (src/basic/time-util.c,
 * format_timestamp: the weekday in English whatever the locale, strftime(" %Y-%m-%d %H:%M:%S"),
 * rounded down to the second, then the zone; systemd 252: `Tue 2023-11-14 22:13:20 UTC`), or
 * nothing where the stamp is unset.
 */
const STAMP = /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) (\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) UTC$/;
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** A stamp's wall-clock ms, 0 for none; undefined: not a time in UTC as systemd writes one. */
function stampAt(text: string): number | undefined {
  if (text === '') return 0;
  const m = STAMP.exec(text);
  if (!m) return undefined;
  const [, day, y, mo, d, h, mi, s] = m;
  const at = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  // A time that does not exist (Feb 30, 24:00) is not one systemd printed.
  if (!Number.isFinite(at) || new Date(at).toISOString() !== `${y}-${mo}-${d}T${h}:${mi}:${s}.000Z`) return undefined;
  return WEEKDAYS[new Date(at).getUTCDay()] === day ? at : undefined;
}

/**
 * `systemctl show -p ...` prints one block of `Key=Value` lines per unit, in systemd's own order
 * of properties (not the -p order), blocks separated by an empty line; a unit that does not exist
 * still gets a block, with LoadState=not-found. Blocks are paired with the units asked by `Id=`
 * (or, for an alias, `Names=`), never by position: an answer for a unit not asked, or no answer
 * for one asked, is not what systemctl prints.
 */
export function parseShow(text: string, units: string[]): UnitState[] {
  const blocks = text
    .split(/\n\s*\n/)
    .map((b) => b.trim())
    .filter(Boolean)
    .map((b) => new Map(b.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const)));
  const answered = (p: Map<string, string>, unit: string) =>
    p.get('Id') === unitId(unit) || (p.get('Names') ?? '').split(' ').includes(unitId(unit));
  return units.map((unit) => {
    const matching = blocks.filter((b) => answered(b, unit));
    if (matching.length === 0) {
      const ids = blocks.map((b) => b.get('Id') ?? '(no Id)').join(', ');
      throw new SystemdError(`systemctl show gave no answer for ${unit} (answers for: ${ids || 'nothing'}): not what systemctl prints`);
    }
    const p = matching[0]!;
    const number = (key: string) => {
      const v = p.get(key);
      if (v === undefined || !/^\d+$/.test(v))
        throw new SystemdError(`systemctl show gave ${key}=${v ?? '(nothing)'} for ${unit}: not a number`);
      return Number(v);
    };
    // The two clocks' stamps of one moment are set together, or neither is.
    const stamp = (key: string) => {
      const monotonic = number(`${key}Monotonic`);
      const v = p.get(key);
      const at = v === undefined ? undefined : stampAt(v);
      if (at === undefined)
        throw new SystemdError(`systemctl show gave ${key}=${v ?? '(nothing)'} for ${unit}: not a time in UTC (env TZ=UTC systemctl)`);
      if ((at === 0) !== (monotonic === 0))
        throw new SystemdError(`systemctl show gave ${key}=${v} with ${key}Monotonic=${monotonic} for ${unit}: not what systemd prints`);
      return [monotonic, at] as const;
    };
    const word = (key: string) => {
      const v = p.get(key);
      if (!v) throw new SystemdError(`systemctl show gave no ${key} for ${unit}`);
      return v;
    };
    const [startedUs, startedAt] = stamp('ExecMainStartTimestamp');
    const [changedUs, changedAt] = stamp('StateChangeTimestamp');
    return {
      id: word('Id'),
      load: word('LoadState'),
      active: word('ActiveState'),
      sub: word('SubState'),
      result: word('Result'),
      restarts: p.get('LoadState') === 'not-found' ? 0 : number('NRestarts'),
      startedUs,
      startedAt,
      changedUs,
      changedAt,
    };
  });
}

/**
 * What a host's unit stamps are measured against. This host: CLOCK_MONOTONIC now, the clock of
 * the *Monotonic stamps. A host over SSH, whose monotonic clock cannot be read there without root
 * (/proc/timer_list): its boot clock (/proc/uptime) and its wall clock (date), as they read at one
 * moment of ours, each known to errorMs either way.
 */
export type UnitClock = { on: 'monotonic'; nowUs: number } | { on: 'host'; bootUs: number; wallMs: number; errorMs: number };

/**
 * How long ago a stamped moment was, in seconds; or, where the host's wall clock reads a time
 * before the moment's stamp (set back since), both; or, where its boot clock reads less than the
 * moment's monotonic stamp (no kernel's does), both in seconds: how long ago is then not told.
 */
export type Age = { seconds: number } | { stampedAt: number; clockAt: number } | { bootS: number; stampS: number };

/**
 * How long ago a moment systemd stamped (its monotonic µs and wall-clock ms) was, by the clock.
 *
 * Over SSH: CLOCK_MONOTONIC stops while the host is suspended, CLOCK_BOOTTIME does not
 * (clock_gettime(2)), so the boot clock less a monotonic stamp counts as well the time the host
 * slept before the moment: never less than the truth. The wall clock counts a sleep too (on
 * resume the kernel adds it to the wall clock and the boot clock, not to the monotonic one:
 * kernel/time/timekeeping.c, __timekeeping_inject_sleeptime), and is right unless set since.
 * So: the boot clock's age, unless the wall clock says less time passed (the host slept before
 * the moment: a laptop, a VM suspended by its cloud, which suspends its guest, as Compute Engine
 * does with ACPI S3), then the wall clock's, taken at its least (stamped to the second). A wall
 * clock that says more (set forward since: an RTC-less board at its first NTP sync) is not
 * taken. A paused KVM guest is not a host that slept: kvmclock stands still for it, all its
 * clocks alike (QEMU, "kvmclock: clock should count only if vm is running"). Wrong only where
 * the host both slept before the moment and had its clock set forward since by more than that
 * sleep, or had it set back since (by less than the age: told that much short, never long); a
 * stamp after the wall clock's now (set back since) is not told. Nor is a moment whose monotonic
 * stamp is past the boot clock's now: the boot clock never runs behind the monotonic one, so that
 * /proc/uptime is not the kernel's (lxcfs gives an LXD container its own age there, while systemd
 * in it stamps the host's monotonic clock), and the boot clock less the stamp came to 0: every
 * unit "restarted 1s ago".
 */
export function ageOf(clock: UnitClock, monotonicUs: number, wallAt: number): Age {
  if (clock.on === 'monotonic') return { seconds: Math.max(0, (clock.nowUs - monotonicUs) / 1e6) };
  const boot = (clock.bootUs - monotonicUs) / 1e6;
  // The stamp is rounded down to the second: the moment was within a second after it.
  const atMost = (clock.wallMs + clock.errorMs - wallAt) / 1000;
  const atLeast = (clock.wallMs - clock.errorMs - wallAt - 1000) / 1000;
  if (atMost < 0) return { stampedAt: wallAt, clockAt: clock.wallMs };
  if (boot < -clock.errorMs / 1000) return { bootS: clock.bootUs / 1e6, stampS: monotonicUs / 1e6 };
  if (boot <= atMost + clock.errorMs / 1000) return { seconds: Math.max(0, boot) };
  return { seconds: Math.max(0, atLeast) };
}

/** The units' states, and the clock they are measured on, read through a runner (local or SSH). */
export async function readUnits(
  run: CommandRunner,
  units: string[],
  signal: AbortSignal,
  clockNow: () => Promise<UnitClock>,
): Promise<{ units: UnitState[]; clock: UnitClock }> {
  let text: string;
  // One question per unit: systemctl answers a unit named twice once or twice, depending on its version.
  units = [...new Set(units)];
  try {
    text = await run(showArgv(units), signal);
  } catch (err) {
    if (signal.aborted) throw err;
    throw new SystemdError('cannot ask systemd about the units', {
      cause: err,
      fix: 'run the check on a host where systemd runs (systemctl show must work for the check user)',
    });
  }
  const states = parseShow(text, units);
  return { units: states, clock: await clockNow() };
}

/** This host's CLOCK_MONOTONIC now, the clock systemd's *Monotonic stamps are on. */
export const localUnitClock = async (): Promise<UnitClock> => ({ on: 'monotonic', nowUs: Number(process.hrtime.bigint() / 1000n) });

/** /proc/uptime as the kernel writes it (fs/proc/uptime.c, "%lu.%02lu %lu.%02lu\n"): the boot clock, then idle time. */
const UPTIME = /^(\d+)\.(\d{2}) \d+\.\d{2}$/;

/** A host's boot clock in µs, with the moment of ours it was read at and how far either way. */
async function readBootClock(host: string, run: CommandRunner, signal: AbortSignal) {
  const before = Date.now();
  let text: string;
  try {
    text = await run(['cat', '/proc/uptime'], signal);
  } catch (err) {
    if (signal.aborted) throw err;
    throw new SystemdError(`cannot read the boot clock of ${host}`, { cause: err, fix: `check that /proc is mounted on ${host}` });
  }
  const after = Date.now();
  // Its last line: a login's greeting (.bashrc, a ForceCommand) comes before what cat prints.
  const last = lastLine(text).line;
  const m = UPTIME.exec(last);
  if (!m)
    throw new SystemdError(`cannot read the boot clock of ${host}: /proc/uptime says '${shorten(last, 60)}', not an uptime`, {
      fix: quietShell(host),
    });
  // Printed in hundredths, rounded down.
  return { us: (Number(m[1]) * 100 + Number(m[2])) * 10_000, at: (before + after) / 2, errorMs: (after - before) / 2 + 10 };
}

/**
 * A host's boot clock and wall clock, read over the same connection after its units. Both
 * failing, the boot clock's failure is the reason: the units' stamps are on it.
 */
export function hostUnitClock(host: string, run: CommandRunner, deadline: Deadline): () => Promise<UnitClock> {
  const signal = deadline.signal;
  return async () => {
    const [boot, wall] = await inOrder([readBootClock(host, run, signal), readRemoteClock(host, run, signal)], deadline);
    return { on: 'host', bootUs: boot.us, wallMs: boot.at + wall.skewMs, errorMs: boot.errorMs + wall.errorMs };
  };
}
