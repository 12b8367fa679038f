// The runbook's "During a restart session" waits, after each restart, until every Deployment's
// observedGeneration matches its generation: the restart gate reads the Deployments' lags as
// check_observed_generation does (in a shared run, from the same list), and judges them as it
// does, lags alone: a Deployment past its progress deadline (an image that does not pull) or a
// phantom ReplicaSet is no restart's to wait for, and phantoms would cost the pod list.
import type { Cluster } from './sources/kube/cluster.ts';
import { listDeployments } from './sources/kube/reads.ts';
import { lagOf, type RolloutFacts } from './workload-lag.ts';

/** Every Deployment counted, those whose controller has not observed their newest spec kept. */
export async function deploymentLags(cluster: Cluster, nowMs: number): Promise<RolloutFacts> {
  let deployments = 0;
  const f: RolloutFacts = { counts: new Map(), lags: [], stalled: [], phantoms: [] };
  await listDeployments(cluster, [], (d) => {
    deployments++;
    const lag = lagOf('deployment', d, nowMs);
    if (lag) f.lags.push(lag);
  });
  f.counts.set('deployment', deployments);
  return f;
}
