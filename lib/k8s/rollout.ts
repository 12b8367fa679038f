import type { V1Deployment, V1ObjectMeta, V1Pod } from '@kubernetes/client-node';
import type { Wire } from './wire.ts';
import { isReady } from './ready.ts';
import { apiTime } from './time.ts';
import { writtenAt } from './field-written.ts';

/**
 * When the spec was last written: the newest managedFields entry that owns spec fields, on the
 * main resource or the scale subresource (kubectl scale and the HPA write spec.replicas there; the
 * status subresource writes none). That is when the controller had something new to observe.
 * Without managedFields (stripped by some tools) the creation time stands in.
 */
export function specChangedAt(meta: Wire<V1ObjectMeta> | undefined): number | undefined {
  return writtenAt(meta, ['f:spec']) ?? apiTime(meta?.creationTimestamp, `creationTimestamp of ${meta?.namespace}/${meta?.name}`);
}

/**
 * generation ahead of observedGeneration: the controller has not seen the newest spec. Not on an
 * object being deleted: the API server bumps generation as it sets deletionTimestamp (markAsDeleting),
 * with no spec to roll out, and the DaemonSet controller never writes the status of one being deleted
 * (a foreground deletion waiting for a pod on a node that is down lags for as long as it waits).
 */
export function generationLag(obj: {
  metadata?: Wire<V1ObjectMeta>;
  status?: { observedGeneration?: number };
}): { generation: number; observed: number } | undefined {
  if (obj.metadata?.deletionTimestamp) return undefined;
  const generation = obj.metadata?.generation ?? 0;
  const observed = obj.status?.observedGeneration ?? 0;
  return generation > observed ? { generation, observed } : undefined;
}

export function progressDeadlineExceeded(d: Wire<V1Deployment>): boolean {
  return (d.status?.conditions ?? []).some(
    (c) => c.type === 'Progressing' && c.status === 'False' && c.reason === 'ProgressDeadlineExceeded',
  );
}

/** A pod that really serves: Running, Ready, not being deleted. */
export function isLiveReady(pod: Wire<V1Pod>): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  if (pod.status?.phase !== 'Running') return false;
  return isReady(pod);
}
