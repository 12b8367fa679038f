import type { SshArgs } from '../../options/ssh.ts';
import type { Deadline } from '../../plugin/deadline.ts';
import type { SshConnection } from './connection.ts';

/** What work on one host gave: its value, or why it failed. */
export interface HostResult<R> {
  host: string;
  value?: R;
  error?: unknown;
}

/** Run work for each item with at most `cap` at once, keeping the order of the results. */
export async function withCap<T, R>(items: T[], cap: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(cap, items.length) }, lane));
  return results;
}

/**
 * Do the work on each --host over its own SSH connection (at most 8 at once), each under its own
 * view of the deadline. A host that fails fails alone (its error is its result); the deadline
 * running out fails the whole run.
 */
export function forEachHost<R>(
  args: SshArgs & { host: string[] },
  deadline: Deadline,
  work: (conn: SshConnection, host: string, deadline: Deadline) => Promise<R>,
): Promise<HostResult<R>[]> {
  return withCap(args.host, 8, async (host) => {
    try {
      // Loaded only with --host: ssh2 would cost every local run start-up time.
      const { openSsh } = await import('./open.ts');
      const conn = await openSsh(host, args, deadline);
      try {
        return { host, value: await work(conn, host, deadline.child()) };
      } finally {
        conn.close();
      }
    } catch (error) {
      if (deadline.signal.aborted) throw error;
      return { host, error };
    }
  });
}
