// The restart gate's answer, from its blockers and what the node leads. NO-GO is CRITICAL whatever
// -w/-c say of the count: a range that lets one blocker pass (-c 5) exited 0, an OK reading
// "NO-GO", which a wrapper or a pipeline takes for GO. A write storm among the blockers asks for
// its backlog to drain before anything else.
import { partialText, type PartialResult } from './plugin/partial.ts';
import { State } from './plugin/state.ts';
import type { Outcome, Verdict } from './plugin/verdict.ts';
import { FROZEN_CACHE_RECOVERY, gatedRestart, LAG_WAIT, NON_LEADER_FIRST, NOT_NOW, NOT_NOW_STORM } from './runbook.ts';

/** The journal checks the gate judges: either not OK is a write storm whose backlog must drain. */
export const STORM_CHECKS = ['dqlite-lock', 'kine-retries'] as const;

/** A storm check judged not OK; one that could not tell is no storm. */
const isStorm = (p: PartialResult) => p.state !== State.UNKNOWN && (STORM_CHECKS as readonly (string | undefined)[]).includes(p.check);

/**
 * NO-GO for `node` while anything blocks (the first named, the rest counted), else GO: with care
 * where the verdict found what the node leads, each a WARNING.
 */
export function goNoGo(v: Verdict, node: string, blockers: PartialResult[]): Outcome {
  const [first] = blockers;
  if (first) {
    const text = partialText(first);
    v.find(State.CRITICAL, text);
    v.detail(blockers.some(isStorm) ? NOT_NOW_STORM : NOT_NOW);
    // Judged stale, not unknown: a frozen watch cache has its own recovery; lagging Deployments a wait first.
    const stale = (check: string) => blockers.some((p) => p.check === check && p.state !== State.UNKNOWN);
    if (stale('watch-cache')) v.detail(FROZEN_CACHE_RECOVERY);
    if (stale('observed-generation')) v.detail(LAG_WAIT);
    v.detail(...new Set(blockers.flatMap((p) => p.next ?? [])));
    return v.outcome(`NO-GO for ${node}: ${text}${blockers.length > 1 ? ` (+${blockers.length - 1} more)` : ''}`);
  }
  if (v.findings.length) v.detail(NON_LEADER_FIRST);
  v.detail(...gatedRestart(node));
  return v.conclude(`GO with care for ${node}`, { problems: 'named', whenClear: `GO: kubelite on ${node} may be restarted` });
}
