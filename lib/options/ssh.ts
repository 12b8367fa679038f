import type { Argv } from 'yargs';
import { UsageError } from '../errors.ts';

export interface SshArgs {
  host?: string[];
  'ssh-user'?: string;
  'ssh-key'?: string;
  'ssh-port'?: number;
  'ssh-known-hosts'?: string;
}

/** Given twice, both values come here as a list: left to the parser's one wording for that (givenOnce). */
function sshPort(port: number | number[]): number | number[] {
  if (Array.isArray(port)) return port;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError('--ssh-port must be a TCP port number, 1 to 65535');
  return port;
}

export function sshOptions<T>(y: Argv<T>, repeatable = true): Argv<T & SshArgs> {
  return y
    .option('host', {
      type: 'string',
      array: true,
      describe: repeatable ? 'read this host over SSH (repeatable)' : 'read this host over SSH',
      // A host given twice (a copied line, $HOSTADDRESS$ and its name written out) is read once, as a
      // --server is: read twice it made two verdicts of one host and every perfdata label twice.
      // Case-blind, as host names are (k8s01 and K8S01); the first spelling names its row.
      // (--no-host's false is kept as it is, for the parser to refuse.)
      coerce: (hosts: unknown[]) => {
        const seen = new Set<unknown>();
        const key = (h: unknown) => (typeof h === 'string' ? h.toLowerCase() : h);
        return hosts.filter((h) => !seen.has(key(h)) && seen.add(key(h)));
      },
    })
    .option('ssh-user', { type: 'string', describe: 'SSH user (default: the current user)' })
    .option('ssh-key', { type: 'string', describe: 'SSH private key (default: the agent at $SSH_AUTH_SOCK)' })
    .option('ssh-port', { type: 'number', describe: 'SSH port (default 22)', coerce: sshPort })
    .option('ssh-known-hosts', {
      type: 'string',
      describe: 'known_hosts file that must hold the host keys (default ~/.ssh/known_hosts)',
    }) as unknown as Argv<T & SshArgs>;
}
