import type { Logger } from '../logger.ts';
import type { Beginning, Ending } from './span.ts';
import type { StreamExec } from '../sources/journalctl.ts';
import type { RemoteClock } from '../sources/ssh/clock.ts';
import { weight, type LogLine } from '../sources/logline.ts';

/** What one source gave a log check: its tally, or why it could not be read. */
export interface SourceResult<T> {
  /** The host read over SSH; undefined for the local journal or a log file. */
  host?: string;
  /** What was read, for the summary: "journal", a path, "stdin". */
  source: string;
  tally?: T;
  error?: unknown;
  /** Lines longer than the line limit, read by their two ends only. */
  cut?: number;
  /** Lines the check looks for whose time stamp could not be read: not counted, never "now". */
  badStamps?: number;
  /** The source begins inside the window: it holds only what followed. */
  begun?: Beginning;
  /** A journal given ends inside the window: nothing after its end was there to read. */
  ended?: Ending;
  /** The clock of the host read over SSH, against ours: the window was taken on it. */
  clock?: RemoteClock;
}

/** How a check counts lines: a fresh tally, a count per line, and journalctl's prefilter. */
export interface Counter<T> {
  /** A lowercase PCRE2 prefilter journalctl applies first: it only saves work. */
  grep: string;
  fresh: () => T;
  count: (tally: T, line: LogLine) => void;
}

/** Counters over one read side by side, each its own tally under its key; the prefilter lets through what any looks for. */
export function sideBySide<T extends object>(counters: { [K in keyof T]: Counter<T[K]> }): Counter<T> {
  const keys = Object.keys(counters) as (keyof T)[];
  return {
    grep: keys.map((k) => counters[k].grep).join('|'),
    fresh: () => Object.fromEntries(keys.map((k) => [k, counters[k].fresh()])) as T,
    count: (t, line) => {
      for (const k of keys) counters[k].count(t[k], line);
    },
  };
}

/**
 * A tally and the line handler that fills it, noting lines too long to read whole. A line whose
 * stamp could not be read is not counted at all (its time is unknown, and "now" could be hours
 * wrong); if it is one the check looks for (the grep prefilter, case-insensitive as journalctl
 * applies it), it is noted so that the verdict cannot be OK.
 */
export function counting<T>(c: Counter<T>): { result: { tally: T; cut: number; badStamps: number }; onLine: (line: LogLine) => void } {
  const result = { tally: c.fresh(), cut: 0, badStamps: 0 };
  const candidate = new RegExp(c.grep, 'i');
  const onLine = (line: LogLine) => {
    if (line.cut) result.cut++;
    if (line.badStamp) {
      if (candidate.test(line.message)) result.badStamps += weight(line);
      return;
    }
    c.count(result.tally, line);
  };
  return { result, onLine };
}

/** With -vv: each journalctl as it starts (its argv) and ends (exit code, time, stderr's first line). */
export function logged(exec: StreamExec, log: Logger, host?: string): StreamExec {
  return async (argv, signal, sink) => {
    const started = performance.now();
    log.debug({ host, argv }, 'journalctl started');
    const { code, stderr } = await exec(argv, signal, sink);
    log.debug(
      { host, code, ms: Math.round(performance.now() - started), stderr: stderr.trim().split('\n')[0] || undefined },
      'journalctl ended',
    );
    return { code, stderr };
  };
}
