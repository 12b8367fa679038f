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

/**
 * --free-warning and --free-critical, refused unless they are percentages with warning at least
 * critical; said as every usage error is, naming the option and echoing its value. `defaults`:
 * the check's own, to tell a value left out ("(the default)") from one given.
 */
export function freeLimits(
  args: StorageArgs,
  defaults: { freeWarning: number; freeCritical: number },
): { freeWarning: number; freeCritical: number } {
  for (const option of ['free-warning', 'free-critical'] as const) {
    const value = args[option];
    if (!(value >= 0 && value <= 100)) throw new UsageError(`--${option} must be a percentage, 0 to 100, not '${value}'`);
  }
  const [w, c] = [args['free-warning'], args['free-critical']];
  if (c > w) {
    const said = (option: string, value: number, dflt: number) => `--${option} '${value}'${value === dflt ? ' (the default)' : ''}`;
    throw new UsageError(
      `${said('free-critical', c, defaults.freeCritical)} is above ${said('free-warning', w, defaults.freeWarning)}: less free ` +
        `space is worse, so critical must be the smaller (e.g. --free-warning ${c} --free-critical ${w})`,
    );
  }
  return { freeWarning: w, freeCritical: c };
}
