import type { Deadline } from '../../plugin/deadline.ts';
import type { SshArgs } from '../../options/ssh.ts';
import { defaultSshTarget, SshConnection } from './connection.ts';

/** Connect to a host named with --host, its key checked against known_hosts, within the deadline. */
export function openSsh(host: string, args: SshArgs, deadline: Deadline): Promise<SshConnection> {
  const target = defaultSshTarget(host, {
    user: args['ssh-user'],
    key: args['ssh-key'],
    port: args['ssh-port'],
    knownHosts: args['ssh-known-hosts'],
  });
  return SshConnection.open(target, deadline.signal, deadline.remainingMs());
}
