import { existsSync } from 'node:fs';
import { ReasonedError } from '../errors.ts';
import type { CommandRunner } from './command.ts';

export const DQLITE_BIN = '/snap/microk8s/current/bin/dqlite';
export const DQLITE_BACKEND = '/var/snap/microk8s/current/var/kubernetes/backend';

export class DqliteError extends ReasonedError {}

/**
 * The dqlite leader's address, asked of the dqlite CLI: neither cluster.yaml nor info.yaml
 * records it. undefined when this host has no dqlite CLI (not a MicroK8s node).
 */
export async function dqliteLeader(
  run: CommandRunner,
  signal: AbortSignal,
  bin = DQLITE_BIN,
  backend = DQLITE_BACKEND,
): Promise<string | undefined> {
  if (!existsSync(bin)) return undefined;
  const argv = [
    bin,
    '-c',
    `${backend}/cluster.crt`,
    '-k',
    `${backend}/cluster.key`,
    '-s',
    `file://${backend}/cluster.yaml`,
    'k8s',
    '.leader',
  ];
  let out: string;
  try {
    out = await run(argv, signal);
  } catch (err) {
    if (signal.aborted) throw err;
    throw new DqliteError('cannot ask dqlite for its leader', {
      cause: err,
      fix: `the check user needs read access to ${backend} (microk8s group)`,
    });
  }
  const addr = out.trim().split('\n').pop()?.trim();
  return addr || undefined;
}
