// After the runbook: what feeds the storms. SQLite under dqlite never returns freed pages, so
// after months of churn the database is mostly free pages, and every raft snapshot writes the
// whole file: 215-237 MB every ~2 minutes made the API server unresponsive for 10-30 s, after a
// rebuild they were 12.7 MB. The operator's trigger: snapshots over ~50 MB, or more than one per
// 5 minutes. A full disk under the backend is the other way dqlite dies. This check deletes nothing.
import { formatDuration, parseDuration } from '../lib/duration.ts';
import { UsageError } from '../lib/errors.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';
import { Range } from '../lib/plugin/range.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import {
  localBackend,
  remoteBackend,
  snapshotsOf,
  type BackendAccess,
  type BackendFile,
  type FsUsage,
} from '../lib/sources/backend-dir.ts';
import { localRunner, type CommandRunner } from '../lib/sources/command.ts';
import { askFreePages } from '../lib/sources/dqlite-cluster.ts';
import { DQLITE_BACKEND, DQLITE_BIN } from '../lib/sources/dqlite.ts';
import { onEachHost } from '../lib/host-fanout.ts';
import { sshOptions, type SshArgs } from '../lib/options/ssh.ts';
import { isoSeconds, plural } from '../lib/text.ts';

interface Args extends SshArgs {
  'backend-dir': string;
  'dqlite-bin': string;
  'cadence-window': string;
  'free-warning': number;
  'free-critical': number;
  freelist: boolean;
}

export const defaults = { warning: '50', critical: '150', cadenceWindow: '10m', freeWarning: 20, freeCritical: 10, freelistWarning: 50 };

/** What the backend directory and its filesystem showed. */
export interface StorageFacts {
  backend: string;
  files: BackendFile[];
  fs: FsUsage;
  now: number;
  freePages?: { pages: number; free: number };
}

export interface StorageLimits {
  warning?: Range;
  critical?: Range;
  cadenceSeconds: number;
  freeWarning: number;
  freeCritical: number;
}

const MB = 1024 * 1024;
const round = (n: number) => Math.round(n * 10) / 10;

export function evaluate(f: StorageFacts, l: StorageLimits): Outcome {
  const v = new Verdict(check.name);
  const snapshots = snapshotsOf(f.files);
  const newest = snapshots[0];
  const recent = snapshots.filter((s) => s.at >= f.now - l.cadenceSeconds * 1000);
  const perHour = (recent.length * 3600) / l.cadenceSeconds;
  const freePct = f.fs.totalBytes ? (100 * f.fs.availBytes) / f.fs.totalBytes : NaN;
  // No snapshot yet (a young datastore) is a fact, not a failure to read: perfdata U, no judgement.
  const sizeMetric = { label: 'snapshot_size', value: newest ? round(newest.size / MB) : NaN, uom: 'MB' as const, min: 0 };
  const sizeState = newest ? v.measure(sizeMetric, new ScalarContext(l.warning, l.critical)) : v.measure(sizeMetric);
  if (newest && sizeState !== State.OK)
    v.find(sizeState, `newest snapshot ${round(newest.size / MB)} MB: each snapshot writes and ships the whole database`);
  v.measure({ label: 'snapshots_per_hour', value: round(perHour), min: 0 });
  // The ranges are the free-space rule; the finding only words the state they give.
  const freeState = v.measure(
    { label: 'free_pct', value: freePct, uom: '%', min: 0, max: 100 },
    new ScalarContext(Range.parse(`${l.freeWarning}:`), Range.parse(`${l.freeCritical}:`)),
  );
  v.measure({ label: 'backend_size', value: round(f.files.reduce((n, x) => n + x.size, 0) / MB), uom: 'MB', min: 0 });
  if (f.freePages) {
    const pct = f.freePages.pages ? (100 * f.freePages.free) / f.freePages.pages : 0;
    v.measure(
      { label: 'freelist_pct', value: round(pct), uom: '%', min: 0, max: 100 },
      new ScalarContext(Range.parse(`~:${defaults.freelistWarning}`)),
    );
    if (pct >= defaults.freelistWarning)
      v.find(
        State.WARNING,
        `${round(pct)}% of the database is free pages (${f.freePages.free} of ${f.freePages.pages}): every snapshot copies them`,
      );
  }
  // More than one snapshot per 5 minutes.
  if (perHour > 12)
    v.find(
      State.WARNING,
      `${plural(recent.length, 'snapshot')} in the last ${formatDuration(l.cadenceSeconds)} (${round(perHour)}/h, more than one per 5 minutes)`,
    );
  if (freeState === State.WARNING || freeState === State.CRITICAL)
    v.find(freeState, `${f.fs.mount} is ${round(100 - freePct)}% full (${round(f.fs.availBytes / MB)} MB free)`);
  if (!newest) v.detail(`no snapshot in ${f.backend} yet`);
  for (const s of snapshots.slice(0, 5)) v.detail(`${s.name}: ${round(s.size / MB)} MB at ${isoSeconds(s.at)}`);
  if (v.state === State.WARNING || v.state === State.CRITICAL) {
    v.detail(
      'A bloated database shrinks only by a rebuild: export, a fresh datastore, restore (a planned outage); restoring into the existing datastore shrinks nothing.',
      'Meanwhile cut write churn: finished Jobs (check_stale_jobs), old events; free disk space under the backend before dqlite fails on it.',
      'This check deletes nothing.',
    );
  }
  const problems = v.problems();
  const size = newest ? `newest snapshot ${round(newest.size / MB)} MB` : 'no snapshot yet';
  const head = `${size}, ${round(perHour)} snapshots/h, ${round(freePct)}% free on ${f.fs.mount}`;
  return v.outcome(problems.length ? `${problems.join(', ')} (${head})` : head);
}

