// The runbook's leadership churn: leaseTransitions climbing between runs (each kcm loss of lease
// exits kubelite on that node). What a run keeps of each leader lease for the next, and the rule
// that compares them.
import type { V1Lease } from '@kubernetes/client-node';
import { LEADER_LEASES } from './k8s/leases.ts';
import { State } from './plugin/state.ts';
import type { Verdict } from './plugin/verdict.ts';

/** One leader lease as a run kept it. */
export interface SeenLease {
  transitions: number;
  uid?: string;
}

/**
 * What a run keeps of each leader lease for the next, by name: its leaseTransitions and its
 * metadata.uid. A lease deleted and made again is another object, whose count starts over from 0:
 * its uid tells it from the one the last run saw. State written before uids were kept holds the
 * counts alone (readSeen); there a count that went down tells it.
 */
export type Seen = Record<string, SeenLease>;

const isSeen = (v: unknown): v is SeenLease =>
  typeof v === 'object' &&
  v !== null &&
  'transitions' in v &&
  typeof v.transitions === 'number' &&
  Number.isFinite(v.transitions) &&
  (!('uid' in v) || typeof v.uid === 'string');

/** The state file's shape: this version's, or the counts alone of an earlier one. */
export const isKept = (v: object): v is Record<string, number | SeenLease> =>
  !Array.isArray(v) && Object.values(v).every((x) => (typeof x === 'number' && Number.isFinite(x)) || isSeen(x));

/** The previous run's state as this one judges it: a bare count (an earlier version's) has no uid. */
export const readSeen = (kept: Record<string, number | SeenLease>): Seen =>
  Object.fromEntries(Object.entries(kept).map(([name, x]) => [name, typeof x === 'number' ? { transitions: x } : x]));

/** The leases as the next run will compare them. */
export const seenOf = (leases: V1Lease[]): Seen =>
  Object.fromEntries(
    leases.map((l, i) => [
      LEADER_LEASES[i]!,
      { transitions: l.spec?.leaseTransitions ?? 0, ...(l.metadata?.uid ? { uid: l.metadata.uid } : {}) },
    ]),
  );

/** Leadership changes of the lease `name` (`short` in findings) since the last run saw it as `was`: WARNING. */
export function judgeChurn(v: Verdict, lease: V1Lease, name: string, short: string, was: SeenLease | undefined): void {
  const transitions = lease.spec?.leaseTransitions ?? 0;
  const uid = lease.metadata?.uid;
  // Made again since the last run: its count started over, from 0 as leader election creates it,
  // so all of it is churn since then; the difference to the old one's would be none, or negative.
  const remade =
    was === undefined
      ? undefined
      : was.uid !== undefined && uid !== undefined && was.uid !== uid
        ? `uid ${uid}, was ${was.uid}`
        : transitions < was.transitions
          ? `${transitions} transitions, were ${was.transitions}`
          : undefined;
  const grew = was === undefined ? 0 : remade ? transitions : transitions - was.transitions;
  const since = remade ? 'since its lease was recreated' : 'since the last run';
  if (grew > 0) v.find(State.WARNING, `${short} leadership changed ${grew} time${grew === 1 ? '' : 's'} ${since}`);
  if (remade) v.detail(`${name}: lease recreated since the last run (${remade}): its transitions count afresh from 0`);
}
