import type { Argv } from 'yargs';
import { UsageError } from '../errors.ts';
import { dqliteOptions, type DqliteArgs } from './dqlite.ts';
import { sshOptions, type SshArgs } from './ssh.ts';

/** check_dqlite_storage's options: --host and the dqlite CLI (for --freelist) as the others take them, then its own. */
export interface StorageArgs extends SshArgs, DqliteArgs {
  'min-interval': string;
  'free-warning': number;
  'free-critical': number;
  freelist: boolean;
}

export function storageOptions<T>(
  y: Argv<T>,
  defaults: { minInterval: string; freeWarning: number; freeCritical: number },
): Argv<T & StorageArgs> {
  return dqliteOptions(sshOptions(y), 'for --freelist')
    .option('min-interval', {
      type: 'string',
      default: defaults.minInterval,
      describe: 'snapshots closer together than this are frequent; a large snapshot written that often is CRITICAL',
    })
    .option('free-warning', {
      type: 'number',
      default: defaults.freeWarning,
      describe: 'WARNING below this % free on the backend filesystem',
    })
    .option('free-critical', { type: 'number', default: defaults.freeCritical, describe: 'CRITICAL below this % free' })
    .option('freelist', {
      type: 'boolean',
      default: false,
      describe: 'also ask the dqlite CLI for the share of free pages (needs what check_dqlite needs to ask it)',
    });
}

/** --free-warning and --free-critical, refused unless they are percentages with warning at least critical. */
export function freeLimits(args: StorageArgs): { freeWarning: number; freeCritical: number } {
  if (!(args['free-critical'] >= 0 && args['free-warning'] >= args['free-critical'] && args['free-warning'] <= 100))
    throw new UsageError('--free-warning and --free-critical are percentages, warning at least critical');
  return { freeWarning: args['free-warning'], freeCritical: args['free-critical'] };
}
