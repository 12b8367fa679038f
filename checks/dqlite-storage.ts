// After the runbook: what feeds the storms. SQLite under dqlite never returns freed pages, so
// after months of churn the database is mostly free pages, and every raft snapshot writes the
// whole file: 215-237 MB every ~2 minutes made the API server unresponsive for 10-30 s, after a
// rebuild they were 12.7 MB. The operator's trigger: snapshots over ~50 MB, or more than one per
// 5 minutes. A full disk under the backend is the other way dqlite dies. This check deletes nothing.
import { formatDuration, parseDuration } from '../lib/duration.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';
import { reasonOf, UsageError } from '../lib/errors.ts';
import { Range, thresholdsOf } from '../lib/plugin/range.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { bySeverity, State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import {
  localBackend,
  noRaftData,
  readBackendDir,
  remoteBackend,
  snapshotsOf,
  type BackendAccess,
  type FsUsage,
} from '../lib/sources/backend-dir.ts';
import { cadenceOf } from '../lib/sources/snapshot-cadence.ts';
import { localRunner, type CommandRunner } from '../lib/sources/command.ts';
import { askFreePages } from '../lib/sources/dqlite-sql.ts';
import { localNode, type Member, type NodeAccess, parseClusterAnswer, remoteNode } from '../lib/sources/dqlite-cluster.ts';
import {
  type CliFiles,
  type CliPlan,
  DqliteError,
  type DqliteCli,
  localCliFiles,
  planCli,
  remoteCliFiles,
  storeDenied,
} from '../lib/sources/dqlite.ts';
import { dqliteCli, dqliteOptions, type DqliteArgs } from '../lib/options/dqlite.ts';
import { onEachHost } from '../lib/host-fanout.ts';
import { inOrder } from '../lib/in-order.ts';
import { sshOptions, type SshArgs } from '../lib/options/ssh.ts';
import { freeBackendDisk, NO_RAFT_DATA, SHRINK_DATABASE, SPARE } from '../lib/runbook.ts';
import { isoSeconds } from '../lib/text.ts';
import { establishRole, notSpare, type RoleFacts } from '../lib/dqlite-role.ts';
import { shown } from '../lib/plugin/shown.ts';
import { clockBeyond, skewDetail, skewNote } from '../lib/clock-skew.ts';
import { readRemoteClock, type RemoteClock } from '../lib/sources/ssh/clock.ts';

interface Args extends SshArgs, DqliteArgs {
  'min-interval': string;
  'free-warning': number;
  'free-critical': number;
  freelist: boolean;
}

export const defaults = { warning: '50', critical: '150', minInterval: '5m', freeWarning: 20, freeCritical: 10, freelistWarning: 50 };

/**
 * What the backend directory and its filesystem showed, with the words on this node's role
 * (RoleFacts: its cluster.yaml's, and with --freelist, the CLI asked anyway, the dqlite leader's).
 */
export interface StorageFacts extends RoleFacts {
  backend: string;
  fs: FsUsage;
  freePages?: { pages: number; free: number };
  /** How the CLI was asked, when worth saying (without TLS on a backend with no TLS files). */
  cliNote?: string;
  /** Why --freelist got no free pages: its UNKNOWN, beside the snapshots and free space still judged. */
  freelistProblem?: string;
  /** The clock of the host read over SSH, against ours: its files' mtimes are given on ours. */
  clock?: RemoteClock;
}

export interface StorageLimits {
  warning?: Range;
  critical?: Range;
  /** Snapshots closer together than this are frequent: the operator's "more than one per 5 minutes". */
  minIntervalSeconds: number;
  freeWarning: number;
  freeCritical: number;
}

/** The defaults parsed, as the options judge when not given. */
export const defaultLimits: StorageLimits = {
  ...thresholdsOf(defaults),
  minIntervalSeconds: parseDuration(defaults.minInterval, '--min-interval'),
  freeWarning: defaults.freeWarning,
  freeCritical: defaults.freeCritical,
};

