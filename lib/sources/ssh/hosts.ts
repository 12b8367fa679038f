import type { SshArgs } from '../../options/ssh.ts';
import type { Deadline } from '../../plugin/deadline.ts';
import { fanOut, type TargetResult } from '../../plugin/fanout.ts';
import type { SshConnection } from './connection.ts';

/**
 * Do the work on each --host over its own SSH connection (at most 8 at once), each under its own
 * part of the deadline (fanOut): a host that fails or stalls fails alone, as its result's error.
 */
export function forEachHost<R>(
  args: SshArgs & { host: string[] },
  deadline: Deadline,
  work: (conn: SshConnection, host: string, deadline: Deadline) => Promise<R>,
): Promise<TargetResult<R>[]> {
  return fanOut(args.host, deadline, async (host, part) => {
    part.activity = `connecting to ${host} over SSH`;
    // Loaded only with --host: ssh2 would cost every local run start-up time.
    const { openSsh } = await import('./open.ts');
    const conn = await openSsh(host, args, part);
    // A stalled host is let go by its part of the deadline, and its connection with it.
    part.signal.addEventListener('abort', () => conn.close(), { once: true });
    try {
      part.activity = `reading ${host} over SSH`;
      return await work(conn, host, part);
    } finally {
      conn.close();
    }
  });
}
