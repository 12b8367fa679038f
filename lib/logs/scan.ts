import { UsageError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { LogArgs, Window } from '../options/log.ts';
import type { Deadline } from '../plugin/deadline.ts';
import { journalSlices, type SharedReads } from '../shared-reads.ts';
import { SIBLINGS_MS } from '../in-order.ts';
import { readJournal } from '../sources/journal.ts';
import { localExec } from '../sources/journalctl.ts';
import { LogFileError, readLogFile } from '../sources/logfile.ts';
import { scanHosts } from './hosts.ts';
import { journalBeginning, journalEnding } from './span.ts';
import { checkJournalPaths } from './journal-paths.ts';
import { distinctJournals, realPathHere } from './distinct-journals.ts';
import { counting, logged, type Counter, type SourceResult } from './tally.ts';

export type { SourceResult } from './tally.ts';

/** What a scan runs under: the run's deadline and logger, and reads shared with other checks. */
export interface ScanContext {
  deadline: Deadline;
  log: Logger;
  shared?: SharedReads;
}

/**
 * Read every line of the chosen sources inside the window into one tally per source: the local
 * journal (or journal files), a text file or stdin, or each --host's journal over SSH. journalctl
 * applies the counter's grep first (its smart case makes it case-insensitive): it only saves
 * work, the count still matches each line exactly. A local source that fails throws; with --host
 * each host fails on its own, as an error in its result.
 */
export async function scanSources<T>(
  args: LogArgs,
  win: Window,
  { deadline, log, shared }: ScanContext,
  counter: Counter<T>,
): Promise<SourceResult<T>[]> {
  // Each journal once, or its lines count twice; over SSH the paths are the host's, compared as written.
  const here = args.host?.length ? undefined : realPathHere;
  const { dirs, files } = distinctJournals(args['journal-dir'] ?? [], args['journal-file'] ?? [], here);
  const query = {
    units: win.units,
    since: win.since,
    now: win.now,
    grep: counter.grep,
    directories: dirs,
    files,
    logged: args.unit?.length ? ('each' as const) : ('any' as const),
    named: args.unit,
    reachBack: win.reachBack,
    widen: win.widen,
    nameUnits: win.nameUnits,
  };
  const where = dirs.length || files.length ? [...dirs, ...files].join(', ') : 'journal';
  if (args.host?.length) {
    if (args['log-file'] !== undefined) throw new UsageError('--log-file reads local text; it cannot be combined with --host');
    return scanHosts({ ...args, host: args.host }, query, win.seconds, where, { deadline, log, share: shared?.ssh }, counter);
  }
  const { result, onLine } = counting(counter);
  if (args['log-file'] !== undefined) {
    if (dirs.length || files.length) throw new UsageError('--log-file cannot be combined with --journal-dir/--journal-file');
    const name = args['log-file'] === '-' ? 'stdin' : args['log-file'];
    deadline.activity = `reading ${name}`;
    const { begins } = await readLogFile(args['log-file'], win.since, win.now, onLine, win.widen);
    // A gate cannot judge by part of its window (a kubelite start before the first line), as for a journal.
    if (begins !== undefined && win.reachBack === 'required') {
      throw new LogFileError(
        `log file ${name} holds no line from before ${new Date(win.since).toISOString()}: it does not reach back over the ` +
          'window, and what happened before its first line cannot be told',
        // No '|' in a fix: it is printed as '¦' (it would start perfdata).
        { fix: 'give the lines of the whole window, the file logrotate rotated and this one in order: cat F.1 F > W, then --log-file W' },
      );
    }
    return [{ source: name, ...result, begun: begins === undefined ? undefined : { at: begins, what: name, kind: 'log file' } }];
  }
  checkJournalPaths(dirs, files);
  deadline.activity = 'reading the journal';
  // A failure waits for the journal's reads before it SIBLINGS_MS, as the pass of a shared run
  // does (JournalShare, read for checks of several deadlines): waiting half of -t here, a
  // --journal-dir failing 2 s after the next one was the reason alone, the next one's in `all`.
  const seen = await (shared?.journal
    ? shared.journal.read(query, deadline.signal, onLine)
    : readJournal(query, deadline.signal, onLine, journalSlices(), logged(localExec, log), 'vouch', SIBLINGS_MS));
  return [{ source: where, ...result, begun: journalBeginning(seen), ended: journalEnding(seen, win) }];
}
