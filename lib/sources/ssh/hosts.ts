import type { SshArgs } from '../../options/ssh.ts';
import type { Deadline } from '../../plugin/deadline.ts';
import { fanOut, type TargetResult } from '../../plugin/fanout.ts';
import type { SshSession } from './connection.ts';
import type { SshShare } from './share.ts';

/**
 * Do the work on each --host over SSH (at most 8 hosts at once), each under its own part of the
 * deadline (fanOut): a host that fails or stalls fails alone, as its result's error. Alone, over
 * a connection of its own; in a shared run (`share`), over the run's one connection to the host.
 */
export function forEachHost<R>(
  args: SshArgs & { host: string[] },
  deadline: Deadline,
  work: (conn: SshSession, host: string, deadline: Deadline) => Promise<R>,
  share?: SshShare,
): Promise<TargetResult<R>[]> {
  return fanOut(args.host, deadline, async (host, part) => {
    part.activity = `connecting to ${host} over SSH`;
    const conn = await connectTo(host, args, part, share);
    // A stalled host is let go by its part of the deadline, and what this check runs there with it.
    part.signal.addEventListener('abort', () => conn.close(), { once: true });
    try {
      part.activity = `reading ${host} over SSH`;
      return await work(conn, host, part);
    } finally {
      conn.close();
    }
  });
}

/** A session on the host: the run's shared connection, or one of its own. */
export async function connectTo(host: string, args: SshArgs, deadline: Deadline, share?: SshShare): Promise<SshSession> {
  if (share) return share.session(host, args, deadline);
  // Loaded only with --host: ssh2 would cost every local run start-up time.
  const { openSsh } = await import('./open.ts');
  return openSsh(host, args, deadline);
}
