import { windowClock } from '../clock-skew.ts';
import type { Logger } from '../logger.ts';
import type { LogArgs } from '../options/log.ts';
import type { Deadline } from '../plugin/deadline.ts';
import { readJournal } from '../sources/journal.ts';
import type { JournalQuery } from '../sources/journalctl.ts';
import type { LogLine } from '../sources/logline.ts';
import { readRemoteClock } from '../sources/ssh/clock.ts';
import { forEachHost } from '../sources/ssh/hosts.ts';
import type { SshShare } from '../sources/ssh/share.ts';
import { journalBeginning, journalEnding } from './span.ts';
import { counting, logged, type Counter, type SourceResult } from './tally.ts';

/**
 * Each --host's journal over SSH, one journalctl per host; a host that fails fails alone. The
 * host's clock is read first on the same connection, and the window (`seconds` long) taken on it:
 * its entries are stamped on its clock, and a window of ours read there would be another stretch
 * of its time. Its stamps are then counted on ours (the skew taken off), as the window is judged.
 */
export async function scanHosts<T>(
  args: LogArgs & { host: string[] },
  query: JournalQuery,
  seconds: number,
  where: string,
  { deadline, log, share }: { deadline: Deadline; log: Logger; share?: SshShare },
  c: Counter<T>,
): Promise<SourceResult<T>[]> {
  deadline.activity = `reading the journal of ${args.host.join(', ')} over SSH`;
  const results = await forEachHost(
    args,
    deadline,
    async (conn, host, d) => {
      const clock = windowClock(await readRemoteClock(host, conn.runner(), d.signal), seconds);
      const skew = clock.skewMs;
      const { result, onLine } = counting(c);
      const until = query.until === undefined ? undefined : query.until + skew;
      // A greeting printed before date's is printed before journalctl's output too.
      const now = (query.now ?? Date.now()) + skew;
      const there = { ...query, since: query.since + skew, until, now, greeting: clock.greeting, login: conn.target.user };
      const ours = (line: LogLine) => onLine(line.time === undefined ? line : { ...line, time: line.time - skew });
      const seen = await readJournal(
        there,
        d.signal,
        ours,
        1,
        logged((argv, signal, sink) => conn.exec(argv, signal, sink), log, host),
        'vouch',
        d,
      );
      const begins = seen.begins && { ...seen.begins, at: seen.begins.at - skew, from: seen.begins.from - skew };
      const e = seen.ends;
      const ends = e && { ...e, at: e.at - skew, ...(e.to === undefined ? {} : { to: e.to - skew }) };
      const ended = journalEnding({ ends }, { since: query.since, now: now - skew });
      return { ...result, begun: journalBeginning({ begins }), ended, clock };
    },
    share,
  );
  return results.map((r) => (r.ok ? { host: r.target, source: where, ...r.value } : { host: r.target, source: where, error: r.error }));
}
