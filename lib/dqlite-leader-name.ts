// check_leases names the dqlite leader beside the lease holders; check_dqlite judges the datastore.
import { type ReasonedError, reasonOf } from './errors.ts';
import { State } from './plugin/state.ts';
import type { Verdict } from './plugin/verdict.ts';

/** The dqlite leader's address and its node (or why its node is not named), or why the leader is not known. */
export type DqliteLeaderName = { leader: string; node?: string; unnamed?: string } | { unknown: string } | { failed: ReasonedError };

/**
 * The dqlite leader in the long output, and as the summary names it. undefined: no dqlite CLI
 * (`dqliteBin`) here, so not asked.
 */
export function nameDqliteLeader(v: Verdict, dqlite: DqliteLeaderName | undefined, dqliteBin: string): string | undefined {
  // A setup to mend (a wrong --backend-dir, a store the user cannot read): UNKNOWN, beside whatever
  // the leases say, so an expired lease stays CRITICAL.
  if (dqlite && 'failed' in dqlite) {
    v.find(State.UNKNOWN, reasonOf(dqlite.failed));
    return undefined;
  }
  if (dqlite && 'unknown' in dqlite) {
    // Here the leader is only named, so not knowing it is said.
    v.detail(`dqlite leader: ${dqlite.unknown} (check_dqlite judges the datastore)`);
    return 'dqlite unknown';
  }
  if (dqlite) {
    const named = dqlite.node ? ` (node ${dqlite.node})` : dqlite.unnamed ? ` (its node not named: ${dqlite.unnamed})` : '';
    v.detail(`dqlite leader: ${dqlite.leader}${named}`);
    return `dqlite ${dqlite.node ?? dqlite.leader}`;
  }
  v.detail(`dqlite leader: not asked (no ${dqliteBin} here; run this check on a MicroK8s node)`);
  return undefined;
}
