// Which role this node holds in dqlite, established from what check_dqlite_storage read: the
// leader's word where the CLI was asked, else its own cluster.yaml where go-dqlite keeps that
// fresh. A spare keeps no copy of the database: taken for one on a stale word, a node holding the
// database goes unjudged, which is why a role is only taken where it is established.
import { formatDuration } from './duration.ts';
import { type BackendFile, lastRaftWrite } from './sources/backend-dir.ts';
import type { DqliteRole } from './sources/dqlite-members.ts';
import type { LiveRole, OwnRole } from './sources/node-role.ts';

/** What a role is established from: the backend's listing, and the two words on the role. */
export interface RoleFacts {
  files: BackendFile[];
  /** When the listing was taken (ms since the epoch, on this host's clock, as the mtimes are). */
  now: number;
  /** The role its own cluster.yaml records, or why it could not be read. */
  role: OwnRole;
  /** The role the dqlite leader lists (`.cluster`), that it lists no such member, or why not asked. */
  live?: LiveRole;
}

/**
 * go-dqlite's app rewrites cluster.yaml from the leader's list once per round of its run loop
 * (app/app.go run, "Refresh our node store": every RolesAdjustmentFrequency, 30 s by default,
 * which k8s-dqlite leaves as it is), whether anything changed or not, and only while the node runs
 * and finds a leader. A file older than this many seconds (four rounds, slow ones included) is the
 * word of a node that stopped, or lost the leader, at some moment since: its role is not taken.
 */
const NODE_STORE_FRESH_SECONDS = 120;

/** cluster.yaml's numbering of the roles. */
const ROLE_NUMBER: Record<DqliteRole, number> = { voter: 0, 'stand-by': 1, spare: 2 };

/** This node's role and where it came from, or why it is not established. */
export type RoleFinding = { role: DqliteRole; source: string; line: string } | { unestablished: string; read: boolean };

/** This node's address, where the leader's list names no member with its ID or address, and who says so. */
export type Removed = { removed: string; address: string };

/**
 * The leader's word first (with --freelist the CLI is asked anyway), then cluster.yaml's where
 * go-dqlite wrote it within its last rounds. The file lags a change of role by up to a round
 * (roles change after the round's refresh), and for good once the node stops: a spare promoted,
 * then killed before its next round, kept a file naming it a spare while it held the database
 * (seen on a real dqlite-demo node). A file naming a spare is therefore not taken where raft wrote
 * anything after it: a spare's raft takes no entries. A leader's list without this node (its word,
 * or the file go-dqlite rewrote from it) says it was removed.
 */
export function establishRole(f: RoleFacts): RoleFinding | Removed {
  const store = f.files.find((x) => x.name === 'cluster.yaml');
  const ago = store && `${formatDuration(Math.max(0, (f.now - store.mtime) / 1000))} ago`;
  const fileSays = 'role' in f.role ? f.role.role : undefined;
  if (f.live && 'role' in f.live) {
    const differs = fileSays && fileSays !== f.live.role && ago ? `; its cluster.yaml, rewritten ${ago}, says ${fileSays}` : '';
    return {
      role: f.live.role,
      source: 'the dqlite leader lists it so',
      line: `this node's dqlite role: ${f.live.role}, as the dqlite leader lists it (.cluster)${differs}`,
    };
  }
  // Not listed, this node was removed (remove-node on another node), or has not joined yet (go-dqlite's
  // join file, removed once the leader added it). A removed node is never re-added as it is (a join
  // starts it afresh), so a leader's list without it holds however old, its cluster.yaml's too.
  if (f.live && 'unlisted' in f.live)
    return f.files.some((x) => x.name === 'join')
      ? { unestablished: "the dqlite leader lists no member with this node's ID or address (.cluster)", read: true }
      : { removed: 'the dqlite leader lists no member with its ID or address (.cluster)', address: f.live.unlisted };
  if ('unread' in f.role) return { unestablished: f.role.unread, read: false };
  if ('unlisted' in f.role) {
    const rewritten = ago ? `, which go-dqlite rewrote ${ago} from the dqlite leader's list,` : '';
    return { removed: `its cluster.yaml${rewritten} names no member with its ID or address`, address: f.role.unlisted };
  }
  if (!store || !fileSays) return { unestablished: 'cluster.yaml was not in the listing', read: true };
  if ((f.now - store.mtime) / 1000 > NODE_STORE_FRESH_SECONDS)
    return {
      unestablished:
        `its cluster.yaml says ${fileSays}, but go-dqlite last rewrote it ${ago}, where it does every 30s while this ` +
        'node runs and reaches the leader: k8s-dqlite here is stopped, or has no leader',
      read: true,
    };
  const raft = fileSays === 'spare' ? lastRaftWrite(f.files) : undefined;
  if (raft && raft.mtime > store.mtime)
    return {
      unestablished:
        `its cluster.yaml says spare, yet raft wrote ${raft.name} ${formatDuration((raft.mtime - store.mtime) / 1000)} after ` +
        "go-dqlite last rewrote it: a spare's raft takes no entries, so it was promoted since, or its log was closed as it stopped",
      read: true,
    };
  return {
    role: fileSays,
    source: `its cluster.yaml says Role ${ROLE_NUMBER[fileSays]}`,
    line: `this node's dqlite role: ${fileSays}, as its cluster.yaml says (go-dqlite rewrote it ${ago})`,
  };
}

/** Why a member with no raft data is not taken for a spare: its role as established, or why it is not. */
export function notSpare(found: RoleFinding): string {
  if (!('role' in found))
    return found.read ? `its role is not established (${found.unestablished})` : `its role was not read (${found.unestablished})`;
  if (found.source.startsWith('the dqlite leader')) return `the dqlite leader lists it as a ${found.role} (is this its backend?)`;
  return "its cluster.yaml does not name it one (not refreshed from the leader yet, or not this node's backend)";
}
