import { combine } from './plugin/combine.ts';
import type { Deadline } from './plugin/deadline.ts';
import { unknownOutcome } from './plugin/output.ts';
import { reasonOf } from './plugin/runner.ts';
import type { Outcome } from './plugin/verdict.ts';
import type { Logger } from './log.ts';
import { serverUrls, type KubeArgs, type ServerArgs } from './options/kube.ts';
import type { SshArgs } from './options/ssh.ts';
import { connect, type Cluster } from './sources/kube/cluster.ts';
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

/**
 * Judge the kubeconfig's API server and each --server, at once, each under its own view of the
 * deadline; one server that cannot be read is UNKNOWN for that server, never OK, never the
 * others'. A single server keeps its own outcome, prefixed with its address.
 */
export async function onEachServer(
  check: string,
  args: KubeArgs & ServerArgs,
  deadline: Deadline,
  log: Logger,
  judge: (cluster: Cluster, deadline: Deadline) => Promise<Outcome>,
): Promise<Outcome> {
  const clusters = [undefined, ...serverUrls(args)].map((server) => connect(args, deadline, log, server));
  const parts = await Promise.all(
    clusters.map(async (cluster) => {
      const host = new URL(cluster.server).host;
      try {
        return { host, outcome: await judge(cluster, deadline.child()) };
      } catch (err) {
        if (deadline.signal.aborted) throw err;
        return { host, outcome: unknownOutcome(check, reasonOf(err)) };
      }
    }),
  );
  return combine(check, parts);
}
