// systemd stamps a unit's start and its state changes on the host's clocks; over SSH those clocks
// may not tell how long ago (lib/sources/systemd.ts, ageOf). Such a unit is neither restarting now
// nor settled: the reason is said, with both readings, never taken for an age.
import { type Age, ageOf, type UnitClock, type UnitState } from './sources/systemd.ts';
import { isoSeconds } from './text.ts';

/** An age the host's clocks cannot tell. */
export type Untold = Exclude<Age, { seconds: number }>;

/** How long ago systemd stamped a moment of a unit, on the clock the units were read with. */
export function unitAge(clock: UnitClock | undefined, monotonicUs: number, wallAt: number): Age {
  // Units are read with their clock (readUnitFacts): where there is a unit there is one.
  if (!clock) throw new Error('units read without their clock');
  return ageOf(clock, monotonicUs, wallAt);
}

/** How long a running unit's main process has been up; undefined for one not running or never started. */
export const uptimeOf = (u: UnitState, clock: UnitClock | undefined): Age | undefined =>
  u.active === 'active' && u.startedUs > 0 ? unitAge(clock, u.startedUs, u.startedAt) : undefined;

/** The seconds an age tells; NaN where there is none, or the clocks cannot tell it. */
export const secondsOf = (a: Age | undefined): number => (a && 'seconds' in a ? a.seconds : NaN);

/** Why `what` cannot be told, systemd having stamped `moment` as `a` reads. */
export function untold(what: string, moment: string, a: Untold): string {
  return 'stampedAt' in a
    ? `${what} cannot be told: systemd stamped ${moment} at ${isoSeconds(a.stampedAt)}, ` +
        `after what the clock there reads now (${isoSeconds(a.clockAt)}): set back since?`
    : `${what} cannot be told: /proc/uptime there reads ${a.bootS.toFixed(2)}s, less than systemd's monotonic ` +
        `stamp of ${moment} (${a.stampS.toFixed(2)}s): not the kernel's boot clock (a container's, from lxcfs?)`;
}
