// Whether this node's backend holds a copy of the database to judge: a spare's does not, by
// design, a removed node's raft files are leftovers, and a member that never held raft data cannot
// say why it has none.
import { establishRole, notSpare, type RoleFacts } from './dqlite-role.ts';
import { State } from './plugin/state.ts';
import type { Verdict } from './plugin/verdict.ts';
import { NO_RAFT_DATA, REMOVED, SPARE } from './runbook.ts';
import { notMember } from './dqlite-quorum.ts';
import { noRaftData } from './sources/backend-dir.ts';

/**
 * This node's role and the raft data in `backend`, said: whether it is a spare's, or a removed
 * node's, and which kind of no raft data it has, if none.
 */
export function copyHere(
  v: Verdict,
  f: RoleFacts,
  backend: string,
): { spare: boolean; none: ReturnType<typeof noRaftData>; removed: boolean } {
  // A spare (the second node of two, one beyond 3 voters and 3 stand-bys) neither votes nor
  // replicates: there is no copy of the database here to judge, by design, and a standing UNKNOWN
  // on a healthy node would say otherwise. Said, free space judged; raft data it kept from when it
  // voted is of a database that has moved on, never judged as the database (it read OK for good).
  // Only a role established (establishRole) makes a spare: a file that cannot be taken leaves the data
  // judged. Any other member that never held raft data has nothing to judge either, and cannot
  // say why it has none: UNKNOWN, never read as a young datastore (free space is still judged).
  const found = establishRole(f);
  const unasked = f.live && 'unread' in f.live ? [`the dqlite leader was not asked for this node's role (.cluster: ${f.live.unread})`] : [];
  // Removed (remove-node on another node: check_dqlite says "not a member" too), its raft files are
  // no copy the cluster writes, and raft there writes nothing more: none judged (free space still is).
  if ('removed' in found) {
    const why = `the raft files in ${backend} are ${REMOVED.why} (fix: ${REMOVED.fix})`;
    v.find(State.UNKNOWN, `${notMember(found.address)} (${found.removed}): ${why}`);
    v.detail(...unasked);
    return { spare: false, none: undefined, removed: true };
  }
  const spare = 'role' in found && found.role === 'spare';
  const none = spare ? undefined : noRaftData(f.files);
  if (none) {
    const why = none === 'no-copy' ? `${NO_RAFT_DATA[none].why}, yet ${notSpare(found)}` : NO_RAFT_DATA[none].why;
    v.find(State.UNKNOWN, `no raft data in ${backend}: ${why} (fix: ${NO_RAFT_DATA[none].fix})`);
  }
  if (spare) v.detail(`${backend} is a dqlite spare's (${found.source}): ${SPARE.why}`);
  if ('role' in found) v.detail(found.line);
  else
    v.detail(
      `this node's dqlite role not ${found.read ? 'established' : 'read'} (${found.unestablished}): a spare's stale copy is not told apart`,
    );
  v.detail(...unasked);
  return { spare, none, removed: false };
}
