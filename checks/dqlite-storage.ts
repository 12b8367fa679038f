// After the runbook: what feeds the storms. SQLite under dqlite never returns freed pages, so
// after months of churn the database is mostly free pages, and every raft snapshot writes the
// whole file: 215-237 MB every ~2 minutes made the API server unresponsive for 10-30 s, after a
// rebuild they were 12.7 MB. The operator's trigger: snapshots over ~50 MB, or more than one per
// 5 minutes. A full disk under the backend is the other way dqlite dies. This check deletes nothing.
import { formatDuration, parseDuration } from '../lib/duration.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';
import { reasonOf } from '../lib/errors.ts';
import { thresholdsOf } from '../lib/plugin/range.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import { Advice } from '../lib/plugin/advice.ts';
import { localBackend, readBackendDir, remoteBackend, snapshotsOf, type BackendAccess, type FsUsage } from '../lib/sources/backend-dir.ts';
import { cadenceOf } from '../lib/sources/snapshot-cadence.ts';
import { localRunner, type CommandRunner } from '../lib/sources/command.ts';
import { localNode, type NodeAccess } from '../lib/sources/dqlite-cluster.ts';
import { remoteNode } from '../lib/sources/dqlite-remote.ts';
import { type CliFiles, type DqliteCli, localCliFiles, remoteCliFiles } from '../lib/sources/dqlite.ts';
import { askFreelist, type FreelistAnswer } from '../lib/sources/dqlite-freelist.ts';
import { ownRole } from '../lib/sources/node-role.ts';
import { dqliteCli } from '../lib/options/dqlite.ts';
import { freeLimits, storageOptions, type StorageArgs } from '../lib/options/storage.ts';
import { onEachHost } from '../lib/host-fanout.ts';
import { inOrder } from '../lib/in-order.ts';
import { freeBackendDisk, SHRINK_DATABASE } from '../lib/runbook.ts';
import type { RoleFacts } from '../lib/dqlite-role.ts';
import { copyHere } from '../lib/dqlite-copy.ts';
import { judgeSnapshots, paceOf, snapshotSize, snapshotLines, type SnapshotLimits } from '../lib/snapshot-size.ts';
import { judgeFreeSpace, type FreeSpaceLimits } from '../lib/backend-free-space.ts';
import { judgeFreePages } from '../lib/free-pages.ts';
import { clockBeyond, skewDetail, skewNote } from '../lib/clock-skew.ts';
import { readRemoteClock, type RemoteClock } from '../lib/sources/ssh/clock.ts';

export const defaults = { warning: '50', critical: '150', minInterval: '5m', freeWarning: 20, freeCritical: 10, freelistWarning: 50 };

/**
 * What the backend directory and its filesystem showed, with the words on this node's role
 * (RoleFacts: its cluster.yaml's, and with --freelist, the CLI asked anyway, the dqlite leader's).
 */
export interface StorageFacts extends RoleFacts, FreelistAnswer {
  backend: string;
  fs: FsUsage;
  /** The clock of the host read over SSH, against ours: its files' mtimes are given on ours. */
  clock?: RemoteClock;
}

export interface StorageLimits extends SnapshotLimits, FreeSpaceLimits {}

/** The defaults parsed, as the options judge when not given. */
export const defaultLimits: StorageLimits = {
  ...thresholdsOf(defaults),
  minIntervalSeconds: parseDuration(defaults.minInterval, '--min-interval'),
  freeWarning: defaults.freeWarning,
  freeCritical: defaults.freeCritical,
};

