// A full disk under the backend is the other way dqlite dies: the free-space rule, in percent of
// the filesystem (--free-warning, --free-critical) and against what the next snapshot needs.
import { MB, mb } from './megabytes.ts';
import { Range } from './plugin/range.ts';
import { shownAgainst } from './plugin/shown.ts';
import { State } from './plugin/state.ts';
import { ScalarContext, type Verdict } from './plugin/verdict.ts';
import type { FsUsage } from './sources/backend-dir.ts';

export interface FreeSpaceLimits {
  freeWarning: number;
  freeCritical: number;
}

/** Free space and what the next snapshot needs, in MB with the decimals that show the one below the other. */
export function freeBelowNeeded(free: number, needed: number): [number, number] {
  for (let decimals = 1; decimals <= 9; decimals++) {
    const [a, b] = [free, needed].map((n) => Math.round((n / MB) * 10 ** decimals) / 10 ** decimals) as [number, number];
    if (a < b) return [a, b];
  }
  return [free / MB, needed / MB];
}

/**
 * Free space as perfdata and findings, beside the newest snapshot's size (none yet: no need
 * judged): the states of the findings made, and the summary's word on it.
 */
export function judgeFreeSpace(
  v: Verdict,
  fs: FsUsage,
  newestBytes: number | undefined,
  l: FreeSpaceLimits,
): { found: State[]; head: string } {
  const found: State[] = [];
  const freePct = fs.totalBytes ? (100 * fs.availBytes) / fs.totalBytes : NaN;
  // The ranges are the free-space rule; the finding only words the state they give.
  const freeRanges = [Range.below(l.freeWarning), Range.below(l.freeCritical)] as const;
  const freeState = v.measure({ label: 'free_pct', value: freePct, uom: '%', min: 0, max: 100 }, new ScalarContext(...freeRanges));
  const pctShown = shownAgainst(freePct, freeRanges);
  if (freeState === State.WARNING || freeState === State.CRITICAL) {
    v.find(freeState, `only ${pctShown}% free on ${fs.mount} (${mb(fs.availBytes)} MB)`);
    found.push(freeState);
  }
  // raft writes the next snapshot whole before it removes the oldest it keeps: without room for
  // about twice the newest, the next one fails, and dqlite with it.
  const needed = newestBytes !== undefined ? 2 * newestBytes : 0;
  v.measure(
    { label: 'free', value: fs.availBytes, uom: 'B', min: 0 },
    new ScalarContext(undefined, needed ? Range.below(needed) : undefined),
  );
  if (newestBytes !== undefined && fs.availBytes < needed) {
    const [free, next] = freeBelowNeeded(fs.availBytes, needed);
    v.find(State.CRITICAL, `${free} MB free on ${fs.mount}: the next snapshot needs about ${next} MB (twice the newest)`);
    found.push(State.CRITICAL);
  }
  return { found, head: `${pctShown}% free on ${fs.mount}` };
}
