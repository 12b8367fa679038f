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
}

/**
 * The cadence of the newest snapshots (newest first, as snapshotsOf orders them). Frequent only
 * while it goes on: a burst whose newest snapshot is older than the limit has stopped.
 */
export function cadenceOf(snapshots: Snapshot[], now: number, limitSeconds: number): Cadence {
  const [newest, previous] = snapshots;
  if (!newest || !previous) return { seconds: NaN, frequent: false };
  const seconds = (newest.mtime - previous.mtime) / 1000;
  // mtimes that contradict the index order (a copied or touched file) time nothing.
  if (!(seconds > 0)) return { seconds: NaN, frequent: false, contradicts: `${newest.name} is not newer on disk than ${previous.name}` };
  const going = now - newest.mtime < limitSeconds * 1000;
  return { seconds, frequent: seconds < limitSeconds && going, stopped: seconds < limitSeconds && !going };
}
