// No leader means no write anywhere: what the dqlite CLI said of the leader, judged.
import { State } from './plugin/state.ts';
import type { Verdict } from './plugin/verdict.ts';
import { ANSWERS_WITHIN_MS } from './sources/dqlite-cluster.ts';
import type { Leader } from './sources/dqlite-view.ts';

/**
 * The CLI's answer on the leader as findings: its no-leader word is quorum lost (said once, where
 * the probes did not already find it lost), silence or failure leave the leader unknown, and a
 * CLI not asked is said, never taken for a failure.
 */
export function judgeLeader(v: Verdict, leader: Leader, quorumLost: boolean): void {
  switch (leader.kind) {
    case 'none':
      if (!quorumLost) v.find(State.CRITICAL, `quorum lost: the dqlite CLI found no leader (${leader.text})`);
      break;
    case 'empty':
      v.find(State.WARNING, 'the dqlite CLI named no leader');
      break;
    case 'no-answer':
      // Silence is a leader unknown only where the CLI had time to answer: given less than a
      // second (a short -t mostly spent starting up), it tells nothing, and a WARNING rested on nothing.
      if (leader.seconds * 1000 < ANSWERS_WITHIN_MS)
        v.find(State.UNKNOWN, `the dqlite CLI gave no answer in the ${leader.seconds}s -t left it: leader unknown (fix: give a longer -t)`);
      else v.find(State.WARNING, `the dqlite CLI gave no answer in ${leader.seconds}s: leader unknown`);
      break;
    case 'failed':
      v.find(State.UNKNOWN, `the dqlite CLI failed: ${leader.why}`);
      break;
    case 'not-asked':
      v.detail(`leader not asked: ${leader.why}${leader.fix ? ` (${leader.fix})` : ''}`);
      break;
  }
}

/** The leader's address where the CLI named one. */
export const leaderAddress = (leader: Leader): string | undefined => (leader.kind === 'known' ? leader.address : undefined);

/** The leader as the summary names it. */
export function leaderText(leader: Leader): string {
  const address = leaderAddress(leader);
  return address !== undefined ? `leader ${address}` : leader.kind === 'not-asked' ? 'leader not asked' : 'leader unknown';
}
