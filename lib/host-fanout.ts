import type { Deadline } from './plugin/deadline.ts';
import { combine } from './plugin/combine.ts';
import { unknownOutcome } from './plugin/output.ts';
import { reasonOf } from './plugin/runner.ts';
import type { Outcome } from './plugin/verdict.ts';
import { withCap, type SshArgs } from './ssh-input.ts';
import type { SshConnection } from './sources/ssh.ts';

/**
 * Judge each --host over its own SSH connection (at most 8 at once), each under its own view of
 * the deadline; a host that cannot be read is UNKNOWN for that host, never the others'. The
 * outcomes are combined as for every multi-host check.
 */
export async function onEachHost(check: string, args: SshArgs & { host: string[] }, deadline: Deadline, judge: (conn: SshConnection, deadline: Deadline) => Promise<Outcome>): Promise<Outcome> {
  deadline.activity = `reading ${args.host.join(', ')} over SSH`;
  const parts = await withCap(args.host, 8, async (host) => {
    try {
      // Loaded only with --host: ssh2 would cost every local run start-up time.
      const { openSsh } = await import('./ssh-connect.ts');
      const conn = await openSsh(host, args, deadline);
      try {
        return { host, outcome: await judge(conn, deadline.child()) };
      } finally {
        conn.close();
      }
    } catch (err) {
      if (deadline.signal.aborted) throw err;
      return { host, outcome: unknownOutcome(check, reasonOf(err)) };
    }
  });
  return combine(check, parts);
}
