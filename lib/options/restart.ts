import type { Argv } from 'yargs';
import { parseDuration } from '../duration.ts';
import type { Range } from '../plugin/range.ts';
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
      describe: 'the node you want to restart kubelite on (default: this host name, or the name the one --host gives itself)',
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

/** The gate's own limits: -c on the count of blockers, and how long a kubelite restart settles. */
export interface RestartLimits {
  critical?: Range;
  settleMs: number;
  /** Taints that are this cluster's normal state (--allow-taint), as check_nodes takes them. */
  allowTaint?: string[];
}

/** -c, with --settle parsed, and the taints --allow-taint allows. */
export const restartLimits = (critical: Range | undefined, settle: string, allowTaint?: string[]): RestartLimits => ({
  critical,
  settleMs: parseDuration(settle, '--settle') * 1000,
  allowTaint,
});
