import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientChannel } from 'ssh2';
import type { Deadline } from '../../plugin/deadline.ts';
import type { CommandRunner } from '../command.ts';
import { type ConnectionSlots, patienceWithin } from '../slots.ts';
import { ChannelRefused, runnerOver, SshError, type SshConnection, type SshSession, type SshTarget } from './connection.ts';

/** One check's share of a connection: its commands, its deadline, and its own connection if it needs one. */
export class SharedSession implements SshSession {
  private readonly running = new Set<ClientChannel>();
  private own?: Promise<SshConnection>;
  private closed = false;
  /** Aborted as the session is let go: a command it still waits for a channel for is not run for nobody. */
  private readonly gone = new AbortController();

  constructor(
    private readonly conn: SshConnection,
    readonly target: SshTarget,
    private readonly slots: ConnectionSlots,
    private readonly release: () => void,
    private readonly openOwn: () => Promise<SshConnection>,
    private readonly deadline: Deadline,
  ) {}

  async exec(argv: string[], signal: AbortSignal, sink: Writable): Promise<{ code: number | null; stderr: string }> {
    const until = Date.now() + patienceWithin(this.deadline.remainingMs());
    const letGo = (done = 'ran') => new SshError(`the connection to ${this.target.host} was let go before ${argv[0]} ${done}`);
    // Ended by its own deadline or by the session's end: a channel handed over, or opened, after
    // close() ran a command nobody would end (killed by none, the connection kept for others).
    const ends = AbortSignal.any([signal, this.gone.signal]);
    for (let pauseMs = 25; !this.closed && (await this.slots.take(ends, Math.max(0, until - Date.now()))); pauseMs *= 2) {
      // Given back as the host has closed the channel, not as the command is answered: one ended
      // at its deadline (or as its check let go) is still counted there, and the channel given on
      // meanwhile was refused past MaxSessions.
      let held = true;
      const free = () => {
        if (held) this.slots.release();
        held = false;
      };
      try {
        return await this.conn.execFor(this.running, argv, ends, sink, free);
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        if (this.closed) throw letGo('was done');
        if (!(err instanceof ChannelRefused)) throw err;
        // A lost connection: no use asking it again.
        if (!err.byHost) break;
      }
      // Refused by the host, which counts a channel until it has closed it (OpenSSH's MaxSessions,
      // lower than SHARED_CHANNELS on hardened hosts): asked again on this login a little later,
      // within the patience; a login of its own for each refused command came near MaxStartups.
      if (Date.now() + pauseMs >= until) break;
      await sleep(pauseMs, undefined, { signal: ends }).catch(() => undefined);
    }
    if (signal.aborted) throw signal.reason;
    if (this.closed) throw letGo();
    this.own ??= this.openOwn();
    return (await this.own).exec(argv, signal, sink);
  }

  runner(): CommandRunner {
    return runnerOver(this);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.gone.abort();
    this.conn.end(this.running);
    this.own?.then(
      (c) => c.close(),
      () => undefined,
    );
    this.release();
  }
}
