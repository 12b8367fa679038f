import { UsageError } from './errors.ts';

const UNIT_SECONDS: Record<string, number> = { '': 1, s: 1, m: 60, min: 60, h: 3600, d: 86400 };

const MAX_DURATION_DAYS = 3650;

/** '90s', '5m', '1h', '2d' or bare seconds, to seconds. */
export function parseDuration(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d)?\s*$/.exec(text);
  if (!m) throw new UsageError(`${what} takes a duration (seconds, or a number with s, m, h or d: 90s, 5m, 1h), not '${text}'`);
  const seconds = Number(m[1]) * UNIT_SECONDS[m[2] ?? '']!;
  if (!(seconds > 0)) throw new UsageError(`${what} must be a duration greater than zero, not '${text}'`);
  // Past this a window reaches before 1970, which journalctl cannot parse; no check needs more.
  if (seconds > MAX_DURATION_DAYS * 86400)
    throw new UsageError(`${what} must be a duration of at most ${MAX_DURATION_DAYS}d (ten years), not '${text}'`);
  return seconds;
}

/** Seconds as a short human duration: 300 -> '5m', 90 -> '90s', 5400 -> '1h30m'. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  // Under half a second is '0s', never '0m' (a file rewritten this very second, 'rewrote it 0m ago').
  if (s < 120 && (s % 60 !== 0 || s === 0)) return `${s}s`;
  if (s < 3600) return s % 60 === 0 ? `${s / 60}m` : `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 86400) return s % 3600 === 0 ? `${s / 3600}h` : `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return s % 86400 === 0 ? `${s / 86400}d` : `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}
