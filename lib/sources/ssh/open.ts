import type { Deadline } from '../../plugin/deadline.ts';
import type { SshArgs } from '../../options/ssh.ts';
import { defaultSshTarget, SshConnection, type SshTarget } from './connection.ts';

/** Where --host's SSH options lead: the host validated, the defaults filled in. */
export function sshTargetOf(host: string, args: SshArgs): SshTarget {
  return defaultSshTarget(host, {
    user: args['ssh-user'],
    key: args['ssh-key'],
    port: args['ssh-port'],
    knownHosts: args['ssh-known-hosts'],
  });
}

/** Connect to a host named with --host, its key checked against known_hosts, within the deadline. */
export function openSsh(host: string, args: SshArgs, deadline: Deadline): Promise<SshConnection> {
  return SshConnection.open(sshTargetOf(host, args), deadline.signal, deadline.remainingMs());
}
