import type { Writable } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import type { Deadline } from '../../plugin/deadline.ts';
import type { CommandRunner } from '../command.ts';
import { CONNECTION_PATIENCE_MS, type ConnectionSlots } from '../slots.ts';
import { ChannelRefused, runnerOver, SshError, type SshConnection, type SshSession, type SshTarget } from './connection.ts';

/** One check's share of a connection: its commands, its deadline, and its own connection if it needs one. */
export class SharedSession implements SshSession {
  private readonly running = new Set<ClientChannel>();
  private own?: Promise<SshConnection>;
  private closed = false;

  constructor(
    private readonly conn: SshConnection,
    readonly target: SshTarget,
    private readonly slots: ConnectionSlots,
    private readonly release: () => void,
    private readonly openOwn: () => Promise<SshConnection>,
    private readonly deadline: Deadline,
  ) {}

  async exec(argv: string[], signal: AbortSignal, sink: Writable): Promise<{ code: number | null; stderr: string }> {
    const patience = Math.min(CONNECTION_PATIENCE_MS, this.deadline.remainingMs() / 2);
    if (!this.closed && (await this.slots.take(signal, patience))) {
      try {
        return await this.conn.execFor(this.running, argv, signal, sink);
      } catch (err) {
        if (!(err instanceof ChannelRefused)) throw err;
      } finally {
        this.slots.release();
      }
    }
    if (signal.aborted) throw signal.reason;
    if (this.closed) throw new SshError(`the connection to ${this.target.host} was let go before ${argv[0]} ran`);
    this.own ??= this.openOwn();
    return (await this.own).exec(argv, signal, sink);
  }

  runner(): CommandRunner {
    return runnerOver(this);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.conn.end(this.running);
    this.own?.then(
      (c) => c.close(),
      () => undefined,
    );
    this.release();
  }
}
