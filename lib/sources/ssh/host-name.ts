// The node a host read over SSH is. MicroK8s' kubelet names its node after the host's own name
// (Go's os.Hostname, the kernel's nodename, lower-cased), not after the name or address a check
// reaches it by: --host k8s02.example.com or --host 10.0.0.12 is node k8s02. So the host is asked.
import { ReasonedError } from '../../errors.ts';
import { askedNode } from '../../names.ts';
import type { SshArgs } from '../../options/ssh.ts';
import type { Deadline } from '../../plugin/deadline.ts';
import { shorten } from '../../text.ts';
import type { CommandRunner } from '../command.ts';
import type { SshSession } from './connection.ts';
import { lastLine, quietShell } from './greeting.ts';
import { connectTo } from './hosts.ts';
import type { SshShare } from './share.ts';

export class HostNameError extends ReasonedError {
  override readonly name = 'HostNameError';
}

/** The host's own name, `uname -n` run there (a fixed argv: nothing of ours is put in it). */
export async function readHostName(host: string, run: CommandRunner, signal: AbortSignal): Promise<string> {
  let text: string;
  try {
    text = await run(['uname', '-n'], signal);
  } catch (err) {
    if (signal.aborted) throw err;
    throw new HostNameError(`cannot ask ${host} its host name (the node to judge) over SSH`, {
      cause: err,
      fix: `give --node, the node's name as kubectl get nodes says it, or check that uname runs on ${host}`,
    });
  }
  // Its last line: a login's greeting (.bashrc, a ForceCommand) comes before what uname prints.
  const { line } = lastLine(text);
  if (!line || /\s/.test(line))
    throw new HostNameError(`cannot ask ${host} its host name: uname -n printed '${shorten(line, 60)}'`, {
      fix: `${quietShell(host)}, or give --node`,
    });
  return line;
}

/**
 * The node a check of one node judges (nodeChoice): --node, this host, or the node of the one
 * --host, asked its name over SSH. The session opened to ask it is handed back for the reads that
 * follow on that host (`on`), so that they are one login; the caller lets it go.
 */
export async function nodeToJudge(
  choice: { node: string } | { ask: string },
  args: SshArgs,
  deadline: Deadline,
  share?: SshShare,
): Promise<{ node: string; on?: { host: string; conn: SshSession } }> {
  if ('node' in choice) return choice;
  const host = choice.ask;
  deadline.activity = `asking ${host} its host name over SSH (the node to judge)`;
  const on = { host, conn: await connectTo(host, args, deadline, share) };
  try {
    return { node: askedNode(host, await readHostName(host, on.conn.runner(), deadline.signal)), on };
  } catch (err) {
    on.conn.close();
    throw err;
  }
}

/**
 * Let go of the session a name question opened (nodeToJudge's `on`), once what was read beside it
 * on that host is done: let go at once, a read that began after the answer logged in again.
 */
export const letGo = (asked: Promise<{ on?: { conn: SshSession } }>): Promise<void> =>
  asked.then(
    ({ on }) => on?.conn.close(),
    () => undefined,
  );
