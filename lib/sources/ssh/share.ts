import type { SshArgs } from '../../options/ssh.ts';
import type { Deadline } from '../../plugin/deadline.ts';
import { Kept, type Waiter } from '../fan.ts';
import { ConnectionSlots } from '../slots.ts';
import type { SshConnection, SshSession } from './connection.ts';

// Nothing here loads ssh2 (connection.ts): every shared run makes an SshShare, and only a run
// with --host uses it.

/**
 * The channels a shared connection runs at once: below OpenSSH's MaxSessions (10 by default),
 * which counts a channel until the host has finished closing it.
 */
export const SHARED_CHANNELS = 8;

/** How long the handshake may take for a shared connection: each asker leaves it at its own deadline. */
const NO_HANDSHAKE_LIMIT_MS = 2 ** 31 - 1;

/** The run's connection to one host, and who holds it. */
interface Held {
  /** Bumped as the connection is let go: a later asker opens a new one. */
  generation: number;
  users: number;
  slots: ConnectionSlots;
}

/**
 * The SSH connections the checks of one run share (`microk8s-checks all`, the shared poll cycle):
 * one per host and login, where each check run alone logs in on its own. Every check on a host
 * was a login there, each poll: eight for `all --host`, close to sshd's MaxStartups (10), past
 * which a host drops new connections at random, and a line in its auth log each. The connection
 * is opened by the first check to ask (the others wait for it, each until its own deadline) and
 * let go when the last one is done.
 *
 * Each check still runs its own commands, ends them at its own deadline, and reads the host's clock
 * itself. A command that waited its patience for one of SHARED_CHANNELS, or for a channel the host
 * kept refusing (a lower MaxSessions), runs on a connection of the check's own, as alone.
 */
export class SshShare {
  private readonly kept = new Kept();
  private readonly held = new Map<string, Held>();

  async session(host: string, args: SshArgs, deadline: Deadline): Promise<SshSession> {
    const [{ sshTargetOf, openSsh }, { SshConnection }, { SharedSession }] = await Promise.all([
      import('./open.ts'),
      import('./connection.ts'),
      import('./shared-session.ts'),
    ]);
    const target = sshTargetOf(host, args);
    const key = JSON.stringify(target);
    const held = this.held.get(key) ?? { generation: 0, users: 0, slots: new ConnectionSlots(SHARED_CHANNELS) };
    this.held.set(key, held);
    for (;;) {
      const generation = held.generation;
      const conn = await this.kept.get<SshConnection, Waiter>(`${generation} ${key}`, { signal: deadline.signal }, (fan) =>
        SshConnection.open(target, fan.signal, NO_HANDSHAKE_LIMIT_MS),
      );
      // Let go by its last user while this one was being told it was open: ask again.
      if (held.generation !== generation) continue;
      held.users++;
      const release = () => {
        if (--held.users > 0) return;
        held.generation++;
        conn.close();
      };
      return new SharedSession(conn, target, held.slots, release, () => openSsh(host, args, deadline), deadline);
    }
  }
}