export function evaluate(f: StorageFacts, l: StorageLimits): Outcome {
  const v = new Verdict(check.name);
  // mtimes are stamped on the host's clock: one further off than --min-interval cannot tell a burst going on.
  const beyond = f.clock && clockBeyond(f.clock, l.minIntervalSeconds, `${formatDuration(l.minIntervalSeconds)} --min-interval`);
  if (beyond) v.find(State.UNKNOWN, reasonOf(beyond));
  const skew = !beyond && skewDetail(f.clock, "snapshot ages were taken on its clock, and their times are shown on this host's");
  if (skew) v.detail(skew);
  const { spare, none, removed } = copyHere(v, f, f.backend);
  const { snapshots, ignored } = spare || removed ? { snapshots: [], ignored: [] } : snapshotsOf(f.files);
  const newest = snapshots[0];
  const timed = cadenceOf(snapshots, f.now, l.minIntervalSeconds);
  // Whether the burst goes on, or the cadence still holds, is the newest snapshot's age: not told on a clock that far off.
  const cadence = beyond ? { ...timed, frequent: false, stopped: false, quiet: undefined } : timed;
  const advice = new Advice<'bloat' | 'disk'>();
  advice.add(judgeSnapshots(v, newest, cadence, l), 'bloat');
  const free = judgeFreeSpace(v, f.fs, newest?.size, l);
  for (const state of free.found) advice.add(state, 'disk');
  v.measure({ label: 'backend_size', value: f.files.reduce((n, x) => n + x.size, 0), uom: 'B', min: 0 });
  advice.add(judgeFreePages(v, f, defaults.freelistWarning), 'bloat');
  if (f.cliNote) v.detail(`dqlite CLI ${f.cliNote}`);
  if (!newest && !none && !spare && !removed) v.detail(`no snapshot in ${f.backend} yet`);
  v.detail(...snapshotLines(snapshots, cadence, f.now, l), ...ignored.map((i) => `ignored ${i.name}: ${i.why}`));
  // A bloated database (over -w, or mostly free pages) is rebuilt; a full disk is freed: each only where found.
  const todo = advice.inOrder().flatMap((on) => (on === 'bloat' ? SHRINK_DATABASE : freeBackendDisk(f.fs.mount, f.backend)));
  if (todo.length) v.detail(...todo, 'This check deletes nothing.');
  const size = newest
    ? `newest snapshot ${snapshotSize(newest.size, l)}`
    : spare
      ? 'a dqlite spare: no copy of the database here'
      : !none && !removed && 'no snapshot yet';
  const head = [size, paceOf(cadence, newest), free.head, !beyond && skewNote(f.clock, 'snapshot ages taken')].filter(Boolean).join(', ');
  return v.conclude(head, { problems: 'before' });
}

/** The directory's files and filesystem, this node's role (and, with --freelist, the free pages through the CLI). */
export async function gather(
  args: StorageArgs,
  access: BackendAccess,
  cliFiles: (cli: DqliteCli) => Promise<CliFiles>,
  run: CommandRunner,
  deadline: Deadline,
  node: NodeAccess = localNode,
): Promise<StorageFacts> {
  const backend = args['backend-dir'];
  deadline.activity = `reading ${backend}`;
  const { files, fs } = await readBackendDir(access, backend, deadline);
  const cli = dqliteCli(args);
  const { self, role } = await ownRole(node, cli, deadline);
  if (!args.freelist) return { backend, files, fs, now: Date.now(), role };
  const answer = await askFreelist(cli, await cliFiles(cli), run, deadline, self);
  return { backend, files, fs, now: Date.now(), role, ...answer };
}

export const check: CheckDefinition<StorageArgs> = {
  name: 'DQLITE-STORAGE',
  command: 'check_dqlite_storage',
  description: 'the dqlite backend: size and cadence of raft snapshots, free space under it; a bloated database feeds the storms',
  defaultWarning: defaults.warning,
  defaultCritical: defaults.critical,
  thresholdUnit: 'MB',
  options: (y) => storageOptions(y, defaults),
  examples: [
    ['check_dqlite_storage', 'snapshots and free space of this node'],
    ['check_dqlite_storage --freelist', 'also the share of free pages in the database'],
  ],
  async run({ args, warning, critical, deadline, shared }) {
    const free = freeLimits(args, defaults);
    const limits: StorageLimits = { warning, critical, minIntervalSeconds: parseDuration(args['min-interval'], '--min-interval'), ...free };
    if (!args.host?.length)
      return evaluate(await gather(args, localBackend, async (cli) => localCliFiles(cli), localRunner, deadline), limits);
    return onEachHost(
      check.name,
      { ...args, host: args.host },
      deadline,
      async (conn, part) => {
        const run = conn.runner();
        const cliFiles = (cli: DqliteCli) => remoteCliFiles(cli, run, part.signal, conn.target.user);
        // Its clock read beside the listing, on the same connection: the mtimes are on it. Both
        // failing, the backend's failure is the reason, whichever came first.
        const [facts, clock] = await inOrder(
          [
            gather(args, remoteBackend(run, part.signal, conn.target), cliFiles, run, part, remoteNode(run, part.signal, conn.target)),
            readRemoteClock(conn.target.host, run, part.signal),
          ],
          part,
        );
        const files = facts.files.map((file) => ({ ...file, mtime: file.mtime - clock.skewMs }));
        return evaluate({ ...facts, files, clock }, limits);
      },
      shared?.ssh,
    );
  },
};
