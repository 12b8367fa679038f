// A workload whose controller has not observed its newest spec (observedGeneration < generation)
// counts as lagging once the change is older than --grace: a controller-manager working from a
// frozen informer cache never observes it. Younger lags are listed, not counted; a lag no time
// dates counts as long ago, since a controller that never caught up is lagging.
import { formatDuration } from './duration.ts';
import { generationLag, specChangedAt } from './k8s/rollout.ts';
import type { Wire } from './k8s/wire.ts';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { Phantom } from './k8s/phantoms.ts';

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

/** The lag of one workload object, dated from its newest spec change, or none. */
export function lagOf(
  kind: Kind,
  obj: { metadata?: Wire<V1ObjectMeta>; status?: { observedGeneration?: number } },
  nowMs: number,
): Lag | undefined {
  const lag = generationLag(obj);
  if (!lag) return undefined;
  const since = specChangedAt(obj.metadata);
  const w = { kind, namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' };
  return { ...w, ...lag, seconds: since !== undefined ? (nowMs - since) / 1000 : undefined };
}

/** What check_observed_generation judges: workloads counted by kind, their lags, Deployments stalled, phantoms. */
export interface RolloutFacts {
  counts: Map<Kind, number>;
  lags: Lag[];
  stalled: Workload[];
  phantoms: Phantom[];
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
