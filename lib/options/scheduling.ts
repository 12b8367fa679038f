// check_scheduling's options: --min-age for the pods it counts, and the newest pod's age, which
// judges nothing unless asked: only a cluster that creates pods steadily (per-minute CronJobs)
// says, by creating none, that its controller-manager or the watch cache under it froze.
import type { Argv } from 'yargs';
import { parseDuration } from '../duration.ts';
import { Range } from '../plugin/range.ts';
import { ScalarContext } from '../plugin/verdict.ts';
import { kubeOptions, namespaceOptions, type KubeArgs, type NamespaceArgs } from './kube.ts';

export interface SchedulingArgs extends KubeArgs, NamespaceArgs {
  'min-age': string;
  'newest-pod-warning'?: string;
  'newest-pod-critical'?: string;
}

export function schedulingOptions<T>(y: Argv<T>, defaults: { minAge: string }): Argv<T & SchedulingArgs> {
  return namespaceOptions(kubeOptions(y))
    .option('min-age', { type: 'string', default: defaults.minAge, describe: 'a pod counts once it has waited this long' })
    .option('newest-pod-warning', {
      type: 'string',
      describe: 'WARNING when no pod was created for this long (e.g. 15m); newest_pod_age is perfdata without it',
    })
    .option('newest-pod-critical', { type: 'string', describe: 'CRITICAL when no pod was created for this long (e.g. 30m)' });
}

/** --newest-pod-warning/--newest-pod-critical: durations, judged as seconds. */
export function newestPodContext(args: SchedulingArgs): ScalarContext {
  const range = (option: 'newest-pod-warning' | 'newest-pod-critical') =>
    args[option] === undefined ? undefined : Range.above(parseDuration(args[option]!, `--${option}`), { fromZero: true });
  return new ScalarContext(range('newest-pod-warning'), range('newest-pod-critical'));
}
