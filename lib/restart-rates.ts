// Restarts per hour as check_services says them: a unit's finding and long-output words, and the
// headline over the units found. Until a host has two samples there is no rate, and the headline
// says it is a first sample rather than calling the units settled.
import { formatDuration } from './duration.ts';
import { MIN_SPAN_MS, type Rate } from './restart-history.ts';
import { displayName } from './sources/snap-locks.ts';
import type { UnitState } from './sources/systemd.ts';
import { plural } from './text.ts';

/** Two samples within a second span no "0s". */
const spanWords = (ms: number) => formatDuration(Math.max(1, ms / 1000));

const perHour = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/**
 * The finding of a unit whose rate is past -w or -c. Samples closer than an hour are judged as
 * that many in an hour (never extrapolated): said as a count within the last hour, since
 * "18 times in 2s (18/h)" read as a rate far below the one seen. Restarts since a sample older
 * than the window are judged as within it (rateOf), and said so.
 */
export const rateText = (name: string, r: Rate): string =>
  r.spanMs < MIN_SPAN_MS
    ? `${name} restarted ${plural(r.restarts, 'time')} within the last hour`
    : r.unplaced
      ? `${name} restarted ${plural(r.restarts, 'time')} since a sample ${spanWords(r.spanMs)} old ` +
        `(judged as within ${spanWords(r.overMs)}: ${perHour(r.perHour)}/h)`
      : `${name} restarted ${plural(r.restarts, 'time')} in ${spanWords(r.spanMs)} (${perHour(r.perHour)}/h)`;

/** The end of a unit's long-output line: the restarts its samples show, if it has a rate. */
export const rateSeen = (r: Rate | undefined): string => (r ? `; ${plural(r.restarts, 'restart')} in the last ${spanWords(r.spanMs)}` : '');

/** The units active and the restarts measured across them, naming those that restarted. */
export function ratesHeadline(found: UnitState[], rates: Map<string, Rate | undefined>): string {
  const measured = [...rates.values()].filter((r) => r !== undefined);
  if (!measured.length) return `${plural(found.length, 'unit')} active, first sample (restarts per hour from the next run)`;
  const total = measured.reduce((n, r) => n + r.restarts, 0);
  const span = Math.max(...measured.map((r) => r.spanMs));
  const restarted = found.filter((u) => (rates.get(u.id)?.restarts ?? 0) > 0).map((u) => displayName(u.id));
  const who = restarted.length ? ` (${restarted.join(', ')})` : '';
  return `${plural(found.length, 'unit')} active, ${plural(total, 'restart')} in ${spanWords(span)}${who}`;
}
