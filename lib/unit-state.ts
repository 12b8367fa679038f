// check_services' state rules, which the restart gate applies through its evaluate: a unit failed
// or stopped is down; one (de)activating longer than --min-uptime is stuck, and within it is
// restarting now, as is one up for less than that. NRestarts 0 is no exception: apiserver-kicker
// restarts kubelite with snapctl, which resets the count.
import { formatDuration } from './duration.ts';
import { State } from './plugin/state.ts';
import type { Finding } from './plugin/verdict.ts';
import type { Age, UnitClock, UnitState } from './sources/systemd.ts';
import { secondsOf, unitAge, untold } from './unit-age.ts';

/** What a found unit's state says against it, if anything; `started` is its uptime (uptimeOf). */
export function unitStateFinding(
  u: UnitState,
  name: string,
  started: Age | undefined,
  clock: UnitClock | undefined,
  minUptimeMs: number,
): Finding | undefined {
  if (u.active === 'failed' || u.active === 'inactive')
    return { state: State.CRITICAL, text: `${name} is ${u.active}${u.result !== 'success' ? ` (${u.result})` : ''}` };
  if (u.active === 'activating' || u.active === 'deactivating') {
    const changed = unitAge(clock, u.changedUs, u.changedAt);
    if (!('seconds' in changed))
      return { state: State.UNKNOWN, text: untold(`how long ${name} has been ${u.active}`, `the change to ${u.active}`, changed) };
    const stuck = changed.seconds * 1000 > minUptimeMs;
    return {
      state: stuck ? State.CRITICAL : State.WARNING,
      text: `${name} ${u.active} for ${formatDuration(Math.max(1, changed.seconds))}${stuck ? '' : ': restarting now'}`,
    };
  }
  if (started && !('seconds' in started)) return { state: State.UNKNOWN, text: untold(`${name}'s uptime`, 'its start', started) };
  const up = secondsOf(started);
  if (up * 1000 < minUptimeMs)
    return {
      state: State.WARNING,
      text:
        `${name} restarted ${formatDuration(Math.max(1, up))} ` +
        `ago${u.restarts > 0 ? ` (NRestarts ${u.restarts}): restarting now` : ' (NRestarts 0: by hand, by apiserver-kicker or at boot)'}`,
    };
  return undefined;
}
