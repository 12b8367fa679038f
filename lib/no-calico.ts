import { FIND_DAEMONSET } from './calico-remedy.ts';
import type { Thresholds } from './plugin/range.ts';
import { State } from './plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from './plugin/verdict.ts';
import { plural } from './text.ts';

/**
 * No calico-node anywhere and no pod here routed through its own cali veth: the cluster runs another
 * CNI (or Calico was removed), and judging the pods' routes would call every one missing. Not a
 * broken cluster: UNKNOWN.
 */
export function noCalico(name: string, node: string, pods: number, { warning, critical }: Thresholds): Outcome {
  const v = new Verdict(name);
  // Every metric stays, the undetermined as U (output.md): a run with fewer values is lost to pnp4nagios.
  v.measure({ label: 'missing', value: Number.NaN, min: 0 }, new ScalarContext(warning, critical));
  v.measure({ label: 'pods', value: pods, min: 0 });
  v.measure({ label: 'calico_restarts', value: Number.NaN, uom: 'c', min: 0 });
  v.find(
    State.UNKNOWN,
    "the cluster runs no calico-node pod at all (another CNI, such as MicroK8s' cilium or kube-ovn addon, or calico-node removed): " +
      `the routes of ${plural(pods, 'Running pod')} on ${node} cannot be judged ` +
      `(fix: leave check_calico_routes out on such a cluster; if Calico should run: ${FIND_DAEMONSET})`,
  );
  return v.conclude('', { problems: 'instead' });
}
