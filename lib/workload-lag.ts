// A workload whose controller has not observed its newest spec (observedGeneration < generation)
// counts as lagging once the change is older than --grace: a controller-manager working from a
// frozen informer cache never observes it. Younger lags are listed, not counted; a lag no time
// dates counts as long ago, since a controller that never caught up is lagging.
import { formatDuration } from './duration.ts';

export const KINDS = ['deployment', 'statefulset', 'daemonset'] as const;
export type Kind = (typeof KINDS)[number];

export interface Workload {
  kind: Kind;
  namespace: string;
  name: string;
}

/** A workload whose controller has not observed its newest spec. */
export interface Lag extends Workload {
  generation: number;
  observed: number;
  /** Seconds since the spec changed; undefined when no time says. */
  seconds?: number;
}

export const workloadRef = (w: Workload) => `${w.kind}/${w.namespace}/${w.name}`;

/** The lags past `graceS` seconds (lagging), and those still within it (recent), in their order. */
export function pastGrace(lags: Lag[], graceS: number): { lagging: Lag[]; recent: Lag[] } {
  const lagging = lags.filter((l) => (l.seconds ?? Infinity) > graceS);
  return { lagging, recent: lags.filter((l) => !lagging.includes(l)) };
}

export const lagText = (l: Lag) =>
  `${workloadRef(l)}: generation ${l.generation} > observed ` +
  `${l.observed}${l.seconds !== undefined ? ` for ${formatDuration(Math.max(l.seconds, 1))}` : ''}`;
