import type { Logger } from '../logger.ts';
import type { LogArgs } from '../options/log.ts';
import type { Deadline } from '../plugin/deadline.ts';
import { readJournal, type JournalQuery } from '../sources/journal.ts';
import { forEachHost } from '../sources/ssh/hosts.ts';
import { journalBeginning } from './span.ts';
import { counting, logged, type Counter, type SourceResult } from './tally.ts';

/** Each --host's journal over SSH, one journalctl per host; a host that fails fails alone. */
export async function scanHosts<T>(
  args: LogArgs & { host: string[] },
  query: JournalQuery,
  where: string,
  deadline: Deadline,
  log: Logger,
  c: Counter<T>,
): Promise<SourceResult<T>[]> {
  deadline.activity = `reading the journal of ${args.host.join(', ')} over SSH`;
  const results = await forEachHost(args, deadline, async (conn, host, d) => {
    const { result, onLine } = counting(c);
    const seen = await readJournal(
      query,
      d.signal,
      onLine,
      1,
      logged((argv, signal, sink) => conn.exec(argv, signal, sink), log, host),
    );
    return { ...result, begun: journalBeginning(seen) };
  });
  return results.map((r) => (r.ok ? { host: r.target, source: where, ...r.value } : { host: r.target, source: where, error: r.error }));
}
