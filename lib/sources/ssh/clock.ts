// A host read over SSH stamps its journal and its files on its own clock. A node whose clock is
// off (a VM after suspend, NTP broken there) would have a window taken on ours read as another
// stretch of its time: its clock is read first, in the same connection, and the window moved.
import { formatDuration } from '../../duration.ts';
import { isConnectionLost, ReasonedError } from '../../errors.ts';
import { shorten } from '../../text.ts';
import type { CommandRunner } from '../command.ts';
import { lastLine, quietShell } from './greeting.ts';

export class ClockError extends ReasonedError {
  override readonly name = 'ClockError';
}

/** What a host's clock said against ours. */
export interface RemoteClock {
  host: string;
  /** Its clock minus ours, ms: positive when it runs ahead. */
  skewMs: number;
  /**
   * Half the round trip of the reading: `date` ran at some moment of it, so the skew is known to
   * this much either way.
   */
  errorMs: number;
  /**
   * What the login printed before date's line ('' for none): a greeting (a .bashrc's echo, a
   * ForceCommand's) comes before every command's output there, and a reader taking each line of
   * an answer as a value takes it off (journal-beginnings.ts, valuesOf).
   */
  greeting: string;
}

export const CLOCK_FIX =
  'set the clock there right and keep it so: timedatectl status, chronyc tracking (or NTP), timedatectl set-ntp true';

/** `date +%s.%N` as GNU date prints it (seconds, a dot, nanoseconds); a date without %N is not read. */
const DATE = /^(\d{1,12})\.(\d{9})$/;

/** The host's clock, read with `date +%s.%N` through its runner, against ours taken around it. */
export async function readRemoteClock(host: string, run: CommandRunner, signal: AbortSignal): Promise<RemoteClock> {
  const before = Date.now();
  let text: string;
  try {
    text = await run(['date', '+%s.%N'], signal);
  } catch (err) {
    // A host that dropped the connection is said as such, not with date's fix.
    if (signal.aborted || isConnectionLost(err)) throw err;
    throw new ClockError(`cannot read the clock of ${host}`, { cause: err, fix: `check that date (coreutils) runs on ${host} over SSH` });
  }
  const after = Date.now();
  // Its last line: a login's greeting (.bashrc, a ForceCommand) comes before what the command
  // prints, and a journal read there never minded one.
  const { line: last, greeting } = lastLine(text);
  const m = DATE.exec(last);
  if (!m) {
    throw new ClockError(`cannot read the clock of ${host}: date +%s.%N printed '${shorten(last, 60)}', not a time`, {
      fix: `${quietShell(host)}, and GNU coreutils' date there`,
    });
  }
  const there = Number(m[1]) * 1000 + Number(m[2]) / 1e6;
  return { host, skewMs: there - (before + after) / 2, errorMs: (after - before) / 2, greeting };
}

/** "2m ahead of", "1.4s behind": a skew as the output words it. */
export function skewWords({ skewMs, errorMs }: Pick<RemoteClock, 'skewMs' | 'errorMs'>): string {
  const s = Math.abs(skewMs) / 1000;
  const size = s < 10 ? `${s.toFixed(1)}s` : formatDuration(s);
  return `${size} ${skewMs > 0 ? 'ahead of' : 'behind'} this host's (±${Math.max(0.001, errorMs / 1000).toFixed(3)}s)`;
}
