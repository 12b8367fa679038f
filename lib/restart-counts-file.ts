// check_pod_restarts' state file: the restart counts of the previous run, which growth is judged
// against. One file per API server and scope: a run over other namespaces or another selector
// must neither read nor overwrite these counts.
import type { Troubled } from './k8s/troubled.ts';
import { isCounts, keepOrSay, readState, type Remembered, scopedStateFile } from './state-file.ts';

/** Restart counts the previous run saw (only containers that had restarted), and when. */
export interface PreviousCounts {
  at: number;
  counts: Record<string, number>;
}

/** --state-file, else one of this server's and scope's own. */
export function countsFile(given: string | undefined, server: string, scope: unknown[]): string {
  if (given) return given;
  return scopedStateFile(`pod-restarts-${server.replace(/[^A-Za-z0-9.-]+/g, '_')}`, scope);
}

/** The previous run's counts; anything not as this check writes it is damaged, said, never fatal. */
export const readCounts = (file: string): Remembered<PreviousCounts> =>
  readState(file, (v): v is PreviousCounts => 'at' in v && typeof v.at === 'number' && 'counts' in v && isCounts(v.counts));

/** Keep this run's counts for the next; why they cannot be kept, if they cannot. */
export function keepCounts(keep: (file: string, value: unknown) => void, file: string, seen: { now: number; troubled: Troubled[] }) {
  // A container not in the counts is read as 0 by the next run: zeros need not be kept.
  const counts = Object.fromEntries(seen.troubled.filter((t) => t.restarts > 0).map((t) => [t.key, t.restarts]));
  return keepOrSay(keep, file, { at: seen.now, counts }, 'restart counts', 'restarts since the previous run not judged');
}
