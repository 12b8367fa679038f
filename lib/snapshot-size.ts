// The runbook's trigger on raft snapshots: over ~50 MB, or more than one per 5 minutes. Each
// snapshot writes and ships the whole database, so its size is the database's, bloat included:
// 215-237 MB every ~2 minutes made the API server unresponsive for 10-30 s.
import { formatDuration } from './duration.ts';
import { MB, round } from './megabytes.ts';
import type { Range } from './plugin/range.ts';
import { shown } from './plugin/shown.ts';
import { State } from './plugin/state.ts';
import { ScalarContext, type Verdict } from './plugin/verdict.ts';
import { isoSeconds } from './text.ts';
import type { Snapshot } from './sources/backend-dir.ts';
import type { Cadence } from './sources/snapshot-cadence.ts';

export interface SnapshotLimits {
  warning?: Range;
  critical?: Range;
  /** Snapshots closer together than this are frequent: the operator's "more than one per 5 minutes". */
  minIntervalSeconds: number;
}

/**
 * A snapshot's size as the text says it, in MB (-w/-c are MB; its bytes are judged), or in KB below
 * a tenth of a MB: a fresh cluster's snapshots are tens of KB, which read "0 MB", an empty file.
 */
export const snapshotSize = (bytes: number, l: SnapshotLimits) => {
  const [unit, factor] = bytes < MB / 10 ? (['KB', 1024] as const) : (['MB', MB] as const);
  const judged = [l.warning, l.critical].flatMap((range) =>
    range ? [{ range: range.scaled(MB / factor), alerts: range.scaled(MB).alerts(bytes) }] : [],
  );
  return `${shown(bytes / factor, judged)} ${unit}`;
};

const every = (cadence: Cadence) => `every ${formatDuration(cadence.seconds)}`;

/**
 * The newest snapshot's size and the cadence as perfdata, and the bloat they show: the state of
 * its finding, if any. Bloat is size AND cadence: a large snapshot is the database to rebuild;
 * written more than once per --min-interval it is the storm itself (the API server stalling).
 */
export function judgeSnapshots(v: Verdict, newest: Snapshot | undefined, cadence: Cadence, l: SnapshotLimits): State | undefined {
  // No snapshot yet (a young datastore) is a fact, not a failure to read: perfdata U, no judgement.
  const sizeMetric = { label: 'snapshot_size', value: newest ? newest.size : NaN, uom: 'B' as const, min: 0 };
  const sizeState = newest
    ? v.measure(sizeMetric, new ScalarContext(l.warning?.scaled(MB), l.critical?.scaled(MB)))
    : v.measure(sizeMetric);
  v.measure({ label: 'snapshot_interval', value: round(cadence.seconds), uom: 's', min: 0 });
  // The rate of now: the gap's, or once the newest snapshot has outlived it (twice over), at most one per its age.
  v.measure({ label: 'snapshots_per_hour', value: round(3600 / Math.max(cadence.seconds, cadence.quiet ?? 0)), min: 0 });
  if (!newest || sizeState === State.OK) return undefined;
  const storm = cadence.frequent ? `, ${every(cadence)} (more than one per ${formatDuration(l.minIntervalSeconds)})` : '';
  const state = cadence.frequent ? State.CRITICAL : sizeState;
  v.find(state, `newest snapshot ${snapshotSize(newest.size, l)}${storm}: each snapshot writes and ships the whole database`);
  return state;
}

/** The long output's lines on the snapshots (newest first) and their cadence. */
export function snapshotLines(snapshots: Snapshot[], cadence: Cadence, now: number, l: SnapshotLimits): string[] {
  const lines = snapshots.map(
    (s) => `${s.name}: ${snapshotSize(s.size, l)}, written ${isoSeconds(s.mtime)} (index ${s.index}, term ${s.term})`,
  );
  if (cadence.contradicts) lines.push(`cadence unknown: ${cadence.contradicts}`);
  if (cadence.stopped)
    lines.push(
      `the last snapshots came ${every(cadence)}, but none for ${formatDuration((now - snapshots[0]!.mtime) / 1000)}: not frequent now`,
    );
  return lines;
}

/**
 * The summary's word on the cadence, where there is one to say: a cadence the newest snapshot has
 * outlived is said with until when it held (a burst 3 hours ago is no "900/h" now).
 */
export function paceOf(cadence: Cadence, newest: Snapshot | undefined): string | undefined {
  if (cadence.quiet !== undefined) return `${every(cadence)} until ${formatDuration(cadence.quiet)} ago, none since`;
  return Number.isFinite(cadence.seconds)
    ? `${every(cadence)} (${round(3600 / cadence.seconds)}/h)`
    : cadence.contradicts
      ? 'cadence unknown'
      : newest && 'one snapshot, no cadence yet';
}
