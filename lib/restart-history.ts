// systemd's NRestarts never decays: it only says how often a unit restarted since it was last
// started by hand (or the host booted). What matters is how often it restarts NOW, so each run
// keeps a sample per unit (when, NRestarts, when its main process started) and the rate is the
// growth across the samples of the kept window. A count that went DOWN was reset (a manual
// restart, a snap refresh, a reboot): its new value is growth. A main process that started anew
// while the count did not grow (apiserver-kicker restarts kubelite with snapctl, which resets
// NRestarts) is one restart.

import type { UnitFacts } from './sources/units.ts';

/** One observation of a unit: wall-clock ms, NRestarts, and ExecMainStartTimestampMonotonic (0: none). */
export type Sample = [at: number, restarts: number, startedUs: number];

/** Samples per unit id, oldest first. */
export type History = Record<string, Sample[]>;

/** A rate is never extrapolated from less than this: one restart between two close runs is not 60/h. */
export const MIN_SPAN_MS = 3600_000;
/** Bounded state: a check run every few seconds keeps only this many samples per unit. */
const MAX_SAMPLES = 240;

/**
 * Growth of a counter that only a reset lowers (systemd's NRestarts, a container's restartCount):
 * once it was reset, every count it shows happened since, so its new value is the growth.
 */
export const counterGrowth = (before: number, now: number): number => (now >= before ? now - before : now);

/** Restarts between two samples of one unit. */
export function growth(a: Sample, b: Sample): number {
  const counted = counterGrowth(a[1], b[1]);
  const startedAnew = a[2] > 0 && b[2] > 0 && a[2] !== b[2];
  return Math.max(counted, startedAnew ? 1 : 0);
}

/** Each found unit's samples after a reading (when, NRestarts, main start): what the next run starts from. */
export function nextHistory(reading: Pick<UnitFacts, 'at' | 'units'>, previous: History | undefined, windowMs: number): History {
  const found = reading.units.filter((u) => u.load !== 'not-found');
  return Object.fromEntries(found.map((u) => [u.id, kept(previous?.[u.id] ?? [], [reading.at, u.restarts, u.startedUs], windowMs)]));
}

/**
 * The samples kept for the next run: those inside the window and the newest one before it, so the
 * count covers the whole window (polls 10 minutes apart counted from the sample 55 minutes ago: 3 of
 * the hour's 4 restarts, OK). A window below an hour is an hour: the rate is the count over at least
 * an hour (MIN_SPAN_MS), so fewer samples would judge 10 minutes' restarts as an hour's (the
 * runbook's 22/h read as 3/h, OK), and a run with a shorter --window would drop the hour another
 * command line over the same file needs.
 */
export function kept(previous: Sample[], now: Sample, windowMs: number): Sample[] {
  const older = previous.filter((s) => s[0] < now[0]);
  const from = now[0] - Math.max(windowMs, MIN_SPAN_MS);
  const before = older.filter((s) => s[0] < from).slice(-1);
  return [...before, ...older.filter((s) => s[0] >= from), now].slice(-MAX_SAMPLES);
}

export interface Rate {
  /** Restarts seen across the samples. */
  restarts: number;
  /** The span they cover, in ms. */
  spanMs: number;
  /** The span the rate is taken over, in ms: at least an hour, at most the window. */
  overMs: number;
  /** No sample between the oldest, older than the window, and now: when the restarts fell is not known. */
  unplaced: boolean;
  /** Restarts per hour over overMs. */
  perHour: number;
}

/**
 * The restart rate the samples show; undefined with a single sample (nothing to compare). Over a
 * span longer than the window (only the newest sample older than it is kept: the checks paused, or
 * an old state file) when they fell is not known: they are judged as within the window, never
 * averaged over the pause (a loop begun an hour ago read 22 restarts in 8d, 0.1/h, OK). That is
 * done once, by the run right after the pause: a later run counts from that run's sample (else,
 * for an hour, 11 restarts of last week read "11 times in 8d (11/h)", CRITICAL, on every run).
 */
export function rateOf(all: Sample[], windowMs = Number.POSITIVE_INFINITY): Rate | undefined {
  const pause = Math.max(windowMs, MIN_SPAN_MS);
  const samples = all.length > 2 && all[1]![0] - all[0]![0] > pause ? all.slice(1) : all;
  if (samples.length < 2) return undefined;
  let restarts = 0;
  for (let i = 1; i < samples.length; i++) restarts += growth(samples[i - 1]!, samples[i]!);
  const spanMs = samples[samples.length - 1]![0] - samples[0]![0];
  const overMs = Math.max(Math.min(spanMs, windowMs), MIN_SPAN_MS);
  const unplaced = samples.length === 2 && spanMs > overMs;
  return { restarts, spanMs, overMs, unplaced, perHour: (restarts * 3600_000) / overMs };
}

/** The history of one host as a state file holds it, or why it cannot be used. */
export function historyOf(value: unknown): History | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const out: History = {};
  for (const [unit, samples] of Object.entries(value)) {
    if (!Array.isArray(samples)) return undefined;
    const good = samples.every(
      (s: unknown) => Array.isArray(s) && s.length === 3 && s.every((n: unknown) => typeof n === 'number' && Number.isFinite(n) && n >= 0),
    );
    if (!good) return undefined;
    out[unit] = [...(samples as Sample[])].sort((a, b) => a[0] - b[0]);
  }
  return out;
}
