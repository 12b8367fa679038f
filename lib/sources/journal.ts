import { PassThrough } from 'node:stream';
import { inOrder, SIBLINGS_MS, type Patience } from '../in-order.ts';
import { forEachLine } from './lines.ts';
import { isJournalNotice, parseShortUnix, type LogLine } from './logline.ts';
import { beginningsOf, seenOver, type JournalBeginning, type JournalSeen } from './journal-beginnings.ts';
import { journalctlArgs, journalProblem, localExec, locations, type JournalQuery, type StreamExec } from './journalctl.ts';
import { quietSteps } from './journal-quiet.ts';

/**
 * Stream the matching entries of a journal to onLine, each with the index of its location (see
 * locations). A long window is cut into time slices read by parallel journalctl processes
 * (journalctl's --grep is single threaded and the bulk of the cost); lines then arrive in no
 * particular order. A location that yields no line is vouched for (quietSteps: its units logged
 * here, journal files given readable at all); `quiet: 'caller'` leaves that to the caller (a pass
 * read for several readers vouches for each over its own window and grep).
 */
export async function readJournal(
  q: JournalQuery,
  signal: AbortSignal,
  onLine: (line: LogLine, location: number) => void,
  slices = 1,
  exec: StreamExec = localExec,
  quiet: 'vouch' | 'caller' = 'vouch',
  /** How long a failure waits for the reads before it (inOrder): the run's deadline, where the caller has it. */
  patience: Patience = SIBLINGS_MS,
): Promise<JournalSeen> {
  const end = q.until ?? Date.now();
  const n = Math.max(1, Math.min(slices, Math.floor((end - q.since) / 60_000)));
  const step = (end - q.since) / n;
  // Locations failing, the reason is the first's as given (--journal-dir in order, then the
  // files); within one, where it begins, then its slices in time: never whichever failed first.
  const beginnings = await inOrder(
    locations(q).map(async (loc, at): Promise<JournalBeginning[]> => {
      let seen = 0;
      const counted = (line: LogLine) => {
        seen++;
        onLine(line, at);
      };
      const parts = Array.from({ length: n }, (_, i) => ({
        ...loc,
        since: loc.since + i * step,
        until: i === n - 1 ? loc.until : loc.since + (i + 1) * step,
      }));
      const reach = async (mode: 'required' | 'reported') => {
        const begins = await beginningsOf(loc, loc.since, signal, exec, patience);
        // Required: thrown as soon as it is known, which ends the read.
        seenOver(begins, loc.since, mode, loc.until ?? loc.now);
        return begins;
      };
      const [begins] = await inOrder(
        [
          loc.reachBack ? reach(loc.reachBack) : Promise.resolve(undefined),
          inOrder(
            parts.map((part) => readSlice(part, signal, counted, exec)),
            patience,
          ),
        ],
        patience,
      );
      if (quiet === 'vouch')
        for (const step of quietSteps(loc)) if (seen === 0 || step.always) step.judge(await step.ask(signal, exec, patience));
      return begins ?? [];
    }),
    patience,
  );
  return q.reachBack ? seenOver(beginnings.flat(), q.since, q.reachBack, q.until ?? q.now) : {};
}

async function readSlice(q: JournalQuery, signal: AbortSignal, onLine: (line: LogLine) => void, exec: StreamExec): Promise<void> {
  const out = new PassThrough();
  // One journalctl prints an entry's lines together: a continuation line is of the entry before it.
  let last: LogLine | undefined;
  const lines = forEachLine(out, (raw, cut, afterCr) => {
    if (isJournalNotice(raw)) return;
    // After a CR, the entry's message goes on, whatever it looks like (a line shaped as journalctl's own too).
    const entry = afterCr && last ? undefined : parseShortUnix(raw);
    if (entry) last = entry;
    // Before any entry, a line that does not parse is none of journalctl's: over SSH, a login's
    // greeting or a wrapper's words printed before it. Taken as a line, it was a line read (a quiet
    // journal not vouched for: OK on a host with no MicroK8s unit) and a count (a wrapper repeating the
    // refused --grep=database is locked), and a troubled unit's last words (check_services).
    if (!last) return;
    // A line that does not parse continues the entry's message (printed after a newline or a CR in
    // it): it is of that entry's time, host and unit. Read as a line of none, an entry 4 minutes old
    // was counted in the last minute, and kubelite's (try: 500) in it as k8s-dqlite's exhausted budget.
    const line = entry ?? { time: last.time, host: last.host, ident: last.ident, message: raw.trimStart() };
    onLine(cut ? { ...line, cut } : line);
  });
  let result: { code: number | null; stderr: string };
  try {
    result = await exec(['journalctl', ...journalctlArgs(q)], signal, out);
  } finally {
    out.end();
  }
  await lines;
  const problem = journalProblem(result.stderr, result.code, q);
  if (problem) throw problem;
}
