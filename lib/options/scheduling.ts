// check_scheduling's options: --min-age for the pods it counts, and the newest pod's age, which
// judges nothing unless asked: only a cluster that creates pods steadily (per-minute CronJobs)
// says, by creating none, that its controller-manager or the watch cache under it froze.
import type { Argv } from 'yargs';
import { parseDuration } from '../duration.ts';
import { UsageError } from '../errors.ts';
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

/**
 * --newest-pod-warning/--newest-pod-critical: durations, judged as seconds. A critical shorter
 * than the warning is refused, as -w/-c inverted are: WARNING could never be reached.
 */
export function newestPodContext(args: SchedulingArgs): ScalarContext {
  const range = (option: 'newest-pod-warning' | 'newest-pod-critical') =>
    args[option] === undefined ? undefined : Range.above(parseDuration(args[option]!, `--${option}`), { fromZero: true });
  const warning = range('newest-pod-warning');
  const critical = range('newest-pod-critical');
  if (warning && critical && critical.end < warning.end) {
    const [w, c] = [args['newest-pod-warning'], args['newest-pod-critical']];
    throw new UsageError(
      `--newest-pod-critical '${c}' is below --newest-pod-warning '${w}': longer is worse here, so critical must be the ` +
        `longer (e.g. --newest-pod-warning ${c} --newest-pod-critical ${w})`,
    );
  }
  return new ScalarContext(warning, critical);
}