/** The directory's files and filesystem (and, with --freelist, the free pages through the CLI). */
export async function gather(args: Args, access: BackendAccess, run: CommandRunner, deadline: Deadline): Promise<StorageFacts> {
  const backend = args['backend-dir'];
  deadline.activity = `reading ${backend}`;
  const [files, fs] = await Promise.all([access.list(backend), access.usage(backend)]);
  const freePages = args.freelist ? await askFreePages(run, deadline.signal, args['dqlite-bin'], backend) : undefined;
  return { backend, files, fs, now: Date.now(), freePages };
}

export const check: CheckDefinition<Args> = {
  name: 'DQLITE-STORAGE',
  command: 'check_dqlite_storage',
  description: 'the dqlite backend: size and cadence of raft snapshots, free space under it; a bloated database feeds the storms',
  defaultWarning: defaults.warning,
  defaultCritical: defaults.critical,
  options: (y) =>
    sshOptions(y)
      .option('backend-dir', { type: 'string', default: DQLITE_BACKEND, describe: 'dqlite backend directory' })
      .option('cadence-window', { type: 'string', default: defaults.cadenceWindow, describe: 'window over which snapshots are counted' })
      .option('free-warning', {
        type: 'number',
        default: defaults.freeWarning,
        describe: 'WARNING below this % free on the backend filesystem',
      })
      .option('free-critical', { type: 'number', default: defaults.freeCritical, describe: 'CRITICAL below this % free' })
      .option('freelist', {
        type: 'boolean',
        default: false,
        describe: 'also ask the dqlite CLI for the share of free pages (needs cluster.key)',
      })
      .option('dqlite-bin', { type: 'string', default: DQLITE_BIN, describe: 'dqlite CLI, for --freelist' }),
  examples: [
    ['check_dqlite_storage', 'snapshots and free space of this node'],
    ['check_dqlite_storage --freelist', 'also the share of free pages in the database'],
  ],
  async run({ args, warning, critical, deadline }) {
    if (!(args['free-critical'] >= 0 && args['free-warning'] >= args['free-critical'] && args['free-warning'] <= 100))
      throw new UsageError('--free-warning and --free-critical are percentages, warning at least critical');
    const limits: StorageLimits = {
      warning,
      critical,
      cadenceSeconds: parseDuration(args['cadence-window'], '--cadence-window'),
      freeWarning: args['free-warning'],
      freeCritical: args['free-critical'],
    };
    if (!args.host?.length) return evaluate(await gather(args, localBackend, localRunner, deadline), limits);
    return onEachHost(check.name, { ...args, host: args.host }, deadline, async (conn, clock) => {
      const run = conn.runner();
      return evaluate(await gather(args, remoteBackend(run, clock.signal), run, clock), limits);
    });
  },
};
