import type { V1Node } from '@kubernetes/client-node';
import { reasonOf } from '../../errors.ts';
import type { Wire } from '../../k8s/wire.ts';
import type { Deadline } from '../../plugin/deadline.ts';
import type { Cluster } from './cluster.ts';
import { listNodes } from './reads.ts';

/** The Nodes under a part of -t: their failure is a reason, never the run's. */
export function listNodesWithin(cluster: Cluster, part: Deadline): Promise<{ listed: Wire<V1Node>[] } | { why: string }> {
  part.activity = 'listing nodes';
  return listNodes({ ...cluster, policy: { ...cluster.policy, signal: part.signal, remainingMs: () => part.remainingMs() } })
    .then(
      (listed) => ({ listed }),
      (err: unknown) => ({ why: reasonOf(err) }),
    )
    .finally(() => part.done());
}
