// check_observed_generation's options: how long a spec change may go unobserved before it counts
// as lagging, and which workload kinds' lag to judge (Deployments unless asked).
import type { Argv } from 'yargs';
import { KINDS, type Kind } from '../workload-lag.ts';
import { kubeOptions, namespaceOptions, type KubeArgs, type NamespaceArgs } from './kube.ts';

export interface WorkloadArgs extends KubeArgs, NamespaceArgs {
  grace: string;
  kind?: Kind[];
}

export function workloadOptions<T>(y: Argv<T>, defaults: { grace: string }): Argv<T & WorkloadArgs> {
  return namespaceOptions(kubeOptions(y))
    .option('grace', { type: 'string', default: defaults.grace, describe: 'a spec change unobserved this long counts as lagging' })
    .option('kind', {
      type: 'string',
      array: true,
      choices: KINDS,
      describe: 'workload kinds to judge (repeatable; default deployment)',
    });
}

/** The kinds asked for; Deployments when none. */
export const kindsOf = (args: WorkloadArgs) => new Set<Kind>(args.kind?.length ? args.kind : ['deployment']);
