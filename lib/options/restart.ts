import type { Argv } from 'yargs';
import { SNAP_DATA } from '../sources/snap-locks.ts';
import { dqliteOptions, type DqliteArgs } from './dqlite.ts';
import { kubeOptions, type KubeArgs } from './kube.ts';
import { logOptions, type LogArgs } from './log.ts';

/**
 * The restart gate's options: the kubeconfig, the journals (no --since: its window is its own)
 * and the dqlite CLI as the checks it composes take them, then its own: which node, how long a
 * restart settles, the cluster's normal taints, $SNAP_DATA.
 */
export type RestartArgs = KubeArgs &
  LogArgs &
  DqliteArgs & {
    node?: string;
    settle: string;
    'allow-taint'?: string[];
    'snap-data'?: string;
  };

export function restartOptions<T>(y: Argv<T>, settle: string): Argv<T & RestartArgs> {
  return dqliteOptions(logOptions(kubeOptions(y), null), 'asked for the members and the leader (as check_dqlite)')
    .option('node', {
      type: 'string',
      describe: 'the node you want to restart kubelite on (default: this host name, or the one --host name)',
    })
    .option('settle', {
      type: 'string',
      default: settle,
      describe: 'a kubelite restart this recent anywhere means wait (also the journal window, at least 5m)',
    })
    .option('allow-taint', {
      type: 'string',
      array: true,
      describe: "taint that is this cluster's normal state, as check_nodes: key, key=value, key:Effect (repeatable)",
    })
    .option('snap-data', {
      type: 'string',
      describe: `MicroK8s' $SNAP_DATA, whose var/lock files say whether a node runs k8s-dqlite (default ${SNAP_DATA})`,
    }) as unknown as Argv<T & RestartArgs>;
}
