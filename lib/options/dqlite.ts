import type { Argv } from 'yargs';
import { UsageError } from '../errors.ts';
import { DQLITE_BACKEND, DQLITE_BIN, DQLITE_DATABASE, type DqliteCli } from '../sources/dqlite.ts';

/** Where a node's dqlite lives and how its CLI is asked: shared by check_dqlite, check_dqlite_storage and the gate. */
export interface DqliteArgs {
  'backend-dir': string;
  'dqlite-bin': string;
  database: string;
  sudo: boolean;
}

/**
 * A database name goes to the CLI as its own argument; one that starts with '-' would be read
 * as a flag, so only plain names are taken. Given twice, both come here as a list: left to the
 * parser's one wording for that (givenOnce).
 */
function databaseName(name: string | string[]): string | string[] {
  if (Array.isArray(name)) return name;
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name))
    throw new UsageError(`--database must be a plain database name (letters, digits, '_', '.', '-'), not '${name.slice(0, 40)}'`);
  return name;
}

/**
 * cliUse: what this check asks the CLI for, for --dqlite-bin's help. oldBackendName: the name this
 * check gave --backend-dir before every dqlite check shared it, still taken (deprecated).
 */
export function dqliteOptions<T>(y: Argv<T>, cliUse: string, oldBackendName?: string): Argv<T & DqliteArgs> {
  return y
    .option('backend-dir', {
      type: 'string',
      default: DQLITE_BACKEND,
      ...(oldBackendName ? { alias: oldBackendName } : {}),
      describe:
        `dqlite backend directory (cluster.yaml, info.yaml, cluster.crt, ` +
        `cluster.key)${oldBackendName ? `; --${oldBackendName} is its old name, deprecated` : ''}`,
    })
    .option('dqlite-bin', { type: 'string', default: DQLITE_BIN, describe: `dqlite CLI, ${cliUse}` })
    .option('database', {
      type: 'string',
      default: DQLITE_DATABASE,
      describe: 'dqlite database the CLI opens (k8s-dqlite: k8s)',
      coerce: databaseName,
    })
    .option('sudo', {
      type: 'boolean',
      default: false,
      describe: 'run the dqlite CLI as root with sudo -n (the key stays root-only; see nrpe/sudoers.d/microk8s-checks)',
    }) as unknown as Argv<T & DqliteArgs>;
}

export const dqliteCli = (args: DqliteArgs): DqliteCli => ({
  bin: args['dqlite-bin'],
  backend: args['backend-dir'],
  database: args.database,
  sudo: args.sudo,
});
