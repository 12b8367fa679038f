import type { Deadline } from './plugin/deadline.ts';
import { fanOut, judgeEach } from './plugin/fanout.ts';
import type { Outcome } from './plugin/verdict.ts';
import type { Logger } from './logger.ts';
import { apiServers, type KubeArgs, type ServerArgs } from './options/kube.ts';
import type { SshArgs } from './options/ssh.ts';
import { connect, type Cluster } from './sources/kube/cluster.ts';
import { KubeSetup } from './sources/kube/setup.ts';
import type { KubeShare } from './sources/kube/share.ts';
import type { SshSession } from './sources/ssh/connection.ts';
import type { SshShare } from './sources/ssh/share.ts';
import { forEachHost } from './sources/ssh/hosts.ts';

/**
 * Judge each --host over SSH (forEachHost; `share`: the run's connections); a host that cannot be
 * read is UNKNOWN for that host, never the others'. The outcomes are combined as for every multi-host check.
 */
export async function onEachHost(
  check: string,
  args: SshArgs & { host: string[] },
  deadline: Deadline,
  judge: (conn: SshSession, deadline: Deadline) => Promise<Outcome>,
  share?: SshShare,
): Promise<Outcome> {
  deadline.activity = `reading ${args.host.join(', ')} over SSH`;
  const results = await forEachHost(args, deadline, (conn, _host, d) => judge(conn, d), share);
  return judgeEach(check, results, (outcome) => outcome);
}

/** What a check judging each API server is run with (its run context, as far as this needs it). */
export interface ServerRun {
  args: KubeArgs & ServerArgs;
  deadline: Deadline;
  log: Logger;
  /** The run's shared reads (`all`, the poll cycle): the kubeconfig and connections set up once. */
  shared?: { kube?: KubeShare };
}

/**
 * Judge the kubeconfig's API server and each --server, at once, each under its own part of the
 * deadline; one server that cannot be read (or does not answer in its time) is UNKNOWN for that
 * server, never OK, never the others'. A single server keeps its own outcome, prefixed with its
 * address. The kubeconfig is loaded once for them all (or once for the run, with `share`).
 */
export async function onEachServer(
  check: string,
  { args, deadline, log, shared }: ServerRun,
  judge: (cluster: Cluster, deadline: Deadline) => Promise<Outcome>,
): Promise<Outcome> {
  const share = shared?.kube;
  const setup = share?.setup ?? new KubeSetup(log, deadline.signal);
  const own = setup.config(args).server;
  const servers = apiServers(own, args);
  deadline.activity = `waiting for ${servers.map((s) => new URL(s).host).join(', ')}`;
  const results = await fanOut(servers, deadline, (server, part) => {
    part.activity = `waiting for ${server}`;
    // Any other is one --server gave: its fixes send the user there, not to the kubeconfig.
    return judge(connect(args, part, log, { server, given: server === own ? undefined : '--server', setup, share }), part);
  });
  return judgeEach(
    check,
    results.map((r) => ({ ...r, target: new URL(r.target).host })),
    (outcome) => outcome,
  );
}
