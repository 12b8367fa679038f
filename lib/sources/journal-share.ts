import { assertReachesBack, readJournal, type JournalQuery } from './journal.ts';
import type { LogLine } from './logline.ts';

interface Reader {
  since: number;
  grep?: string;
  reachBack?: boolean;
  onLine: (line: LogLine) => void;
  signal: AbortSignal;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Batch {
  query: JournalQuery;
  readers: Reader[];
}

/**
 * Reads of one journal asked for in the same turn of the event loop (as `microk8s-checks all`
 * starts its checks) become one pass of journalctl: the widest window, the greps joined. Reading
 * the journal is the journal checks' whole cost, and three checks read the same units. Each reader
 * still gets only the lines inside its own window, and its grep was only ever a prefilter (every
 * check matches its lines exactly), so each answer is the one it would have read alone.
 */
export class JournalShare {
  private readonly batches = new Map<string, Batch>();

  constructor(private readonly slices: number) {}

  read(q: JournalQuery, signal: AbortSignal, onLine: (line: LogLine) => void): Promise<void> {
    // journalctl's --grep is case-insensitive only when the whole pattern is lower case: a pattern
    // with capitals cannot join others without changing what they match.
    if (q.until !== undefined || (q.grep !== undefined && q.grep !== q.grep.toLowerCase()))
      return readJournal(q, signal, onLine, this.slices);
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
    const readers = batch.readers;
    return new Promise((resolve, reject) =>
      readers.push({ since: q.since, grep: q.grep, reachBack: q.reachBack, onLine, signal, resolve, reject }),
    );
  }

  private async run({ query, readers }: Batch): Promise<void> {
    const greps = readers.map((r) => r.grep);
    const grep = greps.includes(undefined) ? undefined : joinGreps(greps as string[]);
    const since = Math.min(...readers.map((r) => r.since));
    // Whether the journal reaches back over a reader's window is that reader's question alone: a
    // journal that begins inside the gate's 10 minutes still holds dqlite-lock's 5 whole.
    const reached = new Map(
      readers
        .filter((r) => r.reachBack)
        .map((r) => [
          r,
          assertReachesBack({ ...query, since: r.since }, r.signal).then(
            () => undefined,
            (err: unknown) => ({ err }),
          ),
        ]),
    );
    const signal = readers.length === 1 ? readers[0]!.signal : AbortSignal.any(readers.map((r) => r.signal));
    const dispatch = (line: LogLine) => {
      for (const r of readers) if (line.time === undefined || line.time >= r.since) r.onLine(line);
    };
    try {
      await readJournal({ ...query, since, grep, reachBack: false }, signal, dispatch, this.slices);
    } catch (err) {
      for (const r of readers) r.reject(err);
      return;
    }
    for (const r of readers) {
      const failed = await reached.get(r);
      if (failed) r.reject(failed.err);
      else r.resolve();
    }
  }
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
