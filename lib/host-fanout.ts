import { combine } from './plugin/combine.ts';
import type { Deadline } from './plugin/deadline.ts';
import { unknownOutcome } from './plugin/output.ts';
import { reasonOf } from './plugin/runner.ts';
import type { Outcome } from './plugin/verdict.ts';
import type { SshArgs } from './options/ssh.ts';
import type { SshConnection } from './sources/ssh/connection.ts';
import { forEachHost } from './sources/ssh/hosts.ts';

/**
 * Judge each --host over its own SSH connection; a host that cannot be read is UNKNOWN for that
 * host, never the others'. The outcomes are combined as for every multi-host check.
 */
export async function onEachHost(
  check: string,
  args: SshArgs & { host: string[] },
  deadline: Deadline,
  judge: (conn: SshConnection, deadline: Deadline) => Promise<Outcome>,
): Promise<Outcome> {
  deadline.activity = `reading ${args.host.join(', ')} over SSH`;
  const results = await forEachHost(args, deadline, (conn, _host, d) => judge(conn, d));
  return combine(
    check,
    results.map((r) => ({ host: r.host, outcome: r.value ?? unknownOutcome(check, reasonOf(r.error)) })),
  );
}
