import { formatDuration } from '../duration.ts';
import type { Window } from '../options/log.ts';
import { ENDED_FIX, endedName, endedText, KEEP_MORE, type JournalSeen } from '../sources/journal-beginnings.ts';
import { journalLabel } from '../sources/journalctl.ts';
import { isoSeconds } from '../text.ts';

/** Where a source begins inside the window: it holds only what followed. */
export interface Beginning {
  /** Its first entry or stamped line, ms since the epoch. */
  at: number;
  /** What begins there, as the summary names it: "the journal", journal files or a directory, a log file. */
  what: string;
  /** The node's own journal (here or over SSH), journal files or a directory given, a log file: each has its own fix. */
  kind: 'journal' | 'journal files' | 'journal directory' | 'log file';
  /** Of a journal holding several machines' entries (a central log host's), the machine whose entries begin there. */
  machine?: string;
  /**
   * Where the lines read together with it begin, when earlier (other journals read beside it that
   * began earlier or reach back over the window): what the counts are of.
   */
  from?: number;
  /** How many of those read with it begin inside the window too: their lines are of less than `from`'s span. */
  more?: number;
}

/** Where a journal read began, if inside its window. */
export function journalBeginning(seen: JournalSeen): Beginning | undefined {
  if (!seen.begins) return undefined;
  const { at, journal, from, files, machine, more } = seen.begins;
  const earlier = from < at ? { from } : {};
  const kind = journal.length === 0 ? 'journal' : files ? 'journal files' : 'journal directory';
  return {
    at,
    what: journalLabel(journal, machine),
    kind,
    ...earlier,
    ...(machine === undefined ? {} : { machine }),
    ...(more === undefined ? {} : { more }),
  };
}

/**
 * Where a journal given ends inside the window (JournalSeen.ends): its newest entry is older than
 * ENDED_MS. Its quiet after that is no calm: nothing was there to be read.
 */
export interface Ending {
  /** Its newest entry, ms since the epoch. */
  at: number;
  /** The journal (or machine in one), as the summary names it in a span (journalLabel). */
  what: string;
  /** As a sentence of its own names it: "journal D", or `what`. */
  name: string;
  /** Where every journal read ended, when none is live: the lines read are of the window up to there. */
  to?: number;
  /** The window, on this host's clock. */
  since: number;
  now: number;
}

/** Where a journal read ended, if inside its window `win`. */
export function journalEnding(seen: JournalSeen, win: Pick<Window, 'since' | 'now'>): Ending | undefined {
  if (!seen.ends) return undefined;
  const { at, journal, machine, to } = seen.ends;
  return {
    at,
    what: journalLabel(journal, machine),
    name: endedName(journal, machine),
    ...(to === undefined ? {} : { to }),
    since: win.since,
    now: win.now,
  };
}

/** Why a journal that ends inside the window cannot vouch for what follows its end, and the fix. */
export const endedReason = (e: Ending): string => `${endedText(e.name, e.at, e.since, e.now)} (fix: ${ENDED_FIX})`;

/**
 * The part of a window a source's lines were read over: all of it, or from where the source
 * begins inside it (a journal rotated or begun there, a log file logrotate just started). A check
 * says the span it saw, never the window it was asked for: an OK is a promise about what was read.
 */
export interface Span {
  /** Seconds read over: what a rate is per. */
  seconds: number;
  /**
   * The source begins inside the window, whose length (seconds) it keeps, and the seconds it
   * holds itself (fewer than `seconds` where other journals read with it hold more).
   */
  begun?: Beginning & { window: number; held: number };
  /** A journal given ends inside the window: the part after its end is not in it, and no last minute is claimed. */
  ended?: Ending & { window: number };
}

/**
 * The span of `win` that a source beginning at `begun` (undefined: before the window) covers: its
 * lines were read from there, or from where those read with it begin (`from`), if earlier. The
 * counts include those: a count "in the last 1m" of the lines of another journal from 4 minutes
 * before would be false.
 */
