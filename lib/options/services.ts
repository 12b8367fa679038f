import type { Argv } from 'yargs';
import { SNAP_DATA } from '../sources/snap-locks.ts';
import { unitNames } from './log.ts';
import { sshOptions, type SshArgs } from './ssh.ts';

/** check_services' options: --host as the others take it, then its own. */
export interface ServiceArgs extends SshArgs {
  unit?: string[];
  'min-uptime': string;
  window: string;
  'snap-data': string;
  'state-file'?: string;
}

export function serviceOptions<T>(y: Argv<T>, defaults: { minUptime: string; window: string }): Argv<T & ServiceArgs> {
  return sshOptions(y)
    .option('unit', {
      type: 'string',
      array: true,
      describe: "systemd unit to read (repeatable; default: the MicroK8s services this node's lock files say it runs)",
      coerce: unitNames,
    })
    .option('snap-data', {
      type: 'string',
      default: SNAP_DATA,
      describe: "MicroK8s' $SNAP_DATA, whose var/lock files say which services a node runs",
    })
    .option('min-uptime', {
      type: 'string',
      default: defaults.minUptime,
      describe: 'a unit that (re)started more recently than this is restarting now (at least WARNING)',
    })
    .option('window', {
      type: 'string',
      default: defaults.window,
      describe: 'restarts per hour are counted over the samples of this window (at least an hour: a shorter one counts over an hour)',
    })
    .option('state-file', {
      type: 'string',
      describe: 'where samples are kept between runs (default ~/.local/state/microk8s-checks/services-<scope>.json)',
    });
}