// -w/-c and the text a person reads count MB of 1024 * 1024 bytes (as ls -lh and df -h do); the
// perfdata counts bytes, B: Icinga 2 reads MB as 1000 * 1000 bytes (since 2.11; 1024 * 1024
// before), so only B is the same number of bytes to every reader (pnp4nagios, Graphite, Prometheus).
const MB = 1024 * 1024;
const round = (n: number) => Math.round(n * 10) / 10;
const mb = (bytes: number) => round(bytes / MB);

/** A snapshot's size in MB as the text says it: -w/-c are MB, its bytes are judged. */
const sizeMb = (bytes: number, l: StorageLimits) =>
  shown(
    bytes / MB,
    [l.warning, l.critical].flatMap((range) => (range ? [{ range, alerts: range.scaled(MB).alerts(bytes) }] : [])),
  );

/** Free space and what the next snapshot needs, in MB with the decimals that show the one below the other. */
function freeBelowNeeded(free: number, needed: number): [number, number] {
  for (let decimals = 1; decimals <= 9; decimals++) {
    const [a, b] = [free, needed].map((n) => Math.round((n / MB) * 10 ** decimals) / 10 ** decimals) as [number, number];
    if (a < b) return [a, b];
  }
  return [free / MB, needed / MB];
}

export function evaluate(f: StorageFacts, l: StorageLimits): Outcome {
  const v = new Verdict(check.name);
  // A spare (the second node of two, one beyond 3 voters and 3 stand-bys) neither votes nor
  // replicates: there is no copy of the database here to judge, by design, and a standing UNKNOWN
  // on a healthy node would say otherwise. Said, free space judged; raft data it kept from when it
  // voted is of a database that has moved on, never judged as the database (it read OK for good).
  // Only a role established (establishRole) makes a spare: a file that cannot be taken leaves the data
  // judged. Any other member that never held raft data has nothing to judge either, and cannot
  // say why it has none: UNKNOWN, never read as a young datastore (free space is still judged below).
  // mtimes are stamped on the host's clock: one further off than --min-interval cannot tell a burst going on.
  const beyond = f.clock && clockBeyond(f.clock, l.minIntervalSeconds, `${formatDuration(l.minIntervalSeconds)} --min-interval`);
  if (beyond) v.find(State.UNKNOWN, reasonOf(beyond));
  const skew = !beyond && skewDetail(f.clock, "snapshot ages were taken on its clock, and their times are shown on this host's");
  if (skew) v.detail(skew);
  // What to do, per finding that alerts: the long output gives it in the findings' order, worst first.
  const advice: { state: State; on: 'bloat' | 'disk' }[] = [];
  const found = establishRole(f);
  const spare = 'role' in found && found.role === 'spare';
  const none = spare ? undefined : noRaftData(f.files);
  if (none) {
    const why = none === 'no-copy' ? `${NO_RAFT_DATA[none].why}, yet ${notSpare(found)}` : NO_RAFT_DATA[none].why;
    v.find(State.UNKNOWN, `no raft data in ${f.backend}: ${why} (fix: ${NO_RAFT_DATA[none].fix})`);
  }
  if (spare) v.detail(`${f.backend} is a dqlite spare's (${found.source}): ${SPARE.why}`);
  if ('role' in found) v.detail(found.line);
  else
    v.detail(
      `this node's dqlite role not ${found.read ? 'established' : 'read'} (${found.unestablished}): a spare's stale copy is not told apart`,
    );
  if (f.live && 'unread' in f.live) v.detail(`the dqlite leader was not asked for this node's role (.cluster: ${f.live.unread})`);
  const { snapshots, ignored } = spare ? { snapshots: [], ignored: [] } : snapshotsOf(f.files);
  const newest = snapshots[0];
  const timed = cadenceOf(snapshots, f.now, l.minIntervalSeconds);
  // Whether the burst goes on is the newest snapshot's age: not told on a clock that far off.
  const cadence = beyond ? { ...timed, frequent: false, stopped: false } : timed;
  const freePct = f.fs.totalBytes ? (100 * f.fs.availBytes) / f.fs.totalBytes : NaN;
  // No snapshot yet (a young datastore) is a fact, not a failure to read: perfdata U, no judgement.
  const sizeMetric = { label: 'snapshot_size', value: newest ? newest.size : NaN, uom: 'B' as const, min: 0 };
  const sizeState = newest
    ? v.measure(sizeMetric, new ScalarContext(l.warning?.scaled(MB), l.critical?.scaled(MB)))
    : v.measure(sizeMetric);
  v.measure({ label: 'snapshot_interval', value: round(cadence.seconds), uom: 's', min: 0 });
  v.measure({ label: 'snapshots_per_hour', value: round(3600 / cadence.seconds), min: 0 });
  const every = `every ${formatDuration(cadence.seconds)}`;
  // Bloat is size AND cadence: a large snapshot is the database to rebuild; written more than once
  // per --min-interval it is the storm itself (215-237 MB every ~2 minutes, the API server stalling).
  if (newest && sizeState !== State.OK) {
    const storm = cadence.frequent ? `, ${every} (more than one per ${formatDuration(l.minIntervalSeconds)})` : '';
    const state = cadence.frequent ? State.CRITICAL : sizeState;
    v.find(state, `newest snapshot ${sizeMb(newest.size, l)} MB${storm}: each snapshot writes and ships the whole database`);
    advice.push({ state, on: 'bloat' });
  }
  // The ranges are the free-space rule; the finding only words the state they give.
  const freeRanges = [Range.below(l.freeWarning), Range.below(l.freeCritical)] as const;
  const freeState = v.measure({ label: 'free_pct', value: freePct, uom: '%', min: 0, max: 100 }, new ScalarContext(...freeRanges));
  const pctShown = shown(
    freePct,
    freeRanges.map((range) => ({ range, alerts: range.alerts(freePct) })),
  );
  if (freeState === State.WARNING || freeState === State.CRITICAL) {
    v.find(freeState, `only ${pctShown}% free on ${f.fs.mount} (${mb(f.fs.availBytes)} MB)`);
    advice.push({ state: freeState, on: 'disk' });
  }
  // raft writes the next snapshot whole before it removes the oldest it keeps: without room for
  // about twice the newest, the next one fails, and dqlite with it.
  const needed = newest ? 2 * newest.size : 0;
  v.measure(
    { label: 'free', value: f.fs.availBytes, uom: 'B', min: 0 },
    new ScalarContext(undefined, needed ? Range.below(needed) : undefined),
  );
  if (newest && f.fs.availBytes < needed) {
    const [free, next] = freeBelowNeeded(f.fs.availBytes, needed);
    v.find(State.CRITICAL, `${free} MB free on ${f.fs.mount}: the next snapshot needs about ${next} MB (twice the newest)`);
    advice.push({ state: State.CRITICAL, on: 'disk' });
  }
  v.measure({ label: 'backend_size', value: f.files.reduce((n, x) => n + x.size, 0), uom: 'B', min: 0 });
  if (f.freelistProblem) {
    v.find(State.UNKNOWN, `--freelist: ${f.freelistProblem}`);
    v.measure({ label: 'freelist_pct', value: NaN, uom: '%', min: 0, max: 100 }, new ScalarContext(Range.above(defaults.freelistWarning)));
  }
  if (f.freePages) {
    const pct = f.freePages.pages ? (100 * f.freePages.free) / f.freePages.pages : 0;
    // Mostly free pages: above half, as the perfdata's range says (it cannot say 'half or more').
    const range = Range.above(defaults.freelistWarning);
    const alerts = range.alerts(pct);
    const said = shown(pct, [{ range, alerts }]);
    v.measure({ label: 'freelist_pct', value: said, uom: '%', min: 0, max: 100 }, new ScalarContext(range));
    if (alerts) {
      v.find(
        State.WARNING,
        `${said}% of the database is free pages (${f.freePages.free} of ${f.freePages.pages}): every snapshot copies them`,
      );
      advice.push({ state: State.WARNING, on: 'bloat' });
    } else v.detail(`${f.freePages.free} of ${f.freePages.pages} database pages free`);
  }
  if (f.cliNote) v.detail(`dqlite CLI ${f.cliNote}`);
  if (!newest && !none && !spare) v.detail(`no snapshot in ${f.backend} yet`);
  for (const s of snapshots)
    v.detail(`${s.name}: ${sizeMb(s.size, l)} MB, written ${isoSeconds(s.mtime)} (index ${s.index}, term ${s.term})`);
  if (cadence.contradicts) v.detail(`cadence unknown: ${cadence.contradicts}`);
  if (cadence.stopped)
    v.detail(`the last snapshots came ${every}, but none for ${formatDuration((f.now - newest!.mtime) / 1000)}: not frequent now`);
  for (const i of ignored) v.detail(`ignored ${i.name}: ${i.why}`);
  // A bloated database (over -w, or mostly free pages) is rebuilt; a full disk is freed: each only where found.
  const said = [...new Set(advice.sort((a, b) => bySeverity(a.state, b.state)).map((a) => a.on))];
  if (said.length) {
    for (const on of said) v.detail(...(on === 'bloat' ? SHRINK_DATABASE : freeBackendDisk(f.fs.mount, f.backend)));
    v.detail('This check deletes nothing.');
  }
  const size = newest
    ? `newest snapshot ${sizeMb(newest.size, l)} MB`
    : spare
      ? 'a dqlite spare: no copy of the database here'
      : !none && 'no snapshot yet';
  const pace = Number.isFinite(cadence.seconds)
    ? `${every} (${round(3600 / cadence.seconds)}/h)`
    : cadence.contradicts
      ? 'cadence unknown'
      : newest && 'one snapshot, no cadence yet';
  const head = [size, pace, `${pctShown}% free on ${f.fs.mount}`, !beyond && skewNote(f.clock, 'snapshot ages taken')]
    .filter(Boolean)
    .join(', ');
  return v.conclude(head, { problems: 'before' });
}