export function spanOf(win: Window, begun?: Beginning, ended?: Ending): Span {
  // Lines end where every journal read ended, if all did: the span (and a rate) is up to there.
  const end = ended?.to === undefined ? win.now : Math.min(ended.to, win.now);
  // A second at least, as a window is: a journal begun this instant makes no rate of infinity.
  const since = (t: number) => Math.max(1, (end - Math.max(t, win.since)) / 1000);
  const done = ended ? { ended: { ...ended, window: win.seconds } } : {};
  if (begun === undefined || begun.at <= win.since) return { seconds: ended?.to === undefined ? win.seconds : since(win.since), ...done };
  return { seconds: since(begun.from ?? begun.at), begun: { ...begun, window: win.seconds, held: since(begun.at) }, ...done };
}

/**
 * "the last 5m", or "the last 2m14s (the journal begins inside the 5m window, at <time>)": what
 * begins there named, as only its beginning explains the shorter span.
 */
export function spanText(span: Span): string {
  const b = span.begun;
  const e = span.ended;
  // Where every journal ended, `seconds` ends there; what was read is still of the last so long before now.
  const reach = e?.to === undefined ? span.seconds : Math.max(1, (e.now - Math.max(b?.from ?? b?.at ?? e.since, e.since)) / 1000);
  const last = `the last ${formatDuration(reach)}`;
  const window = (w: number) => `the ${formatDuration(w)} window`;
  const begins = b ? `${b.what} begins inside ${window(b.window)}, at ${isoSeconds(b.at)}` : undefined;
  const ends = e
    ? `${e.what} ends ${e.at <= e.since ? 'before' : 'inside'} ${b ? 'it' : window(e.window)}, at ${isoSeconds(e.at)}: nothing after it`
    : undefined;
  const notes = [begins, ends].filter((n) => n !== undefined);
  return notes.length ? `${last} (${notes.join('; ')})` : last;
}

/** For the long output: what was not seen, and how to see the whole window next time. */
export function spanDetail({ seconds, begun: b, ended }: Span): string[] {
  const ends = ended ? [endedReason(ended)] : [];
  return [...beganDetail(seconds, b), ...ends];
}

/** For the long output: what a source that begins inside the window did not hold. */
function beganDetail(seconds: number, b: Span['begun']): string[] {
  if (!b) return [];
  const others = seconds >= b.window ? `the whole ${formatDuration(b.window)} window` : `the last ${formatDuration(seconds)}`;
  const seen =
    `${b.what} holds nothing from before ${isoSeconds(b.at)}: ` +
    (b.held < seconds
      ? `its lines are of the ${formatDuration(b.held)} since, the other ${b.machine === undefined ? 'journals' : 'machines'}' of ` +
        // Only the latest to begin is named: the others that begin inside the window hold less.
        `${others}${b.more ? ` or less (${b.more} more begin${b.more === 1 ? 's' : ''} inside it)` : ''}, and it may hold more`
      : `the counts are of the ${formatDuration(seconds)} since, and the whole ${formatDuration(b.window)} window may hold more`);
  // One machine's entries among others': it began sending then, or where they are collected kept less of it.
  if (b.machine !== undefined) {
    const every = b.kind === 'journal files' ? 'give every journal file of it (--journal-dir); ' : '';
    return [
      `${seen} (fix: ${every}where the journals are collected, keep more than the window of every machine ` +
        '(room under /var/log/journal/remote; MaxUse= in journal-remote.conf from systemd 253); ' +
        'a machine that began sending inside the window holds no more)',
    ];
  }
  switch (b.kind) {
    case 'log file':
      return [`${seen} (a file logrotate just started: the rest of the window is in the one before it)`];
    case 'journal files':
      return [`${seen} (fix: give every journal file of the node (--journal-dir), not the active one alone)`];
    case 'journal directory':
      // Every file of the directory was read: the journal written there keeps no more.
      return [`${seen} (fix: ${KEEP_MORE.directory})`];
    case 'journal':
      // A node's own journal loses its oldest files to journald's limits.
      return [`${seen} (fix: ${KEEP_MORE.journal})`];
  }
}
