// What to do about calico-node when pods lack their routes, or none runs: the check never does it.
import { CALICO_NODE_LABEL } from './k8s/calico.ts';

/** Where its DaemonSet is, whichever installed it (MicroK8s' manifest labels it, the Tigera operator does not). */
export const FIND_DAEMONSET = 'kubectl get ds -A --field-selector metadata.name=calico-node';

/** Deleting calico-node pods makes none where none is: its DaemonSet is what makes them. */
export const findDaemonSet = (): string[] => [
  'No calico-node runs on any node: see whether its DaemonSet is there (then kubectl -n NAMESPACE describe ds calico-node):',
  `  ${FIND_DAEMONSET}`,
];

/** A new calico-node re-lists the pods and reprograms their routes, where its watch went stale. */
export const restartCalicoNode = (namespace: string, node: string): string[] => [
  `Restart calico-node on ${node} so it re-lists and reprograms routes (the check never does it):`,
  `  kubectl -n ${namespace} delete pod -l ${CALICO_NODE_LABEL} --field-selector=spec.nodeName=${node}`,
  '  wait ~30s for the new calico-node to program routes, then run this check again.',
];