/**
 * This node (info.yaml), and its role as its own cluster.yaml records it (rewritten from the
 * leader; info.yaml keeps the role it joined with). The files are read as check_dqlite reads them;
 * where they cannot be, the role is not known, and said: the snapshots are still judged (this
 * check needs only to list).
 */
async function ownRole(node: NodeAccess, cli: DqliteCli, deadline: Deadline): Promise<{ self?: Member; role: StorageFacts['role'] }> {
  try {
    const { info, rows } = await node.readNode(cli);
    const self = info[0];
    const row = self && (rows.find((m) => m.id === self.id) ?? rows.find((m) => m.address === self.address));
    return { self, role: row ? { role: row.role } : { unread: 'info.yaml names no member of cluster.yaml' } };
  } catch (err) {
    if (deadline.signal.aborted) throw err;
    return { role: { unread: reasonOf(err) } };
  }
}

/** This node's role as the dqlite leader lists it (`.cluster`, by ID, then address), or why not told. */
async function liveRole(
  run: CommandRunner,
  deadline: Deadline,
  plan: Extract<CliPlan, { asked: true }>,
  self?: Member,
): Promise<StorageFacts['live']> {
  if (!self) return { unread: 'info.yaml names no node' };
  try {
    const members = parseClusterAnswer(await run(plan.argv('cluster'), deadline.signal));
    const row = members.find((m) => m.id === self.id) ?? members.find((m) => m.address === self.address);
    return row ? { role: row.role } : { unlisted: true };
  } catch (err) {
    if (deadline.signal.aborted) throw err;
    return { unread: reasonOf(err) };
  }
}

