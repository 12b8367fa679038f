import { formatDuration } from '../duration.ts';
import type { Window } from '../options/log.ts';
import { isoSeconds } from '../text.ts';

/**
 * The part of a window a source's lines were read over: all of it, or from where the source
 * begins inside it (a journal rotated or begun there, a log file logrotate just started). A check
 * says the span it saw, never the window it was asked for: an OK is a promise about what was read.
 */
export interface Span {
  /** Seconds read over: what a rate is per. */
  seconds: number;
  /**
   * The source begins inside the window: its first entry (ms since the epoch), the window's
   * seconds, and whether the source is a journal (else a log file).
   */
  begun?: { at: number; window: number; journal: boolean };
}

/** The span of `win` that a source (a journal, or a log file) beginning at `begins` (undefined: before the window) covers. */
export function spanOf(win: Window, begins: number | undefined, journal: boolean): Span {
  if (begins === undefined || begins <= win.since) return { seconds: win.seconds };
  // A second at least, as a window is: a journal begun this instant makes no rate of infinity.
  return { seconds: Math.max(1, (win.now - begins) / 1000), begun: { at: begins, window: win.seconds, journal } };
}

/**
 * "the last 5m", or "the last 2m14s (the journal begins inside the 5m window, at <time>)": the
 * source named, as only that one source's beginning explains the shorter span.
 */
export function spanText(span: Span, source: string): string {
  const last = `the last ${formatDuration(span.seconds)}`;
  if (!span.begun) return last;
  const what = source === 'journal' ? 'the journal' : source;
  return `${last} (${what} begins inside the ${formatDuration(span.begun.window)} window, at ${isoSeconds(span.begun.at)})`;
}

/** For the long output: what was not seen, and how to see the whole window next time. */
export function spanDetail(span: Span, source: string): string[] {
  if (!span.begun) return [];
  const local = source === 'journal';
  const seen =
    `${local ? 'The journal' : source} holds nothing from before ${isoSeconds(span.begun.at)}: the counts are of the ` +
    `${formatDuration(span.seconds)} since, and the whole ${formatDuration(span.begun.window)} window may hold more`;
  if (!span.begun.journal) return [`${seen} (a file logrotate just started: the rest of the window is in the one before it)`];
  // A node's own journal loses its oldest files to journald's limits; files given lose those not given.
  const fix = local
    ? 'keep the journal persistent (Storage=persistent in journald.conf) with room for more than the window (SystemMaxUse=)'
    : 'give every journal file of the node (--journal-dir), not the active one alone';
  return [`${seen} (fix: ${fix})`];
}
