// Which CNI a MicroK8s node's own files say it runs: $SNAP_DATA/args/cni-network is containerd's CNI
// conf_dir there. MicroK8s' install hook puts Calico's manifest in it as cni.yaml (calico-node's
// install-cni then writes 10-calico.conflist beside it); the cilium and kube-ovn addons move cni.yaml
// aside (cni.yaml.disabled, cni.yaml.backup) and put their own config there, and disabling
// ha-cluster replaces it all with MicroK8s' default flannel files. Sources: docs/checks/calico-routes.md.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Config files other CNIs put in $SNAP_DATA/args/cni-network, and the CNI each is. */
const OTHER_CNIS: readonly [RegExp, string][] = [
  [/^\d+-kube-ovn\.conflist$/, 'kube-ovn'],
  [/^05-cilium-cni\.conf$/, 'cilium'],
  // MicroK8s' own (default-args); the cilium addon renames it 20-flanneld.conflist, its disable leaves that.
  [/^(?:flannel|20-flanneld)\.conflist$/, 'flannel'],
];

/** Calico's manifest, as MicroK8s keeps it while Calico is its CNI. */
export const CALICO_MANIFEST = 'cni.yaml';

/**
 * Another CNI than Calico, where this node's files say so: no cni.yaml and another CNI's config
 * (the first by name). Undefined where they do not say so, or cannot be read (args/ is not
 * world-readable on a stock node): then nothing is assumed.
 */
export function otherCni(snapData: string): { cni: string; file: string } | undefined {
  let names: string[];
  try {
    names = readdirSync(join(snapData, 'args', 'cni-network')).sort();
  } catch {
    return undefined;
  }
  if (names.includes(CALICO_MANIFEST)) return undefined;
  for (const file of names) for (const [pattern, cni] of OTHER_CNIS) if (pattern.test(file)) return { cni, file };
  return undefined;
}