/** The directory's files and filesystem, this node's role (and, with --freelist, the free pages through the CLI). */
export async function gather(
  args: Args,
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
  const plan = planCli(cli, await cliFiles(cli));
  // The CLI's failure is --freelist's UNKNOWN, never the snapshots' and free space's: the CLI
  // blocks for good once quorum is gone, which a full disk under the backend brings about.
  if (!plan.asked)
    return {
      backend,
      files,
      fs,
      now: Date.now(),
      role,
      freelistProblem: reasonOf(new DqliteError(`the dqlite CLI is not asked: ${plan.why}`, { fix: plan.fix })),
    };
  // Under a part of -t: what it leaves is for judging and printing the rest.
  const part = deadline.part();
  part.activity = 'asking the dqlite CLI for the free pages and the cluster';
  try {
    // Asked at once: the v1 CLI dials the voters one at a time (5 s each), so with one powered off
    // every question takes that long, and one after the other they spent -t 10 before .cluster.
    // Both failing, the free pages' failure is the reason (liveRole fails only at the deadline).
    const [freePages, live] = await inOrder([askFreePages(run, part, plan, cli.database), liveRole(run, part, plan, self)], part);
    return { backend, files, fs, now: Date.now(), freePages, cliNote: plan.note, role, live };
  } catch (err) {
    if (deadline.signal.aborted) throw err;
    // Silence is not only a lost quorum: on a real trio the v1 CLI took 5.2 s with a leader there and
    // one voter powered off (it dials them in turn), and a hung member held it for good.
    const freelistProblem = part.signal.aborted
      ? `the dqlite CLI gave no answer in ${part.seconds}s ` +
        '(it waits while dqlite has no leader or a member hangs, and 5s for each voter powered off: see check_dqlite)'
      : reasonOf(storeDenied(err, cli.backend) ?? err);
    return { backend, files, fs, now: Date.now(), cliNote: plan.note, role, freelistProblem };
  } finally {
    part.done();
  }
}

