// How often raft writes snapshots, from the only history the backend keeps: raft keeps two
// snapshots, so the gap between their mtimes is all there is to time.
import type { Snapshot } from './backend-dir.ts';

export interface Cadence {
  /** Seconds between the two newest snapshots; NaN where they time nothing. */
  seconds: number;
  /** Closer together than the limit, and still going on. */
  frequent: boolean;
  /** Was frequent, but the newest is older than the limit: the burst has stopped. */
  stopped?: boolean;
  /** Why mtimes that contradict raft's order time nothing. */
  contradicts?: string;
  /**
   * Seconds since the newest snapshot, where that is more than twice the gap: the gap's cadence held
   * until the newest, and the pace since is at most half of it (the next comes at least this long after it).
   */
  quiet?: number;
}

/**
 * The cadence of the newest snapshots (newest first, as snapshotsOf orders them). Frequent only
 * while it goes on: a burst whose newest snapshot is older than the limit has stopped. Outlived
 * (quiet) once the newest is older than twice the gap: the pace since is at most half the gap's.
 * Under that, a next snapshot only somewhat later than the last gap (raft snapshots every N
 * entries, whose pace varies) leaves the gap a fair word on now.
 */
export function cadenceOf(snapshots: Snapshot[], now: number, limitSeconds: number): Cadence {
  const [newest, previous] = snapshots;
  if (!newest || !previous) return { seconds: NaN, frequent: false };
  const seconds = (newest.mtime - previous.mtime) / 1000;
  // mtimes that contradict the index order (a copied or touched file) time nothing.
  if (!(seconds > 0)) return { seconds: NaN, frequent: false, contradicts: `${newest.name} is not newer on disk than ${previous.name}` };
  const age = (now - newest.mtime) / 1000;
  const going = age < limitSeconds;
  return {
    seconds,
    frequent: seconds < limitSeconds && going,
    stopped: seconds < limitSeconds && !going,
    ...(age > 2 * seconds && { quiet: age }),
  };
}
