import type { Argv } from 'yargs';
import { kubeOptions, type KubeArgs } from './kube.ts';
import { sshOptions, type SshArgs } from './ssh.ts';

/** check_calico_routes' options: the kubeconfig and one --host as the others take them, then its own. */
export interface RouteArgs extends KubeArgs, SshArgs {
  node?: string;
  'min-age': string;
  'iface-prefix': string;
}

export function routeOptions<T>(y: Argv<T>, defaults: { minAge: string; ifacePrefix: string }): Argv<T & RouteArgs> {
  return sshOptions(kubeOptions(y), false)
    .option('node', { type: 'string', describe: 'node name (default: this host name, or the name the --host gives itself)' })
    .option('min-age', {
      type: 'string',
      default: defaults.minAge,
      describe: 'ignore pods started more recently (calico is still programming them)',
    })
    .option('iface-prefix', { type: 'string', default: defaults.ifacePrefix, describe: "calico's veth prefix (FELIX_INTERFACEPREFIX)" });
}