export const check: CheckDefinition<Args> = {
  name: 'DQLITE-STORAGE',
  command: 'check_dqlite_storage',
  description: 'the dqlite backend: size and cadence of raft snapshots, free space under it; a bloated database feeds the storms',
  defaultWarning: defaults.warning,
  defaultCritical: defaults.critical,
  thresholdUnit: 'MB',
  options: (y) =>
    dqliteOptions(sshOptions(y), 'for --freelist')
      .option('min-interval', {
        type: 'string',
        default: defaults.minInterval,
        describe: 'snapshots closer together than this are frequent; a large snapshot written that often is CRITICAL',
      })
      .option('free-warning', {
        type: 'number',
        default: defaults.freeWarning,
        describe: 'WARNING below this % free on the backend filesystem',
      })
      .option('free-critical', { type: 'number', default: defaults.freeCritical, describe: 'CRITICAL below this % free' })
      .option('freelist', {
        type: 'boolean',
        default: false,
        describe: 'also ask the dqlite CLI for the share of free pages (needs what check_dqlite needs to ask it)',
      }),
  examples: [
    ['check_dqlite_storage', 'snapshots and free space of this node'],
    ['check_dqlite_storage --freelist', 'also the share of free pages in the database'],
  ],
  async run({ args, warning, critical, deadline, shared }) {
    if (!(args['free-critical'] >= 0 && args['free-warning'] >= args['free-critical'] && args['free-warning'] <= 100))
      throw new UsageError('--free-warning and --free-critical are percentages, warning at least critical');
    const limits: StorageLimits = {
      warning,
      critical,
      minIntervalSeconds: parseDuration(args['min-interval'], '--min-interval'),
      freeWarning: args['free-warning'],
      freeCritical: args['free-critical'],
    };
    if (!args.host?.length)
      return evaluate(await gather(args, localBackend, async (cli) => localCliFiles(cli), localRunner, deadline), limits);
    return onEachHost(
      check.name,
      { ...args, host: args.host },
      deadline,
      async (conn, part) => {
        const run = conn.runner();
        const host = conn.target.host;
        const cliFiles = (cli: DqliteCli) => remoteCliFiles(cli, run, part.signal);
        // Its clock read beside the listing, on the same connection: the mtimes are on it. Both
        // failing, the backend's failure is the reason, whichever came first.
        const [facts, clock] = await inOrder(
          [
            gather(args, remoteBackend(run, part.signal, host), cliFiles, run, part, remoteNode(run, part.signal, host)),
            readRemoteClock(host, run, part.signal),
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
