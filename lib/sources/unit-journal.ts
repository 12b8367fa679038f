// What a troubled unit last said in its journal: why it exits, for the long output.
import { reasonOf } from '../errors.ts';
import { inOrder } from '../in-order.ts';
import type { Deadline } from '../plugin/deadline.ts';
import { readJournal } from './journal.ts';
import type { StreamExec } from './journalctl.ts';

/**
 * The newest restart-counter or fatal line of each unit in the hour before `now` (ms on the clock
 * the journal is stamped on: the host's); the journal may be unreadable.
 */
export async function lastWords(
  units: string[],
  now: number,
  exec: StreamExec,
  deadline: Deadline,
  login?: string,
): Promise<{ lines: Map<string, string>; problem?: string }> {
  const signal = deadline.signal;
  const lines = new Map<string, { time: number; text: string }>();
  try {
    // Several failing, the problem said is the first unit's, whichever failed first.
    await inOrder(
      units.map((unit) =>
        readJournal(
          { units: [unit], since: now - 3600_000, grep: 'restart counter is at|level=fatal', login },
          signal,
          (line) => {
            const t = line.time ?? 0;
            if ((lines.get(unit)?.time ?? -1) <= t) lines.set(unit, { time: t, text: line.message });
          },
          1,
          exec,
          'vouch',
          deadline,
        ),
      ),
      deadline,
    );
  } catch (err) {
    if (signal.aborted) throw err;
    return { lines: new Map(), problem: reasonOf(err) };
  }
  return { lines: new Map([...lines].map(([u, l]) => [u, l.text])) };
}
