import { Kept, type Waiter } from './fan.ts';
import { readJournal } from './journal.ts';
import { journalBeginnings, seenOver, type JournalBeginning, type JournalSeen } from './journal-beginnings.ts';
import { localExec, locations, type JournalQuery } from './journalctl.ts';
import { quietSteps, type QuietAnswer, type QuietStep } from './journal-quiet.ts';
import type { LogLine } from './logline.ts';

interface Reader {
  /** What it asked, as alone: its window, grep, and what a quiet journal is vouched for with, its fixes. */
  query: JournalQuery;
  /** Whether a line is one its grep lets through, as journalctl would have for it alone. */
  wants: (line: LogLine) => boolean;
  /** Where its journal begins, asked once for every reader of the turn that asks it. */
  reach?: Reach;
  onLine: (line: LogLine) => void;
  signal: AbortSignal;
  resolve: (seen: JournalSeen) => void;
  reject: (err: unknown) => void;
}

interface Batch {
  query: JournalQuery;
  readers: Reader[];
}

/**
 * Whether one journal reaches back, asked once for the readers of a turn that ask it, whatever
 * their units and greps: over the widest of their windows. Where it begins then answers each of
 * them as it would be answered alone: a journal that begins inside the gate's 10 minutes still
 * holds dqlite-lock's 5 whole, and one that begins inside those 5 begins at the same entry for both.
 */
class Reach {
  private readonly askers: { since: number; signal: AbortSignal }[] = [];
  private answer?: Promise<{ beginnings: JournalBeginning[] } | { err: unknown }>;

  constructor(private readonly journal: JournalQuery) {}

  /** Whether a reader may still join: not once the question is asked. */
  get open(): boolean {
    return this.answer === undefined;
  }

  join(since: number, signal: AbortSignal): void {
    this.askers.push({ since, signal });
  }

  /** Asked at the first need, when the turn's readers have all joined; an error is every asker's. */
  ask(): Promise<{ beginnings: JournalBeginning[] } | { err: unknown }> {
    this.answer ??= journalBeginnings(
      this.journal,
      Math.min(...this.askers.map((a) => a.since)),
      whileAnyWaits(this.askers.map((a) => a.signal)),
    ).then(
      (beginnings) => ({ beginnings }),
      (err: unknown) => ({ err }),
    );
    return this.answer;
  }
}

/**
 * Reads of one journal asked for in the same turn of the event loop (as `microk8s-checks all`
 * starts its checks) become one pass of journalctl: the widest window, the greps joined. Reading
 * the journal is the journal checks' whole cost, and three checks read the same units. Each reader
 * still gets only the lines inside its own window, and its grep was only ever a prefilter (every
 * check matches its lines exactly), so each answer is the one it would have read alone. A reader
 * the pass gave no line of its own is vouched for as alone (quietSteps), over its own window: the
 * pass's lines from a wider one made a quiet check of a journal file with no entry in its 5
 * minutes an OK, where alone it is UNKNOWN, nothing to judge.
 */
export class JournalShare {
  private readonly batches = new Map<string, Batch>();
  /** By journal (directories and files), whatever the units read from it. */
  private readonly reaches = new Map<string, Reach>();

  constructor(private readonly slices: number) {}

  read(q: JournalQuery, signal: AbortSignal, onLine: (line: LogLine) => void): Promise<JournalSeen> {
    // journalctl's --grep is case-insensitive only when the whole pattern is lower case: a pattern
    // with capitals cannot join others without changing what they match.
    if (q.until !== undefined || (q.grep !== undefined && q.grep !== q.grep.toLowerCase()))
      return readJournal(q, signal, onLine, this.slices);
    const journal = JSON.stringify([q.directories ?? [], q.files ?? []]);
    const key = JSON.stringify([[...q.units].sort(), q.directories ?? [], q.files ?? []]);
    let batch = this.batches.get(key);
    if (!batch) {
      const started = { query: q, readers: [] };
      batch = started;
      this.batches.set(key, batch);
      setImmediate(() => {
        this.batches.delete(key);
        void this.run(started);
      });
    }
    let reach: Reach | undefined;
    if (q.reachBack) {
      reach = this.reaches.get(journal);
      if (!reach?.open) {
        const opened = new Reach(q);
        reach = opened;
        this.reaches.set(journal, opened);
        setImmediate(() => {
          if (this.reaches.get(journal) === opened) this.reaches.delete(journal);
        });
      }
      reach.join(q.since, signal);
    }
    const readers = batch.readers;
    return new Promise((resolve, reject) => {
      // Each reader waits as long as its own deadline gives, as alone: the pass runs on for the others.
      const leave = () => reject(signal.reason);
      signal.addEventListener('abort', leave, { once: true });
      const settled = () => signal.removeEventListener('abort', leave);
      readers.push({
        query: q,
        wants: wanted(q.grep),
        reach,
        onLine,
        signal,
        resolve: (seen) => {
          settled();
          resolve(seen);
        },
        reject: (err) => {
          settled();
          reject(err);
        },
      });
      if (signal.aborted) leave();
    });
  }

