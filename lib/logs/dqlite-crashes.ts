// systemd's own restarts of k8s-dqlite after a crash ("Scheduled restart job, restart counter is at
// N", written by systemd under the unit's UNIT=, so `journalctl -u` shows it), over the gate's
// whole window. check_services' state rules see a unit up for 2 minutes as settled, and the gate
// keeps no samples to rate NRestarts by: the runbook's loop (3,794 restarts in 7 days, one every
// 2m40s) was up past 2 minutes most of the time, and the gate said GO between its crashes. A
// restart by hand (the runbook's recovery: restart k8s-dqlite, then kubelite) writes no such line,
// unless it lands while systemd waits to restart a unit that exited.
import { formatDuration } from '../duration.ts';
import { plural } from '../text.ts';
import type { Counter } from './tally.ts';

/** The journal --grep alternative that finds them (kubelite's too; the count keeps k8s-dqlite's). */
export const RESTART_COUNTER_GREP = 'restart counter is at';

// Newer systemd says "Scheduled restart job immediately on client request, ..." where a start was
// asked for while the unit waited out its RestartSec after exiting: a crash all the same.
const CRASH =
  /^snap\.microk8s\.daemon-k8s-dqlite\.service: Scheduled restart job(?: immediately on client request)?, restart counter is at (\d+)\.?$/;

/** k8s-dqlite's automatic restarts in the window: how many, the newest's time and its counter. */
export interface Crashes {
  count: number;
  last: number;
  counter: number;
}

/** `inner`, beside k8s-dqlite's automatic restarts over the whole read (a line without a time is taken as `now`). */
export function withDqliteCrashes<T extends object>(inner: Counter<T>, now: number): Counter<T & { crashes: Crashes }> {
  return {
    grep: `${inner.grep}|${RESTART_COUNTER_GREP}`,
    fresh: () => ({ ...inner.fresh(), crashes: { count: 0, last: 0, counter: 0 } }),
    count: (t, line) => {
      const m = CRASH.exec(line.message.trim());
      if (m) {
        const at = line.time ?? now;
        t.crashes.count += line.repeat ?? 1;
        if (at >= t.crashes.last) Object.assign(t.crashes, { last: at, counter: Number(m[1]) });
      }
      inner.count(t, line);
    },
  };
}

/** k8s-dqlite restarted by systemd within the window, said; undefined where it was not. */
export function crashed(c: Crashes, now: number, windowMs: number): string | undefined {
  if (!c.count) return undefined;
  const ago = formatDuration(Math.max(1, (now - c.last) / 1000));
  return (
    `k8s-dqlite restarted by systemd after a crash ${plural(c.count, 'time')} in the last ${formatDuration(windowMs / 1000)}, ` +
    `last ${ago} ago (restart counter is at ${c.counter})`
  );
}
