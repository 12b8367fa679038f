import type { Argv } from 'yargs';
import { MICROK8S_CERT_DIR } from '../sources/certs.ts';
import { DQLITE_BACKEND } from '../sources/dqlite.ts';
import { SNAP_DATA } from '../sources/snap-locks.ts';
import { kubeOptions, serverOptions, type KubeArgs, type ServerArgs } from './kube.ts';

/** check_certs' options: the kubeconfig and --server as the others take them, then its own. */
export interface CertArgs extends KubeArgs, ServerArgs {
  'cert-dir': string;
  cert?: string[];
  /** Unset: MicroK8s' backend, where a worker has none (not a finding); given: it must be there. */
  'backend-dir'?: string;
  /** Whose lock files say whether this node runs dqlite, and whose backend is the default. */
  'snap-data': string;
}

export function certOptions<T>(y: Argv<T>): Argv<T & CertArgs> {
  return serverOptions(kubeOptions(y))
    .option('cert-dir', { type: 'string', default: MICROK8S_CERT_DIR, describe: 'directory whose *.crt files are read (keys never are)' })
    .option('cert', { type: 'string', array: true, describe: 'also this certificate file (PEM or DER; repeatable)' })
    .option('backend-dir', {
      type: 'string',
      describe: `dqlite backend directory whose cluster.crt is read (default ${DQLITE_BACKEND}; a worker's is not read)`,
    })
    .option('snap-data', {
      type: 'string',
      default: SNAP_DATA,
      describe: "MicroK8s' $SNAP_DATA: its var/lock files say whether this node runs dqlite; the default backend is in it",
    });
}
