// The Nodes for one rule of a check that judges more without them (check_dqlite's stale members).
// Without dqlite quorum kine stalls and the API server with it: listing them ends before the run
// does, so a hung API server leaves the rest of the verdict standing.
import type { V1Node } from '@kubernetes/client-node';
import { reasonOf } from '../../errors.ts';
import type { Wire } from '../../k8s/wire.ts';
import type { Logger } from '../../logger.ts';
import type { Deadline } from '../../plugin/deadline.ts';
import { connect } from './cluster.ts';
import type { KubeTarget } from './config.ts';
import { listNodes } from './reads.ts';
import type { KubeShare } from './share.ts';

/** The Nodes; undefined when they could not be listed, and then why: no kubeconfig found, or failed. */
export interface NodesAside {
  nodes?: Wire<V1Node>[];
  /** failed: a kubeconfig named on the command line, or the API, failed; else none was found at all. */
  problem?: { why: string; failed: boolean };
}

/**
 * Begins listing the Nodes under a part of -t (or takes the list a caller makes anyway, `listed`),
 * and gives what to await once the other reads are in: the Nodes or why not. Only the end of
 * `deadline` itself is thrown.
 */
export function listNodesAside(
  target: KubeTarget,
  deadline: Deadline,
  log: Logger,
  listed?: Promise<Wire<V1Node>[]>,
  share?: KubeShare,
): () => Promise<NodesAside> {
  if (listed) return settled(listed, deadline);
  const part = deadline.part();
  part.activity = 'listing nodes';
  let list: Promise<Wire<V1Node>[]>;
  try {
    list = listNodes(connect(target, part, log, { share }));
  } catch (err) {
    part.done();
    // A kubeconfig named on the command line must work; none found at all only leaves the rule unjudged.
    const problem = { why: `no kubeconfig (${reasonOf(err)})`, failed: target.kubeconfig !== undefined };
    return async () => ({ problem });
  }
  return settled(list, deadline, part);
}

function settled(list: Promise<Wire<V1Node>[]>, deadline: Deadline, part?: Deadline): () => Promise<NodesAside> {
  const answer = list.then(
    (nodes): NodesAside => {
      part?.done();
      return { nodes };
    },
    (err): NodesAside => {
      part?.done();
      if (deadline.signal.aborted) throw err;
      return { problem: { why: reasonOf(err), failed: true } };
    },
  );
  return () => {
    deadline.activity = 'listing nodes';
    return answer;
  };
}