  private async run({ query, readers }: Batch): Promise<void> {
    const greps = readers.map((r) => r.query.grep);
    const grep = greps.includes(undefined) ? undefined : joinGreps(greps as string[]);
    const since = Math.min(...readers.map((r) => r.query.since));
    // Asked beside the read, not after it.
    const reached = readers.map((r) => r.reach?.ask());
    const signal = whileAnyWaits(readers.map((r) => r.signal));
    const pass: JournalQuery = { ...query, since, grep, reachBack: undefined };
    const places = locations(pass);
    // Which of its journal's locations gave each reader a line of its own (its window, its grep):
    // alone, a location that gave none is vouched for, and so it is here, over its own window.
    const heard = readers.map(() => places.map(() => false));
    const dispatch = (line: LogLine, at: number) => {
      // A continuation line carries its entry's time (readJournal): it is in the window of the entry it continues.
      const { time } = line;
      for (const [i, r] of readers.entries()) {
        if (r.signal.aborted || (time !== undefined && time < r.query.since)) continue;
        if (!heard[i]![at] && r.wants(line)) heard[i]![at] = true;
        r.onLine(line);
      }
    };
    try {
      await readJournal(pass, signal, dispatch, this.slices, localExec, 'caller');
    } catch (err) {
      for (const r of readers) r.reject(err);
      return;
    }
    // Each step asked once for the readers that need it alike (a unit's entries, whatever the window),
    // and its answer judged by each with its own fix.
    const vouched = new Kept();
    const ask = (step: QuietStep, signal: AbortSignal) =>
      vouched.get<QuietAnswer, Waiter>(step.key, { signal }, (fan) => step.ask(fan.signal, localExec));
    // An entry in the narrowest quiet window is one in every wider window: asked there first,
    // the readers of a quiet journal file cost one journalctl, not one each.
    const narrowest = places.map((_, at) => Math.max(...readers.filter((_r, i) => !heard[i]![at]).map((r) => r.query.since)));
    await Promise.all(
      readers.map(async (r, i) => {
        try {
          const { query } = r;
          const answer = await reached[i];
          let own: JournalSeen = {};
          if (answer && query.reachBack) {
            if ('err' in answer) throw answer.err;
            own = seenOver(answer.beginnings, query.since, query.reachBack, query.now);
          }
          for (const [at, loc] of places.entries()) {
            // The location as this reader would have asked it alone: its window, grep, units it
            // blames and fixes it offers are its own (the units in the pass's order, as keyed).
            const mine = { ...query, units: loc.units, directories: loc.directories, files: loc.files };
            const narrow = quietSteps({ ...mine, since: narrowest[at]! }).find((step) => step.window);
            for (const step of quietSteps(mine)) {
              if (heard[i]![at] && !step.always) continue;
              if (step.window && narrow && narrowest[at]! > query.since) {
                const held = await ask(narrow, r.signal).then(
                  (answer) => 'held' in answer && answer.held,
                  (err: unknown) => {
                    if (r.signal.aborted) throw err;
                    return false;
                  },
                );
                if (held) continue;
              }
              step.judge(await ask(step, r.signal));
            }
          }
          r.resolve(own);
        } catch (err) {
          r.reject(err);
        }
      }),
    );
  }
}

/**
 * A reader's grep as a test of the lines the pass hands it: journalctl's --grep of a lower case
 * pattern ignores case (the pass joins only those). A line cut to its two ends may have matched in
 * the middle, and a pattern JavaScript does not read (PCRE's own syntax) cannot be told here: both
 * count as matched, as the pass let them through.
 */
function wanted(grep: string | undefined): (line: LogLine) => boolean {
  if (grep === undefined) return () => true;
  let pattern: RegExp;
  try {
    pattern = new RegExp(grep, 'i');
  } catch {
    return () => true;
  }
  return (line) => line.cut === true || pattern.test(line.message);
}

/**
 * Aborted once every one of `signals` is: a read done for several readers runs while any of them
 * still waits for it. Stopped at the first reader's deadline instead (AbortSignal.any), a pass
 * over a slow journal failed a check of the poll cycle with -t 15 by another's -t 3, "timed out
 * after 3s", where alone it answered in 5 s.
 */
function whileAnyWaits(signals: AbortSignal[]): AbortSignal {
  const controller = new AbortController();
  const check = () => {
    if (signals.every((s) => s.aborted)) controller.abort(signals[0]?.reason);
  };
  for (const s of signals) s.addEventListener('abort', check, { once: true });
  check();
  return controller.signal;
}

/**
 * One pattern matching what any of `greps` matches, each alternative once. The checks' greps
 * overlap (the gate's holds dqlite-lock's and kine-retries'), and journalctl tries every
 * alternative on every message of the window: the three checks' greps joined whole cost it
 * 0.09 s of CPU over 20,000 entries, each alternative once 0.07 s (bench/RESULTS.md). A pattern
 * is split into its top-level alternatives only when it is plain (no group, no \Q quoting or \c
 * escape, no POSIX class): a group or an inline option such as (?i) would change what the
 * alternatives around it mean, so such a pattern stays whole.
 */
export function joinGreps(greps: readonly string[]): string {
  const parts = new Set<string>();
  for (const g of greps) for (const a of alternatives(g) ?? [`(?:${g})`]) parts.add(a);
  return [...parts].join('|');
}

/** The top-level alternatives of a plain pattern; undefined if it is not plain. */
function alternatives(pattern: string): string[] | undefined {
  if (/\(|\\[Qc]|\[:/.test(pattern)) return undefined;
  const out: string[] = [];
  let start = 0;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') {
      inClass = true;
      // A ] first in a class (after an optional ^) is a literal, not its end.
      if (pattern[i + 1] === '^') i++;
      if (pattern[i + 1] === ']') i++;
    } else if (c === '|') {
      out.push(pattern.slice(start, i));
      start = i + 1;
    }
  }
  if (inClass) return undefined;
  out.push(pattern.slice(start));
  // An empty alternative matches every message: keep the pattern as it is.
  return out.includes('') ? undefined : out;
}
