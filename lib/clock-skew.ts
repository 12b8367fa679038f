// What a host's clock being off from ours means to a check that reads times there. The window is
// taken on its clock (lib/sources/ssh/clock.ts), so a skew changes no count; it is still said,
// as a node whose clock drifts has leases, certificates and log times that disagree with the others.
import { formatDuration } from './duration.ts';
import { CLOCK_FIX, ClockError, type RemoteClock, skewWords } from './sources/ssh/clock.ts';

/** Below this a skew is NTP's own spread and the SSH round trip's: not said. */
export const SKEW_SAID_MS = 1000;
/**
 * From this on it is said on the first line too: a minute is the Nagios polling interval and the
 * span of every "in the last minute" figure, and times shown from that host are a minute off its own.
 */
export const SKEW_SUMMARY_MS = 60_000;

/**
 * Why a host's clock cannot be judged against a span of `seconds` of its time (a window), if it
 * cannot: one further off than the span itself. The stretch of its time read would share nothing
 * with the one meant, and a clock that far off is stepped back sooner or later, which the stamps
 * written before the step do not follow.
 */
export function clockBeyond(clock: RemoteClock, seconds: number, what = `${formatDuration(seconds)} window`): ClockError | undefined {
  if (Math.abs(clock.skewMs) <= seconds * 1000) return undefined;
  return new ClockError(`${clock.host}'s clock is ${skewWords(clock)}, more than the ${what}: its times cannot be judged`, {
    fix: CLOCK_FIX,
  });
}

/** The clock of a host whose window (`seconds`) is to be taken on it; one further off is thrown (clockBeyond). */
export function windowClock(clock: RemoteClock, seconds: number): RemoteClock {
  const beyond = clockBeyond(clock, seconds);
  if (beyond) throw beyond;
  return clock;
}

/**
 * How far off the clock surely is: its skew less the reading's own error. A reading slow to come
 * back (a loaded host, channels refused and asked again) made a clock that agrees with ours read
 * "2.1s ahead (±2.104s)", said with a fix to apply.
 */
const surelyOffMs = (clock: RemoteClock) => Math.abs(clock.skewMs) - clock.errorMs;

/** The long output's line on a skew worth saying; undefined for a clock that agrees with ours. */
export function skewDetail(clock: RemoteClock | undefined, shown: string): string | undefined {
  if (!clock || surelyOffMs(clock) < SKEW_SAID_MS) return undefined;
  return `${clock.host}'s clock is ${skewWords(clock)}: ${shown} (fix: ${CLOCK_FIX})`;
}

/** The first line's words on a skew of a minute or more (`taken`: what was taken on its clock); undefined below. */
export function skewNote(clock: RemoteClock | undefined, taken: string): string | undefined {
  if (!clock || surelyOffMs(clock) < SKEW_SUMMARY_MS) return undefined;
  const s = formatDuration(Math.abs(clock.skewMs) / 1000);
  return `its clock is ${s} ${clock.skewMs > 0 ? 'ahead of' : 'behind'} ours (${taken} on its clock)`;
}
